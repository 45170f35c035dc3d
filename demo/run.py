"""`clickable demo`: the whole chain on a laptop, with no credentials, in about a minute (2 cores).

Example campaign → capsules rendered → posts approved and planned → the plan replayed in
fast-forward as if it had run over the past weeks: published to the in-process emulator at each
delivery's own time, visits and reporting clicks through the real landing page over HTTP day
after day, metrics collected at their milestones (1 h, 24 h, 72 h, 7 days) → preview.html (each
post as each network shows it, looked at before approving), report.html (with trends and
targets), report.pdf, stats.csv and plan.ics.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import requests
import uvicorn
from sqlalchemy import update
from sqlmodel import Session, col, select

from campaign.checks import check_file
from campaign.db import Database
from campaign.errors import ClickableError
from campaign.example import write_example
from campaign.i18n import _
from campaign.models import Account, Delivery, DeliveryState, Link, PostStatus
from campaign.store import approve_post, get_campaign, load_campaign
from capsules.check import check_script
from capsules.render import render_capsule
from capsules.selection import CampaignContext
from capsules.store import capsule_link, record_render
from engagement.collect import MILESTONES, collect
from engagement.landing import LandingSite
from engagement.pdf import render_pdf
from engagement.preview import posts_to_preview, write_preview
from engagement.report import build_report_model, render_html
from engagement.stats import aggregate, channel_totals, to_csv
from networks.accounts import AccountRef, build_adapter
from networks.credentials import CredentialStore
from networks.emulator.server import EmulatorServer
from networks.emulator.server import start as start_emulator
from networks.registry import registry
from schedules.dispatch import Dispatcher
from schedules.plan import plan
from schedules.views import calendar_ics, delivery_rows

APPROVER = "Démo (relecture)"
SETTLE = timedelta(days=8)  # the replay ends this long after the last publication: every 7-day reading taken
VISITOR_TICK = timedelta(hours=2)  # visitors arrive in two-hour batches
VISITS_PER_HOUR = 0.2  # a post's visitors per hour just after it is published (then fewer, day after day)
VISITS_HALF_LIFE_H = 24.0
CLICK_SHARE = 0.45  # visits that go on to a reporting channel
Say = Callable[[str], None]


@dataclass
class SimulatedClock:
    """The demo's time: the campaign's weeks replayed in seconds. The dispatcher, the landing page,
    the collection and the emulator all read it, so every row carries the replayed instant."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now


@dataclass
class DemoResult:
    folder: Path
    published: Counter[str] = field(default_factory=Counter)
    # per network: videos sent to the creator's inbox as drafts (TikTok), not public until finished in the app
    drafts: Counter[str] = field(default_factory=Counter)
    private: Counter[str] = field(default_factory=Counter)  # published, seen by the account only
    failed: int = 0
    visits: int = 0
    clicks: Counter[str] = field(default_factory=Counter)
    files: dict[str, Path] = field(default_factory=dict)
    emulator_url: str = ""
    landing_url: str = ""


