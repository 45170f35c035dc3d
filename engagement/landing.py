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
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from campaign.db import Database
from campaign.schema import CampaignFile, ChannelSpec
from campaign.timezones import load_zone
from engagement.counting import Counters
from engagement.hours import opening
from engagement.links import LinksBusy, Target, TrackedLinks

log = logging.getLogger("clickable.landing")
CHANNEL = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
FLUSH_EVERY_S = 1.0
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
# A number in a channel's text: digits, or groups of digits written with single spaces ("05 44 44");
# not a time of day ("10:30", "9 h", "18 h 15", "24 h/24") nor part of a fraction.
NUMBER_IN_TEXT = re.compile(r"(?<![\d:/])(?<!\d[,.])(?<!h )\d+(?: \d+)*(?![\d:/]|[,.]\d| ?h\b)")
# Which of those are phone numbers: French short numbers (15…199, 116 000, 3018), numbers of 6 to 10
# digits written in pairs (05 44 44, 40 46 59 17, 01 23 45 67 89) or 10 digits in one piece.
PHONE_NUMBER = re.compile(r"^(?:1\d{1,2}|116 ?\d{3}|3\d{3}|\d{2}(?: \d{2}){2,4}|0\d{9})$")
Headers = list[tuple[bytes, bytes]]
Answer = tuple[Message, Message]


def digits_of(number: str) -> str:
    return re.sub(r"[^0-9+]", "", number)


def is_phone_number(text: str) -> bool:
    """Whether ``text`` (one match of NUMBER_IN_TEXT) reads as a phone number."""
    return bool(PHONE_NUMBER.match(text))


@dataclass(frozen=True)
class Dial:
    """A number the visitor can call or text from the page: its link, and the click it counts."""

    digits: str
    href: str  # tel:… or sms:…
    count: str  # /go/<channel>…

    @staticmethod
    def of_channel(channel: dict[str, Any]) -> list[Dial]:
        dials = []
        if channel["phone_digits"]:
            dials.append(Dial(channel["phone_digits"], f"tel:{channel['phone_digits']}", channel["go"]))
        if channel["sms_digits"]:
            dials.append(Dial(channel["sms_digits"], f"sms:{channel['sms_digits']}", channel["go"]))
        return dials


def text_with_dials(text: str, dials: dict[str, Dial]) -> list[tuple[str, Dial | None]]:
    """``text`` cut into pieces; each number that is one of ``dials`` becomes its link."""
    pieces: list[tuple[str, Dial | None]] = []
    last = 0
    for match in NUMBER_IN_TEXT.finditer(text):
        dial = dials.get(digits_of(match.group()))
        if dial is None:
            continue
        if match.start() > last:
            pieces.append((text[last : match.start()], None))
        pieces.append((match.group(), dial))
        last = match.end()
    if last < len(text):
        pieces.append((text[last:], None))
    return pieces


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


HTML = (b"content-type", b"text/html; charset=utf-8")
TEXT = (b"content-type", b"text/plain; charset=utf-8")


