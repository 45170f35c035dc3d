"""A generated two-month campaign for the statistics tests: real load and plan, then rows written by hand.

The campaign is stored by the real `campaign load` and `schedule plan`; its publications, metric
readings at the milestones (1 h, 24 h, 72 h, 7 days) and landing counters are then written
straight into the database, spread over March and April 2025, so that every expected number can be
summed by hand from the rows themselves.
"""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from sqlalchemy import insert, update
from sqlmodel import Session, col, select
from typer.testing import CliRunner, Result

from campaign.db import Database
from campaign.models import Account, ClickCounter, Delivery, Link, MetricSnapshot, Post, Territory
from cli import app

ZONES = {"fr": "Europe/Paris", "re": "Indian/Reunion", "nc": "Pacific/Noumea"}
FIRST, LAST = date(2025, 3, 1), date(2025, 4, 30)
MILESTONES = {"1h": timedelta(hours=1), "24h": timedelta(hours=24), "72h": timedelta(hours=72), "7d": timedelta(days=7)}
EVENTS = ("visit", "click:pharos", "click:tel-119")


@dataclass
class Generated:
    env: dict[str, str]
    folder: Path
    url: str
    # (day, territory, event) -> count, as written into the counters
    counts: Counter[tuple[date, str, str]]
    # delivery id -> (post, network, territory, zone, published_at, [(collected_at, views)])
    deliveries: dict[int, tuple[str, str, str, str, datetime, list[tuple[datetime, int]]]]
    # (network of the link, day, territory, event) -> count
    by_network: Counter[tuple[str, date, str, str]]

    def run(self, *args: str) -> Result:
        result = CliRunner().invoke(app, list(args), env=self.env)
        assert result.exit_code == 0, result.output
        return result

    def export(self, *args: str) -> list[dict[str, object]]:
        return json.loads(self.run("stats", "export", "--format", "json", *args).stdout)  # type: ignore[no-any-return]

    def visits(self, start: date, end: date, territory: str | None = None, *, network: str | None = None) -> int:
        """Visits between two days (in a territory, through the links of a network)."""
        return sum(
            n for (through, day, where, event), n in self.by_network.items()
            if territory in (None, where) and network in (None, through) and event == "visit" and start <= day <= end
        )  # fmt: skip

    def views(self, start: date, end: date, *, network: str | None = None, territory: str | None = None, utc: bool = False) -> float:
        """Views gathered between two days: what each reading added, on the reading's day."""
        total = 0.0
        for _post, item_network, item_territory, zone, _published, readings in self.deliveries.values():
            if network not in (None, item_network) or territory not in (None, item_territory):
                continue
            before = 0
            for collected_at, views in readings:
                day = collected_at.astimezone(UTC if utc else ZoneInfo(zone)).date()
                if start <= day <= end:
                    total += views - before
                before = views
        return total


ACCOUNTS = {"x-main": {"network": "x", "sandbox": True}, "fb-main": {"network": "facebook", "sandbox": True}}


def campaign_file(folder: Path, accounts: dict[str, dict[str, object]] | None = None) -> Path:
    accounts = accounts or ACCOUNTS
    data = {
        "campaign": {"id": "deux-mois", "name": "Deux mois", "language": "fr"},
        "approval": {"required": False},
        "territories": {
            "fr": {"name": "France métropolitaine", "timezone": ZONES["fr"]},
            "re": {"name": "La Réunion", "timezone": ZONES["re"]},
            "nc": {"name": "Nouvelle-Calédonie", "timezone": ZONES["nc"]},
        },
        "accounts": accounts,
        "landing": {
            "base_url": "https://s.example.org",
            "channels": {
                "pharos": {"name": "Pharos", "url": "https://www.internet-signalement.gouv.fr"},
                "tel-119": {"name": "119 — Allô Enfance en Danger", "phone": "119"},
            },
        },
        "posts": [
            {"id": f"p{index:02d}", "text": f"Message {index} {{link}}", "accounts": list(accounts),
             "at": (datetime.now(UTC) + timedelta(days=2)).strftime("%Y-%m-%d 12:00")}
            for index in range(8)
        ],
        "targets": {
            "clics-reunion": {"metric": "channel_clicks", "territories": ["re"], "per": "month", "value": 10},
            "clics-119": {"metric": "channel_clicks", "channel": "tel-119", "value": 10**6, "since": "2025-03-01", "until": "2025-04-30"},
            "vues": {"metric": "views", "value": 1, "territories": ["fr"], "until": "2025-04-30"},
        },
    }
    path = folder / "campaign.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    return path


