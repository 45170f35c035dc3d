"""Mastodon's part of the emulator: any instance, judged by Mastodon's documented requests and answers.

Each account lives on its own instance: the part answers every host that looks like a domain name and
that no other network's part claims (``serves``), and keeps each instance's statuses apart. Every request
and every answer is validated against the schemas in ``networks.mastodon.schemas`` (transcribed from
docs.joinmastodon.org); a request they refuse gets Mastodon's own error entity, ``{"error": "..."}``.

What it models, as the documentation says it: ``Idempotency-Key`` on ``POST /api/v1/statuses`` (a key
seen in the last hour answers with the status it created: no second status); ``POST /api/v2/media``
answering 202 with ``url: null`` while a video is processed, ``GET /api/v1/media/:id`` answering 206
until it is done, then 200 (422 when processing failed); a status refused while its media are processed;
each instance's ``configuration`` (``GET /api/v2/instance``), whose ``max_characters`` the create call
enforces, URLs counting ``characters_reserved_per_url``; rate-limit headers (``X-RateLimit-*``).
"""

from __future__ import annotations

import hashlib
import html
import re
import time
from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qsl

from networks.emulator.messages import Reply, Request
from networks.emulator.part import EmulatorPart, JudgedBy, Route, Validation
from networks.emulator.uploads import MP4_SIGNATURE, Upload
from networks.mastodon import schemas
from networks.mastodon.instances import InstanceLimits
from networks.mastodon.spec import IDEMPOTENCY_WINDOW_S
from networks.mastodon.text import measure

