"""Periods, comparisons, daily series and targets, on a generated two-month campaign (trends_data)."""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter, defaultdict
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from campaign.db import Database
from campaign.models import ClickCounter
from cli import app
from engagement.periods import BadPeriod, Period, french_span, parse_day
from engagement.stats import suppress_series

from .trends_data import FIRST, LAST, MILESTONES, ZONES, Generated, campaign_file, generate, report_data


@pytest.fixture
def generated(tmp_path: Path, database_url: str) -> Generated:
    return generate(tmp_path, database_url)


def test_daily_series_in_the_report_equal_the_counters_summed_per_day(generated: Generated) -> None:
    target = generated.folder / "report.html"
    generated.run("stats", "report", "--out", str(target), "--since", "2025-03-01", "--until", "30/04/2025")
    data = report_data(target.read_text("utf-8"))
    days = [date.fromisoformat(day) for day in data["days"]]  # type: ignore[union-attr]
    assert days[0] == FIRST and days[-1] == LAST and len(days) == 61
    series = data["series"]  # type: ignore[index]
    for territory in ZONES:
        assert series["visits_by_territory"][territory] == [generated.counts[(day, territory, "visit")] for day in days]  # type: ignore[index]
        clicks = [generated.counts[(day, territory, "click:pharos")] + generated.counts[(day, territory, "click:tel-119")] for day in days]
        assert series["channel_clicks_by_territory"][territory] == clicks  # type: ignore[index]
    for channel in ("pharos", "tel-119"):
        expected = [sum(generated.counts[(day, territory, f"click:{channel}")] for territory in ZONES) for day in days]
        assert series["channel_clicks_by_channel"][channel] == expected  # type: ignore[index]
    for network in ("x", "facebook"):
        assert series["views_by_network"][network] == [generated.views(day, day, network=network) for day in days]  # type: ignore[index]
    first_days: dict[tuple[str, str], str] = {}
    for post, _network, territory, zone, published_at, _readings in generated.deliveries.values():
        day = published_at.astimezone(ZoneInfo(zone)).date().isoformat()
        first_days[(post, territory)] = min(first_days.get((post, territory), day), day)
    publications = {(item["post"], item["territory"]): item["day"] for item in data["publications"]}  # type: ignore[union-attr, index]
    assert publications == first_days  # each post marked on the time axis of each territory
    # each post's readings at its milestones: the views summed over its deliveries, per network
    expected: dict[str, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(Counter))
    for post, network, _territory, _zone, _published, readings in generated.deliveries.values():
        for name, (_at, views) in zip(MILESTONES, readings, strict=True):
            expected[post][network][name] += views
    assert data["milestones"] == json.loads(json.dumps(expected))


def test_period_comparison_equals_two_exports_added_by_hand(generated: Generated) -> None:
    april = generated.export("--by", "territory", "--since", "2025-04", "--until", "04/2025")
    march = generated.export("--by", "territory", "--since", "2025-03-02", "--until", "2025-03-31")  # the 30 days before
    both = generated.export("--by", "territory", "--since", "2025-03-02", "--until", "2025-04-30")
    by_key = {row["territory"]: row for row in march}
    whole = {row["territory"]: row for row in both}
    assert {row["territory"] for row in april} == set(ZONES)
    for row in april:
        key = str(row["territory"])
        before = by_key[key]
        assert row["landing_visits"] == generated.visits(date(2025, 4, 1), LAST, key)
        assert before["landing_visits"] == generated.visits(date(2025, 3, 2), date(2025, 3, 31), key)
        assert row["views"] == int(generated.views(date(2025, 4, 1), LAST, territory=key))
        for name in ("deliveries", "views", "engagement", "landing_visits", "channel_clicks"):
            assert row[f"previous_{name}"] == before[name], (key, name)
            assert whole[key][name] == row[name] + before[name], (key, name)  # type: ignore[operator]
        change = (row["channel_clicks"] - before["channel_clicks"]) / before["channel_clicks"]  # type: ignore[operator]
        assert row["change_channel_clicks"] == round(change, 4)
    # every dimension adds up over the two periods, and so does the CSV
    for dimension in ("post", "network", "day"):
        first = generated.export("--by", dimension, "--since", "2025-03-02", "--until", "2025-03-31")
        second = generated.export("--by", dimension, "--since", "2025-04-01", "--until", "2025-04-30")
        for name in ("landing_visits", "channel_clicks", "views"):  # views not given (None) count nothing
            assert sum(row[name] or 0 for row in first) + sum(row[name] or 0 for row in second) == sum(  # type: ignore[misc]
                row[name] or 0 for row in generated.export("--by", dimension, "--since", "2025-03-02", "--until", "2025-04-30")  # type: ignore[misc]
            ), (dimension, name)
    header = next(csv.reader(io.StringIO(generated.run("stats", "export", "--by", "network", "--since", "2025-04-01").stdout)))
    assert header[:3] == ["network", "deliveries", "views"] and "previous_landing_visits" in header and "change_views" in header