class LandingServer:
    def __init__(self, site: LandingSite) -> None:
        self.server = uvicorn.Server(
            uvicorn.Config(site.app(), host="127.0.0.1", port=0, access_log=False, log_level="warning")
        )
        self.thread = threading.Thread(target=self.server.run, name="clickable-landing", daemon=True)

    def start(self) -> str:
        self.thread.start()
        deadline = time.time() + 20
        while not self.server.started:
            if time.time() > deadline:
                raise ClickableError(_("the demo landing page did not start"))
            time.sleep(0.05)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def run_demo(
    folder: Path,
    *,
    say: Say,
    keep_running: Callable[[DemoResult], None] | None = None,
    seed: int = 2026,
    emulator: EmulatorServer | None = None,
) -> DemoResult:
    """Run the chain; with ``emulator`` given, publish there and leave it running (tests read its record)."""
    if (folder / "campaign.yaml").exists():
        raise ClickableError(_("{folder} already holds a campaign: choose another --dir, or remove it").format(folder=folder))
    result = DemoResult(folder)
    own_emulator = emulator is None
    emulator = emulator or start_emulator(seed=seed)
    landing: LandingServer | None = None
    database: Database | None = None
    try:
        result.emulator_url = emulator.url
        say(_("1/5 Example campaign in {folder}").format(folder=folder))
        write_example(folder, today=date.today())
        campaign_file = folder / "campaign.yaml"
        text = campaign_file.read_text("utf-8").replace(
            'base_url: "https://clickable.example.org"', 'base_url: "http://127.0.0.1:9"'
        )
        campaign_file.write_text(text, "utf-8")
        database = Database(f"sqlite:///{folder / 'clickable.db'}")
        database.ensure_schema()
        # the landing page must run before the links are printed in posts and on end cards
        networks = registry()
        report = check_file(campaign_file, networks=networks)
        if report.campaign is None:
            raise ClickableError(_("the example campaign does not check: {problems}").format(problems=report.problems[0]))
        landing_site_campaign = report.campaign
        clock = SimulatedClock(datetime.now(UTC))
        landing = LandingServer(LandingSite(landing_site_campaign, database, clock=clock))
        result.landing_url = landing.start()
        campaign_file.write_text(
            text.replace('base_url: "http://127.0.0.1:9"', f'base_url: "{result.landing_url}"'), "utf-8"
        )
        report = check_file(campaign_file, networks=networks)
        assert report.campaign is not None
        now = datetime.now(UTC)
        with database.session() as session:
            load_campaign(
                session,
                report.campaign,
                source_path=campaign_file.resolve(),
                source_text=campaign_file.read_text("utf-8"),
                lines={},
                now=now,
            )

        # what the example's posts need: each network's preferred format, each territory's language
        say(_("2/5 Rendering the video capsules (what the posts need)"))
        with database.session() as session:
            campaign = get_campaign(session, report.campaign.campaign.id)
        jobs = []
        for key, spec in report.campaign.capsules.items():
            context = CampaignContext.of(campaign_file, report, key, networks)
            checked = check_script(folder / spec.script, networks, context=context)
            if not checked.ok or checked.selection is None:
                raise ClickableError(str(checked.problems[0]))
            with database.session() as session:
                link = capsule_link(session, campaign, key, now=now)
            jobs.append((key, checked, checked.selection.for_posts(), link))
        # two at a time, the longest first: one render keeps about 1.6 cores busy (ffmpeg), two fill
        # the machine; each capsule has its own folder and lock
        jobs.sort(key=lambda job: -_render_work(job[1], len(job[2])))
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="clickable-render") as pool:
            futures = {
                key: pool.submit(
                    render_capsule,
                    checked.loaded,
                    wanted,
                    presets=checked.presets,
                    font=checked.font,
                    out_root=folder / "out",
                    link_url=link,
                )
                for key, checked, wanted, link in jobs
            }
            for key, checked, _wanted, _link in jobs:
                rendered = futures[key].result()
                script = checked.loaded.script
                with database.session() as session:
                    record_render(session, campaign, key, title=script.capsule.title if script else key,
                                  render_hash=rendered.renders[-1].input_hash, outputs=rendered.outputs(), now=now)  # fmt: skip

        say(_("3/5 Preview of each post as each network shows it, then approval and planning in each territory's local time"))
        with database.session() as session:
            posts = posts_to_preview(session, campaign, [])
            write_preview(session, campaign, posts, networks, folder / "preview.html", now=now)
            result.files["preview.html"] = folder / "preview.html"
            for post in posts:  # the approver has looked at preview.html: the approval records it
                if post.status != PostStatus.APPROVED:
                    approve_post(session, campaign, post.key, by=APPROVER, now=now)
            planned = plan(session, campaign, now=now)
        plan_ics = folder / "plan.ics"
        _write_calendar(database, campaign.id, plan_ics)  # the real plan, over the coming days
        result.files["plan.ics"] = plan_ics
        # the plan, moved back by whole days (local times stay) so that it ran over the past weeks
        order = sorted(planned.planned, key=lambda item: item.due_utc)
        shift = timedelta(days=(order[-1].due_utc - now + SETTLE).days + 1) if order else timedelta()
        with database.session() as session:
            for item in order:
                session.execute(
                    update(Delivery)
                    .where(col(Delivery.id) == item.delivery_id)
                    .values(due_utc=item.due_utc - shift)
                )
        dues = [item.due_utc - shift for item in order]

        store = CredentialStore(folder, use_keyring=False)

        def provide(account: AccountRef):  # type: ignore[no-untyped-def]
            return build_adapter(
                account,
                store=store,
                emulator_url=emulator.url,
                sleep=lambda seconds: time.sleep(min(seconds, 0.01)),  # the emulator's processing is simulated
                clock=lambda: clock.now.timestamp(),  # the replay's time (X's 30 days of private metrics)
            )

        days = (now - min(dues)).days + 1 if dues else 0
        say(
            _(
                "4/5 Replaying the campaign's {deliveries} deliveries over its {days} days, fast-forwarded: "
                "publications to the network emulator, visits and channel clicks on the landing page "
                "(real HTTP), metrics at 1 h, 24 h, 72 h and 7 days"
            ).format(deliveries=len(order), days=days)
        )
        dispatcher = Dispatcher(database, provide, worker="demo", backoff_base_s=1, clock=clock)
        _replay(database, dispatcher, emulator, clock, dues, now, result, random.Random(seed))
        with Session(database.engine) as session:
            for delivery, account in session.exec(
                select(Delivery, Account).join(Account, col(Account.id) == Delivery.account_id)
            ):
                if delivery.state == DeliveryState.PUBLISHED and delivery.visibility == "inbox":
                    result.drafts[account.network] += 1
                elif delivery.state == DeliveryState.PUBLISHED:
                    result.published[account.network] += 1
                    if delivery.visibility == "private":  # an unaudited YouTube project's upload
                        result.private[account.network] += 1
                elif delivery.state == DeliveryState.FAILED:
                    result.failed += 1
        clock.now = datetime.now(UTC)
        landing.stop()  # its last flush writes the counts still in memory
        landing = None

        say(_("5/5 Report with trends and targets (HTML and PDF), export and calendar"))
        with Session(database.engine) as session:
            (folder / "stats.csv").write_text(
                to_csv(aggregate(session, campaign.id, "post"), "post"), "utf-8"
            )
            names = {key: channel.name for key, channel in report.campaign.landing.channels.items()}
            model = build_report_model(
                session, campaign, channel_names=names, targets=report.campaign.targets, now=datetime.now(UTC)
            )
            (folder / "report.html").write_text(render_html(model), "utf-8")
            (folder / "report.pdf").write_bytes(render_pdf(model))
            result.clicks = Counter(channel_totals(session, campaign.id))
            result.visits = sum(row.landing_visits for row in aggregate(session, campaign.id, "network"))
        result.files["report.html"] = folder / "report.html"
        result.files["report.pdf"] = folder / "report.pdf"
        result.files["stats.csv"] = folder / "stats.csv"
        if keep_running is not None:
            landing = LandingServer(LandingSite(report.campaign, database))
            result.landing_url = landing.start()
            keep_running(result)
        return result
    finally:
        if landing is not None:
            landing.stop()
        if own_emulator:
            emulator.stop()
        if database is not None:
            database.dispose()


