"""A local emulator of the slices of the X v2 and Graph APIs that clickable calls.

A real HTTP server on 127.0.0.1: it routes on the Host header that the real clients sign, verifies
OAuth 1.0a signatures and tokens, models chunked and resumable uploads with byte accounting and
asynchronous processing, records what was published, makes engagement grow over time
(deterministically from a seed) and injects faults on demand through its admin API.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from oauthlib.oauth1.rfc5849 import signature, utils

X_HOSTS = {"api.x.com", "api.twitter.com", "upload.twitter.com"}
GRAPH_HOSTS = {
    "graph.facebook.com",
    "graph-video.facebook.com",
    "rupload.facebook.com",
    "graph.instagram.com",
}
VERSION = re.compile(r"/v\d+\.\d+(?=/)")
MP4_SIGNATURE = b"ftyp"
PROCESSING_POLLS = 2  # status polls before a video is ready
OBJECT_MISSING = 33  # Graph: "Object with ID … does not exist"
CREATE_ROUTES = {"/2/tweets", "/{page-id}/feed", "/{ig-user-id}/media_publish", "/{page-id}/videos"}
RATE_WINDOW_S = 900


@dataclass
class Request:
    method: str
    host: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    raw_query: str = ""

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    def json(self) -> dict[str, Any]:
        try:
            value = json.loads(self.body or b"{}")
        except json.JSONDecodeError:
            return {}
        return value if isinstance(value, dict) else {}

    def form(self) -> dict[str, str]:
        if self.content_type == "application/x-www-form-urlencoded":
            return dict(parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True))
        if self.content_type == "multipart/form-data":
            return {
                key: value.decode("utf-8", "replace")
                for key, value in self.multipart().items()
                if key != "media"
            }
        return {}

    def multipart(self) -> dict[str, bytes]:
        message = BytesParser(policy=HTTP).parsebytes(
            b"Content-Type: " + self.headers.get("content-type", "").encode() + b"\r\n\r\n" + self.body
        )
        parts: dict[str, bytes] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if name:
                payload = part.get_payload(decode=True)
                parts[str(name)] = payload if isinstance(payload, bytes) else b""
        return parts

    def params(self) -> dict[str, str]:
        """Query, form and JSON parameters together (Graph reads them from any of these)."""
        merged = dict(self.query)
        merged.update(self.form())
        if self.content_type == "application/json":
            merged.update({key: str(value) for key, value in self.json().items()})
        return merged


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Fault:
    network: str
    endpoint: str
    status: int | None
    headers: dict[str, str]
    body: Any
    times: int
    delay_s: float


@dataclass
class Upload:
    total: int
    data: bytearray = field(default_factory=bytearray)
    polls: int = 0
    finalized: bool = False

    @property
    def state(self) -> str:
        if not self.finalized and self.total and len(self.data) < self.total:
            return "uploading"
        if self.polls < PROCESSING_POLLS:
            return "in_progress"
        return "succeeded" if self.data[4:8] == MP4_SIGNATURE else "failed"


class Emulator:
    """The emulator's state and request handling; :func:`start` serves it over HTTP."""

    def __init__(self, seed: int = 2026) -> None:
        self.seed = seed
        self.lock = threading.RLock()
        self.reset()

    # -- admin -----------------------------------------------------------------------------------

    def reset(self) -> None:
        with self.lock:
            self.counter = 0
            self.clock_offset = 0.0
            self.published: list[dict[str, Any]] = []
            self.faults: list[Fault] = []
            self.requests: list[dict[str, Any]] = []
            self.uploads: dict[str, Upload] = {}
            self.objects: dict[str, dict[str, Any]] = {}
            self.chaos_rate = 0.0
            self.chaos = random.Random(self.seed)

    def credentials(self) -> dict[str, dict[str, str]]:
        def token(name: str) -> str:
            return hashlib.sha256(f"{self.seed}:{name}".encode()).hexdigest()[:32]

        return {
            "x": {
                "consumer_key": "sbx-ck-" + token("ck")[:16],
                "consumer_secret": "sbx-cs-" + token("cs"),
                "access_token": "1500000001-" + token("at")[:24],
                "access_token_secret": "sbx-ats-" + token("ats"),
                "bearer_token": "sbx-bearer-" + token("bearer"),
            },
            "facebook": {
                "app_id": "880000000001",
                "page_id": "100000000001",
                "page_token": "sbx-page-" + token("page"),
            },
            "instagram": {"ig_user_id": "17840000000001", "token": "sbx-ig-" + token("ig")},
        }

    def now(self) -> float:
        return time.time() + self.clock_offset

    def next_id(self, prefix: str = "") -> str:
        with self.lock:
            self.counter += 1
            return f"{prefix}{1_900_000_000_000 + self.counter}"

    def add_fault(self, spec: dict[str, Any]) -> Fault:
        fault = Fault(
            network=str(spec["network"]),
            endpoint=" ".join(str(spec["endpoint"]).split()),
            status=int(spec["status"]) if spec.get("status") is not None else None,
            headers={str(k): str(v) for k, v in (spec.get("headers") or {}).items()},
            body=spec.get("body"),
            times=int(spec.get("times", 1)),
            delay_s=float(spec.get("delay_s", 0)),
        )
        with self.lock:
            self.faults.append(fault)
        return fault

    def _take_fault(self, network: str, endpoint: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.network == network and fault.endpoint == endpoint and fault.times > 0:
                    fault.times -= 1
                    return fault
        return None

    def record(self, network: str, account: str, remote_id: str, text: str, media: list[str]) -> None:
        with self.lock:
            self.published.append(
                {
                    "network": network,
                    "account": account,
                    "id": remote_id,
                    "text": text,
                    "media": media,
                    "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.now())),
                }
            )
            self.objects[remote_id]["created"] = self.now()

    def engagement(self, remote_id: str) -> dict[str, int]:
        """Numbers that grow with the post's age, the same for the same seed, id and age."""
        created = self.objects.get(remote_id, {}).get("created", self.now())
        minutes = max(0.0, (self.now() - created) / 60)
        rng = random.Random(f"{self.seed}:{remote_id}")
        reach = rng.randint(200, 2000)
        growth = 1 - math.exp(-minutes / 600)
        views = int(reach * 3 * growth)
        return {
            "views": views,
            "reach": int(reach * growth),
            "likes": int(views * rng.uniform(0.01, 0.05)),
            "comments": int(views * rng.uniform(0.001, 0.005)),
            "shares": int(views * rng.uniform(0.002, 0.01)),
            "saves": int(views * rng.uniform(0.001, 0.006)),
            "link_clicks": int(views * rng.uniform(0.005, 0.03)),
            "watch_time": int(views * rng.uniform(3000, 9000)),
        }

    # -- dispatch --------------------------------------------------------------------------------

    def handle(self, request: Request) -> Reply:
        host = request.host.split(":")[0].lower()
        with self.lock:
            self.requests.append(
                {
                    "method": request.method,
                    "host": host,
                    "path": request.path,
                    "query_keys": sorted(request.query),
                }
            )
        if request.path.startswith("/_emulator/"):
            return self.admin(request)
        if host in X_HOSTS:
            network, routes = "x", self.x_routes()
            path = request.path
        elif host in GRAPH_HOSTS:
            network, routes = "graph", self.graph_routes()
            path = VERSION.sub("", request.path, count=1)
        else:
            return Reply(404, {"error": f"unknown host {host}"})
        for method, pattern, template, handler in routes:
            match = re.fullmatch(pattern, path)
            if method != request.method or not match:
                continue
            owner = self.route_network(network, template, match.groupdict())
            if self.chaos_rate and method == "POST" and template in CREATE_ROUTES:
                with self.lock:
                    roll = self.chaos.random()
                if roll < self.chaos_rate / 2:  # refused before anything is created
                    return Reply(503, "<html><body>Service Unavailable</body></html>")
                if roll < self.chaos_rate:  # created, but the answer is lost
                    handler(request, **match.groupdict())
                    return Reply(502, "<html><body>Bad Gateway</body></html>")
            fault = self._take_fault(owner, f"{method} {template}")
            if fault is not None:
                if fault.delay_s:
                    time.sleep(fault.delay_s)
                if fault.status is not None:
                    return Reply(fault.status, fault.body if fault.body is not None else "", fault.headers)
            return handler(request, **match.groupdict())
        if network == "x":
            return problem(404, "Not Found", f"no route {request.method} {path}")
        return graph_error(400, 100, f"Unsupported {request.method} request: {path}")

    def route_network(self, network: str, template: str, groups: dict[str, str]) -> str:
        if network == "x":
            return "x"
        creds = self.credentials()
        ident = next(iter(groups.values()), "")
        if "ig-user-id" in template or "container" in template or "ig-api-upload" in template:
            return "instagram"
        if (
            ident == creds["instagram"]["ig_user_id"]
            or self.objects.get(ident, {}).get("network") == "instagram"
        ):
            return "instagram"
        return "facebook"

    def admin(self, request: Request) -> Reply:
        route = request.path.removeprefix("/_emulator/")
        if request.method == "GET" and route == "published":
            return Reply(200, self.published)
        if request.method == "GET" and route == "credentials":
            return Reply(200, self.credentials())
        if request.method == "GET" and route == "requests":
            return Reply(200, self.requests)
        if request.method == "POST" and route == "reset":
            self.reset()
            return Reply(200, {"ok": True})
        if request.method == "POST" and route == "faults":
            try:
                fault = self.add_fault(request.json())
            except (KeyError, ValueError, TypeError) as error:
                return Reply(400, {"error": f"bad fault: {error}"})
            return Reply(201, {"network": fault.network, "endpoint": fault.endpoint, "times": fault.times})
        if request.method == "POST" and route == "chaos":
            body = request.json()
            with self.lock:
                self.chaos_rate = float(body.get("rate", 0))
                self.chaos = random.Random(int(body.get("seed", self.seed)))
            return Reply(200, {"rate": self.chaos_rate})
        if request.method == "POST" and route == "clock":
            with self.lock:
                self.clock_offset += float(request.json().get("advance_s", 0))
            return Reply(200, {"offset_s": self.clock_offset})
        return Reply(404, {"error": f"unknown admin route {request.method} {route}"})

    # -- X v2 ----------------------------------------------------------------------------------

    def x_auth(self, request: Request, *, allow_bearer: bool = False) -> Reply | None:
        creds = self.credentials()["x"]
        header = request.headers.get("authorization", "")
        if allow_bearer and header == f"Bearer {creds['bearer_token']}":
            return None
        if not header.startswith("OAuth "):
            return problem(401, "Unauthorized", "Unauthorized")
        params = dict(utils.parse_authorization_header(header))
        if (
            params.get("oauth_consumer_key") != creds["consumer_key"]
            or params.get("oauth_token") != creds["access_token"]
        ):
            return problem(401, "Unauthorized", "Unauthorized")
        body = (
            list(parse_qsl(request.body.decode(), keep_blank_values=True))
            if request.content_type == "application/x-www-form-urlencoded"
            else None
        )
        collected = signature.collect_parameters(
            uri_query=request.raw_query,
            body=body,
            headers={"Authorization": header},
            exclude_oauth_signature=True,
        )
        base = signature.signature_base_string(
            request.method,
            signature.base_string_uri(f"https://{request.host}{request.path}"),
            signature.normalize_parameters(collected),
        )
        expected = signature.sign_hmac_sha1(base, creds["consumer_secret"], creds["access_token_secret"])
        if not signature.safe_string_equals(expected, utils.unescape(params.get("oauth_signature", ""))):
            return problem(401, "Unauthorized", "Unauthorized")
        return None

    def x_routes(self) -> list[tuple[str, str, str, Callable[..., Reply]]]:
        return [
            ("POST", r"/2/tweets", "/2/tweets", self.x_create_tweet),
            ("GET", r"/2/tweets", "/2/tweets", self.x_get_tweets),
            ("GET", r"/2/users/me", "/2/users/me", self.x_me),
            ("GET", r"/2/users/(?P<user>\d+)/tweets", "/2/users/{id}/tweets", self.x_user_tweets),
            ("POST", r"/2/media/upload/initialize", "/2/media/upload/initialize", self.x_media_init),
            (
                "POST",
                r"/2/media/upload/(?P<media>\d+)/append",
                "/2/media/upload/{id}/append",
                self.x_media_append,
            ),
            (
                "POST",
                r"/2/media/upload/(?P<media>\d+)/finalize",
                "/2/media/upload/{id}/finalize",
                self.x_media_finalize,
            ),
            ("GET", r"/2/media/upload", "/2/media/upload", self.x_media_status),
        ]

    def x_headers(self, *, posting: bool = False) -> dict[str, str]:
        reset = str(int(self.now()) + RATE_WINDOW_S)
        headers = {"x-rate-limit-limit": "300", "x-rate-limit-remaining": "299", "x-rate-limit-reset": reset}
        if posting:
            day = str(int(self.now()) + 86_400)
            headers |= {
                "x-user-limit-24hour-limit": "100",
                "x-user-limit-24hour-remaining": "99",
                "x-user-limit-24hour-reset": day,
            }
        return headers

    def x_user(self) -> dict[str, str]:
        return {
            "id": self.credentials()["x"]["access_token"].split("-")[0],
            "username": "ecpat_sandbox",
            "name": "ECPAT France (sandbox)",
        }

    def x_create_tweet(self, request: Request) -> Reply:
        if (denied := self.x_auth(request)) is not None:
            return denied
        body = request.json()
        text = body.get("text")
        media_ids = [str(item) for item in (body.get("media") or {}).get("media_ids", [])]
        if not text and not media_ids:
            return problem(400, "Invalid Request", "One or more parameters to your request was invalid.")
        for media_id in media_ids:
            upload = self.uploads.get(media_id)
            if upload is None or upload.state != "succeeded":
                return problem(400, "Invalid Request", f"Your media IDs are invalid: {media_id}")
        user = self.x_user()
        with self.lock:
            if any(item["network"] == "x" and item["text"] == text for item in self.published):
                return problem(
                    403, "Forbidden", "You are not allowed to create a Tweet with duplicate content."
                )
            tweet_id = self.next_id()
            self.objects[tweet_id] = {"network": "x", "text": text or "", "media": media_ids}
            self.record("x", user["username"], tweet_id, text or "", media_ids)
        return Reply(
            201,
            {"data": {"id": tweet_id, "text": text or "", "edit_history_tweet_ids": [tweet_id]}},
            self.x_headers(posting=True),
        )

    def x_tweet(self, tweet_id: str, fields: set[str]) -> dict[str, Any]:
        item = self.objects[tweet_id]
        numbers = self.engagement(tweet_id)
        tweet: dict[str, Any] = {"id": tweet_id, "text": item["text"], "edit_history_tweet_ids": [tweet_id]}
        if "public_metrics" in fields:
            tweet["public_metrics"] = {
                "retweet_count": numbers["shares"],
                "reply_count": numbers["comments"],
                "like_count": numbers["likes"],
                "quote_count": numbers["shares"] // 4,
                "bookmark_count": numbers["saves"],
                "impression_count": numbers["views"],
            }
        if "non_public_metrics" in fields:
            tweet["non_public_metrics"] = {
                "impression_count": numbers["views"],
                "url_link_clicks": numbers["link_clicks"],
                "user_profile_clicks": numbers["likes"] // 3,
            }
        if "created_at" in fields:
            tweet["created_at"] = time.strftime(
                "%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(item.get("created", self.now()))
            )
        return tweet

    def x_get_tweets(self, request: Request) -> Reply:
        if (denied := self.x_auth(request, allow_bearer=True)) is not None:
            return denied
        ids = [item for item in request.query.get("ids", "").split(",") if item]
        if not ids or len(ids) > 100:
            return problem(400, "Invalid Request", "The `ids` query parameter value must hold 1 to 100 ids.")
        fields = set(request.query.get("tweet.fields", "").split(","))
        data, errors = [], []
        for tweet_id in ids:
            if self.objects.get(tweet_id, {}).get("network") == "x":
                data.append(self.x_tweet(tweet_id, fields))
            else:
                errors.append(
                    {
                        "value": tweet_id,
                        "detail": f"Could not find tweet with ids: [{tweet_id}].",
                        "title": "Not Found Error",
                        "resource_type": "tweet",
                        "parameter": "ids",
                        "resource_id": tweet_id,
                        "type": "https://api.twitter.com/2/problems/resource-not-found",
                    }
                )
        body: dict[str, Any] = {"data": data} if data else {}
        if errors:
            body["errors"] = errors
        return Reply(200, body, self.x_headers())

    def x_me(self, request: Request) -> Reply:
        if (denied := self.x_auth(request)) is not None:
            return denied
        return Reply(200, {"data": self.x_user()}, self.x_headers())

    def x_user_tweets(self, request: Request, user: str) -> Reply:
        if (denied := self.x_auth(request, allow_bearer=True)) is not None:
            return denied
        limit = min(100, int(request.query.get("max_results", "10")))
        mine = [item["id"] for item in reversed(self.published) if item["network"] == "x"][:limit]
        fields = set(request.query.get("tweet.fields", "").split(","))
        data = [self.x_tweet(tweet_id, fields) for tweet_id in mine]
        return Reply(
            200,
            {"data": data, "meta": {"result_count": len(data)}} if data else {"meta": {"result_count": 0}},
            self.x_headers(),
        )

    def x_media_init(self, request: Request) -> Reply:
        if (denied := self.x_auth(request)) is not None:
            return denied
        body = request.json()
        if (
            not body.get("media_type")
            or not isinstance(body.get("total_bytes"), int)
            or not body.get("media_category")
        ):
            return problem(400, "Invalid Request", "media_type, total_bytes and media_category are required.")
        media_id = self.next_id()
        self.uploads[media_id] = Upload(total=int(body["total_bytes"]))
        return Reply(
            200,
            {"data": {"id": media_id, "media_key": f"7_{media_id}", "expires_after_secs": 86400}},
            self.x_headers(),
        )

    def x_media_append(self, request: Request, media: str) -> Reply:
        if (denied := self.x_auth(request)) is not None:
            return denied
        upload = self.uploads.get(media)
        if upload is None:
            return problem(400, "Invalid Request", f"Unknown media id {media}")
        parts = request.multipart()
        chunk = parts.get("media", b"")
        try:
            index = int(parts.get("segment_index", b"-1"))
        except ValueError:
            index = -1
        with self.lock:
            expected = upload.polls  # reuse as the next expected segment index while uploading
            if (
                index != expected
                or len(upload.data) + len(chunk) > upload.total
                or len(chunk) > 5 * 1024 * 1024
            ):
                return problem(
                    400,
                    "Invalid Request",
                    f"Segment {index} is out of order or too large (expected {expected}).",
                )
            upload.data.extend(chunk)
            upload.polls += 1
        return Reply(200, {"data": {"expires_at": int(self.now()) + 86400}}, self.x_headers())

    def x_media_finalize(self, request: Request, media: str) -> Reply:
        if (denied := self.x_auth(request)) is not None:
            return denied
        upload = self.uploads.get(media)
        if upload is None or len(upload.data) != upload.total:
            return problem(400, "Invalid Request", "File size does not match total_bytes.")
        upload.finalized, upload.polls = True, 0
        return Reply(
            200,
            {
                "data": {
                    "id": media,
                    "media_key": f"7_{media}",
                    "size": upload.total,
                    "processing_info": {"state": "pending", "check_after_secs": 1},
                }
            },
            self.x_headers(),
        )

    def x_media_status(self, request: Request) -> Reply:
        if (denied := self.x_auth(request)) is not None:
            return denied
        media = request.query.get("media_id", "")
        upload = self.uploads.get(media)
        if request.query.get("command") != "STATUS" or upload is None or not upload.finalized:
            return problem(400, "Invalid Request", "Unknown media id or command.")
        upload.polls += 1
        state = upload.state
        info: dict[str, Any] = {"state": state}
        if state == "in_progress":
            info |= {"check_after_secs": 1, "progress_percent": 50}
        elif state == "failed":
            info["error"] = {"code": 1, "name": "InvalidMedia", "message": "Unsupported video format"}
        else:
            info["progress_percent"] = 100
        return Reply(
            200, {"data": {"id": media, "media_key": f"7_{media}", "processing_info": info}}, self.x_headers()
        )

    # -- Graph: Facebook Pages and Instagram -----------------------------------------------------

    def graph_auth(self, request: Request, network: str) -> Reply | None:
        creds = self.credentials()
        token = creds["facebook"]["page_token"] if network == "facebook" else creds["instagram"]["token"]
        header = request.headers.get("authorization", "")
        given = (
            header.split(" ", 1)[1]
            if header.startswith(("OAuth ", "Bearer "))
            else request.params().get("access_token", "")
        )
        if given != token:
            return Reply(
                400,
                {
                    "error": {
                        "message": "Error validating access token: The session is invalid.",
                        "type": "OAuthException",
                        "code": 190,
                        "error_subcode": 460,
                        "fbtrace_id": "Aemu",
                    }
                },
                {
                    "WWW-Authenticate": 'OAuth "Facebook Platform" "invalid_token" "Error validating access token"'
                },
            )
        return None

    def graph_routes(self) -> list[tuple[str, str, str, Callable[..., Reply]]]:
        return [
            ("POST", r"/(?P<page>\d+)/feed", "/{page-id}/feed", self.fb_feed),
            ("GET", r"/(?P<page>\d+)/posts", "/{page-id}/posts", self.fb_posts),
            ("POST", r"/(?P<app>\d+)/uploads", "/{app-id}/uploads", self.fb_upload_start),
            ("POST", r"/upload:(?P<session>\w+)", "/upload:{upload-id}", self.fb_upload_chunk),
            ("GET", r"/upload:(?P<session>\w+)", "/upload:{upload-id}", self.fb_upload_status),
            ("POST", r"/(?P<page>\d+)/videos", "/{page-id}/videos", self.fb_videos),
            ("POST", r"/(?P<video>\d+)/captions", "/{video-id}/captions", self.fb_captions),
            ("POST", r"/(?P<page>\d+)/video_reels", "/{page-id}/video_reels", self.fb_reels),
            ("GET", r"/(?P<page>\d+)/video_reels", "/{page-id}/video_reels", self.fb_reels_list),
            ("POST", r"/video-upload/(?P<video>\d+)", "/video-upload/{video-id}", self.rupload_video),
            (
                "POST",
                r"/ig-api-upload/(?P<container>\d+)",
                "/ig-api-upload/{container-id}",
                self.rupload_container,
            ),
            ("POST", r"/(?P<ig>\d+)/media", "/{ig-user-id}/media", self.ig_container),
            ("GET", r"/(?P<ig>\d+)/media", "/{ig-user-id}/media", self.ig_media_list),
            ("POST", r"/(?P<ig>\d+)/media_publish", "/{ig-user-id}/media_publish", self.ig_publish),
            (
                "GET",
                r"/(?P<ig>\d+)/content_publishing_limit",
                "/{ig-user-id}/content_publishing_limit",
                self.ig_limit,
            ),
            ("GET", r"/(?P<node>[\d_]+)/insights", "/{id}/insights", self.insights),
            ("GET", r"/(?P<node>\d+)/video_insights", "/{video-id}/video_insights", self.insights),
            ("GET", r"/(?P<node>[\d_]+)", "/{id}", self.graph_node),
        ]

    def usage(self) -> dict[str, str]:
        return {"X-App-Usage": json.dumps({"call_count": 1, "total_cputime": 1, "total_time": 1})}

    def _page(self, page: str) -> Reply | None:
        if page != self.credentials()["facebook"]["page_id"]:
            return graph_error(
                400,
                100,
                f"Unsupported post request. Object with ID '{page}' does not exist",
                subcode=OBJECT_MISSING,
            )
        return None

    def fb_feed(self, request: Request, page: str) -> Reply:
        if (denied := self.graph_auth(request, "facebook") or self._page(page)) is not None:
            return denied
        params = request.params()
        message = params.get("message", "")
        if not message and not params.get("link"):
            return graph_error(400, 100, "(#100) Missing message or attachment")
        with self.lock:
            if any(item["network"] == "facebook" and item["text"] == message for item in self.published):
                return graph_error(
                    400, 506, "Duplicate status message", user_msg="Vous avez déjà publié ce message."
                )
            post_id = f"{page}_{self.next_id()}"
            self.objects[post_id] = {"network": "facebook", "kind": "post", "text": message}
            self.record("facebook", page, post_id, message, [])
        return Reply(200, {"id": post_id}, self.usage())

    def fb_posts(self, request: Request, page: str) -> Reply:
        if (denied := self.graph_auth(request, "facebook") or self._page(page)) is not None:
            return denied
        limit = int(request.query.get("limit", "25"))
        items = [item for item in reversed(self.published) if item["network"] == "facebook"][:limit]
        return Reply(
            200,
            {
                "data": [
                    {"id": item["id"], "message": item["text"], "created_time": item["created_at"]}
                    for item in items
                ]
            },
            self.usage(),
        )

    def fb_upload_start(self, request: Request, app: str) -> Reply:
        if (denied := self.graph_auth(request, "facebook")) is not None:
            return denied
        params = request.params()
        try:
            length = int(params.get("file_length", ""))
        except ValueError:
            return graph_error(400, 100, "(#100) file_length is required")
        session = self.next_id()
        self.uploads[f"upload:{session}"] = Upload(total=length)
        return Reply(200, {"id": f"upload:{session}"}, self.usage())

    def fb_upload_chunk(self, request: Request, session: str) -> Reply:
        if (denied := self.graph_auth(request, "facebook")) is not None:
            return denied
        upload = self.uploads.get(f"upload:{session}")
        if upload is None:
            return graph_error(400, 100, "Invalid upload session")
        offset = int(request.headers.get("file_offset", "0"))
        if offset != len(upload.data):
            return graph_error(400, 1363037, f"Invalid file offset {offset}, expected {len(upload.data)}")
        upload.data.extend(request.body)
        handle = f"h:{session}" if len(upload.data) >= upload.total else ""
        return Reply(
            200,
            {"h": handle} if handle else {"id": f"upload:{session}", "file_offset": len(upload.data)},
            self.usage(),
        )

    def fb_upload_status(self, request: Request, session: str) -> Reply:
        upload = self.uploads.get(f"upload:{session}")
        if upload is None:
            return graph_error(400, 100, "Invalid upload session")
        return Reply(200, {"id": f"upload:{session}", "file_offset": len(upload.data)}, self.usage())

    def fb_videos(self, request: Request, page: str) -> Reply:
        if (denied := self.graph_auth(request, "facebook") or self._page(page)) is not None:
            return denied
        params = request.params()
        handle = params.get("fbuploader_video_file_chunk", "")
        upload = self.uploads.get("upload:" + handle.removeprefix("h:"))
        if upload is None or len(upload.data) < upload.total:
            return graph_error(400, 100, "(#100) Invalid or incomplete fbuploader_video_file_chunk")
        upload.finalized = True
        video_id = self.next_id()
        description = params.get("description", "")
        self.objects[video_id] = {
            "network": "facebook",
            "kind": "video",
            "text": description,
            "upload": upload,
        }
        self.record("facebook", page, video_id, description, [video_id])
        return Reply(200, {"id": video_id}, self.usage())

    def fb_captions(self, request: Request, video: str) -> Reply:
        if (denied := self.graph_auth(request, "facebook")) is not None:
            return denied
        parts = request.multipart() if request.content_type == "multipart/form-data" else {}
        if video not in self.objects or not parts.get("captions_file"):
            return graph_error(400, 100, "(#100) captions_file is required")
        self.objects[video]["captions"] = parts["captions_file"].decode("utf-8", "replace")
        return Reply(200, {"success": True}, self.usage())

    def fb_reels(self, request: Request, page: str) -> Reply:
        if (denied := self.graph_auth(request, "facebook") or self._page(page)) is not None:
            return denied
        params = request.params()
        phase = params.get("upload_phase")
        if phase == "start":
            video_id = self.next_id()
            self.uploads[video_id] = Upload(total=0)
            self.objects[video_id] = {
                "network": "facebook",
                "kind": "reel",
                "text": "",
                "upload": self.uploads[video_id],
            }
            return Reply(
                200,
                {
                    "video_id": video_id,
                    "upload_url": f"https://rupload.facebook.com/video-upload/v22.0/{video_id}",
                },
                self.usage(),
            )
        if phase == "finish":
            video_id = params.get("video_id", "")
            reel = self.objects.get(video_id)
            if reel is None or not reel["upload"].data:
                return graph_error(400, 100, "(#100) The video was not uploaded")
            description = params.get("description", "")
            with self.lock:
                if any(
                    item["network"] == "facebook" and item["text"] == description for item in self.published
                ):
                    return graph_error(400, 506, "Duplicate status message")
                reel["text"] = description
                reel["upload"].finalized = True
                self.record("facebook", page, video_id, description, [video_id])
            return Reply(200, {"success": True}, self.usage())
        return graph_error(400, 100, "(#100) upload_phase must be start or finish")

    def fb_reels_list(self, request: Request, page: str) -> Reply:
        if (denied := self.graph_auth(request, "facebook") or self._page(page)) is not None:
            return denied
        items = [item for item in reversed(self.published) if item["network"] == "facebook" and item["media"]]
        return Reply(
            200, {"data": [{"id": item["id"], "description": item["text"]} for item in items]}, self.usage()
        )

    def rupload_video(self, request: Request, video: str) -> Reply:
        if (denied := self.graph_auth(request, "facebook")) is not None:
            return denied
        return self._rupload(request, video)

    def rupload_container(self, request: Request, container: str) -> Reply:
        if (denied := self.graph_auth(request, "instagram")) is not None:
            return denied
        return self._rupload(request, container)

    def _rupload(self, request: Request, key: str) -> Reply:
        upload = self.uploads.get(key)
        if upload is None:
            return graph_error(400, 100, "Invalid upload id")
        offset, size = int(request.headers.get("offset", "0")), int(request.headers.get("file_size", "0"))
        if offset != len(upload.data) or not size:
            return Reply(
                400,
                {
                    "debug_info": {
                        "type": "ProcessingFailedError",
                        "message": f"offset {offset} expected {len(upload.data)}",
                    }
                },
            )
        upload.total = size
        upload.data.extend(request.body)
        return Reply(200, {"success": True, "message": "Upload successful."})

    def ig_container(self, request: Request, ig: str) -> Reply:
        if (denied := self.graph_auth(request, "instagram")) is not None:
            return denied
        if ig != self.credentials()["instagram"]["ig_user_id"]:
            return graph_error(400, 100, f"Object with ID '{ig}' does not exist", subcode=OBJECT_MISSING)
        params = request.params()
        if params.get("media_type") != "REELS":
            return graph_error(400, 100, "(#100) media_type must be REELS for videos")
        container = self.next_id()
        self.uploads[container] = Upload(total=0)
        self.objects[container] = {
            "network": "instagram",
            "kind": "container",
            "text": params.get("caption", ""),
            "upload": self.uploads[container],
        }
        body: dict[str, Any] = {"id": container}
        if params.get("upload_type") == "resumable":
            body["uri"] = f"https://rupload.facebook.com/ig-api-upload/v22.0/{container}"
        return Reply(200, body, self.usage())

    def ig_status(self, container: str) -> str:
        item = self.objects[container]
        if item.get("published"):
            return "PUBLISHED"
        upload: Upload = item["upload"]
        if not upload.data:
            return "IN_PROGRESS"
        upload.finalized = True
        state = upload.state
        upload.polls += 1
        return {"in_progress": "IN_PROGRESS", "succeeded": "FINISHED", "failed": "ERROR"}.get(
            state, "IN_PROGRESS"
        )

    def ig_publish(self, request: Request, ig: str) -> Reply:
        if (denied := self.graph_auth(request, "instagram")) is not None:
            return denied
        container = request.params().get("creation_id", "")
        item = self.objects.get(container)
        if item is None or item.get("kind") != "container":
            return graph_error(400, 100, "(#100) Invalid creation_id")
        upload: Upload = item["upload"]
        if item.get("published") or upload.state != "succeeded":
            return graph_error(
                400,
                9007,
                "Media ID is not available",
                subcode=2207027,
                user_msg="The media is not ready for publishing, please wait for a moment",
            )
        with self.lock:
            media_id = self.next_id()
            item["published"] = media_id
            self.objects[media_id] = {"network": "instagram", "kind": "media", "text": item["text"]}
            self.record("instagram", ig, media_id, item["text"], [container])
        return Reply(200, {"id": media_id}, self.usage())

    def ig_limit(self, request: Request, ig: str) -> Reply:
        if (denied := self.graph_auth(request, "instagram")) is not None:
            return denied
        day_ago = self.now() - 86_400
        used = sum(
            1
            for item in self.published
            if item["network"] == "instagram" and self.objects[item["id"]].get("created", 0) > day_ago
        )
        return Reply(
            200,
            {"data": [{"quota_usage": used, "config": {"quota_total": 50, "quota_duration": 86400}}]},
            self.usage(),
        )

    def ig_media_list(self, request: Request, ig: str) -> Reply:
        if (denied := self.graph_auth(request, "instagram")) is not None:
            return denied
        items = [item for item in reversed(self.published) if item["network"] == "instagram"][
            : int(request.query.get("limit", "25"))
        ]
        return Reply(
            200,
            {
                "data": [
                    {"id": item["id"], "caption": item["text"], "timestamp": item["created_at"]}
                    for item in items
                ]
            },
            self.usage(),
        )

    def insights(self, request: Request, node: str) -> Reply:
        item = self.objects.get(node)
        if item is None:  # an unknown id: any valid token learns that it does not exist
            if (
                self.graph_auth(request, "facebook")
                and (denied := self.graph_auth(request, "instagram")) is not None
            ):
                return denied
            return graph_error(400, 100, f"Object with ID '{node}' does not exist", subcode=OBJECT_MISSING)
        if (denied := self.graph_auth(request, item["network"])) is not None:
            return denied
        if "created" not in item:
            return graph_error(400, 100, f"Object with ID '{node}' does not exist", subcode=OBJECT_MISSING)
        numbers = self.engagement(node)
        known = {
            "post_media_view": numbers["views"],
            "post_total_media_view_unique": numbers["reach"],
            "post_reactions_like_total": numbers["likes"],
            "post_clicks": numbers["link_clicks"],
            "total_video_views": numbers["views"],
            "blue_reels_play_count": numbers["views"],
            "total_video_view_total_time": numbers["watch_time"],
            "post_video_likes_by_reaction_type": numbers["likes"],
            "views": numbers["views"],
            "reach": numbers["reach"],
            "likes": numbers["likes"],
            "comments": numbers["comments"],
            "shares": numbers["shares"],
            "saved": numbers["saves"],
            "ig_reels_video_view_total_time": numbers["watch_time"],
        }
        data = []
        for name in [metric for metric in request.query.get("metric", "").split(",") if metric]:
            if name not in known:
                return graph_error(400, 100, f"(#100) The value must be a valid insights metric: {name}")
            data.append(
                {
                    "name": name,
                    "period": "lifetime",
                    "values": [{"value": known[name]}],
                    "title": name,
                    "description": "",
                    "id": f"{node}/insights/{name}/lifetime",
                }
            )
        return Reply(200, {"data": data}, self.usage())

    def graph_node(self, request: Request, node: str) -> Reply:
        creds = self.credentials()
        if node == creds["facebook"]["page_id"]:
            return self.graph_auth(request, "facebook") or Reply(
                200, {"id": node, "name": "ECPAT France (sandbox)"}, self.usage()
            )
        if node == creds["instagram"]["ig_user_id"]:
            return self.graph_auth(request, "instagram") or Reply(
                200, {"id": node, "username": "ecpat_sandbox"}, self.usage()
            )
        item = self.objects.get(node)
        if item is None:
            return graph_error(400, 100, f"Object with ID '{node}' does not exist", subcode=OBJECT_MISSING)
        if (denied := self.graph_auth(request, item["network"])) is not None:
            return denied
        if item.get("kind") == "container":
            status = self.ig_status(node)
            detail = "Error: video processing failed (2207026)" if status == "ERROR" else status.title()
            return Reply(200, {"id": node, "status_code": status, "status": detail}, self.usage())
        if item.get("kind") in ("video", "reel"):
            upload: Upload = item["upload"]
            upload.polls += 1
            state = {
                "in_progress": "processing",
                "succeeded": "ready",
                "failed": "error",
                "uploading": "upload",
            }[upload.state]
            return Reply(200, {"id": node, "status": {"video_status": state}}, self.usage())
        return Reply(200, {"id": node, "message": item.get("text", "")}, self.usage())


def problem(status: int, title: str, detail: str) -> Reply:
    return Reply(status, {"title": title, "detail": detail, "type": "about:blank", "status": status})


def graph_error(
    status: int, code: int, message: str, *, subcode: int | None = None, user_msg: str | None = None
) -> Reply:
    error: dict[str, Any] = {
        "message": message,
        "type": "OAuthException",
        "code": code,
        "fbtrace_id": "Aemulator",
    }
    if subcode is not None:
        error["error_subcode"] = subcode
    if user_msg is not None:
        error["error_user_msg"] = user_msg
    return Reply(status, {"error": error})


class _Handler(BaseHTTPRequestHandler):
    server: EmulatorServer
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go in two writes: no 40 ms delayed-ACK stall

    def log_message(self, format: str, *args: Any) -> None:
        """No access log: requests carry tokens in headers and texts in bodies."""

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        request = Request(
            method=self.command,
            host=self.headers.get("Host", ""),
            path=parts.path,
            query=dict(parse_qsl(parts.query, keep_blank_values=True)),
            headers={key.lower(): value for key, value in self.headers.items()},
            body=body,
            raw_query=parts.query,
        )
        reply = self.server.emulator.handle(request)
        if isinstance(reply.body, bytes):
            payload, content_type = reply.body, "application/octet-stream"
        elif isinstance(reply.body, str):
            payload, content_type = reply.body.encode("utf-8"), "text/html; charset=utf-8"
        else:
            payload, content_type = json.dumps(reply.body).encode("utf-8"), "application/json; charset=utf-8"
        headers = {key.lower(): value for key, value in reply.headers.items()}
        try:
            self.send_response(reply.status)
            if "content-type" not in headers and reply.body != "":
                self.send_header("Content-Type", content_type)
            for key, value in reply.headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout fault): nothing to answer

    do_GET = _serve
    do_POST = _serve
    do_DELETE = _serve


class EmulatorServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, emulator: Emulator, host: str = "127.0.0.1", port: int = 0) -> None:
        self.emulator = emulator
        super().__init__((host, port), _Handler)
        self.thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> EmulatorServer:
        self.thread = threading.Thread(target=self.serve_forever, name="clickable-emulator", daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        if self.thread is not None:
            self.thread.join(timeout=5)


def start(seed: int = 2026, port: int = 0) -> EmulatorServer:
    """Serve a new emulator on 127.0.0.1 in a background thread (port 0: any free port)."""
    return EmulatorServer(Emulator(seed), port=port).start()
