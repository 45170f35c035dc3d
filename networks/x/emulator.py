"""X's part of the emulator: the v2 slices clickable calls, with OAuth 1.0a signatures verified.

Routes follow X's OpenAPI document (``../shared/data/x-openapi/openapi.json``); errors use its problem
shape (``title``, ``detail``, ``type``, ``status``).
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

from networks.emulator.auth import header_token, oauth1_valid
from networks.emulator.messages import Reply, Request
from networks.emulator.part import EmulatorPart, Route
from networks.emulator.uploads import Upload

RATE_WINDOW_S = 900
MAX_CHUNK_BYTES = 5 * 1024 * 1024


def problem(status: int, title: str, detail: str) -> Reply:
    return Reply(status, {"title": title, "detail": detail, "type": "about:blank", "status": status})


class XPart(EmulatorPart):
    refuses_duplicates = True

    def fault(self, kind: str, *, reset_in_s: float | None = None) -> Reply:
        """X's own answers: problem JSON, rate limits in x-rate-limit-* headers (epoch seconds)."""
        if kind == "rate_limited":
            headers = {"x-rate-limit-limit": "300", "x-rate-limit-remaining": "0"}
            if reset_in_s is not None:
                headers["x-rate-limit-reset"] = str(int(self.core.now() + reset_in_s))
            else:
                headers = {}
            return Reply(429, problem(429, "Too Many Requests", "Too Many Requests").body, headers)
        if kind == "expired_token":
            return problem(401, "Unauthorized", "Unauthorized")
        if kind == "duplicate":
            # X gives duplicates no structured code: a 403 whose detail says so
            return problem(403, "Forbidden", "You are not allowed to create a Tweet with duplicate content.")
        return super().fault(kind, reset_in_s=reset_in_s)

    @classmethod
    def sandbox_credentials(cls, seed: int) -> dict[str, str]:
        def token(name: str) -> str:
            return hashlib.sha256(f"{seed}:{name}".encode()).hexdigest()[:32]

        return {
            "consumer_key": "sbx-ck-" + token("ck")[:16],
            "consumer_secret": "sbx-cs-" + token("cs"),
            "access_token": "1500000001-" + token("at")[:24],
            "access_token_secret": "sbx-ats-" + token("ats"),
            "bearer_token": "sbx-bearer-" + token("bearer"),
        }

    def routes(self) -> list[Route]:
        return [
            Route("POST", r"/2/tweets", "/2/tweets", self.create_tweet, creates=True),
            Route("GET", r"/2/tweets", "/2/tweets", self.get_tweets),
            Route("GET", r"/2/users/me", "/2/users/me", self.me),
            Route("GET", r"/2/users/(?P<user>\d+)/tweets", "/2/users/{id}/tweets", self.user_tweets),
            Route("POST", r"/2/media/upload/initialize", "/2/media/upload/initialize", self.media_init),
            Route(
                "POST",
                r"/2/media/upload/(?P<media>\d+)/append",
                "/2/media/upload/{id}/append",
                self.media_append,
            ),
            Route(
                "POST",
                r"/2/media/upload/(?P<media>\d+)/finalize",
                "/2/media/upload/{id}/finalize",
                self.media_finalize,
            ),
            Route("GET", r"/2/media/upload", "/2/media/upload", self.media_status),
        ]

    def not_found(self, request: Request, path: str) -> Reply:
        return problem(404, "Not Found", f"no route {request.method} {path}")

    def auth(self, request: Request, *, allow_bearer: bool = False) -> Reply | None:
        creds = self.credentials
        if allow_bearer and header_token(request, ("Bearer",)) == creds["bearer_token"]:
            return None
        if not oauth1_valid(
            request,
            consumer_key=creds["consumer_key"],
            consumer_secret=creds["consumer_secret"],
            token=creds["access_token"],
            token_secret=creds["access_token_secret"],
        ):
            return problem(401, "Unauthorized", "Unauthorized")
        return None

    def headers(self, *, posting: bool = False) -> dict[str, str]:
        reset = str(int(self.core.now()) + RATE_WINDOW_S)
        headers = {"x-rate-limit-limit": "300", "x-rate-limit-remaining": "299", "x-rate-limit-reset": reset}
        if posting:
            day = str(int(self.core.now()) + 86_400)
            headers |= {
                "x-user-limit-24hour-limit": "100",
                "x-user-limit-24hour-remaining": "99",
                "x-user-limit-24hour-reset": day,
            }
        return headers

    def user(self) -> dict[str, str]:
        return {
            "id": self.credentials["access_token"].split("-")[0],
            "username": "ecpat_sandbox",
            "name": "ECPAT France (sandbox)",
        }

    def create_tweet(self, request: Request) -> Reply:
        if (denied := self.auth(request)) is not None:
            return denied
        body = request.json()
        text = body.get("text")
        media_ids = [str(item) for item in (body.get("media") or {}).get("media_ids", [])]
        if not text and not media_ids:
            return problem(400, "Invalid Request", "One or more parameters to your request was invalid.")
        for media_id in media_ids:
            upload = self.core.uploads.get(media_id)
            if upload is None or upload.state != "succeeded":
                return problem(400, "Invalid Request", f"Your media IDs are invalid: {media_id}")
        user = self.user()
        with self.core.lock:
            if text and self.core.has_text(self.name, text):
                return self.fault("duplicate")
            tweet_id = self.core.next_id()
            self.core.objects[tweet_id] = {"network": self.name, "text": text or "", "media": media_ids}
            self.core.record(self.name, user["username"], tweet_id, text or "", media_ids)
        return Reply(
            201,
            {"data": {"id": tweet_id, "text": text or "", "edit_history_tweet_ids": [tweet_id]}},
            self.headers(posting=True),
        )

    def tweet(self, tweet_id: str, fields: set[str]) -> dict[str, Any]:
        item = self.core.objects[tweet_id]
        numbers = self.core.engagement(tweet_id)
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
                "%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(item.get("created", self.core.now()))
            )
        return tweet

    def get_tweets(self, request: Request) -> Reply:
        if (denied := self.auth(request, allow_bearer=True)) is not None:
            return denied
        ids = [item for item in request.query.get("ids", "").split(",") if item]
        if not ids or len(ids) > 100:
            return problem(400, "Invalid Request", "The `ids` query parameter value must hold 1 to 100 ids.")
        fields = set(request.query.get("tweet.fields", "").split(","))
        data, errors = [], []
        for tweet_id in ids:
            if self.core.objects.get(tweet_id, {}).get("network") == self.name:
                data.append(self.tweet(tweet_id, fields))
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
        return Reply(200, body, self.headers())

    def me(self, request: Request) -> Reply:
        if (denied := self.auth(request)) is not None:
            return denied
        return Reply(200, {"data": self.user()}, self.headers())

    def user_tweets(self, request: Request, user: str) -> Reply:
        if (denied := self.auth(request, allow_bearer=True)) is not None:
            return denied
        limit = min(100, int(request.query.get("max_results", "10")))
        mine = [item["id"] for item in self.core.published_on(self.name)][:limit]
        fields = set(request.query.get("tweet.fields", "").split(","))
        data = [self.tweet(tweet_id, fields) for tweet_id in mine]
        return Reply(
            200,
            {"data": data, "meta": {"result_count": len(data)}} if data else {"meta": {"result_count": 0}},
            self.headers(),
        )

    def media_init(self, request: Request) -> Reply:
        if (denied := self.auth(request)) is not None:
            return denied
        body = request.json()
        if (
            not body.get("media_type")
            or not isinstance(body.get("total_bytes"), int)
            or not body.get("media_category")
        ):
            return problem(400, "Invalid Request", "media_type, total_bytes and media_category are required.")
        media_id = self.core.next_id()
        self.core.uploads[media_id] = Upload(total=int(body["total_bytes"]))
        return Reply(
            200,
            {"data": {"id": media_id, "media_key": f"7_{media_id}", "expires_after_secs": 86400}},
            self.headers(),
        )

    def media_append(self, request: Request, media: str) -> Reply:
        if (denied := self.auth(request)) is not None:
            return denied
        upload = self.core.uploads.get(media)
        if upload is None:
            return problem(400, "Invalid Request", f"Unknown media id {media}")
        parts = request.multipart()
        chunk = parts.get("media", b"")
        try:
            index = int(parts.get("segment_index", b"-1"))
        except ValueError:
            index = -1
        with self.core.lock:
            expected = upload.polls  # reuse as the next expected segment index while uploading
            if (
                index != expected
                or len(upload.data) + len(chunk) > upload.total
                or len(chunk) > MAX_CHUNK_BYTES
            ):
                return problem(
                    400,
                    "Invalid Request",
                    f"Segment {index} is out of order or too large (expected {expected}).",
                )
            upload.data.extend(chunk)
            upload.polls += 1
        return Reply(200, {"data": {"expires_at": int(self.core.now()) + 86400}}, self.headers())

    def media_finalize(self, request: Request, media: str) -> Reply:
        if (denied := self.auth(request)) is not None:
            return denied
        upload = self.core.uploads.get(media)
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
            self.headers(),
        )

    def media_status(self, request: Request) -> Reply:
        if (denied := self.auth(request)) is not None:
            return denied
        media = request.query.get("media_id", "")
        upload = self.core.uploads.get(media)
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
            200, {"data": {"id": media, "media_key": f"7_{media}", "processing_info": info}}, self.headers()
        )