def _replay(
    database: Database,
    dispatcher: Dispatcher,
    emulator: EmulatorServer,
    clock: SimulatedClock,
    dues: list[datetime],
    end: datetime,
    result: DemoResult,
    chance: random.Random,
) -> None:
    """Move the clock from the first due instant to ``end``, stopping at each due instant (publish),
    each milestone of a publication (collect) and every two hours (visitors)."""
    if not dues:
        return
    publish_at = {due.replace(second=0, microsecond=0) for due in dues}
    collect_at = {instant + delta for instant in publish_at for delta in MILESTONES.values()}
    visit_at = set()
    tick = min(publish_at)
    while tick <= end:
        visit_at.add(tick)
        tick += VISITOR_TICK
    published: list[tuple[str, datetime, str]] = []  # code, published at, zone
    with requests.Session() as client:
        client.headers["User-Agent"] = "Mozilla/5.0 (clickable demo)"
        client.trust_env = False  # the landing page is on this machine: no proxy to look up per request
        for instant in sorted(publish_at | collect_at | visit_at):
            if instant > end:
                break
            clock.now = instant
            emulator.emulator.clock_offset = instant.timestamp() - time.time()
            if instant in publish_at:
                dispatcher.run_due()
                published = _published(database)
            if instant in collect_at:
                with Session(database.engine) as session:
                    collect(session, dispatcher.adapter, now=instant, milestones_only=True)  # as the daemon does
            if instant in visit_at:
                _visitors(client, result.landing_url, published, instant, chance)
        for _minute in range(60):  # retries still waiting (none, unless the emulator was told to fail)
            if not _waiting(database):
                break
            clock.now += timedelta(minutes=1)
            emulator.emulator.clock_offset = clock.now.timestamp() - time.time()
            dispatcher.run_due()
    emulator.emulator.clock_offset = 0.0


