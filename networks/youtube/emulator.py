"""YouTube's part of the emulator: the Data API v3 slices clickable calls, and Google's OAuth 2.0 endpoints.

Judged by the discovery document google-api-python-client ships (``networks.youtube.discovery``): every
API request's query parameters, ``part`` values and JSON body are checked against it, and every JSON
answer against the method's response schema. The resumable upload follows Google's protocol
(developers.google.com/youtube/v3/guides/using_resumable_upload_protocol): an initial POST with
``X-Upload-Content-Length`` and ``X-Upload-Content-Type`` answered 200 with the session's
``Location``; PUTs of chunks with ``Content-Range: bytes first-last/total`` (every chunk but the last
a multiple of 256 KiB) answered ``308 Resume Incomplete`` with ``Range: bytes=0-last``; a PUT with
``Content-Range: bytes */total`` asks how much arrived; the last chunk's answer is the video.
Errors have Google's shape (``{"error": {"code", "message", "errors": [{"reason", "domain", …}],
"status"}}``) with the reasons the API reference lists for each method.

Quota is counted as the spec declares it (videos.insert's own bucket, 10,000 units for the rest, the
day starting at midnight Pacific time) and answered ``403 quotaExceeded`` past the limit. The sandbox
project is not audited: its uploads are locked private whatever was asked, as Google does for
projects created after 2020-07-28 until they pass the audit.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
from datetime import datetime
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import unquote_plus, urlencode, urlsplit
from zoneinfo import ZoneInfo

from networks.emulator.auth import header_token
from networks.emulator.messages import Reply, Request
from networks.emulator.part import NOT_CHECKED, EmulatorPart, JudgedBy, Route, Validation
from networks.emulator.uploads import Upload
from networks.youtube import discovery
from networks.youtube.text import DESCRIPTION_BYTES, TAGS_CHARACTERS, TITLE_CHARACTERS

API_HOSTS = ("youtube.googleapis.com", "www.googleapis.com")
UPLOAD_GRANULE = 256 * 1024  # every chunk but the last is a multiple of 256 KiB
CAPTION_NAME_CHARACTERS = 150
ACCESS_TOKEN_S = 3599
UNAUDITED_LOCK = "private"
# captions.insert's `sync` parameter is still in the discovery document, but YouTube removed it on
# 2024-04-12 (developers.google.com/youtube/v3/revision_history): a request that sends it is refused.
REMOVED_PARAMETERS = {"youtube.captions.insert": ("sync",), "youtube.captions.update": ("sync",)}
STATUS_TEXT = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    429: "RESOURCE_EXHAUSTED",
}


def google_error(
    status: int,
    reason: str,
    message: str,
    *,
    domain: str = "global",
    location: str | None = None,
    location_type: str | None = None,
    headers: dict[str, str] | None = None,
) -> Reply:
    """Google's JSON error: the code, a message, one entry with its reason, and the RPC status."""
    entry: dict[str, str] = {"message": message, "domain": domain, "reason": reason}
    if location:
        entry["location"] = location
        entry["locationType"] = location_type or "parameter"
    return Reply(
        status,
        {
            "error": {
                "code": status,
                "message": message,
                "errors": [entry],
                "status": STATUS_TEXT.get(status, "UNKNOWN"),
            }
        },
        headers or {},
    )


def _token(seed: int, name: str, size: int = 32) -> str:
    return hashlib.sha256(f"{seed}:youtube:{name}".encode()).hexdigest()[:size]


