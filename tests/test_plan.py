"""Planning in local time with a fake clock: DST changes, overseas zones, quiet hours, caps."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import time_machine
import yaml
from typer.testing import CliRunner

from campaign.slots import parse_slots, resolve
from cli import app

TERRITORIES = {
    "fr": {"name": "France", "timezone": "Europe/Paris"},
    "nc": {"name": "Nouvelle-Calédonie", "timezone": "Pacific/Noumea"},
    "pf": {"name": "Tahiti", "timezone": "Pacific/Tahiti"},
    "re": {"name": "La Réunion", "timezone": "Indian/Reunion"},
}


def campaign(
    posts: list[dict[str, object]],
    *,
    slots: list[str] | None = None,
    schedule: dict[str, object] | None = None,
    approval: bool = False,
    territory_extra: dict[str, dict[str, object]] | None = None,
) -> dict[str, object]:
    territories = {
        key: {**value, **(territory_extra or {}).get(key, {})} for key, value in TERRITORIES.items()
    }
    return {
        "campaign": {"id": "plan-test", "name": "Plan", "language": "fr", "author": "Camille"},
        "approval": {"required": approval, "two_person": False},
        "territories": territories,
        "accounts": {"x-main": {"network": "x", "sandbox": True, **({"slots": slots} if slots else {})}},
        "landing": {
            "base_url": "https://s.example.org",
            "channels": {"tel-119": {"name": "119", "phone": "119"}},
        },
        "schedule": schedule or {},
        "posts": posts,
    }


def plan_json(tmp_path: Path, data: dict[str, object], *extra: list[str]) -> dict[str, object]:
    (tmp_path / "campaign.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    env = {"CLICKABLE_HOME": str(tmp_path), "CLICKABLE_DATABASE_URL": f"sqlite:///{tmp_path / 'plan.db'}"}
    runner = CliRunner()
    loaded = runner.invoke(app, ["campaign", "load"], env=env)
    assert loaded.exit_code == 0, loaded.output
    for command in extra:
        assert runner.invoke(app, command, env=env).exit_code == 0
    result = runner.invoke(app, ["schedule", "plan", "--json"], env=env)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def by_territory(report: dict[str, object]) -> dict[str, list[dict[str, str]]]:
    grouped: dict[str, list[dict[str, str]]] = {}
    for item in report["planned"]:  # type: ignore[attr-defined]
        grouped.setdefault(item["territory"], []).append(item)
    return grouped


@time_machine.travel("2026-10-20 08:00 +0000", tick=False)
def test_one_local_time_in_every_territory_across_the_october_change(tmp_path: Path) -> None:
    posts = [
        {"id": "before", "text": "Avant", "accounts": ["x-main"], "at": "2026-10-24 18:30"},
        {"id": "after", "text": "Après", "accounts": ["x-main"], "at": "2026-10-26 18:30"},
    ]
    report = plan_json(tmp_path, campaign(posts))
    due = {(item["post"], item["territory"]): item["due_utc"] for item in report["planned"]}  # type: ignore[attr-defined]
    assert due[("before", "fr")] == "2026-10-24T16:30:00+00:00"  # CEST, UTC+2
    assert due[("after", "fr")] == "2026-10-26T17:30:00+00:00"  # CET, UTC+1
    for post in ("before", "after"):  # fixed offsets overseas: the same hour in UTC every day
        day = "24" if post == "before" else "26"
        assert due[(post, "nc")] == f"2026-10-{day}T07:30:00+00:00"
        assert due[(post, "re")] == f"2026-10-{day}T14:30:00+00:00"
        assert due[(post, "pf")] == f"2026-10-{int(day) + 1}T04:30:00+00:00"
    assert all(
        item["due_local"].endswith(TERRITORIES[item["territory"]]["timezone"]) for item in report["planned"]
    )  # type: ignore[attr-defined]


@time_machine.travel("2026-10-24 08:00 +0000", tick=False)
def test_slot_in_the_autumn_fold_takes_the_first_occurrence(tmp_path: Path) -> None:
    posts = [
        {"id": f"p{index}", "text": f"Texte {index}", "accounts": ["x-main"], "territories": ["fr"]}
        for index in range(3)
    ]
    report = plan_json(
        tmp_path, campaign(posts, slots=["daily 02:30"], schedule={"quiet_hours": "23:00-23:30"})
    )
    planned = report["planned"]
    assert [item["due_local"] for item in planned] == [  # type: ignore[index]
        "2026-10-25 02:30 Europe/Paris",
        "2026-10-26 02:30 Europe/Paris",
        "2026-10-27 02:30 Europe/Paris",
    ]
    assert planned[0]["due_utc"] == "2026-10-25T00:30:00+00:00"  # type: ignore[index]
    assert "happens twice" in planned[0]["note"]  # type: ignore[index]
    assert planned[1]["due_utc"] == "2026-10-26T01:30:00+00:00" and planned[1]["note"] is None  # type: ignore[index]


@time_machine.travel("2026-03-27 12:00 +0000", tick=False)
def test_slot_in_the_spring_gap_moves_to_the_end_of_the_gap(tmp_path: Path) -> None:
    posts = [{"id": f"p{index}", "text": f"Texte {index}", "accounts": ["x-main"]} for index in range(3)]
    report = plan_json(
        tmp_path, campaign(posts, slots=["daily 02:30"], schedule={"quiet_hours": "23:00-23:30"})
    )
    groups = by_territory(report)
    paris = groups["fr"]
    assert [item["due_utc"] for item in paris] == [
        "2026-03-28T01:30:00+00:00",
        "2026-03-29T01:00:00+00:00",
        "2026-03-30T00:30:00+00:00",
    ]
    assert "does not exist in Europe/Paris (DST): moved to 03:00" in paris[1]["note"]
    noumea = groups["nc"]  # no DST in Nouméa: 02:30 local is 15:30 UTC the day before, every day
    assert [item["due_utc"] for item in noumea] == [
        "2026-03-27T15:30:00+00:00",
        "2026-03-28T15:30:00+00:00",
        "2026-03-29T15:30:00+00:00",
    ]
    assert all(item["note"] is None for item in noumea)


@time_machine.travel("2026-11-02 08:00 +0000", tick=False)
def test_quiet_hours_move_posts_to_the_morning(tmp_path: Path) -> None:
    posts = [
        {
            "id": "late",
            "text": "Tard",
            "accounts": ["x-main"],
            "territories": ["fr", "re"],
            "at": "2026-11-02 23:30",
        },
        {"id": "slotted", "text": "Créneau", "accounts": ["x-main"], "territories": ["fr"]},
    ]
    report = plan_json(
        tmp_path,
        campaign(posts, slots=["daily 06:00, 19:00"], territory_extra={"re": {"quiet_hours": "21:00-08:00"}}),
    )
    due = {(item["post"], item["territory"]): item for item in report["planned"]}  # type: ignore[attr-defined]
    assert due[("late", "fr")]["due_local"] == "2026-11-03 07:00 Europe/Paris"
    assert "quiet hours 22:00-07:00" in due[("late", "fr")]["note"]
    assert (
        due[("late", "re")]["due_local"] == "2026-11-03 08:00 Indian/Reunion"
    )  # the territory's own quiet hours
    assert (
        due[("slotted", "fr")]["due_local"] == "2026-11-02 19:00 Europe/Paris"
    )  # 06:00 is inside the quiet hours


@time_machine.travel("2026-11-02 08:00 +0000", tick=False)
def test_daily_cap_spreads_the_load(tmp_path: Path) -> None:
    posts = [
        {"id": f"p{index}", "text": f"Texte {index}", "accounts": ["x-main"], "territories": ["fr"]}
        for index in range(6)
    ]
    report = plan_json(
        tmp_path, campaign(posts, slots=["daily 12:00, 13:00, 14:00"], schedule={"caps": {"x": 2}})
    )
    dues = sorted(datetime.fromisoformat(item["due_utc"]) for item in report["planned"])  # type: ignore[attr-defined]
    assert len(dues) == 6
    for due in dues:
        assert sum(1 for other in dues if due - timedelta(hours=24) < other <= due) <= 2
    assert dues[-1] - dues[0] >= timedelta(days=2)


@time_machine.travel("2026-11-02 08:00 +0000", tick=False)
def test_daily_cap_moves_a_fixed_time_to_the_next_day(tmp_path: Path) -> None:
    posts = [
        {
            "id": f"p{index}",
            "text": f"Texte {index}",
            "accounts": ["x-main"],
            "territories": ["fr"],
            "at": "2026-11-03 12:00",
        }
        for index in range(3)
    ]
    report = plan_json(tmp_path, campaign(posts, schedule={"caps": {"x": 2}}))
    local = [item["due_local"] for item in report["planned"]]  # type: ignore[attr-defined]
    assert local == [
        "2026-11-03 12:00 Europe/Paris",
        "2026-11-03 12:00 Europe/Paris",
        "2026-11-04 12:00 Europe/Paris",
    ]
    assert "daily cap of 2" in report["planned"][2]["note"]  # type: ignore[index]


@time_machine.travel("2026-11-02 08:00 +0000", tick=False)
def test_only_approved_posts_are_planned_and_planning_is_idempotent(tmp_path: Path) -> None:
    posts = [
        {"id": "ok", "text": "Approuvé", "accounts": ["x-main"], "territories": ["fr"]},
        {"id": "draft", "text": "Brouillon", "accounts": ["x-main"], "territories": ["fr"]},
    ]
    report = plan_json(tmp_path, campaign(posts, approval=True), ["post", "approve", "ok", "--by", "Alex"])
    assert [item["post"] for item in report["planned"]] == ["ok"]  # type: ignore[attr-defined]
    again = CliRunner().invoke(
        app,
        ["schedule", "plan", "--json"],
        env={"CLICKABLE_HOME": str(tmp_path), "CLICKABLE_DATABASE_URL": f"sqlite:///{tmp_path / 'plan.db'}"},
    )
    assert json.loads(again.stdout) == {
        "planned": [],
        "missed": [],
        "already_planned": 1,
        "awaiting_approval": ["draft"],
        # the approved post still to go out, on X: a post without a link and its 4 metric reads
        "estimated_cost": [{"network": "x", "posts": 1, "posts_with_url": 0, "reads": 4, "usd": 0.035}],
    }
    text = CliRunner().invoke(
        app,
        ["schedule", "plan"],
        env={"CLICKABLE_HOME": str(tmp_path), "CLICKABLE_DATABASE_URL": f"sqlite:///{tmp_path / 'plan.db'}"},
    )
    assert "1 post waits for approval (draft): `clickable post show ID`" in text.stdout


@time_machine.travel("2026-10-20 08:00 +0000", tick=False)
def test_a_planned_post_can_be_corrected_or_removed_before_it_goes_out(tmp_path: Path) -> None:
    """Fixing a typo in a planned post replaces its deliveries; removing it removes them."""
    from sqlmodel import Session, select

    from campaign.db import Database
    from campaign.models import Delivery, DeliveryEvent, Variant

    def post(text: str) -> dict[str, object]:
        return {"id": "typo", "text": text, "accounts": ["x-main"], "territories": ["fr", "nc"]}

    assert len(plan_json(tmp_path, campaign([post("Une fôte.")]))["planned"]) == 2  # type: ignore[arg-type]
    assert len(plan_json(tmp_path, campaign([post("Une faute corrigée.")]))["planned"]) == 2  # type: ignore[arg-type]
    database = Database(f"sqlite:///{tmp_path / 'plan.db'}")
    with Session(database.engine) as session:
        deliveries = session.exec(select(Delivery)).all()
        texts = {session.get(Variant, delivery.variant_id).text for delivery in deliveries}  # type: ignore[union-attr]
        events = session.exec(select(DeliveryEvent)).all()
    assert len(deliveries) == 2 and texts == {"Une faute corrigée."} and len(events) == 2
    report = plan_json(
        tmp_path, campaign([{"id": "other", "text": "Autre", "accounts": ["x-main"], "territories": ["fr"]}])
    )
    with Session(database.engine) as session:
        remaining = session.exec(select(Delivery)).all()
    database.dispose()
    assert len(report["planned"]) == 1 and len(remaining) == 1  # type: ignore[arg-type]


@time_machine.travel("2026-10-20 08:00 +0000", tick=False)
def test_a_post_removed_after_it_went_out_is_never_planned_again(tmp_path: Path) -> None:
    """Removed from the file after one delivery was published: its other deliveries are dropped, for good."""
    from sqlmodel import Session, select

    from campaign.db import Database
    from campaign.models import Delivery, DeliveryState

    posts = [{"id": "gone", "text": "Bientôt retiré", "accounts": ["x-main"], "territories": ["fr", "nc"]}]
    assert len(plan_json(tmp_path, campaign(posts))["planned"]) == 2  # type: ignore[arg-type]
    url = f"sqlite:///{tmp_path / 'plan.db'}"
    database = Database(url)
    with Session(database.engine) as session:
        first = session.exec(select(Delivery).order_by(Delivery.id)).first()  # type: ignore[arg-type]
        assert first is not None
        first.state, first.remote_id = DeliveryState.PUBLISHED, "1"
        session.add(first)
        session.commit()
    report = plan_json(
        tmp_path, campaign([{"id": "other", "text": "Autre", "accounts": ["x-main"], "territories": ["fr"]}])
    )
    assert [item["post"] for item in report["planned"]] == ["other"]  # type: ignore[attr-defined]
    with Session(database.engine) as session:
        states = sorted(delivery.state for delivery in session.exec(select(Delivery)))
    database.dispose()
    assert states == [DeliveryState.PUBLISHED, DeliveryState.QUEUED]  # gone's published one, other's


def test_a_time_that_passed_long_ago_is_not_planned(tmp_path: Path) -> None:
    posts = [
        {
            "id": "old",
            "text": "Trop tard",
            "accounts": ["x-main"],
            "territories": ["fr"],
            "at": "2026-11-03 12:00",
        }
    ]
    with time_machine.travel("2026-11-02 08:00 +0000", tick=False):
        (tmp_path / "campaign.yaml").write_text(yaml.safe_dump(campaign(posts), allow_unicode=True), "utf-8")
        env = {"CLICKABLE_HOME": str(tmp_path), "CLICKABLE_DATABASE_URL": f"sqlite:///{tmp_path / 'plan.db'}"}
        assert CliRunner().invoke(app, ["campaign", "load"], env=env).exit_code == 0
    with time_machine.travel("2026-11-04 08:00 +0000", tick=False):
        result = CliRunner().invoke(app, ["schedule", "plan", "--json"], env=env)
    report = json.loads(result.stdout)
    assert report["planned"] == [] and "has passed" in report["missed"][0]["reason"]


@pytest.mark.parametrize(
    ("spec", "days", "times"),
    [
        ("mon-fri 12:15, 18:30", {0, 1, 2, 3, 4}, ["12:15", "18:30"]),
        ("sat 11:00", {5}, ["11:00"]),
        ("fri-mon 9:00", {4, 5, 6, 0}, ["09:00"]),
        ("daily 07:05", set(range(7)), ["07:05"]),
        ("wed,sat 17:00", {2, 5}, ["17:00"]),
    ],
)
def test_slot_syntax(spec: str, days: set[int], times: list[str]) -> None:
    slots = parse_slots(spec)
    assert slots.days == days and [moment.strftime("%H:%M") for moment in slots.times] == times


@pytest.mark.parametrize("spec", ["lundi 12:00", "mon-fri", "mon 25:00", "12:00"])
def test_bad_slots_are_refused(spec: str) -> None:
    with pytest.raises(ValueError):
        parse_slots(spec)


def test_bad_slot_in_the_campaign_file_is_a_check_error(tmp_path: Path) -> None:
    (tmp_path / "campaign.yaml").write_text(yaml.safe_dump(campaign([], slots=["lundi 12:00"])), "utf-8")
    result = CliRunner().invoke(app, ["campaign", "check", str(tmp_path / "campaign.yaml")])
    assert result.exit_code == 1 and "'lundi' in 'lundi 12:00' is not a day" in result.stdout


def test_resolve_is_explicit() -> None:
    assert (
        resolve(datetime(2026, 3, 29, 2, 30), "Europe/Paris").instant.isoformat()
        == "2026-03-29T01:00:00+00:00"
    )
    assert (
        resolve(datetime(2026, 10, 25, 2, 30), "Europe/Paris").instant.isoformat()
        == "2026-10-25T00:30:00+00:00"
    )
    assert resolve(datetime(2026, 3, 8, 2, 30), "America/Miquelon").note is not None