def test_the_export_says_which_days_it_compared(generated: Generated) -> None:
    result = generated.run("stats", "export", "--by", "network", "--since", "01/04/2025", "--until", "30/04/2025")
    assert "Period 1 Apr 2025 to 30 Apr 2025 (each territory's local days), compared with 2 Mar 2025 to 31 Mar 2025" in result.stderr.replace("\n", " ")
    assert "Period" not in result.stdout


def test_utc_dates_move_a_publication_made_in_the_morning_in_noumea(generated: Generated) -> None:
    local = {row["day"]: row["deliveries"] for row in generated.export("--by", "day", "--since", "2025-03-01", "--until", "2025-04-30")}
    utc = {row["day"]: row["deliveries"] for row in generated.export("--by", "day", "--since", "2025-03-01", "--until", "2025-04-30", "--utc")}
    expected_local: Counter[str] = Counter()
    expected_utc: Counter[str] = Counter()
    for _post, _network, _territory, zone, published_at, _readings in generated.deliveries.values():
        expected_local[published_at.astimezone(ZoneInfo(zone)).date().isoformat()] += 1
        utc_day = published_at.date()
        if FIRST <= utc_day <= LAST:
            expected_utc[utc_day.isoformat()] += 1
    assert {day: count for day, count in local.items() if count} == dict(expected_local)
    assert {day: count for day, count in utc.items() if count} == dict(expected_utc)
    assert local != utc  # 09:00 in Nouméa is 22:00 UTC the day before; 09:00 in Paris is the same UTC day


def test_targets_progress_in_the_export_and_the_report(generated: Generated) -> None:
    rows = generated.export("--by", "target", "--since", "2025-03-01", "--until", "2025-04-30")
    monthly = [row for row in rows if row["target"] == "clics-reunion"]
    assert [row["period"] for row in monthly] == ["2025-03", "2025-04"]
    for row in monthly:
        start, end = date.fromisoformat(str(row["start"])), date.fromisoformat(str(row["end"]))
        clicks = sum(n for (day, territory, event), n in generated.counts.items() if territory == "re" and event.startswith("click:") and start <= day <= end)
        assert row["achieved"] == clicks and row["status"] == ("met" if clicks >= 10 else "missed")
    channel = [row for row in rows if row["target"] == "clics-119"]
    assert {row["territory"] for row in channel} == set(ZONES)  # default: every territory
    assert all(row["status"] == "missed" and row["expected"] == 1.0 for row in channel)
    for row in channel:
        assert row["achieved"] == sum(n for (day, territory, event), n in generated.counts.items() if territory == row["territory"] and event == "click:tel-119")
    views = next(row for row in rows if row["target"] == "vues")
    assert views["achieved"] == int(generated.views(FIRST, LAST, territory="fr")) and views["status"] == "met"
    target = generated.folder / "report.html"
    generated.run("stats", "report", "--out", str(target), "--since", "2025-03-01", "--until", "2025-04-30")
    html = target.read_text("utf-8")
    summary = re.search(r'<section class="summary".*?</section>', html, re.S).group(0)  # type: ignore[union-attr]
    assert "Territoires en retard sur leurs objectifs" in summary
    for name in ("France métropolitaine", "La Réunion", "Nouvelle-Calédonie"):
        assert name in summary
    assert "non atteint" in summary


