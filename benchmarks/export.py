"""Export and report time on a generated campaign: 4,000 deliveries and 1,000,000 counter rows.

The deliveries are published over 240 days, each with its four metric readings (1 h, 24 h, 72 h,
7 days); the counter rows fall on each tracked code's own territory, over 250 days. Prints the time
of `stats export` by each dimension (alone, and over a period compared with the one before), of
the HTML report of the whole campaign, of the report with trends (a 92-day period compared with
the 92 days before, and targets per territory per month and for the campaign) in HTML and in PDF,
each against the floor of one `SELECT SUM(count)` over the same counter table (same process).
Goal: the report with trends in under 10 s on 2 cores.

    python benchmarks/export.py [--rows 1000000]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def generate(folder: Path, rows: int, posts: int) -> float:
    """The campaign, its deliveries, readings and counter rows in ``folder``; returns the seconds taken."""
    import yaml
    from sqlalchemy import insert, select, update
    from typer.testing import CliRunner

    from campaign.db import Database
    from campaign.models import ClickCounter, Delivery, Link, MetricSnapshot, Territory
    from cli import app

    tomorrow = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%d 12:00")
    data = {
        "campaign": {"id": "export-bench", "name": "Export", "language": "fr"},
        "approval": {"required": False},
        "territories": {key: {"name": key, "timezone": zone} for key, zone in (("fr", "Europe/Paris"), ("re", "Indian/Reunion"), ("nc", "Pacific/Noumea"), ("mq", "America/Martinique"))},
        "accounts": {"x-main": {"network": "x", "sandbox": True}, "fb-main": {"network": "facebook", "sandbox": True}},
        "schedule": {"caps": {"x": 100_000, "facebook": 100_000}},
        "landing": {"base_url": "https://s.example.org", "channels": {"tel-119": {"name": "119", "phone": "119"}, "pharos": {"name": "Pharos", "url": "https://www.internet-signalement.gouv.fr"}}},
        "posts": [{"id": f"p{index:04d}", "text": f"Message {index} {{link}}", "accounts": ["x-main", "fb-main"], "at": tomorrow} for index in range(posts)],
    }  # fmt: skip
    (folder / "campaign.yaml").write_text(yaml.safe_dump(data), "utf-8")
    url = f"sqlite:///{folder / 'export.db'}"
    env = {"CLICKABLE_HOME": str(folder), "CLICKABLE_DATABASE_URL": url}
    for command in (["campaign", "load"], ["schedule", "plan"]):
        assert CliRunner().invoke(app, command, env=env).exit_code == 0
    database = Database(url)
    chance = random.Random(1)
    generation = time.perf_counter()
    start = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
    milestones = (timedelta(hours=1), timedelta(hours=24), timedelta(hours=72), timedelta(days=7))
    with database.engine.begin() as connection:
        ids = [row[0] for row in connection.execute(select(Delivery.id).order_by(Delivery.id))]
        readings = []
        for index, delivery_id in enumerate(ids):
            published_at = start + timedelta(days=index % 240)
            connection.execute(update(Delivery).where(Delivery.id == delivery_id).values(state="published", published_at=published_at, remote_id=str(index)))  # fmt: skip
            views = 0
            for name, delta in zip(("1h", "24h", "72h", "7d"), milestones, strict=True):
                views += chance.randint(100, 2000)
                readings.append({"delivery_id": delivery_id, "collected_at": published_at + delta, "milestone": name,
                                 "metrics": {"views": views, "likes": views // 40}, "raw": {}})  # fmt: skip
        connection.execute(insert(MetricSnapshot), readings)
        codes = list(connection.execute(select(Link.code, Territory.key).join(Territory, Territory.id == Link.territory_id)))  # type: ignore[arg-type]
        events = ("visit", "visit", "visit", "click:pharos", "click:tel-119")
        batch = []
        for index in range(rows):
            code, territory = codes[index % len(codes)]
            batch.append({"day": date(2025, 1, 1) + timedelta(days=index // len(codes)), "campaign_id": "export-bench", "code": code,
                          "territory": territory, "event": events[index % len(events)], "count": chance.randint(1, 9)})  # fmt: skip
            if len(batch) == 50_000:
                connection.execute(insert(ClickCounter), batch)
                batch = []
        if batch:
            connection.execute(insert(ClickCounter), batch)
    generation = time.perf_counter() - generation
    database.dispose()
    return generation


def main() -> None:
    from sqlalchemy import func, select
    from sqlmodel import Session

    from campaign.db import Database
    from campaign.models import Campaign, ClickCounter, Delivery
    from campaign.schema import TargetSpec
    from engagement.pdf import render_pdf
    from engagement.periods import Period
    from engagement.report import build_report, build_report_model, render_html
    from engagement.stats import DIMENSIONS, Dataset, aggregate, to_csv

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--posts", type=int, default=500)
    parser.add_argument("--keep", help="keep the generated campaign in this folder (and reuse it if it is there)")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(arguments.keep or scratch)
        folder.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{folder / 'export.db'}"
        generation = 0.0 if (folder / "export.db").exists() else generate(folder, arguments.rows, arguments.posts)
        database = Database(url)
        with database.engine.connect() as connection:
            ids = list(connection.execute(select(Delivery.id)).scalars())
        with Session(database.engine) as session:
            begin = time.perf_counter()
            floor_total = int(session.execute(select(func.sum(ClickCounter.count))).scalar_one())
            floor = time.perf_counter() - begin
            timings = {}
            for dimension in DIMENSIONS:
                begin = time.perf_counter()
                rows = aggregate(session, "export-bench", dimension)
                to_csv(rows, dimension)
                timings[dimension] = time.perf_counter() - begin
                total = sum(row.landing_visits + row.channel_clicks for row in rows)
                assert total == floor_total, (dimension, total, floor_total)
            period = Period(date(2025, 6, 1), date(2025, 8, 31))
            previous = period.previous(date(2025, 9, 30))
            assert previous is not None
            begin = time.perf_counter()
            dataset = Dataset(session, "export-bench")
            compared = dataset.compared_rows("territory", period, previous)
            to_csv(compared, "territory", compared=True)
            timings["territory, 92 days compared with the 92 before"] = time.perf_counter() - begin
            campaign = session.get(Campaign, "export-bench")
            assert campaign is not None
            begin = time.perf_counter()
            html = build_report(session, campaign)
            report_time = time.perf_counter() - begin
            targets = {
                "clics-mois": TargetSpec(metric="channel_clicks", value=3000, per="month"),
                "visites": TargetSpec(metric="landing_visits", value=100_000, until=date(2025, 12, 31)),
            }
            begin = time.perf_counter()
            model = build_report_model(session, campaign, period=period, targets=targets, suppress_below=10,
                                       now=datetime(2025, 9, 30, tzinfo=UTC))  # fmt: skip
            trends_html = render_html(model)
            trends_time = time.perf_counter() - begin
            begin = time.perf_counter()
            pdf = render_pdf(model)
            pdf_time = time.perf_counter() - begin
            charts = sum(len(section.charts) for section in model.sections)
        database.dispose()
    print(
        f"generated {len(ids)} deliveries and {arguments.rows:,} counter rows in {generation:.1f} s".replace(
            ",", " "
        )
    )
    print(f"floor, SELECT SUM(count) over the counters: {floor:.3f} s")
    for dimension, seconds in timings.items():
        print(f"stats export --by {dimension}: {seconds:.3f} s (ratio to the floor {seconds / floor:.1f})")
    print(f"stats report, whole campaign (HTML, {len(html) // 1024} KB): {report_time:.3f} s (ratio {report_time / floor:.1f})")
    verdict = "within" if trends_time < 10 else "OVER"
    print(f"stats report with trends, 92 days compared, targets (HTML, {len(trends_html) // 1024} KB, {charts} charts): "
          f"{trends_time:.3f} s (ratio {trends_time / floor:.1f}; {verdict} the 10 s goal)")  # fmt: skip
    print(f"  the same as PDF (after the model): {pdf_time:.3f} s, {len(pdf) // 1024} KB")


if __name__ == "__main__":
    if "--profile" in sys.argv:
        import cProfile

        sys.argv.remove("--profile")
        cProfile.run("main()", sort="cumulative")
    else:
        main()