SANDBOX_INSTANCE = "https://mastodon.example.org"
ACCOUNT_ID = "109372455301138721"
USERNAME = "ecpat_sandbox"
RATE_LIMIT = 300  # "All endpoints and methods can be called 300 times within 5 minutes" (api/rate-limits)
RATE_WINDOW_S = 300
DOMAIN = re.compile(r"^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
NOT_READY = "Cannot attach files that have not finished processing. Try again in a moment!"
LINK = re.compile(r"https?://[^\s<>\"]+[^\s<>\".,;:!?)\]'»]")
SHOWN_LINK = 30  # characters of a link's address shown before "…" (Mastodon's TextFormatter)


def error(status: int, message: str, headers: dict[str, str] | None = None) -> Reply:
    """Mastodon's error entity (https://docs.joinmastodon.org/entities/Error/)."""
    return Reply(status, {"error": message}, headers or {})


def iso(instant: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(instant)) + f".{int(instant * 1000) % 1000:03d}Z"


def status_html(text: str) -> str:
    """The status as Mastodon renders its ``content``: paragraphs, line breaks, links with the part of
    the address shown and the rest in invisible spans; everything else escaped."""

    def link(found: re.Match[str]) -> str:
        url = found.group(0)
        scheme, _, rest = url.partition("://")
        shown, hidden = (rest[:SHOWN_LINK], rest[SHOWN_LINK:]) if len(rest) > SHOWN_LINK else (rest, "")
        return (
            f'<a href="{html.escape(url)}" target="_blank" rel="nofollow noopener" translate="no">'
            f'<span class="invisible">{html.escape(scheme)}://</span>'
            f'<span class="{"ellipsis" if hidden else ""}">{html.escape(shown)}</span>'
            f'<span class="invisible">{html.escape(hidden)}</span></a>'
        )

    paragraphs = []
    for paragraph in re.split(r"\n\s*\n", text.strip()):
        pieces, position = [], 0
        for found in LINK.finditer(paragraph):
            pieces += [html.escape(paragraph[position : found.start()]), link(found)]
            position = found.end()
        pieces.append(html.escape(paragraph[position:]))
        paragraphs.append("<p>" + "".join(pieces).replace("\n", "<br />") + "</p>")
    return "".join(paragraphs)


@dataclass
class Replayed:
    """A key seen by the create call: the status it made, when (on the emulator's clock)."""

    status_id: str
    at: float


class MastodonPart(EmulatorPart):
    judged_by = JudgedBy(
        "Mastodon's documented requests and answers (networks/mastodon/schemas.py), with jsonschema"
    )
    refuses_duplicates = False  # Mastodon publishes the same text twice; a retry carries its Idempotency-Key

    @classmethod
    def sandbox_credentials(cls, seed: int) -> dict[str, str]:
        token = hashlib.sha256(f"{seed}:mastodon".encode()).hexdigest()
        return {"instance": SANDBOX_INSTANCE, "access_token": token[:43]}

    def __init__(self, core: Any, spec: Any) -> None:
        super().__init__(core, spec)
        self.reset()

    def reset(self) -> None:
        # host -> configuration values that differ from Mastodon's defaults (tests set them)
        self.configuration: dict[str, dict[str, Any]] = {}
        self.idempotency: dict[tuple[str, str], Replayed] = {}
        # every create call received (before any fault or delay): host, Idempotency-Key, and whether the
        # answer was a status already made with that key; what tests read to prove a retry was one post
        self.creates: list[dict[str, Any]] = []

    def configure(self, host: str, **values: int) -> None:
        """Give the instance at ``host`` its own limits (``max_characters=1000``…)."""
        self.configuration.setdefault(host.lower(), {}).update(values)

    def limits(self, host: str) -> InstanceLimits:
        return InstanceLimits(**self.configuration.get(host, {}))

    # -- routing ----------------------------------------------------------------------------------

    def serves(self, host: str) -> bool:
        """Any instance: a domain name no other network's part claims (those have fixed hosts)."""
        if not DOMAIN.match(host):
            return False
        return not any(host in part.spec.hosts for part in self.core.parts if part is not self)

    def routes(self) -> list[Route]:
        slash = "/?"  # Mastodon.py asks /api/v2/instance/; Rails answers with or without the slash
        return [
            Route("POST", r"/api/v1/statuses/?", "/api/v1/statuses", self.create_status, creates=True),
            Route("GET", r"/api/v1/statuses/(?P<status>\d+)/?", "/api/v1/statuses/{id}", self.get_status),
            Route("POST", r"/api/v2/media/?", "/api/v2/media", self.create_media),
            Route("GET", r"/api/v1/media/(?P<media>\d+)/?", "/api/v1/media/{id}", self.get_media),
            Route("GET", r"/api/v2/instance" + slash, "/api/v2/instance", self.instance),
            Route(
                "GET",
                r"/api/v1/accounts/verify_credentials/?",
                "/api/v1/accounts/verify_credentials",
                self.verify_credentials,
            ),
            Route(
                "GET",
                r"/api/v1/accounts/(?P<account>\d+)/statuses/?",
                "/api/v1/accounts/{id}/statuses",
                self.account_statuses,
            ),
        ]

    def not_found(self, request: Request, path: str) -> Reply:
        return error(404, "Record not found")

    # -- ground truth: the documented shapes ------------------------------------------------------

    def document(self, request: Request) -> dict[str, Any]:
        """The request as the schemas see it: headers, query, form fields (arrays for ``name[]``), files."""
        form: dict[str, Any] = {}
        files: dict[str, dict[str, str]] = {}
        if request.content_type == "application/x-www-form-urlencoded":
            pairs = parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True)
        elif request.content_type == "multipart/form-data":
            pairs = []
            message = BytesParser(policy=HTTP).parsebytes(
                b"Content-Type: "
                + request.headers.get("content-type", "").encode()
                + b"\r\n\r\n"
                + request.body
            )
            for part in message.iter_parts():
                name = str(part.get_param("name", header="content-disposition") or "")
                if part.get_filename():
                    files[name] = {
                        "filename": str(part.get_filename()),
                        "content_type": part.get_content_type(),
                    }
                else:
                    payload = part.get_payload(decode=True)
                    pairs.append(
                        (name, payload.decode("utf-8", "replace") if isinstance(payload, bytes) else "")
                    )
        elif request.content_type == "application/json":
            pairs = [(key, value) for key, value in request.json().items()]
        else:
            pairs = []
        for key, value in pairs:
            if key.endswith("[]"):
                form.setdefault(key, []).append(value)
            else:
                form[key] = value
        query: dict[str, Any] = {}
        for key, value in parse_qsl(request.raw_query, keep_blank_values=True):
            if key.endswith("[]"):
                query.setdefault(key, []).append(value)
            else:
                query[key] = value
        return {"headers": dict(request.headers), "query": query, "form": form, "files": files}

    def validate_request(self, request: Request, route: Route | None) -> Validation:
        if route is None:  # answered with Mastodon's 404 (refuse); never what a suite's client should ask
            return Validation.invalid(f"{request.method} {request.path}: not a route this part models")
        if route.creates:
            self._received(request)
        schema, _answers = schemas.ROUTES[f"{route.method} {route.template}"]
        problems = schemas.errors(schema, self.document(request))
        return Validation.invalid(*problems) if problems else Validation.valid()

    def _received(self, request: Request) -> None:
        with self.core.lock:
            self.creates.append(
                {
                    "host": request.hostname,
                    "idempotency_key": request.headers.get("idempotency-key"),
                    "replayed": None,  # set by the handler, when it answers
                    "status": None,
                }
            )

    def validate_response(self, request: Request, route: Route, reply: Reply) -> Validation:
        _schema, answers = schemas.ROUTES[f"{route.method} {route.template}"]
        if isinstance(reply.body, str):
            return Validation.valid()  # an HTML page (a proxy's 5xx): the documentation gives it no shape
        schema = answers.get(reply.status) if reply.status < 400 else schemas.ERROR
        if schema is None:
            return Validation.invalid(f"{reply.status}: not an answer the documentation gives")
        problems = schemas.errors(schema, reply.body)
        return Validation.invalid(*problems) if problems else Validation.valid()

    def refuse(self, request: Request, route: Route | None, validation: Validation) -> Reply:
        if route is None:
            return self.not_found(request, request.path)
        if any(problem.startswith("headers") and "authorization" in problem for problem in validation.errors):
            return error(401, "The access token is invalid")
        return error(422, "Validation failed: " + "; ".join(validation.errors))

    def fault(self, kind: str, *, reset_in_s: float | None = None) -> Reply:
        """Mastodon's own answers (https://docs.joinmastodon.org/api/rate-limits/, entities/Error/)."""
        if kind == "rate_limited":
            headers = {}
            if reset_in_s is not None:
                headers = {
                    "X-RateLimit-Limit": str(RATE_LIMIT),
                    "X-RateLimit-Remaining": "0",
                    "X-RateLimit-Reset": iso(self.core.now() + reset_in_s),
                }
            return error(429, "Too many requests", headers)
        if kind == "expired_token":
            return error(401, "The access token was revoked")
        if kind == "duplicate":
            raise ValueError(
                "Mastodon refuses no repeated text: a retried create carries its Idempotency-Key instead"
            )
        return super().fault(kind, reset_in_s=reset_in_s)

    def rate_headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(RATE_LIMIT),
            "X-RateLimit-Remaining": str(RATE_LIMIT - 1),
            "X-RateLimit-Reset": iso(self.core.now() + RATE_WINDOW_S),
        }

    # -- entities ---------------------------------------------------------------------------------

    def authorized(self, request: Request) -> bool:
        return request.headers.get("authorization", "") == f"Bearer {self.credentials['access_token']}"

    def account(self, host: str) -> dict[str, Any]:
        mine = [item for item in self.core.published_on(self.name) if item["account"].endswith("@" + host)]
        return {
            "id": ACCOUNT_ID,
            "username": USERNAME,
            "acct": USERNAME,
            "display_name": "ECPAT France (sandbox)",
            "locked": False,
            "bot": False,
            "discoverable": True,
            "group": False,
            "created_at": "2022-11-14T00:00:00.000Z",
            "note": "<p>Compte de démonstration de la campagne Click@ble.</p>",
            "url": f"https://{host}/@{USERNAME}",
            "uri": f"https://{host}/users/{USERNAME}",
            "avatar": f"https://{host}/avatars/original/missing.png",
            "avatar_static": f"https://{host}/avatars/original/missing.png",
            "header": f"https://{host}/headers/original/missing.png",
            "header_static": f"https://{host}/headers/original/missing.png",
            "followers_count": 1200,
            "following_count": 80,
            "statuses_count": len(mine),
            "last_status_at": mine[0]["created_at"][:10] if mine else None,
            "emojis": [],
            "fields": [],
        }

    def media_entity(self, media_id: str, host: str) -> dict[str, Any]:
        item = self.core.objects[f"media:{media_id}"]
        upload = self.core.uploads[media_id]
        ready = upload.state == "succeeded"
        base = f"https://files.{host}/media_attachments/files/{media_id}"
        return {
            "id": media_id,
            "type": "video",
            "url": f"{base}/original/video.mp4" if ready else None,
            "preview_url": f"{base}/small/video.png",
            "remote_url": None,
            "meta": {"original": {"width": 1080, "height": 1920}} if ready else None,
            "description": item.get("description"),
            "blurhash": None,
        }

    def status_entity(self, status_id: str) -> dict[str, Any]:
        item = self.core.objects[status_id]
        host = item["host"]
        numbers = self.core.engagement(status_id)
        return {
            "id": status_id,
            "uri": f"https://{host}/users/{USERNAME}/statuses/{status_id}",
            "url": f"https://{host}/@{USERNAME}/{status_id}",
            "created_at": iso(item["created"]),
            "account": self.account(host),
            "content": status_html(item["text"]),
            "visibility": item["visibility"],
            "sensitive": item["sensitive"],
            "spoiler_text": item["spoiler_text"],
            "language": item["language"],
            "media_attachments": [item["media_entities"][media_id] for media_id in item["media"]],
            "mentions": [],
            "tags": [],
            "emojis": [],
            "reblogs_count": numbers["shares"],
            "favourites_count": numbers["likes"],
            "replies_count": numbers["comments"],
            "in_reply_to_id": None,
            "in_reply_to_account_id": None,
            "reblog": None,
            "poll": None,
            "card": None,
            "edited_at": None,
            "quote": None,
            "application": {"name": "clickable", "website": None},
        }

    # -- routes -----------------------------------------------------------------------------------

    def instance(self, request: Request) -> Reply:
        host = request.hostname
        limits = self.limits(host)
        return Reply(
            200,
            {
                "domain": host,
                "title": "Mastodon (clickable sandbox)",
                "version": "4.4.0",
                "source_url": "https://github.com/mastodon/mastodon",
                "description": "Un serveur Mastodon imité par l'émulateur de clickable.",
                "usage": {"users": {"active_month": 4200}},
                "thumbnail": {"url": f"https://{host}/packs/media/images/preview.png"},
                "icon": [{"src": f"https://{host}/packs/android-chrome-36x36.png", "size": "36x36"}],
                "languages": ["fr"],
                "configuration": {
                    "urls": {"streaming": f"wss://{host}", "status": None},
                    "vapid": {"public_key": "BCk-sandbox"},
                    "accounts": {"max_featured_tags": 10, "max_pinned_statuses": 5},
                    "statuses": {
                        "max_characters": limits.max_characters,
                        "max_media_attachments": limits.max_media_attachments,
                        "characters_reserved_per_url": limits.characters_reserved_per_url,
                    },
                    "media_attachments": {
                        "supported_mime_types": ["image/jpeg", "image/png", "video/mp4", "video/webm"],
                        "description_limit": limits.description_limit,
                        "image_size_limit": 16_777_216,
                        "image_matrix_limit": 33_177_600,
                        "video_size_limit": limits.video_size_limit,
                        "video_frame_rate_limit": 120,
                        "video_matrix_limit": limits.video_matrix_limit,
                    },
                    "polls": {
                        "max_options": 4,
                        "max_characters_per_option": 50,
                        "min_expiration": 300,
                        "max_expiration": 2_629_746,
                    },
                    "translation": {"enabled": False},
                },
                "registrations": {"enabled": False, "approval_required": True, "message": None},
                "api_versions": {"mastodon": 5},
                "contact": {"email": f"admin@{host}", "account": None},
                "rules": [{"id": "1", "text": "Pas de spam."}],
            },
            self.rate_headers(),
        )

    def verify_credentials(self, request: Request) -> Reply:
        if not self.authorized(request):
            return error(401, "The access token is invalid")
        account = self.account(request.hostname)
        account["source"] = {
            "note": "Compte de démonstration de la campagne Click@ble.",
            "fields": [],
            "privacy": "public",
            "sensitive": False,
            "language": "fr",
            "follow_requests_count": 0,
        }
        return Reply(200, account, self.rate_headers())

    def create_status(self, request: Request) -> Reply:
        if not self.authorized(request):
            return error(401, "The access token is invalid")
        host = request.hostname
        form = self.document(request)["form"]
        key = request.headers.get("idempotency-key")
        with self.core.lock:
            record = next(
                (
                    item
                    for item in reversed(self.creates)
                    if item["host"] == host and item["idempotency_key"] == key and item["replayed"] is None
                ),
                None,
            )
            seen = self.idempotency.get((host, key)) if key else None
            if seen is not None and self.core.now() - seen.at < IDEMPOTENCY_WINDOW_S:
                if record is not None:
                    record.update(replayed=True, status=seen.status_id)
                if seen.status_id not in self.core.objects:
                    return error(404, "Record not found")  # the status it made was deleted since
                return Reply(200, self.status_entity(seen.status_id), self.rate_headers())
            text = str(form.get("status", ""))
            limits = self.limits(host)
            if len(text) and not measure(text, limits.max_characters, limits.characters_reserved_per_url).ok:
                return error(
                    422, f"Validation failed: Text character limit of {limits.max_characters} exceeded"
                )
            media_ids = [str(item) for item in form.get("media_ids[]", [])]
            if len(media_ids) > limits.max_media_attachments:
                return error(
                    422, f"Validation failed: Media attachments limit of {limits.max_media_attachments}"
                )
            entities = {}
            for media_id in media_ids:
                item = self.core.objects.get(f"media:{media_id}")
                if item is None or item["host"] != host or item.get("status"):
                    return error(422, "Validation failed: Media attachment not found")
                if self.core.uploads[media_id].state != "succeeded":
                    return error(422, NOT_READY)
                entities[media_id] = self.media_entity(media_id, host)
            status_id = self.core.next_id()
            self.core.record(self.name, f"{USERNAME}@{host}", status_id, text, media_ids)
            self.core.objects[status_id].update(
                network=self.name,
                host=host,
                text=text,
                media=media_ids,
                media_entities=entities,
                visibility=form.get("visibility", "public"),
                sensitive=form.get("sensitive") in ("1", "true"),
                spoiler_text=form.get("spoiler_text", ""),
                language=form.get("language"),
            )
            for media_id in media_ids:
                self.core.objects[f"media:{media_id}"]["status"] = status_id
            if key:
                self.idempotency[(host, key)] = Replayed(status_id, self.core.now())
            if record is not None:
                record.update(replayed=False, status=status_id)
            return Reply(200, self.status_entity(status_id), self.rate_headers())

    def get_status(self, request: Request, status: str) -> Reply:
        item = self.core.objects.get(status)
        if item is None or item.get("network") != self.name or item.get("host") != request.hostname:
            return error(404, "Record not found")
        return Reply(200, self.status_entity(status), self.rate_headers())

    def account_statuses(self, request: Request, account: str) -> Reply:
        if account != ACCOUNT_ID:
            return error(404, "Record not found")
        limit = int(request.query.get("limit", "20"))
        host = request.hostname
        mine = [
            item["id"]
            for item in self.core.published_on(self.name)
            if item["account"] == f"{USERNAME}@{host}" and item["id"] in self.core.objects
        ]
        return Reply(200, [self.status_entity(status_id) for status_id in mine[:limit]], self.rate_headers())

    def create_media(self, request: Request) -> Reply:
        if not self.authorized(request):
            return error(401, "The access token is invalid")
        host = request.hostname
        document = self.document(request)
        data = request.multipart().get("file", b"")
        limits = self.limits(host)
        if len(data) > limits.video_size_limit:
            return error(
                422, f"Validation failed: File file size must be less than {limits.video_size_limit} Bytes"
            )
        if not document["files"]["file"]["content_type"].startswith("video/") or data[4:8] != MP4_SIGNATURE:
            return error(422, "Validation failed: File content type is invalid, File is invalid")
        description = document["form"].get("description")
        if description is not None and len(description) > limits.description_limit:
            return error(
                422,
                f"Validation failed: Description is too long (maximum is {limits.description_limit} characters)",
            )
        media_id = self.core.next_id()
        with self.core.lock:
            self.core.uploads[media_id] = Upload(total=len(data), data=bytearray(data), finalized=True)
            self.core.objects[f"media:{media_id}"] = {"host": host, "description": description}
        # a video is processed in the background: 202, its url null until GET /api/v1/media/:id says 200
        return Reply(202, self.media_entity(media_id, host), self.rate_headers())

    def get_media(self, request: Request, media: str) -> Reply:
        if not self.authorized(request):
            return error(401, "The access token is invalid")
        item = self.core.objects.get(f"media:{media}")
        if item is None or item["host"] != request.hostname or item.get("status"):
            return error(404, "Record not found")  # "not owned by you or does not exist" (or attached)
        upload = self.core.uploads[media]
        upload.polls += 1
        if upload.state == "failed":
            return error(422, "Error processing thumbnail for uploaded media")
        status = 200 if upload.state == "succeeded" else 206
        return Reply(status, self.media_entity(media, request.hostname), self.rate_headers())