class YouTubePart(EmulatorPart):
    refuses_duplicates = False  # YouTube accepts the upload and rejects a duplicate while processing it
    audited = False  # the sandbox project, like every new project, has not passed Google's audit
    # Google's OAuth pages (accounts.google.com, oauth2.googleapis.com) are not in the document
    judged_by = JudgedBy(
        "the YouTube Data API v3 discovery document google-api-python-client ships",
        hosts=("youtube.googleapis.com", "www.googleapis.com"),
    )

    @classmethod
    def sandbox_credentials(cls, seed: int) -> dict[str, str]:
        return {
            "client_id": f"{_token(seed, 'client', 12)}-sbx.apps.googleusercontent.com",
            "client_secret": "GOCSPX-sbx" + _token(seed, "secret", 24),
            "refresh_token": "1//sbx" + _token(seed, "refresh", 40),
        }

    def reset(self) -> None:
        self.access_tokens: dict[str, float] = {}  # token -> expiry (emulator clock)
        self.refresh_tokens: set[str] = {self.credentials["refresh_token"]}
        self.revoked: set[str] = set()
        self.codes: dict[str, dict[str, str]] = {}  # authorization code -> what the consent granted
        self.consented: set[str] = set()  # client ids the user already consented to
        self.sessions: dict[str, dict[str, Any]] = {}  # upload_id -> metadata of the resumable upload
        self.captions: dict[str, dict[str, Any]] = {}  # caption id -> caption resource (+ its file)
        self.usage: dict[tuple[str, str], int] = {}  # (Pacific day, bucket) -> units used

    def __init__(self, core: Any, spec: Any) -> None:
        super().__init__(core, spec)
        self.reset()

    # -- identities ---------------------------------------------------------------------------------

    @property
    def channel_id(self) -> str:
        return "UC" + _token(self.core.seed, "channel", 22)

    @property
    def uploads_playlist(self) -> str:
        return "UU" + self.channel_id[2:]

    def routes(self) -> list[Route]:
        return [
            Route(
                "PUT",
                r"/upload/youtube/v3/videos",
                "/upload/youtube/v3/videos",
                self.upload_chunk,
                creates=True,
            ),
            Route("POST", r"/upload/youtube/v3/videos", "/upload/youtube/v3/videos", self.upload_start),
            Route("POST", r"/upload/youtube/v3/captions", "/upload/youtube/v3/captions", self.caption_insert),
            Route("GET", r"/youtube/v3/videos", "/youtube/v3/videos", self.videos_list),
            Route("GET", r"/youtube/v3/channels", "/youtube/v3/channels", self.channels_list),
            Route("GET", r"/youtube/v3/playlistItems", "/youtube/v3/playlistItems", self.playlist_items),
            Route("GET", r"/youtube/v3/captions", "/youtube/v3/captions", self.captions_list),
            Route("POST", r"/token", "/token", self.token),
            Route("GET", r"/o/oauth2/auth", "/o/oauth2/auth", self.authorize),
            Route("GET", r"/o/oauth2/v2/auth", "/o/oauth2/v2/auth", self.authorize),
        ]

    # -- the network's own answers ------------------------------------------------------------------

    def not_found(self, request: Request, path: str) -> Reply:
        return google_error(404, "notFound", f"The requested URL {path} was not found on this server.")

    def fault(self, kind: str, *, reset_in_s: float | None = None) -> Reply:
        if kind == "rate_limited":
            headers = {"Retry-After": str(round(reset_in_s))} if reset_in_s is not None else {}
            return google_error(
                429,
                "rateLimitExceeded",
                "The request cannot be completed because you have exceeded your quota of requests per minute.",
                domain="usageLimits",
                headers=headers,
            )
        if kind == "expired_token":
            # the access token is refused and so is the refresh token: a project in "Testing" has
            # its refresh tokens expire after 7 days (invalid_grant) and a person must consent again
            self.revoked |= self.refresh_tokens
            return google_error(
                401,
                "authError",
                "Request had invalid authentication credentials. Expected OAuth 2 access token, login "
                "cookie or other valid authentication credential.",
                location="Authorization",
                location_type="header",
            )
        if kind == "duplicate":
            # the last chunk lands, and processing rejects the copy of a video the channel has
            video = self._video_resource(
                "dup" + _token(self.core.seed, "duplicate", 8),
                {"snippet": {"title": "", "description": ""}, "status": {}},
                {"snippet", "status"},
                upload_status="rejected",
            )
            video["status"]["rejectionReason"] = "duplicate"
            return Reply(200, video)
        return super().fault(kind, reset_in_s=reset_in_s)

    # -- validation against the discovery document --------------------------------------------------

    def validate_request(self, request: Request, route: Route | None) -> Validation:
        if request.hostname not in API_HOSTS:
            return NOT_CHECKED  # Google's OAuth endpoints are not in the discovery document
        problems = self._problems(request)
        return Validation.invalid(*(str(item) for item in problems)) if problems else Validation.valid()

    def _problems(self, request: Request) -> list[discovery.Problem]:
        found = discovery.find(request.method, request.path)
        if found is None:
            if (
                request.method == "PUT"
                and request.path in discovery.method("youtube.videos.insert").upload_paths
            ):
                return self._chunk_problems(request)
            return [
                discovery.Problem(
                    "notFound", request.path, "path", f"no method {request.method} {request.path}"
                )
            ]
        method, upload, _params = found
        query = dict(request.query)
        problems = discovery.check_parameters(method, query)
        problems += [
            discovery.Problem(
                "invalidParameter",
                name,
                "parameter",
                f"The {name} parameter no longer exists (removed 2024-04-12).",
            )
            for name in REMOVED_PARAMETERS.get(method.id, ())
            if name in query
        ]
        problems += discovery.check_parts(method, query)
        if upload and query.get("uploadType") not in ("resumable", "multipart", "media"):
            problems.append(
                discovery.Problem("invalid", "uploadType", "parameter", "Invalid value for uploadType")
            )
        if method.request is not None and method.http_method in ("POST", "PUT"):
            metadata = self._metadata(request, method.id)
            if metadata is None:
                problems.append(discovery.Problem("parseError", "body", "body", "Parse Error"))
            else:
                problems += discovery.check_body(method.request, metadata, method_id=method.id)
        if upload and query.get("uploadType") == "resumable":
            problems += self._start_problems(request)
        return problems

    def _start_problems(self, request: Request) -> list[discovery.Problem]:
        """The initial POST of a resumable upload: what is coming, and how big it is."""
        problems = []
        length = request.headers.get("x-upload-content-length")
        kind = request.headers.get("x-upload-content-type", "")
        found = discovery.find(request.method, request.path)
        assert found is not None
        limit, accepted = found[0].max_upload_bytes, found[0].accept
        if length is not None and (not length.isdigit() or int(length) > limit):
            problems.append(
                discovery.Problem(
                    "uploadTooLarge", "X-Upload-Content-Length", "header", f"Media larger than {limit} bytes"
                )
            )
        if kind and not any(re.fullmatch(pattern.replace("*", ".+"), kind) for pattern in accepted):
            problems.append(
                discovery.Problem(
                    "invalidContentType",
                    "X-Upload-Content-Type",
                    "header",
                    f"Media type '{kind}' is not supported.",
                )
            )
        return problems

    def _chunk_problems(self, request: Request) -> list[discovery.Problem]:
        """A PUT to a resumable session: only the session's parameters and a Content-Range."""
        problems = [
            discovery.Problem("invalidParameter", name, "parameter", f"Unknown parameter {name}")
            for name in request.query
            if name not in ("uploadType", "upload_id")
        ]
        if request.query.get("upload_id") not in self.sessions:
            problems.append(
                discovery.Problem("notFound", "upload_id", "parameter", "No such upload session.")
            )
        if _content_range(request.headers.get("content-range", ""), len(request.body)) is None:
            problems.append(
                discovery.Problem(
                    "badContent", "Content-Range", "header", "Failed to parse Content-Range header."
                )
            )
        return problems

    def refuse(self, request: Request, route: Route | None, validation: Validation) -> Reply:
        problems = self._problems(request) if request.hostname in API_HOSTS else []
        if not problems:
            return google_error(400, "badRequest", "; ".join(validation.errors))
        first = problems[0]
        if first.reason == "notFound":
            return google_error(404, "notFound", first.message, location=first.location)
        if first.reason == "unknownPart":
            return google_error(400, "unknownPart", first.message, domain="youtube.part", location="part")
        return google_error(
            400, first.reason, first.message, location=first.location, location_type=first.location_type
        )

    def validate_response(self, request: Request, route: Route, reply: Reply) -> Validation:
        if request.hostname not in API_HOSTS or not isinstance(reply.body, dict) or reply.status >= 300:
            return NOT_CHECKED
        method_id = {
            "/upload/youtube/v3/videos": "youtube.videos.insert",
            "/upload/youtube/v3/captions": "youtube.captions.insert",
        }.get(request.path)
        if method_id is None:
            found = discovery.find(request.method, request.path)
            method_id = found[0].id if found else None
        if method_id is None:
            return NOT_CHECKED
        schema = discovery.method(method_id).response
        if schema is None:
            return NOT_CHECKED
        problems = discovery.check_body(schema, reply.body)
        return Validation.invalid(*(str(item) for item in problems)) if problems else Validation.valid()

    # -- OAuth 2.0 (accounts.google.com, oauth2.googleapis.com) ---------------------------------------

    def authorize(self, request: Request) -> Reply:
        """The consent screen, consented at once: back to the app's loopback address with a code."""
        query = request.query
        redirect = query.get("redirect_uri", "")
        host = urlsplit(redirect).hostname
        if query.get("client_id") != self.credentials["client_id"]:
            return Reply(
                400, "<html><body>Error 401: invalid_client. The OAuth client was not found.</body></html>"
            )
        if urlsplit(redirect).scheme != "http" or host not in ("127.0.0.1", "localhost", "[::1]", "::1"):
            return Reply(400, "<html><body>Error 400: redirect_uri_mismatch</body></html>")
        if query.get("response_type") != "code" or not query.get("scope"):
            return Reply(400, "<html><body>Error 400: invalid_request</body></html>")
        code = "4/sbx" + secrets.token_urlsafe(24)
        self.codes[code] = {
            "redirect_uri": redirect,
            "scope": query["scope"],
            "challenge": query.get("code_challenge", ""),
            "method": query.get("code_challenge_method", "plain"),
            "prompt": query.get("prompt", ""),
            "offline": str(query.get("access_type") == "offline"),
        }
        answer = {"state": query.get("state", ""), "code": code, "scope": query["scope"]}
        separator = "&" if "?" in redirect else "?"
        return Reply(302, "", {"Location": f"{redirect}{separator}{urlencode(answer)}"})

    def token(self, request: Request) -> Reply:
        """Token endpoint (RFC 6749 §5): a refresh, or a code from the consent, for tokens."""
        form = request.form()
        client_id, client_secret = form.get("client_id"), form.get("client_secret")
        header = request.headers.get("authorization", "")
        if header.startswith(
            "Basic "
        ):  # client_secret_basic (RFC 6749 §2.3.1), as requests-oauthlib sends it
            try:
                decoded = base64.b64decode(header[6:]).decode("utf-8")
            except (ValueError, UnicodeDecodeError):
                decoded = ":"
            client_id, _sep, client_secret = (unquote_plus(part) for part in decoded.partition(":"))
        if client_id != self.credentials["client_id"] or client_secret != self.credentials["client_secret"]:
            return Reply(
                401, {"error": "invalid_client", "error_description": "The OAuth client was not found."}
            )
        grant = form.get("grant_type")
        if grant == "refresh_token":
            token = form.get("refresh_token", "")
            if token not in self.refresh_tokens or token in self.revoked:
                return Reply(
                    400, {"error": "invalid_grant", "error_description": "Token has been expired or revoked."}
                )
            return Reply(
                200,
                self._access(
                    scope="https://www.googleapis.com/auth/youtube.upload https://www.googleapis.com/auth/youtube.force-ssl"
                ),
            )
        if grant == "authorization_code":
            granted = self.codes.pop(form.get("code", ""), None)
            if granted is None or granted["redirect_uri"] != form.get("redirect_uri"):
                return Reply(400, {"error": "invalid_grant", "error_description": "Malformed auth code."})
            if granted["challenge"] and not _pkce_ok(
                form.get("code_verifier", ""), granted["challenge"], granted["method"]
            ):
                return Reply(400, {"error": "invalid_grant", "error_description": "Invalid code verifier."})
            body = self._access(scope=granted["scope"])
            client = self.credentials["client_id"]
            # Google gives a refresh token at the first consent (offline access), or when asked to
            # consent again (prompt=consent); a reconnect without it gets an access token only
            if granted["offline"] == "True" and (
                client not in self.consented or "consent" in granted["prompt"]
            ):
                refresh = "1//sbx" + secrets.token_hex(20)
                self.refresh_tokens.add(refresh)
                body["refresh_token"] = refresh
            self.consented.add(client)
            return Reply(200, body)
        return Reply(
            400, {"error": "unsupported_grant_type", "error_description": f"Invalid grant_type: {grant}"}
        )

    def _access(self, *, scope: str) -> dict[str, Any]:
        token = "ya29.sbx" + secrets.token_urlsafe(32)
        self.access_tokens[token] = self.core.now() + ACCESS_TOKEN_S
        return {"access_token": token, "expires_in": ACCESS_TOKEN_S, "scope": scope, "token_type": "Bearer"}

    def auth(self, request: Request) -> Reply | None:
        token = header_token(request, ("Bearer",))
        expiry = self.access_tokens.get(token or "")
        if expiry is None or expiry < self.core.now():
            return google_error(
                401,
                "authError",
                "Request had invalid authentication credentials. Expected OAuth 2 access token, login "
                "cookie or other valid authentication credential.",
                location="Authorization",
                location_type="header",
            )
        return None

    # -- quota --------------------------------------------------------------------------------------

    def day(self) -> str:
        quota = self.spec.quota
        zone = ZoneInfo(quota.reset_zone if quota else "UTC")
        return datetime.fromtimestamp(self.core.now(), zone).date().isoformat()

    def spend(self, call: str) -> Reply | None:
        """Count ``call`` against its bucket, or Google's quotaExceeded when it would go past the limit."""
        quota = self.spec.quota
        if quota is None or call not in quota.costs:
            return None
        bucket, units = quota.costs[call]
        key = (self.day(), bucket)
        with self.core.lock:
            if self.usage.get(key, 0) + units > quota.bucket(bucket).limit:
                return google_error(
                    403,
                    "quotaExceeded",
                    'The request cannot be completed because you have exceeded your <a href="/youtube/v3/getting-started#quota">quota</a>.',
                    domain="youtube.quota",
                )
            self.usage[key] = self.usage.get(key, 0) + units
        return None

    def used(self, bucket: str) -> int:
        return self.usage.get((self.day(), bucket), 0)

    # -- videos -------------------------------------------------------------------------------------

    def upload_start(self, request: Request) -> Reply:
        if (denied := self.auth(request)) is not None:
            return denied
        if request.query.get("uploadType") != "resumable":
            return google_error(400, "badRequest", "clickable's emulator takes resumable uploads only")
        metadata = request.json()
        snippet = metadata.get("snippet") or {}
        title, description = snippet.get("title", ""), snippet.get("description", "")
        if not title or len(title) > TITLE_CHARACTERS or "<" in title or ">" in title:
            return google_error(
                400, "invalidTitle", "The request metadata specifies an invalid or empty video title."
            )
        if len(description.encode("utf-8")) > DESCRIPTION_BYTES or "<" in description or ">" in description:
            return google_error(
                400, "invalidDescription", "The request metadata specifies an invalid video description."
            )
        if len(",".join(snippet.get("tags") or [])) > TAGS_CHARACTERS:
            return google_error(400, "invalidTags", "The request metadata specifies invalid video keywords.")
        if (exceeded := self.spend("videos.insert")) is not None:
            return exceeded
        upload_id = "sbx" + secrets.token_urlsafe(18)
        total = int(request.headers.get("x-upload-content-length") or 0)
        self.sessions[upload_id] = {
            "metadata": metadata,
            "parts": request.query.get("part", ""),
            "video": None,
        }
        self.core.uploads[upload_id] = Upload(total=total)
        location = f"https://{request.hostname}/upload/youtube/v3/videos?" + urlencode(
            {"uploadType": "resumable", "upload_id": upload_id}
        )
        return Reply(200, "", {"Location": location, "X-GUploader-UploadID": upload_id})

    def upload_chunk(self, request: Request) -> Reply:
        if (denied := self.auth(request)) is not None:
            return denied
        upload_id = request.query.get("upload_id", "")
        session, upload = self.sessions[upload_id], self.core.uploads[upload_id]
        if session["video"] is not None:  # already complete: the answer again
            return Reply(200, self._video(session["video"], set(session["parts"].split(","))))
        span = _content_range(request.headers.get("content-range", ""), len(request.body))
        assert span is not None  # validate_request refused a bad Content-Range
        first, last, total = span
        with self.core.lock:
            if total is not None:
                upload.total = total
            received = len(upload.data)
            if first is not None:
                if first != received:
                    return google_error(
                        400, "badContent", f"Chunk starts at {first}, {received} bytes received."
                    )
                final = total is not None and last is not None and last + 1 == total
                if not final and len(request.body) % UPLOAD_GRANULE:
                    return google_error(
                        400, "badContent", "Each chunk but the last must be a multiple of 256 KiB."
                    )
                upload.data.extend(request.body)
            if not upload.total or len(upload.data) < upload.total:
                headers = {"Range": f"bytes=0-{len(upload.data) - 1}"} if upload.data else {}
                return Reply(308, "", headers)
            video_id = self._create_video(session, upload_id)
        return Reply(200, self._video(video_id, set(session["parts"].split(","))))

    def _create_video(self, session: dict[str, Any], upload_id: str) -> str:
        """The last byte arrived: the video exists (processing starts), the post is recorded."""
        upload = self.core.uploads[upload_id]
        upload.finalized, upload.polls = True, 0
        video_id = _token(self.core.seed, upload_id, 11)
        metadata = session["metadata"]
        snippet, status = dict(metadata.get("snippet") or {}), dict(metadata.get("status") or {})
        asked = status.get("privacyStatus", "public")
        status["privacyStatus"] = asked if self.audited else UNAUDITED_LOCK
        description = snippet.get("description", "")
        self.core.objects[video_id] = {
            "network": self.name,
            "text": description,
            "snippet": snippet,
            "status": status,
            "upload": upload_id,
            "asked_privacy": asked,
        }
        self.core.record(self.name, self.channel_id, video_id, description, [upload_id])
        session["video"] = video_id
        return video_id

    def _video(self, video_id: str, parts: set[str]) -> dict[str, Any]:
        item = self.core.objects[video_id]
        upload = self.core.uploads.get(item["upload"])
        state = upload.state if upload is not None else "succeeded"
        upload_status = {"in_progress": "uploaded", "uploading": "uploaded", "succeeded": "processed"}.get(
            state, "failed"
        )
        return self._video_resource(video_id, item, parts, upload_status=upload_status)

    def _video_resource(
        self, video_id: str, item: dict[str, Any], parts: set[str], *, upload_status: str
    ) -> dict[str, Any]:
        video: dict[str, Any] = {"kind": "youtube#video", "etag": _token(0, video_id, 27), "id": video_id}
        created = self.core.objects.get(video_id, {}).get("created", self.core.now())
        if "snippet" in parts:
            snippet = item["snippet"]
            video["snippet"] = {
                "publishedAt": datetime.fromtimestamp(created).astimezone().isoformat(timespec="seconds"),
                "channelId": self.channel_id,
                "title": snippet.get("title", ""),
                "description": snippet.get("description", ""),
                "channelTitle": "ECPAT France (sandbox)",
                "tags": list(snippet.get("tags") or []),
                "categoryId": snippet.get("categoryId", "22"),
                "liveBroadcastContent": "none",
            }
            if snippet.get("defaultLanguage"):
                video["snippet"]["defaultLanguage"] = snippet["defaultLanguage"]
        if "status" in parts:
            status = item["status"]
            video["status"] = {
                "uploadStatus": upload_status,
                "privacyStatus": status.get("privacyStatus", "public"),
                "license": "youtube",
                "embeddable": True,
                "publicStatsViewable": True,
                "madeForKids": bool(status.get("selfDeclaredMadeForKids", False)),
            }
            if "selfDeclaredMadeForKids" in status:
                video["status"]["selfDeclaredMadeForKids"] = bool(status["selfDeclaredMadeForKids"])
            if upload_status == "failed":
                video["status"]["failureReason"] = "invalidFile"
        if "processingDetails" in parts:
            video["processingDetails"] = {
                "processingStatus": {"uploaded": "processing", "processed": "succeeded"}.get(
                    upload_status, "failed"
                )
            }
            if upload_status == "failed":
                video["processingDetails"]["processingFailureReason"] = "transcodeFailed"
        if "statistics" in parts:
            numbers = self.core.engagement(video_id)
            video["statistics"] = {
                "viewCount": str(numbers["views"]),
                "likeCount": str(numbers["likes"]),
                "favoriteCount": "0",
                "commentCount": str(numbers["comments"]),
            }
        return video

    def videos_list(self, request: Request) -> Reply:
        if (denied := self.auth(request)) is not None:
            return denied
        if (exceeded := self.spend("videos.list")) is not None:
            return exceeded
        parts = set(request.query.get("part", "").split(","))
        ids = [item for item in request.query.get("id", "").split(",") if item]
        items = []
        for video_id in ids[:50]:
            item = self.core.objects.get(video_id)
            if item is None or item.get("network") != self.name:
                continue  # deleted or never there: a list leaves it out
            upload = self.core.uploads.get(item["upload"])
            if upload is not None and parts & {"status", "processingDetails"}:
                upload.polls += 1
            items.append(self._video(video_id, parts))
        return Reply(
            200,
            {
                "kind": "youtube#videoListResponse",
                "etag": _token(0, ",".join(ids), 27),
                "items": items,
                "pageInfo": {"totalResults": len(items), "resultsPerPage": len(items)},
            },
        )

    def channels_list(self, request: Request) -> Reply:
        if (denied := self.auth(request)) is not None:
            return denied
        if (exceeded := self.spend("channels.list")) is not None:
            return exceeded
        if request.query.get("mine") != "true":
            return google_error(
                400, "missingRequiredParameter", "No filter selected. Expected one of: mine, id, forHandle"
            )
        parts = set(request.query.get("part", "").split(","))
        channel: dict[str, Any] = {
            "kind": "youtube#channel",
            "etag": _token(0, "channel", 27),
            "id": self.channel_id,
        }
        if "snippet" in parts:
            channel["snippet"] = {
                "title": "ECPAT France (sandbox)",
                "description": "",
                "customUrl": "@ecpat-sandbox",
                "publishedAt": "2026-01-05T09:00:00Z",
            }
        if "contentDetails" in parts:
            channel["contentDetails"] = {"relatedPlaylists": {"likes": "", "uploads": self.uploads_playlist}}
        return Reply(
            200,
            {
                "kind": "youtube#channelListResponse",
                "etag": _token(0, "channels", 27),
                "items": [channel],
                "pageInfo": {"totalResults": 1, "resultsPerPage": 5},
            },
        )

    def playlist_items(self, request: Request) -> Reply:
        if (denied := self.auth(request)) is not None:
            return denied
        if (exceeded := self.spend("playlistItems.list")) is not None:
            return exceeded
        if request.query.get("playlistId") != self.uploads_playlist:
            return google_error(
                404,
                "playlistNotFound",
                "The playlist identified with the request's playlistId parameter cannot be found.",
                location="playlistId",
            )
        limit = min(50, int(request.query.get("maxResults", "5")))
        items: list[dict[str, Any]] = []
        for record in self.core.published_on(self.name)[:limit]:
            item = self.core.objects[record["id"]]
            items.append(
                {
                    "kind": "youtube#playlistItem",
                    "etag": _token(0, record["id"] + "pl", 27),
                    "id": _token(0, record["id"] + "item", 40),
                    "snippet": {
                        "publishedAt": record["created_at"],
                        "channelId": self.channel_id,
                        "title": item["snippet"].get("title", ""),
                        "description": item["text"],
                        "channelTitle": "ECPAT France (sandbox)",
                        "playlistId": self.uploads_playlist,
                        "position": len(items),
                        "resourceId": {"kind": "youtube#video", "videoId": record["id"]},
                    },
                }
            )
        return Reply(
            200,
            {
                "kind": "youtube#playlistItemListResponse",
                "etag": _token(0, "items", 27),
                "items": items,
                "pageInfo": {"totalResults": len(items), "resultsPerPage": limit},
            },
        )

    # -- captions -----------------------------------------------------------------------------------

    def caption_insert(self, request: Request) -> Reply:
        if (denied := self.auth(request)) is not None:
            return denied
        metadata = self._metadata(request, "youtube.captions.insert") or {}
        media = _related_parts(request)[1] if request.query.get("uploadType") == "multipart" else b""
        snippet = metadata.get("snippet") or {}
        video_id, language, name = (
            snippet.get("videoId", ""),
            snippet.get("language", ""),
            snippet.get("name", ""),
        )
        if self.core.objects.get(video_id, {}).get("network") != self.name:
            return google_error(
                404,
                "videoNotFound",
                "The video identified by the videoId parameter could not be found.",
                location="snippet.videoId",
                location_type="body",
            )
        if len(name) > CAPTION_NAME_CHARACTERS:
            return google_error(400, "nameTooLong", "The snippet.name specified in the request is too long.")
        if not _language_known(language):
            return google_error(
                400,
                "invalidMetadata",
                "The request contains invalid metadata values, which prevent the track from being created. "
                "Confirm that the request specifies valid values for the snippet.language, snippet.name, and "
                "snippet.videoId properties.",
            )
        if not media.strip():
            return google_error(
                400, "contentRequired", "The request does not contain the caption track contents."
            )
        for caption in self.captions.values():
            if (
                caption["snippet"]["videoId"] == video_id
                and caption["snippet"]["language"] == language
                and caption["snippet"]["name"] == name
            ):
                return google_error(
                    409,
                    "captionExists",
                    "The specified video already has a caption track with the given snippet.language and snippet.name.",
                )
        if (exceeded := self.spend("captions.insert")) is not None:
            return exceeded
        caption_id = "AUieDa" + _token(self.core.seed, f"{video_id}:{language}:{name}", 30)
        caption = {
            "kind": "youtube#caption",
            "etag": _token(0, caption_id, 27),
            "id": caption_id,
            "snippet": {
                "videoId": video_id,
                "lastUpdated": datetime.fromtimestamp(self.core.now())
                .astimezone()
                .isoformat(timespec="seconds"),
                "trackKind": "standard",
                "language": language,
                "name": name,
                "audioTrackType": "unknown",
                "isCC": False,
                "isLarge": False,
                "isEasyReader": False,
                "isDraft": bool(snippet.get("isDraft", False)),
                "isAutoSynced": False,
                "status": "serving",
            },
        }
        self.captions[caption_id] = {**caption, "file": media}
        self.core.objects[video_id].setdefault("captions", []).append(caption_id)
        return Reply(200, caption)

    def captions_list(self, request: Request) -> Reply:
        if (denied := self.auth(request)) is not None:
            return denied
        if (exceeded := self.spend("captions.list")) is not None:
            return exceeded
        video_id = request.query.get("videoId", "")
        items = [
            {key: value for key, value in caption.items() if key != "file"}
            for caption in self.captions.values()
            if caption["snippet"]["videoId"] == video_id
        ]
        return Reply(
            200, {"kind": "youtube#captionListResponse", "etag": _token(0, video_id, 27), "items": items}
        )

    def tracks(self, video_id: str) -> list[dict[str, Any]]:
        """The caption tracks of a video, with their files (for tests)."""
        return [caption for caption in self.captions.values() if caption["snippet"]["videoId"] == video_id]

    # -- request bodies -----------------------------------------------------------------------------

    def _metadata(self, request: Request, method_id: str) -> Any:
        """The JSON metadata of a request: the body, or the first part of a multipart/related upload."""
        if request.query.get("uploadType") == "multipart":
            parts = _related_parts(request)
            raw = parts[0] if parts else b""
        else:
            raw = request.body
        if not raw:
            return {}
        try:
            return json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError):
            return None


