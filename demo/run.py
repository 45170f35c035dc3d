"""`clickable demo`: the whole chain on a laptop, with no credentials, in about a minute.

Example campaign → capsules rendered → posts approved and planned with a compressed clock →
published to the in-process emulator → visits and reporting clicks through the real landing page
over HTTP → metrics collected → report.html, stats.csv and plan.ics.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import requests
import uvicorn
from sqlalchemy import update
from sqlmodel import Session, col, select

from campaign.checks import check_file
from campaign.db import Database
from campaign.errors import ClickableError
from campaign.example import write_example
from campaign.i18n import _
from campaign.models import Account, Delivery, DeliveryState, Link, Post, PostStatus
from campaign.store import approve_post, get_campaign, load_campaign
from capsules.check import check_script
from capsules.render import render_capsule
from capsules.store import capsule_link, record_render
from engagement.collect import collect
from engagement.landing import LandingSite
from engagement.report import build_report
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
SPREAD_S = 5.0  # the whole plan, compressed into a few seconds
Say = Callable[[str], None]


@dataclass
class DemoResult:
    folder: Path
    published: Counter[str] = field(default_factory=Counter)
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
                raise ClickableError("the demo landing page did not start")
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
        raise ClickableError(f"{folder} already holds a campaign: choose another --dir, or remove it")
    result = DemoResult(folder)
    own_emulator = emulator is None
    emulator = emulator or start_emulator(seed=seed)
    landing: LandingServer | None = None
    database: Database | None = None
    try:
        result.emulator_url = emulator.url
        say(f"1/7 Example campaign in {folder}")
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
            raise ClickableError(f"the example campaign does not check: {report.problems[0]}")
        landing_site_campaign = report.campaign
        landing = LandingServer(LandingSite(landing_site_campaign, database))
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

        # the format each network of the example prefers is enough (the editor renders all four)
        formats = list(
            dict.fromkeys(networks[account.network].media.formats[0] for account in report.campaign.accounts.values())
        )
        say(_("2/7 Rendering the video capsules ({formats} formats)").format(formats=", ".join(formats)))
        with database.session() as session:
            campaign = get_campaign(session, report.campaign.campaign.id)
        for key, spec in report.campaign.capsules.items():
            checked = check_script(folder / spec.script)
            if not checked.ok:
                raise ClickableError(str(checked.problems[0]))
            with database.session() as session:
                link = capsule_link(session, campaign, key, now=now)
            rendered = render_capsule(
                checked.loaded, formats, font=checked.font, out_root=folder / "out", link_url=link
            )
            outputs: dict[str, object] = {
                item.format: {"hash": item.input_hash, "files": [file.as_dict() for file in item.files]}
                for item in rendered
            }
            with database.session() as session:
                record_render(session, campaign, key, title=checked.loaded.script.capsule.title if checked.loaded.script else key,
                              render_hash=rendered[-1].input_hash, outputs=outputs, now=now)  # fmt: skip

        say("3/7 Approving and planning in each territory's local time (accelerated clock)")
        with database.session() as session:
            for post in session.exec(select(Post).where(Post.campaign_id == campaign.id)):
                if post.status != PostStatus.APPROVED:
                    approve_post(session, campaign, post.key, by=APPROVER, now=now)
            planned = plan(session, campaign, now=now)
        plan_ics = folder / "plan.ics"
        _write_calendar(database, campaign.id, plan_ics)  # the real plan, over the coming days
        result.files["plan.ics"] = plan_ics
        order = sorted(planned.planned, key=lambda item: item.due_utc)
        with database.session() as session:
            for index, item in enumerate(order):  # the demo plays the plan in a few seconds
                due = now + timedelta(seconds=SPREAD_S * index / max(1, len(order)))
                session.execute(
                    update(Delivery).where(col(Delivery.id) == item.delivery_id).values(due_utc=due)
                )

        say(f"4/7 Publishing to the network emulator ({len(order)} deliveries)")
        store = CredentialStore(folder, use_keyring=False)

        def provide(account: AccountRef):  # type: ignore[no-untyped-def]
            return build_adapter(
                account,
                store=store,
                emulator_url=emulator.url,
                sleep=lambda seconds: time.sleep(min(seconds, 0.05)),
            )

        dispatcher = Dispatcher(database, provide, worker="demo", backoff_base_s=1)
        deadline = time.time() + SPREAD_S + 60
        while time.time() < deadline:
            dispatcher.run_due()
            with Session(database.engine) as session:
                waiting = session.exec(
                    select(Delivery).where(
                        col(Delivery.state).in_(
                            (DeliveryState.QUEUED, DeliveryState.RETRYING, DeliveryState.SENDING)
                        )
                    )
                ).all()
            if not waiting:
                break
            time.sleep(0.2)
        with Session(database.engine) as session:
            for delivery, account in session.exec(
                select(Delivery, Account).join(Account, col(Account.id) == Delivery.account_id)
            ):
                if delivery.state == DeliveryState.PUBLISHED:
                    result.published[account.network] += 1
                elif delivery.state == DeliveryState.FAILED:
                    result.failed += 1

        say("5/7 Simulated visits and channel clicks on the landing page (real HTTP)")
        _simulate_visitors(database, result, random.Random(seed))
        time.sleep(1.2)  # counters are written every second
        landing.server.should_exit = True
        landing.thread.join(timeout=10)
        landing = None

        say("6/7 Collecting network metrics (24 h later on the emulator)")
        frozen = emulator.emulator.now() + 24 * 3600
        emulator.emulator.now = lambda: frozen  # type: ignore[method-assign]
        with Session(database.engine) as session:
            collect(session, provide, now=datetime.now(UTC), milestones_only=False)

        say("7/7 Report, export and calendar")
        with Session(database.engine) as session:
            (folder / "stats.csv").write_text(
                to_csv(aggregate(session, campaign.id, "post"), "post"), "utf-8"
            )
            names = {key: channel.name for key, channel in report.campaign.landing.channels.items()}
            (folder / "report.html").write_text(build_report(session, campaign, channel_names=names), "utf-8")
            result.clicks = Counter(channel_totals(session, campaign.id))
            result.visits = sum(row.landing_visits for row in aggregate(session, campaign.id, "network"))
        result.files["report.html"] = folder / "report.html"
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


def _simulate_visitors(database: Database, result: DemoResult, chance: random.Random) -> None:
    """Visitors arrive through the real tracked links; some choose a channel (no JS: via /go/)."""
    with Session(database.engine) as session:
        rows = session.exec(
            select(Link.code)
            .join(Delivery, col(Delivery.link_id) == Link.id)
            .where(Delivery.state == DeliveryState.PUBLISHED)
        ).all()
    channels = ["pharos", "point-de-contact", "tel-3018", "tel-119"]
    with requests.Session() as client:
        client.headers["User-Agent"] = "Mozilla/5.0 (clickable demo)"
        for code in rows:
            for _ in range(chance.randint(1, 4)):
                visited = client.get(f"{result.landing_url}/r/{code}", allow_redirects=False, timeout=10)
                if visited.status_code != 302:
                    continue
                if chance.random() < 0.45:
                    client.get(
                        f"{result.landing_url}/go/{chance.choice(channels)}?from={code}",
                        allow_redirects=False,
                        timeout=10,
                    )


def _write_calendar(database: Database, campaign_id: str, target: Path) -> None:
    with Session(database.engine) as session:
        rows = delivery_rows(session, campaign_id)
    target.write_bytes(calendar_ics(rows, now=datetime.now(UTC)))


__all__ = ["DemoResult", "EmulatorServer", "run_demo"]
