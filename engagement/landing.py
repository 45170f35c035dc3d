"""The "report it" landing page: a page per territory, tracked links, channel clicks. No visitor data."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlmodel import Session, col, select
from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from campaign.db import Database
from campaign.models import Link, Post, Territory
from campaign.schema import CampaignFile, ChannelSpec
from campaign.timezones import load_zone
from engagement.counting import Counters
from engagement.hours import opening

log = logging.getLogger("clickable.landing")
CODE = re.compile(r"^[a-z0-9]{4,16}$")
CHANNEL = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
FLUSH_EVERY_S = 1.0
RELOAD_AFTER_S = 1.0  # an unknown code reloads the links at most this often (random codes are cheap)
BOT = re.compile(
    rb"bot|crawl|spider|slurp|preview|facebookexternalhit|embedly|whatsapp|telegram|discord|skype|headless|curl/|wget/|python-requests|httpx"
)  # matched against the lower-cased user agent: four times faster than re.IGNORECASE
OPT_OUT_HEADERS = (b"dnt", b"sec-gpc")
PURPOSE_HEADERS = (b"sec-purpose", b"purpose", b"x-moz")
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self'; style-src 'self'; script-src 'self'; connect-src 'self'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "Permissions-Policy": "geolocation=(), camera=(), microphone=(), interest-cohort=()",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}
RAW_SECURITY_HEADERS = [(name.lower().encode(), value.encode()) for name, value in SECURITY_HEADERS.items()]
URGENT_NUMBERS = {"17", "112", "15", "18"}
Headers = list[tuple[bytes, bytes]]


@dataclass(frozen=True)
class Target:
    """Where a tracked code leads: its territory, network and post (loaded from the database)."""

    code: str
    territory: str
    network: str
    post: str


def _digits(number: str) -> str:
    return re.sub(r"[^0-9+]", "", number)


def not_counted(method: str, headers: Headers) -> bool:
    """Bots, link previews and prefetches are not visits; Do-Not-Track and GPC opt out of counting.

    ``headers`` are the request's raw ASGI headers: the user agent is read in memory for this
    decision only, never stored.
    """
    if method == "HEAD":
        return True
    for name, value in headers:
        if name == b"user-agent":
            if BOT.search(value.lower()):
                return True
        elif name in OPT_OUT_HEADERS:
            if value.strip() == b"1":
                return True
        elif name in PURPOSE_HEADERS:
            purpose = value.lower()
            if b"prefetch" in purpose or b"prerender" in purpose:
                return True
    return False


def _answer(status: int, headers: Headers, body: bytes = b"") -> tuple[Message, Message]:
    """The two ASGI messages of a complete answer, built once and sent as often as needed."""
    start = {
        "type": "http.response.start",
        "status": status,
        "headers": [*headers, (b"content-length", str(len(body)).encode()), *RAW_SECURITY_HEADERS],
    }
    return start, {"type": "http.response.body", "body": body}


UNKNOWN_LINK = _answer(
    404, [(b"content-type", b"text/plain; charset=utf-8")], b"Lien inconnu. Page d'accueil : /"
)
WRONG_METHOD = _answer(405, [(b"allow", b"GET, HEAD"), (b"content-type", b"text/plain; charset=utf-8")])


class LandingSite:
    def __init__(
        self, campaign: CampaignFile, database: Database, *, clock: Callable[[], datetime] | None = None
    ) -> None:
        self.campaign = campaign
        self.database = database
        self.clock = clock or (lambda: datetime.now(UTC))
        self.counters = Counters(database, campaign.campaign.id)
        self.targets: dict[str, Target] = {}
        self.redirects: dict[str, tuple[Message, Message]] = {}
        self.loaded_at: datetime | None = None
        templates = Path(str(resources.files("templates")))
        self.environment = Environment(
            loader=FileSystemLoader(str(templates)), autoescape=select_autoescape(["html"])
        )
        self.static = templates / "landing" / "static"

    def load_targets(self) -> None:
        self.loaded_at = self.clock()
        with Session(self.database.engine) as session:
            rows = session.exec(
                select(Link, Territory, Post)
                .outerjoin(Territory, col(Territory.id) == Link.territory_id)
                .outerjoin(Post, col(Post.id) == Link.post_id)
                .where(Link.campaign_id == self.campaign.campaign.id)
            ).all()
        for link, territory, post in rows:
            target = Target(
                link.code,
                territory.key if territory else "",
                link.network,
                post.key if post else (link.capsule_key or ""),
            )
            self.targets[link.code] = target
            self.redirects[link.code] = _answer(
                302, [(b"location", self.destination(target).encode("ascii"))]
            )

    def destination(self, target: Target) -> str:
        """Where ``/r/<code>`` leads: its territory page, with UTM parameters when the campaign wants them."""
        page = f"/t/{target.territory}" if target.territory else "/"
        query = {"ref": target.code}
        if self.campaign.campaign.utm:
            query = {
                "utm_source": target.network,
                "utm_medium": "social",
                "utm_campaign": self.campaign.campaign.id,
                "utm_content": target.post,
                **query,
            }
        return f"{page}?{urlencode(query)}"

    def target(self, code: str) -> Target | None:
        """The link behind ``code``. An unknown code reloads the links (created since the last load),
        at most once every RELOAD_AFTER_S: a flood of made-up codes costs no more than that."""
        if not CODE.match(code):
            return None
        found = self.targets.get(code)
        if found is None and (
            self.loaded_at is None or (self.clock() - self.loaded_at).total_seconds() >= RELOAD_AFTER_S
        ):
            self.load_targets()
            found = self.targets.get(code)
        return found

    # -- pages -----------------------------------------------------------------------------------

    def render(self, template: str, status: int = 200, **values: Any) -> HTMLResponse:
        body = self.environment.get_template(template).render(
            neutral_url=self.campaign.landing.neutral_url, **values
        )
        return HTMLResponse(body, status_code=status)

    async def index(self, request: Request) -> Response:
        territories = [{"key": key, "name": spec.name} for key, spec in self.campaign.territories.items()]
        return self.render("landing/index.html", territories=territories)

    def channels_for(self, territory: str, code: str | None) -> list[dict[str, Any]]:
        zone = self.campaign.territories[territory].timezone
        now = self.clock()
        result = []
        for key, channel in self.campaign.landing.channels.items():
            if (
                channel.territories is not None
                and "*" not in channel.territories
                and territory not in channel.territories
            ):
                continue
            hours = opening(channel.hours, zone, now)
            go = f"/go/{key}" + (
                f"?{urlencode({'from': code})}" if code else f"?{urlencode({'t': territory})}"
            )
            result.append(
                {
                    "key": key,
                    "name": channel.name,
                    "description": channel.description,
                    "url": channel.url,
                    "phone": channel.phone,
                    "phone_digits": _digits(channel.phone or ""),
                    "sms": channel.sms,
                    "sms_digits": _digits(channel.sms or ""),
                    "always": hours.always,
                    "open_now": hours.open_now,
                    "hours": hours.text,
                    "go": go,
                    "kind": _kind(channel),
                }
            )
        return result

    async def territory(self, request: Request) -> Response:
        key = request.path_params["territory"]
        if key not in self.campaign.territories:
            return self.render(
                "landing/index.html",
                status=404,
                territories=[{"key": k, "name": s.name} for k, s in self.campaign.territories.items()],
            )
        ref = request.query_params.get("ref")
        code = (
            ref
            if ref and (target := self.target(ref)) is not None and target.territory in (key, "")
            else None
        )
        channels = self.channels_for(key, code)
        zone = self.campaign.territories[key].timezone
        return self.render(
            "landing/territory.html",
            territory={"key": key, "name": self.campaign.territories[key].name},
            local_time=f"{self.clock().astimezone(load_zone(zone)):%H:%M}",
            urgent=[c for c in channels if c["kind"] == "urgent"],
            talk=[c for c in channels if c["kind"] == "talk"],
            report=[c for c in channels if c["kind"] == "report"],
            adults=[
                c
                for c in channels
                if c["kind"] == "talk" and (c["phone"] or "").replace(" ", "") not in ("3018",)
            ],
        )

    async def tracked(self, scope: Scope, send: Send) -> None:
        """``/r/<code>``: count a visit and redirect, answered from memory (the hot path after a viral post)."""
        method = scope["method"]
        if method != "GET" and method != "HEAD":
            answer = WRONG_METHOD
        else:
            code = scope["path"][3:]
            answer = self.redirects.get(code) or (
                self.redirects[code] if self.target(code) is not None else UNKNOWN_LINK
            )
            if answer is not UNKNOWN_LINK and not not_counted(method, scope["headers"]):
                self.counters.count(
                    code=code, territory=self.targets[code].territory, event="visit", now=self.clock()
                )
        await send(answer[0])
        await send(answer[1])

    async def go(self, request: Request) -> Response:
        """Count a channel click and redirect to that channel only: anything else is a 404."""
        key = request.path_params["channel"]
        channel = self.campaign.landing.channels.get(key) if CHANNEL.match(key) else None
        if channel is None:
            return PlainTextResponse("Inconnu.", status_code=404)
        code = request.query_params.get("from", "")
        target = self.target(code) if code else None
        territory = target.territory if target else request.query_params.get("t", "")
        if territory not in self.campaign.territories and territory != "":
            territory = ""
        if not not_counted(request.method, request.scope["headers"]):
            self.counters.count(
                code=target.code if target else "",
                territory=territory,
                event=f"click:{key}",
                now=self.clock(),
            )
        if request.method == "POST":  # a beacon from a tel:/sms: button: counted, nothing to follow
            return Response(status_code=204)
        destination = channel.url or (
            f"tel:{_digits(channel.phone)}" if channel.phone else f"sms:{_digits(channel.sms or '')}"
        )
        return RedirectResponse(destination, status_code=302)

    # -- application -----------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def lifespan(self, _app: Starlette) -> AsyncIterator[None]:
        self.load_targets()
        task = asyncio.create_task(self._flush_forever())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await self._last_flush()

    async def _last_flush(self, attempts: int = 5) -> None:
        """The counts still in memory are written before the process ends (a busy database is retried)."""
        for attempt in range(1, attempts + 1):
            try:
                await asyncio.to_thread(self.counters.flush)
                return
            except Exception as error:
                if attempt == attempts:
                    left = sum(self.counters.pending.values())
                    log.error(
                        "%d counts could not be written as the page stopped: %s", left, type(error).__name__
                    )
                    raise
                await asyncio.sleep(0.2 * attempt)

    async def _flush_forever(self) -> None:
        while True:
            await asyncio.sleep(FLUSH_EVERY_S)
            try:
                await asyncio.to_thread(self.counters.flush)
            except Exception as error:  # counts stay pending; the next round writes them
                log.warning("counts not written yet (%s): trying again", type(error).__name__)

    def app(self) -> ASGIApp:
        """The ASGI application: ``/r/<code>`` straight from memory, every other path through Starlette."""
        routes = [
            Route("/", self.index),
            Route("/t/{territory}", self.territory),
            Route("/go/{channel}", self.go, methods=["GET", "HEAD", "POST"]),
            Mount("/static", StaticFiles(directory=str(self.static)), name="static"),
        ]
        pages = Starlette(routes=routes, lifespan=self.lifespan, middleware=[Middleware(SecurityHeaders)])
        pages.router.redirect_slashes = False  # no redirect is ever built from a requested path

        async def application(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "http" and scope["path"].startswith("/r/"):
                await self.tracked(scope, send)
            else:
                await pages(scope, receive, send)

        return application


class SecurityHeaders:
    """Strict headers on every answer (pages, redirects, static files, errors); never a cookie."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers[name] = value
                if "set-cookie" in headers:
                    del headers["set-cookie"]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _kind(channel: ChannelSpec) -> str:
    phone = _digits(channel.phone or "")
    if channel.sms or phone in URGENT_NUMBERS:
        return "urgent"
    if phone:
        return "talk"
    return "report"


def app_from_environment() -> ASGIApp:
    """An app built from the settings (CLICKABLE_HOME, CLICKABLE_DATABASE_URL): for uvicorn's workers.

    Each worker process counts in its own memory and adds its counts to the same daily rows.
    """
    from campaign.checks import check_file
    from campaign.errors import CampaignFileError
    from campaign.settings import Settings

    settings = Settings()
    report = check_file(settings.campaign_file())
    if report.campaign is None:
        raise CampaignFileError(report.problems)
    database = Database(settings.resolved_database_url())
    database.ensure_schema()
    return LandingSite(report.campaign, database).app()