def generate(tmp_path: Path, database_url: str, accounts: dict[str, dict[str, object]] | None = None) -> Generated:
    """The campaign in ``tmp_path/deux-mois``, its data in ``database_url``. A network that counts no
    views (Mastodon) has readings without views, as collection stores them."""
    from networks.registry import registry

    viewless = {name for name, spec in registry().items() if "views" in spec.metrics.unavailable}
    folder = tmp_path / "deux-mois"
    folder.mkdir()
    campaign_file(folder, accounts)
    env = {"CLICKABLE_HOME": str(folder), "CLICKABLE_DATABASE_URL": database_url}
    for command in (["campaign", "load"], ["schedule", "plan"]):
        result = CliRunner().invoke(app, command, env=env)
        assert result.exit_code == 0, result.output
    chance = random.Random(16)
    database = Database(database_url)
    counts: Counter[tuple[date, str, str]] = Counter()
    by_network: Counter[tuple[str, date, str, str]] = Counter()
    deliveries: dict[int, tuple[str, str, str, str, datetime, list[tuple[datetime, int]]]] = {}
    with Session(database.engine) as session:
        rows = session.exec(
            select(Delivery, Account.network, Territory.key, Link.code, Post.key)  # type: ignore[call-overload]
            .join(Account, col(Account.id) == Delivery.account_id)
            .join(Territory, col(Territory.id) == Delivery.territory_id)
            .join(Link, col(Link.id) == Delivery.link_id)
            .join(Post, col(Post.id) == Link.post_id)
        ).all()
        codes = {(territory, code, network) for _delivery, network, territory, code, _post in rows}
        for index, (delivery, network, territory, _code, post) in enumerate(sorted(rows, key=lambda row: row[0].id)):
            # publications every few days over the two months, at 09:00 local time
            day = FIRST + timedelta(days=(index * 3) % 55)
            local = datetime(day.year, day.month, day.day, 9, 0, tzinfo=ZoneInfo(ZONES[territory]))
            published_at = local.astimezone(UTC)
            session.execute(
                update(Delivery).where(col(Delivery.id) == delivery.id)
                .values(state="published", published_at=published_at, remote_id=str(10_000 + index))
            )  # fmt: skip
            views, readings = 0, []
            for name, delta in MILESTONES.items():
                views += chance.randint(10, 900)
                collected_at = published_at + delta
                metrics = {"likes": views // 20} if network in viewless else {"views": views, "likes": views // 20}
                readings.append((collected_at, metrics.get("views", 0)))
                session.execute(insert(MetricSnapshot).values(
                    delivery_id=delivery.id, collected_at=collected_at, milestone=name, metrics=metrics, raw={}))  # fmt: skip
            deliveries[delivery.id] = (post, network, territory, ZONES[territory], published_at, readings)
        batch = []
        for offset in range((LAST - FIRST).days + 1):
            day = FIRST + timedelta(days=offset)
            for territory, code, network in sorted(codes):
                for event in EVENTS:
                    count = chance.choice((0, 0, 1, 2, 3, 5, 8))
                    if count:
                        counts[(day, territory, event)] += count
                        by_network[(network, day, territory, event)] += count
                        batch.append({"day": day, "campaign_id": "deux-mois", "code": code, "territory": territory, "event": event, "count": count})  # fmt: skip
        session.execute(insert(ClickCounter), batch)
        session.commit()
    database.dispose()
    return Generated(env, folder, database_url, counts, deliveries, by_network)


def report_data(html: str) -> dict[str, object]:
    """The data a report embeds (its charts' numbers)."""
    match = re.search(r'<script type="application/json" id="donnees-du-rapport">(.*?)</script>', html, re.S)
    assert match, "the report embeds its data"
    return json.loads(match.group(1))  # type: ignore[no-any-return]