class LandingSite:
    """The landing page of one campaign.

    With ``server_headers`` the server in front adds SECURITY_HEADERS to every answer, its own error
    answers included (``clickable landing serve``: see engagement/serving.py), and the application
    adds none itself; otherwise (tests, any other ASGI server) the application adds them.
    """

    def __init__(
        self,
        campaign: CampaignFile,
        database: Database,
        *,
        clock: Callable[[], datetime] | None = None,
        server_headers: bool = False,
        links: Callable[..., TrackedLinks] = TrackedLinks,
    ) -> None:
        self.campaign = campaign
        self.database = database
        self.clock = clock or (lambda: datetime.now(UTC))
        self.server_headers = server_headers
        self.counters = Counters(
            database,
            campaign.campaign.id,
            {key: ZoneInfo(territory.timezone) for key, territory in campaign.territories.items()},
        )
        # /r/<code> answers, built once per code: (302 start, body, territory of the code)
        self.redirects: dict[str, tuple[Message, Message, str]] = {}
        self.links = links(database, campaign.campaign.id, on_found=self._add_redirect)
        templates = Path(str(resources.files("templates")))
        self.environment = Environment(
            loader=FileSystemLoader(str(templates)), autoescape=select_autoescape(["html"])
        )
        self.static = templates / "landing" / "static"
        self.wrong_method = self._answer(405, [(b"allow", b"GET, HEAD"), TEXT])
        # an unknown or not yet verifiable code still leads somewhere useful: the choice of territory
        self.unknown_link = self._answer(
            404, [HTML], self._index_html(notice="Ce lien n'existe pas ou plus.").encode("utf-8")
        )
        self.busy = self._answer(
            503,
            [HTML, (b"retry-after", b"1")],
            self._index_html(notice="Le site est très demandé : ce lien n'a pas pu être vérifié.").encode(
                "utf-8"
            ),
        )
        # an answer that cannot fail, for when something else did: the choice of territory again
        self.failed_html = self._index_html(
            notice="Une erreur s'est produite : cette page n'a pas pu être affichée."
        )
        self.failed = self._answer(500, [HTML], self.failed_html.encode("utf-8"))

    def _answer(self, status: int, headers: Headers, body: bytes = b"") -> Answer:
        """The two ASGI messages of a complete answer, built once and sent as often as needed."""
        security = [] if self.server_headers else RAW_SECURITY_HEADERS
        start = {
            "type": "http.response.start",
            "status": status,
            "headers": [*headers, (b"content-length", str(len(body)).encode()), *security],
        }
        return start, {"type": "http.response.body", "body": body}

    def _add_redirect(self, target: Target) -> None:
        start, body = self._answer(302, [(b"location", self.destination(target).encode("ascii"))])
        self.redirects[target.code] = (start, body, target.territory)

    @property
    def targets(self) -> dict[str, Target]:
        return self.links.known

    def load_targets(self) -> None:
        """Read every tracked link of the campaign (the page does it as it starts)."""
        self.links.load_all()

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

    async def target(self, code: str) -> Target | None:
        """The link behind ``code``; None when there is none or it cannot be looked up right now."""
        try:
            return await self.links.find(code)
        except LinksBusy:
            return None

    # -- pages -----------------------------------------------------------------------------------

    def render(self, template: str, status: int = 200, **values: Any) -> HTMLResponse:
        return HTMLResponse(self._html(template, **values), status_code=status)

    def _html(self, template: str, **values: Any) -> str:
        return self.environment.get_template(template).render(
            neutral_url=self.campaign.landing.neutral_url, **values
        )

    def _index_values(self, notice: str | None = None) -> dict[str, Any]:
        """The choice of territory, with what to do in danger now where it is valid everywhere."""
        return {
            "notice": notice,
            "urgent": [
                channel
                for channel in self.channels_for(None, None)
                if channel["kind"] == "urgent" and "child" in channel["audiences"]
            ],
            "territories": [
                {"key": key, "name": spec.name} for key, spec in self.campaign.territories.items()
            ],
        }

    def _index_html(self, notice: str | None = None) -> str:
        return self._html("landing/index.html", **self._index_values(notice))

    async def index(self, request: Request) -> Response:
        return self.render("landing/index.html", **self._index_values())

    def listed(self, channel: ChannelSpec, territory: str | None) -> bool:
        """Whether the campaign offers ``channel`` in ``territory`` (None: in every territory)."""
        if channel.territories is None or "*" in channel.territories:
            return True
        if territory is None:
            return set(self.campaign.territories) <= set(channel.territories)
        return territory in channel.territories

    def channels_for(self, territory: str | None, code: str | None) -> list[dict[str, Any]]:
        """The channels shown on a territory's page (None: those valid in every territory)."""
        zone = self.campaign.territories[territory].timezone if territory else None
        now = self.clock()
        result: list[dict[str, Any]] = []
        for key, channel in self.campaign.landing.channels.items():
            if not self.listed(channel, territory):
                continue
            hours = opening(channel.hours, zone or "Europe/Paris", now)
            query = {"from": code} if code else {"t": territory} if territory else {}
            go = f"/go/{key}" + (f"?{urlencode(query)}" if query else "")
            result.append(
                {
                    "key": key,
                    "name": channel.name,
                    "description": channel.description,
                    "url": channel.url,
                    "phone": channel.phone,
                    "phone_digits": digits_of(channel.phone or ""),
                    "sms": channel.sms,
                    "sms_digits": digits_of(channel.sms or ""),
                    "always": hours.always,
                    "open_now": hours.open_now,
                    "hours": hours.text,
                    "go": go,
                    "kind": _kind(channel),
                    "audiences": channel.audiences or ["child", "parent", "pro"],
                }
            )
        dials: dict[str, Dial] = {}
        for shown in result:
            shown["dials"] = Dial.of_channel(shown)
            for dial in shown["dials"]:
                dials.setdefault(dial.digits, dial)
        for shown in result:
            own = {dial.digits for dial in shown["dials"]}  # its own buttons are just below
            others = {digits: dial for digits, dial in dials.items() if digits not in own}
            shown["description_parts"] = text_with_dials(shown["description"] or "", others)
        return result

    async def territory(self, request: Request) -> Response:
        key = request.path_params["territory"]
        if key not in self.campaign.territories:
            return self.render("landing/index.html", status=404, **self._index_values())
        ref = request.query_params.get("ref")
        code = (
            ref
            if ref and (target := await self.target(ref)) is not None and target.territory in (key, "")
            else None
        )
        channels = self.channels_for(key, code)
        zone = self.campaign.territories[key].timezone
        cards = [c for c in channels if "child" in c["audiences"]]  # the page speaks to children first
        urgent = [c for c in cards if c["kind"] == "urgent"]
        return self.render(
            "landing/territory.html",
            territory={"key": key, "name": self.campaign.territories[key].name},
            local_time=f"{self.clock().astimezone(load_zone(zone)):%H:%M}",
            urgent=urgent,
            urgent_calls=[dial for c in urgent if c["phone_digits"] for dial in c["dials"][:1]],
            talk=[c for c in cards if c["kind"] == "talk"],
            report=[c for c in cards if c["kind"] == "report"],
            adults=[  # the lines for a child in danger, and what the campaign lists for adults only
                c
                for c in channels
                if {"parent", "pro"} & set(c["audiences"])
                and c["kind"] != "urgent"
                and ((c["kind"] == "talk" and c["phone_digits"] != "3018") or "child" not in c["audiences"])
            ],
        )

    async def tracked(self, scope: Scope, send: Send) -> None:
        """``/r/<code>``: count a visit and redirect, answered from memory (the hot path after a viral post)."""
        method = scope["method"]
        try:
            if method != "GET" and method != "HEAD":
                answer: Answer = self.wrong_method
            else:
                code = scope["path"][3:]
                known = self.redirects.get(code)
                if known is None:
                    answer = await self._new_code(code, method, scope["headers"])
                else:
                    answer = known[0], known[1]
                    if not not_counted(method, scope["headers"]):
                        self.counters.count(code=code, territory=known[2], event="visit", now=self.clock())
        except Exception:  # a server's own 500 need not carry the headers: this one does
            await send(self.failed[0])
            await send(self.failed[1])
            raise  # for the server's log
        await send(answer[0])
        await send(answer[1])

    async def _new_code(self, code: str, method: str, headers: Headers) -> Answer:
        """A code not in memory: looked up (bounded, off the event loop), then answered like the others."""
        try:
            target = await self.links.find(code)
        except LinksBusy:
            return self.busy
        known = self.redirects.get(code) if target is not None else None
        if known is None:
            return self.unknown_link
        if not not_counted(method, headers):
            self.counters.count(code=code, territory=known[2], event="visit", now=self.clock())
        return known[0], known[1]

    async def go(self, request: Request) -> Response:
        """Count a channel click and redirect to that channel only: anything else is a 404."""
        key = request.path_params["channel"]
        channel = self.campaign.landing.channels.get(key) if CHANNEL.match(key) else None
        if channel is None:
            return PlainTextResponse("Inconnu.", status_code=404)
        code = request.query_params.get("from", "")
        target = await self.target(code) if code else None
        territory = target.territory if target else request.query_params.get("t", "")
        if territory not in self.campaign.territories:
            territory = ""
        if territory and not self.listed(channel, territory):
            return PlainTextResponse("Inconnu.", status_code=404)  # never offered there
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
            f"tel:{digits_of(channel.phone)}" if channel.phone else f"sms:{digits_of(channel.sms or '')}"
        )
        return RedirectResponse(destination, status_code=302)

    def unlinked_numbers(self) -> list[UnlinkedNumber]:
        """Phone numbers a channel's text shows where no channel of that page calls or texts them."""
        found = []
        for territory in self.campaign.territories:
            for channel in self.channels_for(territory, None):
                if "child" not in channel["audiences"]:
                    continue  # no card, so its text is not shown
                own = {dial.digits for dial in channel["dials"]}
                for text, dial in channel["description_parts"]:
                    if dial is not None:
                        continue
                    for match in NUMBER_IN_TEXT.finditer(text):
                        if is_phone_number(match.group()) and digits_of(match.group()) not in own:
                            found.append(UnlinkedNumber(territory, channel["key"], match.group()))
        return found

    # -- application -----------------------------------------------------------------------------

    async def _failure(self, _request: Request, _error: Exception) -> Response:
        """Starlette's answer when a page fails (the error is still raised, for the server's log)."""
        return HTMLResponse(self.failed_html, status_code=500)

    @contextlib.asynccontextmanager
    async def lifespan(self, _app: Starlette) -> AsyncIterator[None]:
        await asyncio.to_thread(self.links.load_all)  # before the first request is served
        task = asyncio.create_task(self._flush_forever())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await self.links.close()
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
        pages = Starlette(
            routes=routes, lifespan=self.lifespan, exception_handlers={Exception: self._failure}
        )
        pages.router.redirect_slashes = False  # no redirect is ever built from a requested path
        # outside Starlette's own error handling, so that its 500 answers carry the headers too
        guarded = SecurityHeaders(pages, add=not self.server_headers)

        async def application(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "http" and scope["path"].startswith("/r/"):
                await self.tracked(scope, send)
            else:
                await guarded(scope, receive, send)

        return application


@dataclass(frozen=True)
class UnlinkedNumber:
    territory: str
    channel: str
    number: str


class SecurityHeaders:
    """Strict headers on every answer (pages, redirects, static files, errors); never a cookie.

    With ``add=False`` the server adds them (and only it: the same names set by the application
    are removed, so that no header is sent twice).
    """

    def __init__(self, app: ASGIApp, *, add: bool = True) -> None:
        self.app = app
        self.add = add

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    if self.add:
                        headers[name] = value
                    elif name in headers:
                        del headers[name]
                if "set-cookie" in headers:
                    del headers["set-cookie"]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _kind(channel: ChannelSpec) -> str:
    phone = digits_of(channel.phone or "")
    if channel.sms or phone in URGENT_NUMBERS:
        return "urgent"
    if phone:
        return "talk"
    return "report"


def app_from_environment(*, server_headers: bool = False) -> ASGIApp:
    """An app built from the settings (CLICKABLE_HOME, CLICKABLE_DATABASE_URL): for uvicorn's workers.

    Each worker process counts in its own memory and adds its counts to the same daily rows.
    """
    from campaign.checks import check_file
    from campaign.errors import CampaignFileError
    from campaign.settings import Settings
    from networks.registry import registry

    settings = Settings()
    report = check_file(settings.campaign_file(), networks=registry())
    if report.campaign is None:
        raise CampaignFileError(report.problems)
    database = Database(settings.resolved_database_url())
    database.ensure_schema()
    return LandingSite(report.campaign, database, server_headers=server_headers).app()


def app_for_landing_serve() -> ASGIApp:
    """The app of each ``landing serve --workers N`` process: its server adds the security headers."""
    return app_from_environment(server_headers=True)
