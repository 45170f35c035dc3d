"""Bluesky's part of the emulator: an entryway and PDS (XRPC) and the video service, judged by the lexicons.

Every request body and query is validated with the ``atproto`` package's models, generated from the AT
Protocol lexicons (``models.<Nsid>.Data`` / ``.Params``, string formats checked: DIDs, AT-URIs, language
tags, datetimes), a post record with ``models.AppBskyFeedPost.Record`` plus the lexicon constraints its
generated model does not carry (``text``: 300 graphemes and 3,000 UTF-8 bytes; a caption blob:
``text/vtt`` of at most 20,000 bytes; a video blob ``video/mp4``); every JSON answer with
``models.<Nsid>.Response``. Errors have XRPC's shape ``{"error": "...", "message": "..."}``, with the
status the reference PDS gives (https://github.com/bluesky-social/atproto/tree/main/packages/pds):
``ExpiredToken`` and ``InvalidToken`` are 400, ``AuthenticationRequired`` 401, ``RateLimitExceeded`` 429
with ``ratelimit-*`` headers.

Sessions are JWTs as the PDS makes them (HS256, ``scope`` ``com.atproto.appPass`` for an app password,
``com.atproto.access`` for the main password); service tokens are ES256K, signed with the account's key
and checked with atproto's own ``verify_jwt``. Token times are real time (the clients check them against
the machine's clock), not the emulator's clock.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import threading
import time
from typing import Any
from urllib.parse import parse_qs

from networks.bluesky.spec import VIDEO_SERVICE
from networks.bluesky.text import ALT_GRAPHEME_LIMIT, ALT_LENGTH_LIMIT, BYTE_LIMIT, GRAPHEME_LIMIT, graphemes
from networks.emulator.messages import Reply, Request
from networks.emulator.part import NOT_CHECKED, EmulatorPart, JudgedBy, Route, Validation
from networks.emulator.uploads import Upload

PDS_HOST = "sandbox.us-east.host.bsky.network"  # what the sandbox account's DID document names
ACCESS_S = 120 * 60  # the PDS's access tokens live 120 minutes, refresh tokens 90 days
REFRESH_S = 90 * 86_400
RATE_WINDOW_S = 300
DAILY_VIDEOS = 25
DAILY_VIDEO_BYTES = 10 * 1024**3
MAX_CAPTION_BYTES = 20_000
MAIN_PASSWORD = "main-pass-word-1234"  # the sandbox account's main password (the adapter must refuse it)
S32 = "234567abcdefghijklmnopqrstuvwxyz"
VIDEO_ROUTES = ("app.bsky.video.uploadVideo", "app.bsky.video.getJobStatus", "app.bsky.video.getUploadLimits")


def xrpc_error(status: int, error: str, message: str, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, {"error": error, "message": message}, headers or {})


def model_of(nsid: str, kind: str) -> Any:
    """The atproto model class ``kind`` ("Data", "Params", "Response") of the lexicon ``nsid``, or None."""
    from atproto_client import models

    name = "".join(part[:1].upper() + part[1:] for part in nsid.split("."))
    module = getattr(models, name, None)
    return getattr(module, kind, None) if module is not None else None


def validate_model(model: Any, value: Any) -> str | None:
    """Why ``value`` is not ``model`` (string formats checked too), or None."""
    from pydantic import ValidationError

    try:
        model.model_validate(value, context={"strict_string_format": True})
    except ValidationError as error:
        first = error.errors()[0]
        where = "/".join(str(item) for item in first["loc"])
        return f"{where}: {first['msg']}"
    return None


_warming: list[threading.Thread] = []  # once a process: the models stay built


def warm_models(nsids: list[str]) -> None:
    """Build the lexicon models the routes validate with, off the request path, once a process.

    atproto's models are built by pydantic on first use (app.bsky.feed.getPosts's Response, every embed
    view inside it, takes about a second on a loaded machine): built inside a request, that second
    counts against the client's timeout. Started at the first login, it is done before the calls
    after it need them.
    """
    if _warming:
        return

    def build() -> None:
        from atproto_client import models

        for nsid in nsids:
            for kind in ("Response", "Params", "Data"):
                model = model_of(nsid, kind)
                if hasattr(model, "model_rebuild"):  # a binary body's Data is ``bytes``, no model
                    model.model_rebuild()
        models.AppBskyFeedPost.Record.model_rebuild()

    thread = threading.Thread(target=build, name="bluesky-lexicon-models", daemon=True)
    _warming.append(thread)
    thread.start()


def cid_of(data: bytes, codec: int = 0x55) -> str:
    """A CIDv1 (sha2-256) in base32, as the PDS names a blob (raw, 0x55) or a record (dag-cbor, 0x71)."""
    import libipld

    return str(
        libipld.encode_multibase("b", bytes([0x01, codec, 0x12, 0x20]) + hashlib.sha256(data).digest())
    )


def tid(micros: int, clock: int = 0) -> str:
    """A record key as the PDS makes them: microseconds and a clock id in sortable base32 (13 characters)."""
    number, out = (micros << 10) | (clock & 1023), ""
    for _ in range(13):
        out = S32[number & 31] + out
        number >>= 5
    return out


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class BlueskyPart(EmulatorPart):
    refuses_duplicates = False  # Bluesky publishes the same text twice; the adapter refuses it itself
    # every request on a route and every reply: the methods' Params/Data/Response models, or XRPC's error
    judged_by = JudgedBy("the AT Protocol lexicons (atproto's generated models)", every_reply=True)

    @classmethod
    def sandbox_credentials(cls, seed: int) -> dict[str, str]:
        digest = hashlib.sha256(f"{seed}:bluesky".encode()).hexdigest()
        password = "-".join(digest[i : i + 4] for i in range(0, 16, 4))
        return {"handle": "ecpat-sandbox.bsky.social", "app_password": password}

    def __init__(self, core: Any, spec: Any) -> None:
        super().__init__(core, spec)
        seed = hashlib.sha256(f"{core.seed}:bluesky:keys".encode()).digest()
        self.jwt_key = seed
        self.did = "did:plc:" + "".join(S32[byte % 32] for byte in hashlib.sha256(seed).digest()[:24])
        self.signing_key, self.did_key = _signing_key(seed)
        self.reset()

    def reset(self) -> None:
        self.blobs: dict[str, dict[str, Any]] = {}  # cid -> mimeType, size (blobs on the PDS)
        self.jobs: dict[str, dict[str, Any]] = {}  # video jobs: upload, blob, error
        self.processed: dict[str, str] = {}  # sha256 of a processed video -> its blob's cid
        self.email_confirmed = True
        self.videos_today = 0
        self.video_bytes_today = 0
        self.revoked: set[str] = set()  # refresh tokens' ids no longer accepted
        self.clock_id = 0

    # -- routing ---------------------------------------------------------------------------------

    def serves(self, host: str) -> bool:
        return host in self.spec.hosts or host == PDS_HOST or host.endswith(".host.bsky.network")

    def routes(self) -> list[Route]:
        def xrpc(method: str, nsid: str, handler: Any, creates: bool = False) -> Route:
            return Route(method, "/xrpc/" + re.escape(nsid), f"/xrpc/{nsid}", handler, creates)

        return [
            xrpc("POST", "com.atproto.server.createSession", self.create_session),
            xrpc("POST", "com.atproto.server.refreshSession", self.refresh_session),
            xrpc("GET", "com.atproto.server.getSession", self.get_session),
            xrpc("GET", "com.atproto.server.getServiceAuth", self.service_auth),
            xrpc("POST", "com.atproto.repo.uploadBlob", self.upload_blob),
            xrpc("POST", "com.atproto.repo.createRecord", self.create_record, creates=True),
            xrpc("POST", "com.atproto.repo.deleteRecord", self.delete_record),
            xrpc("GET", "com.atproto.repo.listRecords", self.list_records),
            xrpc("GET", "app.bsky.feed.getPosts", self.get_posts),
            xrpc("POST", "app.bsky.video.uploadVideo", self.upload_video),
            xrpc("GET", "app.bsky.video.getJobStatus", self.job_status),
            xrpc("GET", "app.bsky.video.getUploadLimits", self.upload_limits),
        ]

    def not_found(self, request: Request, path: str) -> Reply:
        return xrpc_error(501, "MethodNotImplemented", "Method Not Implemented")

    def fault(self, kind: str, *, reset_in_s: float | None = None) -> Reply:
        if kind == "rate_limited":
            headers = {}
            if reset_in_s is not None:
                headers = {
                    "ratelimit-limit": "5000",
                    "ratelimit-remaining": "0",
                    "ratelimit-reset": str(int(self.core.now() + reset_in_s)),
                    "ratelimit-policy": "5000;w=3600",
                }
            return xrpc_error(429, "RateLimitExceeded", "Rate Limit Exceeded", headers)
        if kind == "expired_token":
            return xrpc_error(400, "ExpiredToken", "Token has expired")
        if kind == "duplicate":  # Bluesky has no duplicate error: it is the PDS's answer to a bad request
            return xrpc_error(400, "InvalidRequest", "Bluesky has no duplicate check")
        return super().fault(kind, reset_in_s=reset_in_s)

    def refuse(self, request: Request, route: Route | None, validation: Validation) -> Reply:
        return xrpc_error(400, "InvalidRequest", "; ".join(validation.errors))

    # -- ground truth: the lexicons through atproto's models -------------------------------------

    def validate_request(self, request: Request, route: Route | None) -> Validation:
        if route is None:  # a method the part does not serve: answered 501, judged by nothing
            return NOT_CHECKED
        nsid = route.template.removeprefix("/xrpc/")
        errors: list[str] = []
        video_host = request.hostname == VIDEO_SERVICE
        if video_host != (nsid in VIDEO_ROUTES):
            errors.append(f"{nsid} is not served by {request.hostname}")
        if route.method == "GET":
            params = model_of(nsid, "Params")
            if params is not None and (problem := validate_model(params, self._query(request, params))):
                errors.append(f"Error: Params {problem}")
        elif nsid == "app.bsky.video.uploadVideo":
            if request.content_type != "video/mp4":
                errors.append("Wrong request encoding (Content-Type): expected video/mp4")
            errors += [
                f'Error: Params must have the property "{key}"'
                for key in ("did", "name")
                if not request.query.get(key)
            ]
        elif nsid == "com.atproto.repo.uploadBlob":
            if not request.body:
                errors.append("Request body is empty")
        elif (data := model_of(nsid, "Data")) is not None:
            if request.content_type != "application/json":
                errors.append("Wrong request encoding (Content-Type): expected application/json")
            elif problem := validate_model(data, request.json()):
                errors.append(f"Error: Input {problem}")
            elif nsid == "com.atproto.repo.createRecord":
                errors += self.record_problems(request.json())
        return Validation.invalid(*errors) if errors else Validation.valid()

    def record_problems(self, body: dict[str, Any]) -> list[str]:
        """Why a createRecord's record is not a valid app.bsky.feed.post (lexicon and blob constraints)."""
        from atproto_client import models

        if body.get("collection") != "app.bsky.feed.post":
            return [f"Unsupported collection {body.get('collection')}"]
        record = body.get("record")
        if not isinstance(record, dict) or record.get("$type") != "app.bsky.feed.post":
            return ["Invalid app.bsky.feed.post record: Record/$type must be app.bsky.feed.post"]
        if problem := validate_model(models.AppBskyFeedPost.Record, record):
            return [f"Invalid app.bsky.feed.post record: Record/{problem}"]
        text = str(record.get("text", ""))
        encoded = text.encode("utf-8")
        problems = []
        if len(encoded) > BYTE_LIMIT:
            problems.append(
                f"Invalid app.bsky.feed.post record: Record/text must not be longer than {BYTE_LIMIT} characters"
            )
        if graphemes(text) > GRAPHEME_LIMIT:
            problems.append(
                f"Invalid app.bsky.feed.post record: Record/text must not be longer than {GRAPHEME_LIMIT} graphemes"
            )
        for facet in record.get("facets") or []:
            start, end = facet["index"]["byteStart"], facet["index"]["byteEnd"]
            try:
                encoded[start:end].decode("utf-8")
                valid = 0 <= start < end <= len(encoded)
            except UnicodeDecodeError:
                valid = False
            if not valid:  # stricter than the PDS, which stores it (the app then shows the link wrongly)
                problems.append(
                    f"facet byteStart {start}, byteEnd {end} does not cut the UTF-8 text at characters"
                )
        embed = record.get("embed") or {}
        if embed.get("$type") == "app.bsky.embed.video":
            alt = str(embed.get("alt") or "")
            if graphemes(alt) > ALT_GRAPHEME_LIMIT or len(alt.encode("utf-8")) > ALT_LENGTH_LIMIT:
                problems.append(
                    "Invalid app.bsky.feed.post record: Record/embed/alt must not be longer than "
                    f"{ALT_GRAPHEME_LIMIT} graphemes"
                )
            problems += self._blob_problem(embed["video"], "video/mp4", None, "Record/embed/video")
            for index, caption in enumerate(embed.get("captions") or []):
                problems += self._blob_problem(
                    caption["file"], "text/vtt", MAX_CAPTION_BYTES, f"Record/embed/captions/{index}/file"
                )
        return problems

    def _blob_problem(self, blob: dict[str, Any], mime: str, max_size: int | None, where: str) -> list[str]:
        link = (blob.get("ref") or {}).get("$link") if isinstance(blob.get("ref"), dict) else None
        stored = self.blobs.get(str(link))
        if stored is None:
            return [f"Could not find blob: {link}"]
        if stored["mimeType"] != mime or blob.get("mimeType") != mime:
            return [
                f"Invalid app.bsky.feed.post record: {where} mimeType {blob.get('mimeType')} not accepted, expected {mime}"
            ]
        if max_size is not None and stored["size"] > max_size:
            return [
                f"Invalid app.bsky.feed.post record: {where} is too big ({stored['size']} > {max_size} bytes)"
            ]
        return []

    def _query(self, request: Request, params: Any) -> dict[str, Any]:
        """The query as the lexicon types it: repeated keys for arrays, integers for integers."""
        values = parse_qs(request.raw_query, keep_blank_values=True)
        out: dict[str, Any] = {}
        for name, field in params.model_fields.items():
            key = field.alias or name
            if key not in values:
                continue
            annotation = str(field.annotation)
            if "List" in annotation or "list" in annotation:
                out[key] = values[key]
            elif "int" in annotation:
                try:
                    out[key] = int(values[key][0])
                except ValueError:
                    out[key] = values[key][0]
            elif "bool" in annotation:
                out[key] = values[key][0] == "true"
            else:
                out[key] = values[key][0]
        return out

    def validate_response(self, request: Request, route: Route, reply: Reply) -> Validation:
        nsid = route.template.removeprefix("/xrpc/")
        if reply.status >= 400:
            body = reply.body
            shaped = (
                isinstance(body, dict)
                and isinstance(body.get("error"), str)
                and set(body) <= {"error", "message"}
            )
            return Validation.valid() if shaped else Validation.invalid(f"{nsid}: not an XRPC error {body!r}")
        response = model_of(nsid, "Response")
        if response is None:
            return NOT_CHECKED
        if not isinstance(reply.body, dict):
            return Validation.invalid(f"{nsid} output: not a JSON object")
        problem = validate_model(response, reply.body)
        return Validation.invalid(f"{nsid} output: {problem}") if problem else Validation.valid()

    # -- sessions and tokens -------------------------------------------------------------------------

    def _jwt(self, claims: dict[str, Any], typ: str) -> str:
        header = _b64(json.dumps({"typ": typ, "alg": "HS256"}).encode())
        payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
        signature = hmac.new(self.jwt_key, f"{header}.{payload}".encode(), hashlib.sha256).digest()
        return f"{header}.{payload}.{_b64(signature)}"

    def _claims(self, token: str) -> dict[str, Any] | None:
        try:
            header, payload, signature = token.split(".")
            expected = hmac.new(self.jwt_key, f"{header}.{payload}".encode(), hashlib.sha256).digest()
            if not hmac.compare_digest(expected, _unb64(signature)):
                return None
            claims = json.loads(_unb64(payload))
        except (ValueError, json.JSONDecodeError):
            return None
        return claims if isinstance(claims, dict) else None

    def _session(self, scope: str) -> dict[str, Any]:
        now = int(time.time())
        aud = f"did:web:{PDS_HOST}"
        access = self._jwt(
            {"scope": scope, "aud": aud, "sub": self.did, "iat": now, "exp": now + ACCESS_S}, "at+jwt"
        )
        refresh = self._jwt(
            {"scope": "com.atproto.refresh", "aud": aud, "sub": self.did, "jti": secrets.token_urlsafe(24),
             "iat": now, "exp": now + REFRESH_S, "app_scope": scope},
            "refresh+jwt",
        )  # fmt: skip
        return {
            "accessJwt": access,
            "refreshJwt": refresh,
            "handle": self.credentials["handle"],
            "did": self.did,
            "didDoc": self.did_doc(),
            "email": "communication@ecpat-france.example",
            "emailConfirmed": self.email_confirmed,
            "active": True,
        }

    def did_doc(self) -> dict[str, Any]:
        return {
            "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
            "id": self.did,
            "alsoKnownAs": [f"at://{self.credentials['handle']}"],
            "verificationMethod": [
                {
                    "id": f"{self.did}#atproto",
                    "type": "Multikey",
                    "controller": self.did,
                    "publicKeyMultibase": self.did_key.removeprefix("did:key:"),
                }
            ],
            "service": [
                {
                    "id": "#atproto_pds",
                    "type": "AtprotoPersonalDataServer",
                    "serviceEndpoint": f"https://{PDS_HOST}",
                }
            ],
        }

    def auth(self, request: Request, *, refresh: bool = False) -> Reply | None:
        """None when the request carries a live token of the right kind, else the PDS's error."""
        header = request.headers.get("authorization", "")
        if not header.startswith("Bearer "):
            return xrpc_error(401, "AuthMissing", "Authentication Required")
        claims = self._claims(header.removeprefix("Bearer "))
        if claims is None or claims.get("sub") != self.did:
            return xrpc_error(400, "InvalidToken", "Token could not be verified")
        if int(claims.get("exp", 0)) <= time.time():
            return xrpc_error(400, "ExpiredToken", "Token has expired")
        is_refresh = claims.get("scope") == "com.atproto.refresh"
        if is_refresh != refresh or (refresh and claims.get("jti") in self.revoked):
            return xrpc_error(
                400, "InvalidToken", "Bad token scope" if is_refresh != refresh else "Token has been revoked"
            )
        return None

    def create_session(self, request: Request) -> Reply:
        # the heaviest first (getPosts's post views), then the rest
        warm_models(
            ["app.bsky.feed.getPosts", *(route.template.removeprefix("/xrpc/") for route in self.routes())]
        )
        body = request.json()
        identifier, password = (
            str(body.get("identifier", "")).removeprefix("@"),
            str(body.get("password", "")),
        )
        if identifier not in (self.credentials["handle"], self.did):
            return xrpc_error(401, "AuthenticationRequired", "Invalid identifier or password")
        if password == self.credentials["app_password"]:
            return Reply(200, self._session("com.atproto.appPass"), self.rate_headers())
        if password == MAIN_PASSWORD:
            return Reply(200, self._session("com.atproto.access"), self.rate_headers())
        return xrpc_error(401, "AuthenticationRequired", "Invalid identifier or password")

    def refresh_session(self, request: Request) -> Reply:
        if (denied := self.auth(request, refresh=True)) is not None:
            return denied
        claims = self._claims(request.headers["authorization"].removeprefix("Bearer ")) or {}
        self.revoked.add(str(claims.get("jti")))  # a refresh token is used once
        session = self._session(str(claims.get("app_scope", "com.atproto.appPass")))
        return Reply(
            200,
            {key: session[key] for key in ("accessJwt", "refreshJwt", "handle", "did", "didDoc", "active")},
        )

    def get_session(self, request: Request) -> Reply:
        if (denied := self.auth(request)) is not None:
            return denied
        session = self._session("com.atproto.appPass")
        return Reply(
            200,
            {key: session[key] for key in ("handle", "did", "email", "emailConfirmed", "didDoc", "active")},
        )

    def service_auth(self, request: Request) -> Reply:
        """A service token (https://github.com/bluesky-social/atproto: pds/.../server/getServiceAuth.ts)."""
        if (denied := self.auth(request)) is not None:
            return denied
        aud, lxm = request.query.get("aud", ""), request.query.get("lxm")
        exp = int(request.query.get("exp") or time.time() + 60)
        diff = exp - time.time()
        if diff < 0:
            return xrpc_error(400, "BadExpiration", "expiration is in past")
        if diff > 3600:
            return xrpc_error(
                400,
                "BadExpiration",
                "cannot request a token with an expiration more than an hour in the future",
            )
        if not lxm and diff > 60:
            return xrpc_error(
                400,
                "BadExpiration",
                "cannot request a method-less token with an expiration more than a minute in the future",
            )
        claims = {
            "iat": int(time.time()),
            "iss": self.did,
            "aud": aud,
            "exp": exp,
            "lxm": lxm,
            "jti": secrets.token_hex(16),
        }
        return Reply(200, {"token": _sign_es256k(self.signing_key, claims)})

    def service_token(self, request: Request, audience: str, method: str) -> Reply | None:
        """None when the request carries this account's service token for ``audience`` and ``method``."""
        from atproto_server.auth.jwt import verify_jwt

        header = request.headers.get("authorization", "")
        if not header.startswith("Bearer "):
            return xrpc_error(401, "AuthMissing", "Authentication Required")
        try:
            claims = verify_jwt(
                header.removeprefix("Bearer "), lambda _iss, _fresh: self.did_key, own_did=audience
            )
        except Exception as error:  # atproto's TokenDecodeError, TokenExpiredSignatureError, …
            return xrpc_error(
                401, "AuthenticationRequired", f"jwt verification failed: {type(error).__name__}"
            )
        if getattr(claims, "lxm", None) != method or claims.iss != self.did:
            return xrpc_error(
                401, "BadJwtLexiconMethod", f'bad jwt lexicon method ("lxm"): expected {method}'
            )
        return None

    def rate_headers(self) -> dict[str, str]:
        reset = str(int(self.core.now()) + RATE_WINDOW_S)
        return {"ratelimit-limit": "5000", "ratelimit-remaining": "4999", "ratelimit-reset": reset,
                "ratelimit-policy": "5000;w=3600"}  # fmt: skip

    # -- the repository --------------------------------------------------------------------------

    def _store_blob(self, data: bytes, mime: str) -> dict[str, Any]:
        cid = cid_of(data)
        self.blobs[cid] = {"mimeType": mime, "size": len(data)}
        return {"$type": "blob", "ref": {"$link": cid}, "mimeType": mime, "size": len(data)}

    def upload_blob(self, request: Request) -> Reply:
        if (denied := self.auth(request)) is not None:
            return denied
        mime = request.content_type or "application/octet-stream"
        return Reply(200, {"blob": self._store_blob(request.body, mime)}, self.rate_headers())

    def create_record(self, request: Request) -> Reply:
        if (denied := self.auth(request)) is not None:
            return denied
        body = request.json()
        if body["repo"] not in (self.did, self.credentials["handle"]):
            return xrpc_error(400, "InvalidRequest", f"Could not find repo: {body['repo']}")
        record = body["record"]
        with self.core.lock:
            self.clock_id += 1
            rkey = body.get("rkey") or tid(int(time.time() * 1_000_000), self.clock_id)
            uri = f"at://{self.did}/app.bsky.feed.post/{rkey}"
            cid = cid_of(json.dumps(record, sort_keys=True).encode(), codec=0x71)
            embed = record.get("embed") or {}
            media = [embed["video"]["ref"]["$link"]] if embed.get("$type") == "app.bsky.embed.video" else []
            self.core.record(self.name, self.credentials["handle"], uri, record["text"], media)
            self.core.objects[uri].update({"record": record, "cid": cid, "rkey": rkey})
            self.core.published[-1].update(
                {
                    "record": record,
                    "langs": record.get("langs") or [],
                    "facets": record.get("facets") or [],
                    "captions": [
                        {"lang": item["lang"], **self.blobs[item["file"]["ref"]["$link"]]}
                        for item in embed.get("captions") or []
                    ],
                    "alt": embed.get("alt"),
                }
            )
        return Reply(
            200,
            {
                "uri": uri,
                "cid": cid,
                "commit": {"cid": cid_of(rkey.encode(), 0x71), "rev": rkey},
                "validationStatus": "valid",
            },
            self.rate_headers(),
        )

    def delete_record(self, request: Request) -> Reply:
        if (denied := self.auth(request)) is not None:
            return denied
        body = request.json()
        self.core.delete(f"at://{self.did}/{body['collection']}/{body['rkey']}")
        return Reply(200, {}, self.rate_headers())

    def _live(self) -> list[tuple[str, dict[str, Any]]]:
        return [
            (item["id"], self.core.objects[item["id"]])
            for item in self.core.published_on(self.name)
            if item["id"] in self.core.objects
        ]

    def list_records(self, request: Request) -> Reply:
        if request.query.get("repo") not in (self.did, self.credentials["handle"]):
            return xrpc_error(400, "InvalidRequest", f"Could not find repo: {request.query.get('repo')}")
        limit = int(request.query.get("limit", "50"))
        records = [
            {"uri": uri, "cid": item["cid"], "value": item["record"]} for uri, item in self._live()[:limit]
        ]
        return Reply(200, {"records": records}, self.rate_headers())

    def get_posts(self, request: Request) -> Reply:
        """Hydrated views of the posts that still exist (the AppView leaves deleted ones out)."""
        if (denied := self.auth(request)) is not None:
            return denied
        uris = parse_qs(request.raw_query).get("uris", [])
        posts = []
        for uri in uris:
            item = self.core.objects.get(uri)
            if item is None or item.get("network") != self.name:
                continue
            numbers = self.core.engagement(uri)
            posts.append(
                {
                    "uri": uri,
                    "cid": item["cid"],
                    "author": {
                        "did": self.did,
                        "handle": self.credentials["handle"],
                        "displayName": "ECPAT France (sandbox)",
                    },
                    "record": item["record"],
                    "indexedAt": time.strftime(
                        "%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(item.get("created", self.core.now()))
                    ),
                    "likeCount": numbers["likes"],
                    "repostCount": numbers["shares"],
                    "quoteCount": numbers["shares"] // 5,
                    "replyCount": numbers["comments"],
                    "bookmarkCount": numbers["saves"],
                }
            )
        return Reply(200, {"posts": posts}, self.rate_headers())

    # -- the video service -------------------------------------------------------------------------

    def upload_limits(self, request: Request) -> Reply:
        if (
            denied := self.service_token(
                request, f"did:web:{VIDEO_SERVICE}", "app.bsky.video.getUploadLimits"
            )
        ) is not None:
            return denied
        body: dict[str, Any] = {
            "canUpload": self.email_confirmed and self.videos_today < DAILY_VIDEOS,
            "remainingDailyVideos": DAILY_VIDEOS - self.videos_today,
            "remainingDailyBytes": DAILY_VIDEO_BYTES - self.video_bytes_today,
        }
        if not self.email_confirmed:
            body |= {
                "error": "unconfirmed_email",
                "message": "You must verify your email address before uploading videos",
            }
        return Reply(200, body)

    def upload_video(self, request: Request) -> Reply:
        """https://docs.bsky.app/docs/tutorials/video: the token's audience is the account's PDS."""
        if (
            denied := self.service_token(request, f"did:web:{PDS_HOST}", "com.atproto.repo.uploadBlob")
        ) is not None:
            return denied
        if request.query.get("did") != self.did:
            return xrpc_error(400, "InvalidRequest", "did does not match the token")
        if not self.email_confirmed:
            return xrpc_error(
                400, "InvalidRequest", "You must verify your email address before uploading videos"
            )
        job_id = secrets.token_hex(8)
        upload = Upload(total=len(request.body), data=bytearray(request.body), finalized=True)
        digest = hashlib.sha256(request.body).hexdigest()
        with self.core.lock:
            self.core.uploads[job_id] = upload
            self.jobs[job_id] = {"upload": upload, "digest": digest, "earlier": self.processed.get(digest)}
            self.videos_today += 1
            self.video_bytes_today += len(request.body)
        return Reply(
            200,
            {"jobStatus": {"jobId": job_id, "did": self.did, "state": "JOB_STATE_CREATED", "progress": 0}},
        )

    def job_status(self, request: Request) -> Reply:
        job_id = request.query.get("jobId", "")
        job = self.jobs.get(job_id)
        if job is None:
            return xrpc_error(404, "NotFound", "Job not found")
        status: dict[str, Any] = {"jobId": job_id, "did": self.did}
        if job.get("earlier"):  # the same video again: the service answers with the blob it made before
            cid = job["earlier"]
            status |= {"state": "JOB_STATE_FAILED", "error": "already_exists", "message": "Video already processed",
                       "blob": {"$type": "blob", "ref": {"$link": cid}, **self.blobs[cid]}}  # fmt: skip
            return Reply(200, {"jobStatus": status})
        upload: Upload = job["upload"]
        upload.polls += 1
        state = upload.state
        if state == "in_progress":
            status |= {"state": "JOB_STATE_ENCODING", "progress": 50}
        elif state == "failed":
            status |= {"state": "JOB_STATE_FAILED", "error": "Video processing failed",
                       "failureCode": "encoding_failure", "message": "The video could not be decoded"}  # fmt: skip
        else:
            if "blob" not in job:
                job["blob"] = self._store_blob(bytes(upload.data), "video/mp4")
                self.processed[job["digest"]] = job["blob"]["ref"]["$link"]
            status |= {"state": "JOB_STATE_COMPLETED", "progress": 100, "blob": job["blob"]}
        return Reply(200, {"jobStatus": status})


