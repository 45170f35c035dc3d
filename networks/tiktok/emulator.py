"""TikTok's part of the emulator: the Content Posting API, the Display API's video list and query, the
upload host and Login Kit's OAuth endpoints, judged by TikTok's documented requests (networks.tiktok.docs).

Every API request is checked against the JSON Schema written from its reference page (``jsonschema``),
its ``Authorization: Bearer`` token, the scope the endpoint needs and its per-minute rate; every JSON
answer against the documented answer. Refusals have TikTok's shape: ``{"data": {}, "error": {"code",
"message", "log_id"}}`` with the documented HTTP status. Chunks are judged by the media transfer
guide's rules (sizes, count, order, ``Content-Range``).

The sandbox creator is a public account: ``creator_info`` offers PUBLIC_TO_EVERYONE,
MUTUAL_FOLLOW_FRIENDS and SELF_ONLY (FOLLOWER_OF_CREATOR is offered to private accounts only), 10
minutes at most. The sandbox app passed TikTok's audit (``audited``; a test sets it false to see an
unaudited app's direct post refused unless SELF_ONLY). A video uploaded to the inbox is a draft: no
post exists until the creator finishes it in the app (``finish_in_app``).

Not documented by TikTok, chosen here: the upload host answers a refused chunk with the v2 error
struct (``invalid_file_upload``); a 429 carries ``Retry-After`` when the fault says when it resets.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from functools import cache
from typing import Any
from urllib.parse import urlencode, urlsplit

from networks.emulator.auth import header_token
from networks.emulator.messages import Reply, Request
from networks.emulator.part import EmulatorPart, JudgedBy, Route, Validation
from networks.emulator.uploads import Upload, measure
from networks.tiktok import docs

API_HOST = "open.tiktokapis.com"
UPLOAD_HOST = "open-upload.tiktokapis.com"
LOGIN_HOST = "www.tiktok.com"
# developers.tiktok.com/doc/oauth-refresh-a-user-access-token (2026-11): an access token lasts 2 hours,
# a refresh token 180 days, and a refresh rotates it: the previous one stops working
ACCESS_TOKEN_S = 7200
REFRESH_TOKEN_S = 15552000
ALL_SCOPES = "user.info.basic,video.upload,video.publish,video.list"
CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+)")


@cache
def _validator(schema_key: str, kind: str) -> Any:
    from jsonschema import Draft202012Validator

    table = docs.REQUESTS if kind == "request" else docs.RESPONSES
    return Draft202012Validator(table[schema_key])


def _token(seed: int, name: str, size: int = 32) -> str:
    return hashlib.sha256(f"{seed}:tiktok:{name}".encode()).hexdigest()[:size]


def log_id() -> str:
    return time.strftime("%Y%m%d%H%M%S", time.gmtime()) + secrets.token_hex(9).upper()


def tiktok_error(code: str, message: str, headers: dict[str, str] | None = None) -> Reply:
    """The v2 error struct with the status TikTok documents for ``code``."""
    status = docs.ERROR_CODES[code][0]
    return Reply(
        status, {"data": {}, "error": {"code": code, "message": message, "log_id": log_id()}}, headers or {}
    )


def ok(data: dict[str, Any]) -> Reply:
    return Reply(200, {"data": data, "error": {"code": "ok", "message": "", "log_id": log_id()}})


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def chunk_problem(size: int, chunk: int, count: int) -> str | None:
    """Why an init's chunking breaks the media transfer guide's rules, or None."""
    rules = docs.CHUNK_RULES
    if size <= 0:
        return "video_size must be positive"
    if size < rules["min_chunk"]:
        if chunk != size or count != 1:
            return "a video under 5 MB must be uploaded whole: chunk_size = video_size, total_chunk_count = 1"
        return None
    if not rules["min_chunk"] <= chunk <= rules["max_chunk"]:
        return "chunk_size must be between 5 MB and 64 MB"
    if count != size // chunk:
        return "total_chunk_count must be video_size / chunk_size rounded down"
    if not rules["min_count"] <= count <= rules["max_count"]:
        return "total_chunk_count must be between 1 and 1000"
    if size - chunk * (count - 1) > rules["max_final_chunk"]:
        return "the final chunk may be at most 128 MB"
    return None


class TikTokPart(EmulatorPart):
    refuses_duplicates = False  # TikTok documents no duplicate check: the adapter looks before it posts
    audited = True  # the sandbox app passed TikTok's audit (a test makes it unaudited)
    judged_by = JudgedBy("TikTok's reference pages (networks/tiktok/docs.py)")

    @classmethod
    def sandbox_credentials(cls, seed: int) -> dict[str, str]:
        return {
            "client_key": "sbx" + _token(seed, "client", 13),
            "client_secret": _token(seed, "secret", 32),
            "refresh_token": "rft.sbx" + _token(seed, "refresh", 40),
            "open_id": "-000" + _token(seed, "open_id", 28),
        }

    def __init__(self, core: Any, spec: Any) -> None:
        super().__init__(core, spec)
        self.reset()

    def reset(self) -> None:
        self.credentials = self.sandbox_credentials(self.core.seed)  # a rotated refresh token goes back
        self.creator: dict[str, Any] = {
            "creator_avatar_url": "https://p16-sign.tiktokcdn.com/sandbox-avatar.jpeg",
            "creator_username": "ecpat.sandbox",
            "creator_nickname": "ECPAT France (bac à sable)",
            "privacy_level_options": ["PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY"],
            "comment_disabled": False,
            "duet_disabled": False,
            "stitch_disabled": False,
            "max_video_post_duration_sec": 600,
        }
        self.access_tokens: dict[str, tuple[float, str]] = {}  # token -> (expiry, scopes)
        self.refresh_tokens: dict[str, str] = {self.credentials["refresh_token"]: ALL_SCOPES}
        self.revoked: set[str] = set()
        self.codes: dict[str, dict[str, str]] = {}
        self.publishes: dict[str, dict[str, Any]] = {}  # publish_id -> the init and what became of it
        self.calls: dict[tuple[str, str], list[float]] = {}  # (token, path) -> times, for the rates

    # -- routes --------------------------------------------------------------------------------------

    def routes(self) -> list[Route]:
        return [
            Route("PUT", r"/video/", "/video/", self.upload_chunk, creates=True),
            Route("POST", r"/v2/post/publish/creator_info/query/", "/v2/post/publish/creator_info/query/", self.creator_info),
            Route("POST", r"/v2/post/publish/video/init/", "/v2/post/publish/video/init/", self.direct_init),
            Route("POST", r"/v2/post/publish/inbox/video/init/", "/v2/post/publish/inbox/video/init/", self.inbox_init),
            Route("POST", r"/v2/post/publish/status/fetch/", "/v2/post/publish/status/fetch/", self.status_fetch),
            Route("POST", r"/v2/video/list/", "/v2/video/list/", self.video_list),
            Route("POST", r"/v2/video/query/", "/v2/video/query/", self.video_query),
            Route("POST", r"/v2/oauth/token/", "/v2/oauth/token/", self.token),
            Route("GET", r"/v2/auth/authorize/", "/v2/auth/authorize/", self.authorize),
        ]  # fmt: skip

    def not_found(self, request: Request, path: str) -> Reply:
        return tiktok_error("invalid_params", f"The requested path {path} is not found.")

    def fault(self, kind: str, *, reset_in_s: float | None = None) -> Reply:
        if kind == "rate_limited":
            headers = {"Retry-After": str(round(reset_in_s))} if reset_in_s is not None else {}
            return tiktok_error("rate_limit_exceeded", "The API rate limit was exceeded.", headers)
        if kind == "expired_token":
            # the access token is refused, and so is the refresh token (expired after 365 days, or
            # the creator removed the app's access): a person must connect again
            self.revoked |= set(self.refresh_tokens)
            return tiktok_error(
                "access_token_invalid", "The access token is invalid or not found in the request."
            )
        return super().fault(kind, reset_in_s=reset_in_s)

    # -- judging requests ----------------------------------------------------------------------------

    def validate_request(self, request: Request, route: Route | None) -> Validation:
        host = request.hostname
        if host == LOGIN_HOST:
            return self._authorize_problems(request)
        if host == UPLOAD_HOST:
            return self._chunk_problems(request)
        path = request.path
        if path == "/v2/oauth/token/":
            return self._token_problems(request)
        if path not in docs.REQUESTS:
            return Validation.invalid(f"{request.method} {path} is not an endpoint TikTok documents")
        errors: list[str] = []
        if not request.headers.get("content-type", "").lower().startswith("application/json"):
            errors.append("Content-Type must be application/json; charset=UTF-8")
        if header_token(request, ("Bearer",)) is None:
            errors.append("Authorization: Bearer {access_token} is required")
        if path in docs.FIELDS_REQUIRED:
            fields = [item for item in request.query.get("fields", "").split(",") if item]
            if not fields:
                errors.append("the fields query parameter is required")
            errors += [f"unknown field {item}" for item in fields if item not in docs.VIDEO_FIELDS]
        try:
            body = request.json() if request.body else {}
        except ValueError:
            body = None
        if not isinstance(body, dict):
            errors.append("the body must be a JSON object")
        else:
            errors += [
                f"{'/'.join(str(part) for part in error.absolute_path) or 'body'}: {error.message}"
                for error in _validator(path, "request").iter_errors(body)
            ]
            title = (
                (body.get("post_info") or {}).get("title")
                if isinstance(body.get("post_info"), dict)
                else None
            )
            if isinstance(title, str) and utf16_length(title) > docs.CAPTION_UTF16:
                errors.append(
                    f"post_info/title: {utf16_length(title)} UTF-16 runes, at most {docs.CAPTION_UTF16}"
                )
            source = body.get("source_info")
            if isinstance(source, dict) and source.get("source") == "FILE_UPLOAD":
                try:
                    problem = chunk_problem(
                        int(source["video_size"]), int(source["chunk_size"]), int(source["total_chunk_count"])
                    )
                except (KeyError, TypeError, ValueError):
                    problem = None  # the schema said it
                if problem:
                    errors.append(f"source_info: {problem} ({docs.TRANSFER_DOC})")
        return Validation.invalid(*errors) if errors else Validation.valid()

    def _chunk_problems(self, request: Request) -> Validation:
        errors: list[str] = []
        session = self._session(request)
        if session is None:
            return Validation.invalid("upload_id and upload_token do not name an upload session")
        if request.headers.get("content-type", "").split(";")[0].strip() not in docs.UPLOAD_TYPES:
            errors.append(f"Content-Type must be one of {', '.join(docs.UPLOAD_TYPES)}")
        if int(request.headers.get("content-length") or -1) != len(request.body):
            errors.append("Content-Length must be the byte size of this chunk")
        found = CONTENT_RANGE.fullmatch(request.headers.get("content-range", ""))
        if found is None:
            errors.append("Content-Range must be bytes {FIRST_BYTE}-{LAST_BYTE}/{TOTAL_BYTE_LENGTH}")
            return Validation.invalid(*errors)
        first, last, total = (int(item) for item in found.groups())
        size, chunk, count = session["video_size"], session["chunk_size"], session["total_chunk_count"]
        if total != size:
            errors.append(f"Content-Range total {total} is not the video_size {size} given to init")
        if last - first + 1 != len(request.body):
            errors.append("Content-Range does not match the chunk's length")
        index = first // chunk if chunk else 0
        expected = size - chunk * (count - 1) if index == count - 1 else chunk
        if first % chunk or index >= count or len(request.body) != expected:
            errors.append(f"chunk at byte {first} must be chunk {index + 1} of {count}, {expected} bytes")
        return Validation.invalid(*errors) if errors else Validation.valid()

    def _token_problems(self, request: Request) -> Validation:
        if request.content_type != "application/x-www-form-urlencoded":
            return Validation.invalid("Content-Type must be application/x-www-form-urlencoded")
        form = request.form()
        needed = docs.TOKEN_FORMS.get(form.get("grant_type", ""))
        if needed is None:
            return Validation.invalid("grant_type must be authorization_code or refresh_token")
        missing = [name for name in needed if not form.get(name)]
        return (
            Validation.invalid(*(f"{name} is required" for name in missing))
            if missing
            else Validation.valid()
        )

    def _authorize_problems(self, request: Request) -> Validation:
        query = request.query
        missing = [
            name
            for name in ("client_key", "scope", "response_type", "redirect_uri", "state")
            if not query.get(name)
        ]
        errors = [f"{name} is required" for name in missing]
        if query.get("code_challenge") and query.get("code_challenge_method") != "S256":
            errors.append("code_challenge_method must be S256")
        return Validation.invalid(*errors) if errors else Validation.valid()

    def refuse(self, request: Request, route: Route | None, validation: Validation) -> Reply:
        message = "; ".join(validation.errors)
        if request.hostname == UPLOAD_HOST:
            return tiktok_error("invalid_file_upload", message)
        if request.path == "/v2/oauth/token/":
            return Reply(400, {"error": "invalid_request", "error_description": message, "log_id": log_id()})
        if request.hostname == LOGIN_HOST:
            return Reply(400, f"<html><body>invalid_request: {message}</body></html>")
        return tiktok_error("invalid_params", message)

    def validate_response(self, request: Request, route: Route, reply: Reply) -> Validation:
        if request.hostname == LOGIN_HOST:
            return (
                Validation.valid() if reply.status in (302, 400) else Validation.invalid("unexpected answer")
            )
        if request.hostname == UPLOAD_HOST:
            if reply.status in (201, 206):
                return Validation.valid()
            return self._error_valid(reply)
        if request.path == "/v2/oauth/token/":
            if reply.status != 200:
                body = reply.body if isinstance(reply.body, dict) else {}
                return Validation.valid() if "error" in body else Validation.invalid("no error in the answer")
            from jsonschema import Draft202012Validator

            errors = [
                error.message for error in Draft202012Validator(docs.TOKEN_ANSWER).iter_errors(reply.body)
            ]
            return Validation.invalid(*errors) if errors else Validation.valid()
        if reply.status != 200:
            return self._error_valid(reply)
        body = reply.body if isinstance(reply.body, dict) else {}
        errors = [error.message for error in _validator(request.path, "response").iter_errors(body)]
        return Validation.invalid(*errors) if errors else Validation.valid()

    def _error_valid(self, reply: Reply) -> Validation:
        from jsonschema import Draft202012Validator

        body = reply.body if isinstance(reply.body, dict) else {}
        error = body.get("error")
        errors = [item.message for item in Draft202012Validator(docs.ERROR_STRUCT).iter_errors(error)]
        if not errors and isinstance(error, dict) and docs.ERROR_CODES[error["code"]][0] != reply.status:
            errors.append(f"{error['code']} is documented with HTTP {docs.ERROR_CODES[error['code']][0]}")
        return Validation.invalid(*errors) if errors else Validation.valid()

    # -- tokens, scopes, rates -----------------------------------------------------------------------

    def auth(self, request: Request, path: str) -> Reply | None:
        token = header_token(request, ("Bearer",)) or ""
        expiry, scopes = self.access_tokens.get(token, (0.0, ""))
        if expiry < self.core.now():
            return tiktok_error(
                "access_token_invalid", "The access token is invalid or not found in the request."
            )
        granted = set(scopes.split(","))
        needed = docs.STATUS_SCOPES if path == "/v2/post/publish/status/fetch/" else (docs.SCOPES[path],)
        if not granted & set(needed):
            return tiktok_error(
                "scope_not_authorized",
                f"The user did not authorize the scope required: {' or '.join(needed)}.",
            )
        limit = docs.RATE_PER_MINUTE.get(path)
        if limit is not None:
            now = self.core.now()
            with self.core.lock:
                times = [at for at in self.calls.get((token, path), []) if now - at < 60]
                if len(times) >= limit:
                    self.calls[(token, path)] = times
                    return tiktok_error("rate_limit_exceeded", "The API rate limit was exceeded.")
                self.calls[(token, path)] = [*times, now]
        return None

    def _access(self, scopes: str) -> dict[str, Any]:
        token = "act.sbx" + secrets.token_urlsafe(32)
        self.access_tokens[token] = (self.core.now() + ACCESS_TOKEN_S, scopes)
        return {
            "access_token": token,
            "expires_in": ACCESS_TOKEN_S,
            "open_id": self.credentials["open_id"],
            "refresh_expires_in": REFRESH_TOKEN_S,
            "scope": scopes,
            "token_type": "Bearer",
        }

    def token(self, request: Request) -> Reply:
        """POST /v2/oauth/token/ (TOKEN_DOC): a code from the consent page, or a refresh."""
        form = request.form()
        if (
            form.get("client_key") != self.credentials["client_key"]
            or form.get("client_secret") != self.credentials["client_secret"]
        ):
            return Reply(
                401,
                {
                    "error": "invalid_client",
                    "error_description": "Client key or secret is incorrect.",
                    "log_id": log_id(),
                },
            )
        if form.get("grant_type") == "refresh_token":
            refresh = form.get("refresh_token", "")
            if refresh not in self.refresh_tokens or refresh in self.revoked:
                return Reply(
                    400,
                    {
                        "error": "invalid_grant",
                        "error_description": "Refresh token is invalid or expired.",
                        "log_id": log_id(),
                    },
                )
            scopes = self.refresh_tokens.pop(refresh)
            self.revoked.add(refresh)
            rotated = "rft.sbx" + secrets.token_hex(20)
            self.refresh_tokens[rotated] = scopes
            if refresh == self.credentials["refresh_token"]:
                self.credentials["refresh_token"] = rotated  # what /_emulator/credentials hands out now
            return Reply(200, {**self._access(scopes), "refresh_token": rotated})
        granted = self.codes.pop(form.get("code", ""), None)
        if granted is None or granted["redirect_uri"] != form.get("redirect_uri"):
            return Reply(
                400,
                {
                    "error": "invalid_grant",
                    "error_description": "Authorization code is expired.",
                    "log_id": log_id(),
                },
            )
        # DESKTOP_LOGIN_DOC: code_challenge is the SHA256 of code_verifier, hex encoded
        if (
            granted["challenge"]
            and hashlib.sha256(form.get("code_verifier", "").encode()).hexdigest() != granted["challenge"]
        ):
            return Reply(
                400,
                {
                    "error": "invalid_request",
                    "error_description": "Code verifier or code challenge is invalid.",
                    "log_id": log_id(),
                },
            )
        refresh = "rft.sbx" + secrets.token_hex(20)
        self.refresh_tokens[refresh] = granted["scope"]
        return Reply(200, {**self._access(granted["scope"]), "refresh_token": refresh})

    def authorize(self, request: Request) -> Reply:
        """Login Kit's consent page, consented at once: back to the loopback redirect with a code."""
        query = request.query
        redirect = query.get("redirect_uri", "")
        parts = urlsplit(redirect)
        if query.get("client_key") != self.credentials["client_key"]:
            return Reply(400, "<html><body>client_key: Something went wrong</body></html>")
        # DESKTOP_LOGIN_DOC: only localhost or 127.0.0.1, with a port (a registered wildcard port)
        if (
            parts.scheme not in ("http", "https")
            or parts.hostname not in ("127.0.0.1", "localhost")
            or not parts.port
        ):
            return Reply(400, "<html><body>redirect_uri: Something went wrong</body></html>")
        if query.get("response_type") != "code":
            return Reply(400, "<html><body>response_type: Something went wrong</body></html>")
        code = "sbx" + secrets.token_urlsafe(24)
        scope = ",".join(item for item in query.get("scope", "").split(",") if item in ALL_SCOPES.split(","))
        self.codes[code] = {
            "redirect_uri": redirect,
            "scope": scope,
            "challenge": query.get("code_challenge", ""),
        }
        answer = {"code": code, "scopes": scope, "state": query.get("state", "")}
        return Reply(302, "", {"Location": f"{redirect}{'&' if '?' in redirect else '?'}{urlencode(answer)}"})

    # -- the Content Posting API ----------------------------------------------------------------------

    def creator_info(self, request: Request) -> Reply:
        denied = self.auth(request, request.path)
        return denied or ok(dict(self.creator))

    def direct_init(self, request: Request) -> Reply:
        denied = self.auth(request, request.path)
        if denied:
            return denied
        body = request.json()
        privacy = body["post_info"]["privacy_level"]
        if privacy not in self.creator["privacy_level_options"]:
            return tiktok_error(
                "privacy_level_option_mismatch", "The privacy level is not among the creator's options."
            )
        if not self.audited and privacy != "SELF_ONLY":
            return tiktok_error(
                "unaudited_client_can_only_post_to_private_accounts",
                "Unaudited clients can only post to a private account (SELF_ONLY).",
            )
        return self._init(body, "v_pub_file~v2-1.", direct=True)

    def inbox_init(self, request: Request) -> Reply:
        denied = self.auth(request, request.path)
        return denied or self._init(request.json(), "v_inbox_file~v2.", direct=False)

    def _init(self, body: dict[str, Any], prefix: str, *, direct: bool) -> Reply:
        source = body["source_info"]
        if source["source"] != "FILE_UPLOAD":
            return tiktok_error(
                "url_ownership_unverified", "The video_url's domain is not verified for this app."
            )
        publish_id = prefix + self.core.next_id()
        upload_id = self.core.next_id("up")
        upload_token = secrets.token_urlsafe(16)
        self.core.uploads[upload_id] = Upload(int(source["video_size"]))
        self.publishes[publish_id] = {
            "direct": direct,
            "post_info": body.get("post_info") or {},
            "upload_id": upload_id,
            "upload_token": upload_token,
            "video_size": int(source["video_size"]),
            "chunk_size": int(source["chunk_size"]),
            "total_chunk_count": int(source["total_chunk_count"]),
            "post_id": None,
            "fail_reason": None,
        }
        upload_url = f"https://{UPLOAD_HOST}/video/?{urlencode({'upload_id': upload_id, 'upload_token': upload_token})}"
        return ok({"publish_id": publish_id, "upload_url": upload_url})

    def _session(self, request: Request) -> dict[str, Any] | None:
        upload_id, upload_token = request.query.get("upload_id"), request.query.get("upload_token")
        for session in self.publishes.values():
            if session["upload_id"] == upload_id and secrets.compare_digest(
                session["upload_token"], upload_token or ""
            ):
                return session
        return None

    def upload_chunk(self, request: Request) -> Reply:
        session = self._session(request)
        assert session is not None  # validate_request refused an unknown session
        upload = self.core.uploads[session["upload_id"]]
        found = CONTENT_RANGE.fullmatch(request.headers["content-range"])
        assert found is not None
        first = int(found.group(1))
        with self.core.lock:
            if first != len(upload.data):
                if (
                    first < len(upload.data)
                    and upload.data[first : first + len(request.body)] == request.body
                ):
                    return Reply(201 if upload.finalized else 206, "")  # the same chunk again
                return tiktok_error("invalid_file_upload", "File chunks must be uploaded sequentially.")
            upload.data.extend(request.body)
            if len(upload.data) < upload.total:
                return Reply(206, "", {"Content-Range": f"bytes 0-{len(upload.data) - 1}/{upload.total}"})
            upload.finalized, upload.polls = True, 0
            self._complete(session)
        return Reply(201, "")

    def _complete(self, session: dict[str, Any]) -> None:
        """The last byte arrived: TikTok processes the video; a direct post then exists."""
        upload = self.core.uploads[session["upload_id"]]
        info = measure(bytes(upload.data)) if upload.data[4:8] == b"ftyp" else None
        if info is None:
            session["fail_reason"] = "file_format_check_failed"
        elif info.seconds and info.seconds > self.creator["max_video_post_duration_sec"]:
            session["fail_reason"] = "duration_check_failed"
        elif min(info.width, info.height) < 360 or max(info.width, info.height) > 4096:
            session["fail_reason"] = "picture_size_check_failed"
        if session["fail_reason"] or not session["direct"]:
            return
        post_id = self.core.next_id()
        title = str(session["post_info"].get("title") or "")
        session["post_id"] = post_id
        self.core.record(self.name, self.credentials["open_id"], post_id, title, [session["upload_id"]])
        self.core.objects[post_id].update({"title": title, "privacy": session["post_info"]["privacy_level"]})

    def finish_in_app(self, publish_id: str, caption: str, privacy: str = "PUBLIC_TO_EVERYONE") -> str:
        """The creator opens the inbox notification and posts the draft: the post exists now."""
        session = self.publishes[publish_id]
        post_id = self.core.next_id()
        session.update(post_id=post_id, post_info={"title": caption, "privacy_level": privacy})
        self.core.record(self.name, self.credentials["open_id"], post_id, caption, [session["upload_id"]])
        self.core.objects[post_id].update({"title": caption, "privacy": privacy})
        return post_id

    def status_fetch(self, request: Request) -> Reply:
        denied = self.auth(request, request.path)
        if denied:
            return denied
        session = self.publishes.get(request.json()["publish_id"])
        if session is None:
            return tiktok_error("invalid_params", "publish_id is invalid.")
        upload = self.core.uploads[session["upload_id"]]
        data: dict[str, Any] = {"uploaded_bytes": len(upload.data)}
        if not upload.finalized:
            return ok({**data, "status": "PROCESSING_UPLOAD"})
        upload.polls += 1
        if session["fail_reason"] and upload.polls >= 2:
            return ok({**data, "status": "FAILED", "fail_reason": session["fail_reason"]})
        if upload.polls < 2:
            return ok({**data, "status": "PROCESSING_UPLOAD"})
        post_id = session["post_id"]
        if post_id is None:  # an inbox draft the creator has not finished
            return ok({**data, "status": "SEND_TO_USER_INBOX"})
        if post_id not in self.core.objects:
            return ok({**data, "status": "FAILED", "fail_reason": "publish_cancelled"})
        public = session["post_info"].get("privacy_level") == "PUBLIC_TO_EVERYONE"
        # STATUS_DOC: the post id is given for a publicly viewable post, once moderated
        return ok(
            {
                **data,
                "status": "PUBLISH_COMPLETE",
                "publicaly_available_post_id": [int(post_id)] if public else [],
            }
        )

    # -- the Display API ---------------------------------------------------------------------------

    def _video(self, item: dict[str, Any], fields: list[str]) -> dict[str, Any]:
        post_id = item["id"]
        numbers = self.core.engagement(post_id)
        values = {
            "id": post_id,
            "create_time": int(self.core.objects.get(post_id, {}).get("created", self.core.now())),
            "share_url": f"https://www.tiktok.com/@{self.creator['creator_username']}/video/{post_id}",
            "title": item["text"],
            "video_description": item["text"],
            "view_count": numbers["views"],
            "like_count": numbers["likes"],
            "comment_count": numbers["comments"],
            "share_count": numbers["shares"],
        }
        return {field: values[field] for field in fields if field in values}

    def _public(self) -> list[dict[str, Any]]:
        return [
            item
            for item in self.core.published_on(self.name)
            if self.core.objects.get(item["id"], {}).get("privacy") == "PUBLIC_TO_EVERYONE"
        ]

    def video_list(self, request: Request) -> Reply:
        denied = self.auth(request, request.path)
        if denied:
            return denied
        body = request.json() if request.body else {}
        fields = request.query["fields"].split(",")
        start, count = int(body.get("cursor") or 0), int(body.get("max_count") or 10)
        items = self._public()
        page = items[start : start + count]
        return ok(
            {
                "videos": [self._video(item, fields) for item in page],
                "cursor": start + len(page),
                "has_more": start + len(page) < len(items),
            }
        )

    def video_query(self, request: Request) -> Reply:
        denied = self.auth(request, request.path)
        if denied:
            return denied
        wanted = set(request.json()["filters"]["video_ids"])
        fields = request.query["fields"].split(",")
        return ok(
            {
                "videos": [
                    self._video(item, fields)
                    for item in self.core.published_on(self.name)
                    if item["id"] in wanted
                ]
            }
        )