def test_small_counts_are_hidden_from_every_series_and_target(generated: Generated) -> None:
    target = generated.folder / "report.html"
    generated.run("stats", "report", "--out", str(target), "--since", "2025-04-01", "--until", "2025-04-30", "--suppress-below", "6")
    data = report_data(target.read_text("utf-8"))
    series = data["series"]  # type: ignore[index]
    for name in ("visits_by_territory", "channel_clicks_by_territory", "channel_clicks_by_channel"):
        for values in series[name].values():  # type: ignore[index]
            assert all(value is None or value == 0 or value >= 6 for value in values)
            assert sum(value is None for value in values) != 1  # a lone hidden day would come back by subtraction
    for row in data["targets"]:  # type: ignore[union-attr]
        if isinstance(row["achieved"], str):  # type: ignore[index]
            assert row["achieved"] == "<6" and row["progress"] is None  # type: ignore[index]
    for row in generated.export("--by", "target", "--suppress-below", "1000"):
        if row["metric"] != "views":
            assert (row["achieved"] in (0, "<1000") and row["progress"] in (0, None)) or row["achieved"] >= 1000  # type: ignore[operator]


@pytest.mark.parametrize(
    ("text", "end", "expected"),
    [
        ("2026-12-01", False, date(2026, 12, 1)),
        ("01/12/2026", False, date(2026, 12, 1)),
        ("1/12/2026", True, date(2026, 12, 1)),
        ("2026-12", False, date(2026, 12, 1)),
        ("2026-12", True, date(2026, 12, 31)),
        ("02/2027", True, date(2027, 2, 28)),
        ("2028-02", True, date(2028, 2, 29)),
    ],
)
def test_days_and_months_as_an_analyst_writes_them(text: str, end: bool, expected: date) -> None:
    assert parse_day(text, option="--since", end=end) == expected


@pytest.mark.parametrize("text", ["31/02/2026", "demain", "2026-13", "12/31/2026", "2026/12/01"])
def test_a_day_that_does_not_exist_is_refused_with_the_forms_to_use(text: str) -> None:
    with pytest.raises(BadPeriod, match=r"is not a day: write 2026-12-01 or 01/12/2026"):
        parse_day(text, option="--since", end=False)


def test_previous_period_has_the_same_length() -> None:
    period = Period.parse("2026-12", "2026-12")
    assert period.previous(date(2027, 1, 5)) == Period(date(2026, 10, 31), date(2026, 11, 30))
    assert Period.parse("2026-12-10", None).previous(date(2026, 12, 19)) == Period(date(2026, 11, 30), date(2026, 12, 9))
    assert Period.parse(None, "2026-12-31").previous(date(2027, 1, 1)) is None
    assert french_span(date(2026, 12, 1), date(2026, 12, 31)) == "du 1er au 31 décembre 2026"
    assert french_span(date(2026, 11, 15), date(2027, 1, 14)) == "du 15 novembre 2026 au 14 janvier 2027"


def test_bad_periods_are_one_line_errors(generated: Generated) -> None:
    runner = CliRunner()
    for arguments, message in (
        (["--since", "2025-04-30", "--until", "2025-04-01"], "--until 2025-04-01 is before --since 2025-04-30: swap them"),
        (["--since", "1er avril"], "--since '1er avril' is not a day"),
    ):
        result = runner.invoke(app, ["stats", "export", *arguments], env=generated.env)
        assert result.exit_code == 1 and message in result.stderr and "Traceback" not in result.output


