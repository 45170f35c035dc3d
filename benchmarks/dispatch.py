"""1,000 due posts published to the emulator by the dispatcher, against a bare requests loop.

Both post the same bodies to the same in-process emulator with the same OAuth 1.0a signing. The
dispatcher also claims, records every transition and stores the remote id (SQLite in a temporary
workspace). A second run spreads the due times over the run and measures the lateness of each
publication against its due time.

    python benchmarks/dispatch.py [--count 1000]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def prepare(folder: Path, count: int, emulator_url: str) -> tuple[str, list[str]]:
    import yaml
    from sqlmodel import Session, select
    from typer.testing import CliRunner

    from campaign.db import Database
    from campaign.models import Delivery
    from cli import app

    tomorrow = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%d 12:00")
    posts = [
        {
            "id": f"p{index:04d}",
            "text": f"Message {index} : parles-en au 3018. {{link}}",
            "accounts": ["x-main"],
            "territories": ["fr"],
            "at": tomorrow,
        }
        for index in range(count)
    ]
    data = {
        "campaign": {"id": "bench", "name": "Bench", "language": "fr"},
        "approval": {"required": False},
        "territories": {"fr": {"name": "France", "timezone": "Europe/Paris"}},
        "accounts": {"x-main": {"network": "x", "sandbox": True}},
        "schedule": {"caps": {"x": count + 1}},
        "landing": {
            "base_url": "https://s.example.org",
            "channels": {"tel-119": {"name": "119", "phone": "119"}},
        },
        "posts": posts,
    }
    (folder / "campaign.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    url = f"sqlite:///{folder / 'bench.db'}"
    env = {
        "CLICKABLE_HOME": str(folder),
        "CLICKABLE_DATABASE_URL": url,
        "CLICKABLE_EMULATOR_URL": emulator_url,
    }
    for command in (["campaign", "load"], ["schedule", "plan"]):
        result = CliRunner().invoke(app, command, env=env)
        assert result.exit_code == 0, result.output
    database = Database(url)
    with Session(database.engine) as session:
        texts = [delivery.text or "" for delivery in session.exec(select(Delivery).order_by(Delivery.id))]  # type: ignore[arg-type]
    database.dispose()
    return url, texts


def requeue(url: str) -> None:
    """Every delivery queued again and due now (between repeated runs)."""
    from sqlalchemy import update

    from campaign.db import Database
    from campaign.models import Delivery

    database = Database(url)
    with database.engine.begin() as connection:
        connection.execute(
            update(Delivery).values(state="queued", stage=None, remote_id=None, published_at=None, attempts=0)
        )
    database.dispose()
    set_due(url, datetime.now(UTC) - timedelta(seconds=1), timedelta(0))


def set_due(url: str, start: datetime, spacing: timedelta) -> None:
    from sqlmodel import Session, select

    from campaign.db import Database
    from campaign.models import Delivery

    database = Database(url)
    with Session(database.engine) as session:
        for index, delivery in enumerate(session.exec(select(Delivery).order_by(Delivery.id))):  # type: ignore[arg-type]
            delivery.due_utc = start + index * spacing
            session.add(delivery)
        session.commit()
    database.dispose()


def bare_loop(emulator_url: str, texts: list[str]) -> float:
    import requests
    import tweepy

    from networks.emulator.server import Emulator
    from networks.transport import prepare_session

    credentials = Emulator(2026).credentials()["x"]
    auth = tweepy.OAuth1UserHandler(
        credentials["consumer_key"],
        credentials["consumer_secret"],
        credentials["access_token"],
        credentials["access_token_secret"],
    ).apply_auth()
    session = prepare_session(requests.Session(), emulator_url=emulator_url)
    start = time.perf_counter()
    for text in texts:
        response = session.post("https://api.x.com/2/tweets", json={"text": text}, auth=auth)
        assert response.status_code == 201, response.text
    return time.perf_counter() - start


def dispatcher_for(url: str, emulator_url: str, folder: Path):  # type: ignore[no-untyped-def]
    from campaign.db import Database
    from networks.accounts import build_adapter
    from networks.credentials import CredentialStore
    from schedules.dispatch import Dispatcher

    store = CredentialStore(folder, use_keyring=False)
    database = Database(url)
    return database, Dispatcher(
        database,
        lambda account: build_adapter(account, store=store, emulator_url=emulator_url),
        worker="bench",
        batch=50,
    )


def lateness(url: str) -> list[float]:
    from sqlmodel import Session, select

    from campaign.db import Database
    from campaign.models import Delivery

    database = Database(url)
    with Session(database.engine) as session:
        rows = session.exec(select(Delivery)).all()
    database.dispose()
    return sorted(
        (row.published_at - row.due_utc).total_seconds() for row in rows if row.published_at and row.due_utc
    )


class EmulatorProcess:
    """`clickable emulator serve` in its own process, as the real networks are not in ours."""

    def __init__(self) -> None:
        import socket
        import subprocess

        import requests

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from cli import main; main()",
                "emulator",
                "serve",
                "--port",
                str(self.port),
            ],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(100):
            try:
                requests.get(f"{self.url}/_emulator/published", timeout=1)
                return
            except requests.ConnectionError:
                time.sleep(0.1)
        raise RuntimeError("the emulator did not start")

    def reset(self) -> None:
        import requests

        requests.post(f"{self.url}/_emulator/reset", timeout=5)

    def published(self) -> int:
        import requests

        return len(requests.get(f"{self.url}/_emulator/published", timeout=30).json())

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each (medians are compared)")
    arguments = parser.parse_args()
    count = arguments.count
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        server = EmulatorProcess()
        try:
            url, texts = prepare(folder, count, server.url)
            bares, ours_runs = [], []
            for run in range(arguments.repeat):  # interleaved, so that machine noise hits both alike
                server.reset()
                bares.append(bare_loop(server.url, [f"{text} (bare {run})" for text in texts]))
                server.reset()
                requeue(url)
                database, dispatcher = dispatcher_for(url, server.url, folder)
                begin = time.perf_counter()
                summary = dispatcher.run_due()
                ours_runs.append(time.perf_counter() - begin)
                assert summary.published == count, (summary.published, summary.failed, summary.retrying)
                assert server.published() == count
                database.dispose()
            bare, ours = statistics.median(bares), statistics.median(ours_runs)

            # lateness: the same posts due one after the other, paced at the bare loop's own speed x 2
            server.reset()
            url2, _ = prepare(
                folder / "paced" if (folder / "paced").mkdir() is None else folder, count, server.url
            )
            spacing = timedelta(seconds=2 * ours / count)
            first_due = datetime.now(UTC) + timedelta(seconds=1)
            set_due(url2, first_due, spacing)
            database, dispatcher = dispatcher_for(url2, server.url, folder / "paced")
            deadline = first_due + count * spacing + timedelta(seconds=30)
            while datetime.now(UTC) < deadline:
                dispatcher.run_due()
                with database.engine.connect():
                    pass
                if sum(1 for _ in lateness(url2)) >= count:
                    break
                time.sleep(0.01)
            database.dispose()
            late = lateness(url2)
        finally:
            server.stop()
    p99 = late[int(0.99 * (len(late) - 1))] if late else float("nan")
    print(
        f"bare requests loop: {bare:.2f} s for {count} posts ({count / bare:.0f}/s), median of {[round(value, 2) for value in bares]}"
    )
    print(
        f"dispatcher:         {ours:.2f} s for {count} posts ({count / ours:.0f}/s), median of {[round(value, 2) for value in ours_runs]}"
    )
    print(f"ratio dispatcher/bare: {ours / bare:.2f} (goal <= 1.3)")
    print(
        f"lateness against the due time, paced run: median {statistics.median(late):.3f} s, p99 {p99:.3f} s, max {late[-1]:.3f} s (goal p99 <= 1 s)"
    )


if __name__ == "__main__":
    main()