def _render_work(checked: Any, renders: int) -> float:
    """How long a capsule's renders take, roughly: seconds of video, a signed one counted twice
    (its inset is keyed and moves on every frame)."""
    script = checked.loaded.script
    signed = script is not None and script.sign_language is not None
    return renders * (script.duration if script else 0.0) * (2.0 if signed else 1.0)


def _waiting(database: Database) -> bool:
    waiting = (DeliveryState.QUEUED, DeliveryState.RETRYING, DeliveryState.SENDING)
    with Session(database.engine) as session:
        return session.exec(select(Delivery.id).where(col(Delivery.state).in_(waiting))).first() is not None


def _published(database: Database) -> list[tuple[str, datetime, str]]:
    with Session(database.engine) as session:
        rows = session.exec(
            select(Link.code, Delivery.published_at, Delivery.zone)
            .join(Delivery, col(Delivery.link_id) == Link.id)
            .where(Delivery.state == DeliveryState.PUBLISHED)
        ).all()
    return [(code, published_at, zone) for code, published_at, zone in rows if published_at is not None]


def _visitors(
    client: requests.Session,
    landing_url: str,
    published: list[tuple[str, datetime, str]],
    instant: datetime,
    chance: random.Random,
) -> None:
    """Two hours of visitors through the real tracked links: fewer as a post ages, none at night;
    some choose a channel (no JavaScript: through /go/)."""
    channels = ["pharos", "point-de-contact", "tel-3018", "tel-119"]
    hours = VISITOR_TICK.total_seconds() / 3600
    for code, published_at, zone in published:
        local_hour = instant.astimezone(ZoneInfo(zone)).hour
        awake = 0.0 if local_hour < 7 else (1.6 if 17 <= local_hour <= 22 else 1.0)
        age_h = (instant - published_at).total_seconds() / 3600
        expected = VISITS_PER_HOUR * hours * awake * 0.5 ** (age_h / VISITS_HALF_LIFE_H)
        for _visit in range(_poisson(expected, chance)):
            visited = client.get(f"{landing_url}/r/{code}", allow_redirects=False, timeout=10)
            if visited.status_code == 302 and chance.random() < CLICK_SHARE:
                client.get(
                    f"{landing_url}/go/{chance.choice(channels)}?from={code}",
                    allow_redirects=False,
                    timeout=10,
                )


def _poisson(expected: float, chance: random.Random) -> int:
    """A Poisson draw (Knuth's method: fine for the small means of a demo)."""
    limit, count, product = math.exp(-expected), 0, chance.random()
    while product > limit:
        count += 1
        product *= chance.random()
    return count


def _write_calendar(database: Database, campaign_id: str, target: Path) -> None:
    with Session(database.engine) as session:
        rows = delivery_rows(session, campaign_id)
    target.write_bytes(calendar_ics(rows, now=datetime.now(UTC)))


__all__ = ["DemoResult", "EmulatorServer", "run_demo"]