def _signing_key(seed: bytes) -> tuple[Any, str]:
    """The account's secp256k1 signing key (from the seed) and its did:key."""
    from atproto_crypto.consts import SECP256K1_CURVE_ORDER, SECP256K1_JWT_ALG
    from atproto_crypto.did import format_did_key
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    secret = (
        int.from_bytes(hashlib.sha256(seed + b"signing").digest(), "big") % (SECP256K1_CURVE_ORDER - 1) + 1
    )
    key = ec.derive_private_key(secret, ec.SECP256K1())
    public = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return key, format_did_key(SECP256K1_JWT_ALG, public)


def _sign_es256k(key: Any, claims: dict[str, Any]) -> str:
    """A JWT signed ES256K with a low-S signature, as atproto service tokens are."""
    from atproto_crypto.consts import SECP256K1_CURVE_ORDER
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    header = _b64(json.dumps({"typ": "JWT", "alg": "ES256K"}).encode())
    payload = _b64(json.dumps({k: v for k, v in claims.items() if v is not None}).encode())
    r, s = decode_dss_signature(key.sign(f"{header}.{payload}".encode(), ec.ECDSA(hashes.SHA256())))
    if s > SECP256K1_CURVE_ORDER // 2:
        s = SECP256K1_CURVE_ORDER - s
    return f"{header}.{payload}.{_b64(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"
