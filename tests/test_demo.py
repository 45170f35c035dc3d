"""`clickable demo` end to end: its numbers agree with the emulator's record and the landing counters."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from icalendar import Calendar
from sqlalchemy import func, select
from sqlmodel import Session

from campaign.db import Database
from campaign.models import (
    Account,
    Approval,
    ClickCounter,
    Delivery,
    DeliveryEvent,
    DeliveryState,
    MetricSnapshot,
)
from demo.run import run_demo
from networks.emulator.server import EmulatorServer

from .conftest import published
from .trends_data import report_data


def test_demo_runs_the_whole_chain(tmp_path: Path, emulator: EmulatorServer) -> None:
    messages: list[str] = []
    result = run_demo(tmp_path / "demo", say=messages.append, emulator=emulator)
    assert len(messages) == 5
    records = published(emulator)
    assert dict(result.published) == dict(Counter(str(record["network"]) for record in records))
    assert set(result.published) == {"x", "facebook", "instagram", "mastodon", "bluesky", "youtube"} and result.failed == 0
    assert dict(result.drafts) == {"tiktok": 1}  # in the creator's TikTok inbox: not in the record yet
    assert result.private == {"youtube": result.published["youtube"]}  # the example's project is unaudited
    database = Database(f"sqlite:///{tmp_path / 'demo' / 'clickable.db'}")
    with Session(database.engine) as session:
        states = (
            Counter(row.state for row in session.exec(select(Delivery)).scalars())
            if False
            else Counter(delivery.state for delivery in session.exec(select(Delivery)).scalars())
        )
        visits = session.execute(
            select(func.sum(ClickCounter.count)).where(ClickCounter.event == "visit")
        ).scalar_one()
        clicks = session.execute(
            select(func.sum(ClickCounter.count)).where(ClickCounter.event.startswith("click:"))
        ).scalar_one()  # type: ignore[attr-defined]
    database.dispose()
    assert states == {DeliveryState.PUBLISHED: len(records) + sum(result.drafts.values())}
    assert result.visits == visits > 0
    assert sum(result.clicks.values()) == clicks > 0
    report = result.files["report.html"].read_text("utf-8")
    assert report.count("data:image/png;base64,") >= 3 and f"{visits} visites" in report.replace(
        "\u202f", " "
    )
    assert result.files["stats.csv"].read_text("utf-8").startswith("post,deliveries,views")
    # the plan replayed over past weeks: a report with trends over several days, and targets
    data = report_data(report)
    assert len(data["days"]) >= 10  # type: ignore[arg-type]
    daily_visits = sum(sum(values) for values in data["series"]["visits_by_territory"].values())  # type: ignore[index, union-attr]
    assert daily_visits == visits
    assert sum(1 for values in data["series"]["visits_by_territory"].values() for value in values if value) >= 10  # type: ignore[index, union-attr]
    assert data["targets"] and len(data["publications"]) >= 9  # type: ignore[arg-type, index]
    assert set(data["milestones"]) >= {"p01-lancement"} and all(  # type: ignore[arg-type, index]
        set(by_network) <= {"x", "facebook", "instagram", "tiktok", "mastodon", "bluesky", "youtube"} for by_network in data["milestones"].values()  # type: ignore[index, union-attr]
    )
    with Session(database.engine) as session:
        milestones = Counter(row.milestone for row in session.exec(select(MetricSnapshot)).scalars())
    database.dispose()
    assert set(milestones) == {"1h", "24h", "72h", "7d"}  # each collected at its own time
    assert result.files["report.pdf"].read_bytes().startswith(b"%PDF-")
    preview = result.files["preview.html"].read_text("utf-8")
    assert preview.count("data:image/jpeg;base64,") >= 3 and "… Voir plus" in preview  # posters, the feed's cut
    with Session(database.engine) as session:
        approvals = session.exec(select(Approval)).scalars().all()
    database.dispose()
    assert approvals and all(approval.preview_hash for approval in approvals)  # approved as previewed
    events = [
        component
        for component in Calendar.from_ical(result.files["plan.ics"].read_bytes()).walk()
        if component.name == "VEVENT"
    ]
    assert len(events) == len(records) + sum(result.drafts.values())
    assert (tmp_path / "demo" / "out" / "signaler" / "vertical.fr.mp4").is_file()
    # the Short went out with a caption track per language of its capsule (dire-non: fr, rcf, swb);
    # YouTube lists neither Réunion Creole nor Shimaore: those go as und, named by their tag, and the
    # publication says so
    renders = json.loads((tmp_path / "demo" / "out" / "dire-non" / "renders.json").read_text("utf-8"))
    with Session(database.engine) as session:
        shorts = session.exec(
            select(Delivery.id, Delivery.remote_id)
            .join(Account, Account.id == Delivery.account_id)  # type: ignore[arg-type]
            .where(Account.network == "youtube")
        ).all()
        reasons = {
            event.delivery_id: event.reason
            for event in session.exec(select(DeliveryEvent).where(DeliveryEvent.to_state == "published")).scalars()
        }
    database.dispose()
    part = emulator.emulator.part("youtube")
    assert shorts
    for delivery_id, remote_id in shorts:
        tracks = {track["snippet"]["name"]: track["snippet"]["language"] for track in part.tracks(remote_id)}  # type: ignore[attr-defined]
        assert len(tracks) == len(renders["languages"]) == 3
        assert tracks["Français"] == "fr" and tracks["rcf"] == tracks["swb"] == "und"
        assert "caption track rcf refused by YouTube (invalidMetadata): uploaded as und" in reasons[delivery_id]