def test_suppressing_a_lone_small_day_hides_a_second_one() -> None:
    assert suppress_series([40, 3, 12, 0, 25], 10) == [40, None, None, 0, 25]
    assert suppress_series([40, 3, 2, 12], 10) == [40, None, None, 12]
    assert suppress_series([0, 0, 3], 10) == [0, 0, None]  # nothing else to hide: the total shows < N anyway
    assert suppress_series([5, 9], 0) == [5, 9]


def test_campaign_check_names_the_line_of_each_bad_target(tmp_path: Path) -> None:
    path = campaign_file(tmp_path)
    text = path.read_text("utf-8")
    text = text.replace("territories:\n    - re\n", "territories:\n    - reunion\n", 1)
    text = text.replace("channel: tel-119", "channel: tel-118", 1)
    text = text.replace("    until: '2025-04-30'\n", "    until: '2025-02-01'\n", 1)
    text = text.replace("  vues:\n    metric: views\n", "  vues:\n    metric: views\n    channel: pharos\n", 1)
    text += "  sans-echeance:\n    metric: landing_visits\n    value: 5\n"
    path.write_text(text, "utf-8")
    result = CliRunner().invoke(app, ["campaign", "check", str(path), "--json"])
    assert result.exit_code == 1
    errors = json.loads(result.stdout)["errors"]
    lines = text.splitlines()

    def line_of(fragment: str) -> int:
        return next(index for index, line in enumerate(lines, 1) if fragment in line)

    found = {(error["line"], error["message"].split(":")[0]) for error in errors}
    messages = " | ".join(error["message"] for error in errors)
    assert (line_of("- reunion"), "unknown territory 'reunion'") in found, messages
    assert (line_of("channel: tel-118"), "target 'clics-119'") in found, messages
    assert "unknown channel 'tel-118': known channels are pharos, tel-119" in messages
    assert (line_of("until: '2025-02-01'"), "target 'clics-119'") in found, messages
    assert "until 2025-02-01 is before since 2025-03-01" in messages
    assert "target 'vues': a channel applies only to metric: channel_clicks" in messages
    assert (line_of("sans-echeance:"), "target 'sans-echeance'") in found, messages
    assert "a campaign target needs 'until: YYYY-MM-DD'" in messages
    text = text.replace("value: 5\n", "value: cinq\n")
    path.write_text(text, "utf-8")
    result = CliRunner().invoke(app, ["campaign", "check", str(path)])
    assert f"{path}:{line_of('value: 5')}:" in result.stdout and "must be a whole number, not the text 'cinq'" in result.stdout


def test_targets_with_problems_are_left_out_of_the_report_with_a_line_saying_why(generated: Generated) -> None:
    path = generated.folder / "campaign.yaml"
    path.write_text(path.read_text("utf-8").replace("channel: tel-119", "channel: tel-118"), "utf-8")
    target = generated.folder / "report.html"
    result = generated.run("stats", "report", "--out", str(target))
    assert "Targets left out of the report" in result.stderr and "tel-118" in result.stderr
    assert "targets" not in report_data(target.read_text("utf-8"))
    failed = CliRunner().invoke(app, ["stats", "export", "--by", "target"], env=generated.env)
    assert failed.exit_code == 1 and "campaign.yaml:" in failed.stderr and "unknown channel 'tel-118'" in failed.stderr