def _content_range(header: str, length: int) -> tuple[int | None, int | None, int | None] | None:
    """``bytes first-last/total`` or ``bytes */total`` (a status query), checked against the body."""
    found = re.fullmatch(r"bytes (?:(\d+)-(\d+)|\*)/(\d+|\*)", header.strip())
    if found is None:
        return None if header or length else (None, None, None)
    first, last, total = found.groups()
    if first is not None and int(last) - int(first) + 1 != length:
        return None
    if first is None and length:
        return None
    return (
        int(first) if first is not None else None,
        int(last) if last is not None else None,
        int(total) if total != "*" else None,
    )


def _related_parts(request: Request) -> list[bytes]:
    """The parts of a multipart/related body (metadata, then media), as googleapiclient sends them."""
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + request.headers.get("content-type", "").encode() + b"\r\n\r\n" + request.body
    )
    if not message.is_multipart():
        return []
    parts = []
    for part in message.iter_parts():
        payload = part.get_payload(decode=True)
        parts.append(payload if isinstance(payload, bytes) else b"")
    return parts


def _pkce_ok(verifier: str, challenge: str, method: str) -> bool:
    if method == "S256":
        digest = hashlib.sha256(verifier.encode("ascii")).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii") == challenge
    return verifier == challenge


def _language_known(tag: str) -> bool:
    """A BCP-47 tag whose language YouTube lists (i18nLanguages: CLDR's languages), or ``und``."""
    from babel import Locale, UnknownLocaleError

    if not re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*", tag or ""):
        return False
    if tag == "und":
        return True
    try:
        Locale.parse(tag.split("-")[0])
    except (UnknownLocaleError, ValueError):
        return False
    return True
