"""Statistics: collection, exports by every dimension, the HTML report, large generated campaigns."""

from __future__ import annotations

import csv
import io
import json
import random
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import insert
from sqlmodel import Session, select
from starlette.testclient import TestClient
from typer.testing import CliRunner

from campaign.checks import check_file
from campaign.db import Database
from campaign.models import ClickCounter, Delivery, Link, MetricSnapshot
from cli import app
from engagement.landing import LandingSite
from networks.emulator.server import EmulatorServer
from networks.registry import registry

from .conftest import published


@pytest.fixture
def run(workspace: Path, database_url: str, emulator: EmulatorServer) -> dict[str, str]:
    """The example campaign with approval off, published to the emulator, metrics collected."""
    text = (
        (workspace / "campaign.yaml")
        .read_text("utf-8")
        .replace("required: true", "required: false")
        .replace("two_person: true", "two_person: false")
    )
    (workspace / "campaign.yaml").write_text(text, "utf-8")
    env = {"CLICKABLE_HOME": str(workspace), "CLICKABLE_DATABASE_URL": database_url, "CLICKABLE_EMULATOR_URL": emulator.url,
           "CLICKABLE_KEYRING": "0"}  # fmt: skip
    runner = CliRunner()
    for command in (
        ["campaign", "load"],
        ["post", "publish", "p03-secret", "--now"],
        ["post", "publish", "p08-nouvelle-caledonie", "--now"],
    ):
        result = runner.invoke(app, command, env=env)
        assert result.exit_code == 0, result.output
    frozen = emulator.emulator.now() + 6 * 3600  # six hours later, and the numbers stop growing
    emulator.emulator.now = lambda: frozen  # type: ignore[method-assign]
    result = runner.invoke(app, ["stats", "collect", "--all"], env=env)
    assert result.exit_code == 0 and "snapshots stored" in result.stdout
    return env


def visit(workspace: Path, database_url: str, count: int) -> dict[str, int]:
    """Visits and channel clicks through the real landing app; returns visits per territory."""
    report = check_file(workspace / "campaign.yaml", networks=registry())
    database = Database(database_url)
    site = LandingSite(report.campaign, database)  # type: ignore[arg-type]
    per_territory: dict[str, int] = {}
    with TestClient(site.app(), headers={"User-Agent": "Mozilla/5.0"}, follow_redirects=False) as client:
        with Session(database.engine) as session:
            delivered = session.exec(select(Delivery).where(Delivery.state == "published")).all()
            codes = [session.get(Link, delivery.link_id).code for delivery in delivered]  # type: ignore[union-attr]
        for index in range(count):
            code = codes[index % len(codes)]
            assert client.get(f"/r/{code}").status_code == 302
            assert client.get(f"/go/pharos?from={code}").status_code == 302
            territory = site.targets[code].territory
            per_territory[territory] = per_territory.get(territory, 0) + 1
    database.dispose()
    return per_territory


