"""Export and report time on a generated campaign: 4,000 deliveries and 1,000,000 counter rows.

Prints the time of `stats export` by each dimension and of the HTML report, against the floor of
one `SELECT SUM(count)` over the same counter table (run in the same process).

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


def main() -> None:
    import yaml
    from sqlalchemy import func, insert, select, update
    from sqlmodel import Session
    from typer.testing import CliRunner

    from campaign.db import Database
    from campaign.models import Campaign, ClickCounter, Delivery, Link, MetricSnapshot
    from cli import app
    from engagement.report import build_report
    from engagement.stats import DIMENSIONS, aggregate, to_csv

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--posts", type=int, default=500)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        tomorrow = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%d 12:00")
        data = {
            "campaign": {"id": "export-bench", "name": "Export", "language": "fr"},
            "approval": {"required": False},
            "territories": {key: {"name": key, "timezone": zone} for key, zone in (("fr", "Europe/Paris"), ("re", "Indian/Reunion"), ("nc", "Pacific/Noumea"), ("mq", "America/Martinique"))},
            "accounts": {"x-main": {"network": "x", "sandbox": True}, "fb-main": {"network": "facebook", "sandbox": True}},
            "schedule": {"caps": {"x": 100_000, "facebook": 100_000}},
            "landing": {"base_url": "https://s.example.org", "channels": {"tel-119": {"name": "119", "phone": "119"}, "pharos": {"name": "Pharos", "url": "https://www.internet-signalement.gouv.fr"}}},
            "posts": [{"id": f"p{index:04d}", "text": f"Message {index} {{link}}", "accounts": ["x-main", "fb-main"], "at": tomorrow} for index in range(arguments.posts)],
        }  # fmt: skip
        (folder / "campaign.yaml").write_text(yaml.safe_dump(data), "utf-8")
        url = f"sqlite:///{folder / 'export.db'}"
        env = {"CLICKABLE_HOME": str(folder), "CLICKABLE_DATABASE_URL": url}
        for command in (["campaign", "load"], ["schedule", "plan"]):
            assert CliRunner().invoke(app, command, env=env).exit_code == 0
        database = Database(url)
        chance = random.Random(1)
        now = datetime.now(UTC)
        generation = time.perf_counter()
        with database.engine.begin() as connection:
            connection.execute(update(Delivery).values(state="published", published_at=now, remote_id="1"))
            ids = [row[0] for row in connection.execute(select(Delivery.id))]
            connection.execute(insert(MetricSnapshot), [{"delivery_id": delivery_id, "collected_at": now, "milestone": "24h",
                                                         "metrics": {"views": chance.randint(100, 5000), "likes": chance.randint(0, 50)}, "raw": {}}
                                                        for delivery_id in ids])  # fmt: skip
            codes = [row[0] for row in connection.execute(select(Link.code))]
            events = ("visit", "visit", "visit", "click:pharos", "click:tel-119")
            batch = []
            for index in range(arguments.rows):
                batch.append({"day": date(2025, 1, 1) + timedelta(days=index // len(codes)), "campaign_id": "export-bench", "code": codes[index % len(codes)],
                              "territory": "fr", "event": events[index % len(events)], "count": chance.randint(1, 9)})  # fmt: skip
                if len(batch) == 50_000:
                    connection.execute(insert(ClickCounter), batch)
                    batch = []
            if batch:
                connection.execute(insert(ClickCounter), batch)
        generation = time.perf_counter() - generation
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
            campaign = session.get(Campaign, "export-bench")
            begin = time.perf_counter()
            html = build_report(session, campaign)  # type: ignore[arg-type]
            report_time = time.perf_counter() - begin
        database.dispose()
    print(
        f"generated {len(ids)} deliveries and {arguments.rows:,} counter rows in {generation:.1f} s".replace(
            ",", " "
        )
    )
    print(f"floor, SELECT SUM(count) over the counters: {floor:.3f} s")
    for dimension, seconds in timings.items():
        print(f"stats export --by {dimension}: {seconds:.3f} s (ratio to the floor {seconds / floor:.1f})")
    print(f"stats report (HTML, {len(html) // 1024} KB, 4 charts): {report_time:.3f} s")


if __name__ == "__main__":
    main()