def test_counters_fall_on_the_local_day_of_the_visitor_territory(tmp_path: Path) -> None:
    from zoneinfo import ZoneInfo as Zone

    from engagement.counting import Counters

    database = Database(f"sqlite:///{tmp_path / 'count.db'}")
    database.ensure_schema()
    counters = Counters(database, "c", {"nc": Zone("Pacific/Noumea"), "pf": Zone("Pacific/Tahiti")})
    instant = datetime(2026, 12, 1, 20, 0, tzinfo=UTC)  # 07:00 on Dec 2 in Nouméa, 10:00 on Dec 1 in Tahiti
    for territory in ("nc", "pf", ""):
        counters.count(code="", territory=territory, event="visit", now=instant)
    counters.flush()
    with Session(database.engine) as session:
        days = {row.territory: row.day for row in session.exec(select(ClickCounter))}
    database.dispose()
    assert days == {"nc": date(2026, 12, 2), "pf": date(2026, 12, 1), "": date(2026, 12, 1)}


def test_a_network_that_counts_no_views_shows_them_as_not_given_and_leaves_the_visit_rate_alone(
    tmp_path: Path, database_url: str
) -> None:
    """Mastodon counts no views (networks/mastodon/spec.py, MetricRules.unavailable; its Status
    entity has favourites, reblogs and replies counts, no views: docs.joinmastodon.org/entities/Status/).
    Its row says so (empty, not 0), and the visits through its links do not raise the visit rate
    of the rows they share with X: the rate is the visits through X's links over X's views."""
    accounts = {
        "x-main": {"network": "x", "sandbox": True},
        "masto": {"network": "mastodon", "sandbox": True, "instance": "https://mastodon.example.org",
                  "visibility": "public"},
    }
    generated = generate(tmp_path, database_url, accounts)
    period = ("--since", FIRST.isoformat(), "--until", LAST.isoformat())  # the readings after it are left out
    by_network: dict[object, Any] = {row["network"]: row for row in generated.export("--by", "network", *period)}
    mastodon, x = by_network["mastodon"], by_network["x"]
    assert mastodon["views"] is None and mastodon["link_clicks"] is None and mastodon["visit_rate"] is None
    assert mastodon["landing_visits"] == generated.visits(FIRST, LAST, network="mastodon") > 0
    assert mastodon["engagement"] > 0  # what Mastodon does count is there
    assert x["views"] == int(generated.views(FIRST, LAST, network="x")) > 0
    assert x["visit_rate"] == round(generated.visits(FIRST, LAST, network="x") / x["views"], 4)
    for row in generated.export("--by", "territory", *period):  # both networks in each territory
        key = str(row["territory"])
        views = generated.views(FIRST, LAST, territory=key)
        assert row["landing_visits"] == generated.visits(FIRST, LAST, key)
        assert row["views"] == int(views)
        assert row["visit_rate"] == round(generated.visits(FIRST, LAST, key, network="x") / views, 4)
    rated_days = 0
    for row in generated.export("--by", "day", *period):
        day = date.fromisoformat(str(row["day"]))
        views = sum(generated.views(day, day, territory=key) for key in ZONES)
        through_x = generated.visits(day, day, network="x")
        assert row["views"] == int(views)
        assert row["visit_rate"] == (round(through_x / views, 4) if views else None), day
        rated_days += bool(views and through_x != generated.visits(day, day))
    assert rated_days > 10  # days on which Mastodon's visits would have changed the rate
    csv_rows = list(csv.DictReader(io.StringIO(generated.run("stats", "export", "--by", "network", *period).stdout)))
    assert next(row for row in csv_rows if row["network"] == "mastodon")["views"] == ""

    target = generated.folder / "report.html"
    generated.run("stats", "report", "--out", str(target), "--since", "2025-03-01", "--until", "2025-04-30")
    html = target.read_text("utf-8")
    data: Any = report_data(html)
    for rate in data["rates"]:
        key = rate["territory"]
        views = generated.views(FIRST, LAST, territory=key)
        assert rate["visits_per_1000_views"] == round(1000 * generated.visits(FIRST, LAST, key, network="x") / views, 3)
    assert "mastodon" not in data["series"]["views_by_network"]
    assert "Mastodon ne compte pas les vues" in html and "non communiqué" in html