def test_exports_match_the_emulator_and_the_counters(
    run: dict[str, str], emulator: EmulatorServer, workspace: Path, database_url: str
) -> None:
    per_territory = visit(workspace, database_url, 40)
    runner = CliRunner()
    by_network = list(
        csv.DictReader(
            io.StringIO(runner.invoke(app, ["stats", "export", "--by", "network"], env=run).stdout)
        )
    )
    published_count = len(published(emulator))
    assert sum(int(row["deliveries"]) for row in by_network) >= published_count
    assert sum(int(row["landing_visits"]) for row in by_network) == 40
    assert sum(int(row["channel_clicks"]) for row in by_network) == 40
    networks = registry()
    expected_views = sum(  # a network that gives no views (Mastodon: MetricRules.unavailable) counts none
        emulator.emulator.engagement(str(item["id"]))["views"]
        for item in published(emulator)
        if "views" not in networks[str(item["network"])].metrics.unavailable
    )
    views = {row["network"]: row["views"] for row in by_network}
    assert sum(int(value) for value in views.values() if value) == expected_views
    for network, value in views.items():  # not given (empty), never 0, where the network counts none
        if network in networks:
            assert (value == "") == ("views" in networks[network].metrics.unavailable), network
    territories = json.loads(
        runner.invoke(app, ["stats", "export", "--by", "territory", "--format", "json"], env=run).stdout
    )
    assert {
        row["territory"]: row["landing_visits"] for row in territories if row["landing_visits"]
    } == per_territory
    for dimension in ("post", "capsule", "day"):
        result = runner.invoke(app, ["stats", "export", "--by", dimension, "--format", "json"], env=run)
        assert result.exit_code == 0
        assert (
            sum(
                row["landing_visits"]
                for row in json.loads(result.stdout)
                if isinstance(row["landing_visits"], int)
            )
            == 40
        )
    target = workspace / "stats.xlsx"
    assert (
        runner.invoke(
            app, ["stats", "export", "--by", "post", "--format", "xlsx", "--out", str(target)], env=run
        ).exit_code
        == 0
    )
    sheet = load_workbook(target).active
    header = [cell.value for cell in next(sheet.iter_rows(max_row=1))]  # type: ignore[union-attr]
    assert header[:3] == ["post", "deliveries", "views"]


def test_small_counts_can_be_suppressed(run: dict[str, str], workspace: Path, database_url: str) -> None:
    visit(workspace, database_url, 3)
    rows = json.loads(
        CliRunner()
        .invoke(
            app,
            ["stats", "export", "--by", "territory", "--format", "json", "--suppress-below", "10"],
            env=run,
        )
        .stdout
    )
    assert {row["landing_visits"] for row in rows if row["landing_visits"] != 0} == {"<10"}
    hidden = [row for row in rows if row["landing_visits"] == "<10"]
    assert all(row["visit_rate"] is None and row["click_rate"] is None for row in hidden)  # no way back
    target = workspace / "report.html"
    command = ["stats", "report", "--out", str(target), "--suppress-below", "10"]
    assert CliRunner().invoke(app, command, env=run).exit_code == 0
    html = target.read_text("utf-8")
    assert "moins de 10 visites sont arrivées" in html and "(moins de 10 clics)" in html
    detailed = html[html.index('id="tableaux"') :]  # the detailed tables: visits and clicks in columns 4 and 5
    for table in re.findall(r"<tbody>(.*?)</tbody>", detailed, re.S):
        for row in re.findall(r"<tr>(.*?)</tr>", table, re.S):
            cells = re.findall(r"<td[^>]*>(.*?)</td>", row)
            assert cells[3] in ("0", "&lt;10") and cells[4] in ("0", "&lt;10"), cells  # visits, clicks
            assert cells[5:] == ["—", "—"] or cells[3] == "0", cells


def test_report_is_self_contained_with_charts(
    run: dict[str, str], workspace: Path, database_url: str
) -> None:
    visit(workspace, database_url, 12)
    target = workspace / "report.html"
    assert CliRunner().invoke(app, ["stats", "report", "--out", str(target)], env=run).exit_code == 0
    html = target.read_text("utf-8")
    assert html.count("data:image/png;base64,") >= 3
    assert "En bref" in html and "12 visites sont arrivées" in html
    assert "100,0\u00a0%" in html  # French figures: every visit went on to Pharos
    assert "http://" not in html and "https://" not in html  # nothing to fetch: it opens offline


def test_collecting_again_keeps_history(run: dict[str, str], database_url: str) -> None:
    assert CliRunner().invoke(app, ["stats", "collect", "--all"], env=run).exit_code == 0
    database = Database(database_url)
    with Session(database.engine) as session:
        snapshots = session.exec(select(MetricSnapshot)).all()
    database.dispose()
    per_delivery: dict[int, int] = {}
    for snapshot in snapshots:
        per_delivery[snapshot.delivery_id] = per_delivery.get(snapshot.delivery_id, 0) + 1
    assert set(per_delivery.values()) == {2}


def test_bad_export_options(run: dict[str, str]) -> None:
    runner = CliRunner()
    assert (
        "unknown format 'pdf'" in runner.invoke(app, ["stats", "export", "--format", "pdf"], env=run).stderr
    )
    assert (
        "unknown dimension 'planet'"
        in runner.invoke(app, ["stats", "export", "--by", "planet"], env=run).stderr
    )
    assert "needs --out" in runner.invoke(app, ["stats", "export", "--format", "xlsx"], env=run).stderr


def test_thousands_of_deliveries_and_a_million_counter_rows(tmp_path: Path, database_url: str) -> None:
    """Generated: 4,000 deliveries with metrics and 1,000,000 counter rows; exports and report stay exact."""
    import yaml
    from sqlalchemy import update

    tomorrow = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%d 12:00")
    data = {
        "campaign": {"id": "big", "name": "Grande campagne", "language": "fr"},
        "approval": {"required": False},
        "territories": {key: {"name": key, "timezone": zone} for key, zone in (("fr", "Europe/Paris"), ("re", "Indian/Reunion"), ("nc", "Pacific/Noumea"), ("mq", "America/Martinique"))},
        "accounts": {"x-main": {"network": "x", "sandbox": True}, "fb-main": {"network": "facebook", "sandbox": True}},
        "schedule": {"caps": {"x": 100_000, "facebook": 100_000}},
        "landing": {"base_url": "https://s.example.org", "channels": {"pharos": {"name": "Pharos", "url": "https://www.internet-signalement.gouv.fr"}}},
        "posts": [{"id": f"p{index:04d}", "text": f"Message {index} {{link}}", "accounts": ["x-main", "fb-main"], "at": tomorrow} for index in range(500)],
    }  # fmt: skip
    (tmp_path / "campaign.yaml").write_text(yaml.safe_dump(data), "utf-8")
    env = {"CLICKABLE_HOME": str(tmp_path), "CLICKABLE_DATABASE_URL": database_url}
    for command in (["campaign", "load"], ["schedule", "plan"]):
        assert CliRunner().invoke(app, command, env=env).exit_code == 0
    database = Database(database_url)
    chance = random.Random(3)
    now = datetime.now(UTC)
    with database.engine.begin() as connection:
        connection.execute(update(Delivery).values(state="published", published_at=now, remote_id="1"))
        ids = list(connection.execute(select(Delivery.id)).scalars())
        views = [chance.randint(100, 5000) for _ in ids]
        connection.execute(insert(MetricSnapshot), [{"delivery_id": delivery_id, "collected_at": now, "milestone": "24h", "metrics": {"views": view}, "raw": {}}
                                                    for delivery_id, view in zip(ids, views, strict=True)])  # fmt: skip
        codes = list(connection.execute(select(Link.code)).scalars())
        expected = {"visit": 0, "click:pharos": 0}
        batch: list[dict[str, object]] = []
        for index in range(1_000_000):
            event = "visit" if index % 4 else "click:pharos"
            count = chance.randint(1, 9)
            expected[event] += count
            batch.append({"day": date(2025, 1, 1) + timedelta(days=index // len(codes)), "campaign_id": "big", "code": codes[index % len(codes)],
                          "territory": "fr", "event": event, "count": count})  # fmt: skip
            if len(batch) == 50_000:
                connection.execute(insert(ClickCounter), batch)
                batch = []
    database.dispose()
    assert len(ids) == 4000
    runner = CliRunner()
    for dimension in ("post", "capsule", "network", "territory", "day"):
        result = runner.invoke(app, ["stats", "export", "--by", dimension, "--format", "json"], env=env)
        assert result.exit_code == 0, result.output
        rows = json.loads(result.stdout)
        assert sum(row["landing_visits"] for row in rows) == expected["visit"], dimension
        assert sum(row["channel_clicks"] for row in rows) == expected["click:pharos"], dimension
        if dimension != "day":
            assert sum(row["views"] for row in rows) == sum(views), dimension
    report = tmp_path / "report.html"
    assert runner.invoke(app, ["stats", "report", "--out", str(report)], env=env).exit_code == 0
    assert report.read_text("utf-8").count("data:image/png;base64,") >= 3
