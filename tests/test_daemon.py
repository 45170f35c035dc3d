"""The daemon as a process: killed with SIGKILL and restarted, and two daemons on one PostgreSQL database."""

from __future__ import annotations

import collections
import json
import os
import random
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from sqlmodel import Session, select
from typer.testing import CliRunner

from campaign.db import Database
from campaign.models import Delivery, DeliveryEvent, DeliveryState, Worker
from cli import app
from networks.emulator.server import EmulatorServer

from .conftest import inject, published, small_campaign

FAST = {
    "CLICKABLE_REQUEST_TIMEOUT_S": "2",
    "CLICKABLE_BACKOFF_S": "0.2",
    "CLICKABLE_STALE_AFTER_S": "2",
    "CLICKABLE_RECONCILE_S": "1",
    "CLICKABLE_HEARTBEAT_S": "0.5",
    "CLICKABLE_MAX_SLEEP_S": "1",
    "CLICKABLE_KEYRING": "0",
}


TERRITORIES = {
    "fr": ("fr", "Europe/Paris"),
    "re": ("re", "Indian/Reunion"),
    "nc": ("nc", "Pacific/Noumea"),
    "mq": ("mq", "America/Martinique"),
}


def prepare(folder: Path, database_url: str, emulator: EmulatorServer, posts: int) -> dict[str, str]:
    (folder / "campaign.yaml").write_text(
        yaml.safe_dump(small_campaign(posts, TERRITORIES), allow_unicode=True), "utf-8"
    )
    env = {
        **FAST,
        "CLICKABLE_HOME": str(folder),
        "CLICKABLE_DATABASE_URL": database_url,
        "CLICKABLE_EMULATOR_URL": emulator.url,
    }
    for command in (["campaign", "load"], ["schedule", "plan"]):
        result = CliRunner().invoke(app, command, env=env)
        assert result.exit_code == 0, result.output
    database = Database(database_url)
    with Session(database.engine) as session:
        for delivery in session.exec(select(Delivery)):
            delivery.due_utc = datetime.now(UTC) - timedelta(seconds=1)
            session.add(delivery)
        session.commit()
    database.dispose()
    return env


def daemon(env: dict[str, str], name: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", "from cli import main; main()", "schedule", "run", "--name", name],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def wait_for_start(database_url: str, process: subprocess.Popen[bytes], timeout_s: float = 60) -> None:
    """Until the daemon has registered itself (its signal handlers are then in place)."""
    database = Database(database_url)
    deadline = time.time() + timeout_s
    try:
        while time.time() < deadline:
            with Session(database.engine) as session:
                if any(worker.pid == process.pid for worker in session.exec(select(Worker))):
                    return
            time.sleep(0.2)
    finally:
        database.dispose()
    raise AssertionError("the daemon did not start")


def states(database_url: str) -> list[Delivery]:
    database = Database(database_url)
    try:
        with Session(database.engine) as session:
            return list(session.exec(select(Delivery)))
    finally:
        database.dispose()


def wait_until_settled(database_url: str, timeout_s: float) -> list[Delivery]:
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        rows = states(database_url)
        if all(row.state in (DeliveryState.PUBLISHED, DeliveryState.FAILED) for row in rows):
            return rows
        time.sleep(0.5)
    left = collections.Counter(row.state for row in states(database_url))
    raise AssertionError(f"deliveries not settled after {timeout_s} s: {dict(left)}")


def assert_exactly_once(emulator: EmulatorServer, rows: list[Delivery]) -> None:
    texts = collections.Counter(str(record["text"]) for record in published(emulator))
    assert [text for text, count in texts.items() if count > 1] == []
    for row in rows:
        if row.state == DeliveryState.PUBLISHED:
            assert texts[row.text or ""] == 1, row.id
        else:
            assert row.last_error, row.id
            assert texts[row.text or ""] == 0, row.id
    assert sum(1 for row in rows if row.state == DeliveryState.PUBLISHED) == len(published(emulator))


def test_sigkill_at_random_moments_never_publishes_twice(tmp_path: Path, emulator: EmulatorServer) -> None:
    database_url = f"sqlite:///{tmp_path / 'crash.db'}"
    env = prepare(tmp_path, database_url, emulator, posts=25)
    assert len(states(database_url)) == 200
    emulator.emulator.chaos_rate = 0.10  # one create call in ten fails, half of them after the post landed
    chance = random.Random(7)
    kills = 0
    for _ in range(5):
        process = daemon(env, "crash")
        wait_for_start(database_url, process)  # a loaded machine can take seconds to start a daemon
        time.sleep(chance.uniform(0.5, 2.5))
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        kills += 1
    progress = collections.Counter(row.state for row in states(database_url))
    assert progress[DeliveryState.PUBLISHED] > 0  # the killed daemons did work
    process = daemon(env, "crash")
    try:
        wait_for_start(database_url, process)
        rows = wait_until_settled(database_url, timeout_s=120)
    finally:
        process.send_signal(signal.SIGTERM)
        _, errors = process.communicate(timeout=30)
    assert process.returncode == 0, errors.decode()  # a clean stop
    assert b"Traceback" not in errors and b"Error submitting job" not in errors, errors.decode()
    assert kills == 5
    assert_exactly_once(emulator, rows)
    assert sum(1 for row in rows if row.state == DeliveryState.PUBLISHED) >= 190


def test_two_daemons_on_postgresql_publish_500_without_duplicates(
    tmp_path: Path, emulator: EmulatorServer, database_url: str
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("two daemons share one database on PostgreSQL")
    env = prepare(tmp_path, database_url, emulator, posts=63)
    assert len(states(database_url)) == 504
    first, second = daemon(env, "one"), daemon(env, "two")
    try:
        wait_for_start(database_url, first)
        wait_for_start(database_url, second)
        rows = wait_until_settled(database_url, timeout_s=180)
    finally:
        for process in (first, second):
            process.send_signal(signal.SIGTERM)
        stderr = [process.communicate(timeout=30)[1] for process in (first, second)]
    assert not [errors for errors in stderr if b"Traceback" in errors], stderr
    assert {row.state for row in rows} == {DeliveryState.PUBLISHED}
    assert_exactly_once(emulator, rows)
    assert len(published(emulator)) == 504
    database = Database(database_url)
    with Session(database.engine) as session:
        claims = [
            event.reason or ""
            for event in session.exec(
                select(DeliveryEvent).where(DeliveryEvent.to_state == DeliveryState.SENDING)
            )
        ]
    database.dispose()
    by_daemon = collections.Counter(reason.removeprefix("claimed by ").split("@")[0] for reason in claims)
    assert (
        by_daemon["one"] > 0 and by_daemon["two"] > 0
    )  # both daemons worked, and no delivery went out twice


def test_sigterm_stops_cleanly_and_leaves_nothing_claimed(tmp_path: Path, emulator: EmulatorServer) -> None:
    database_url = f"sqlite:///{tmp_path / 'term.db'}"
    env = prepare(tmp_path, database_url, emulator, posts=25)
    inject(
        emulator, "x", "POST /2/tweets", delay_s=0.05, times=1000
    )  # slow the network so that SIGTERM lands mid-run
    process = daemon(env, "term")
    deadline = time.time() + 30
    while time.time() < deadline and not published(emulator):
        time.sleep(0.1)
    process.send_signal(signal.SIGTERM)
    _, errors = process.communicate(timeout=30)
    assert process.returncode == 0 and b"Traceback" not in errors, errors.decode()  # a clean stop
    rows = states(database_url)
    assert not [row.id for row in rows if row.state == DeliveryState.SENDING]
    assert 0 < sum(1 for row in rows if row.state == DeliveryState.PUBLISHED) < 200
    database = Database(database_url)
    with Session(database.engine) as session:
        workers = session.exec(select(Worker)).all()
    database.dispose()
    assert workers and all(worker.stopped_at is not None for worker in workers)


def test_doctor_sees_a_live_daemon(tmp_path: Path, emulator: EmulatorServer) -> None:
    database_url = f"sqlite:///{tmp_path / 'doctor.db'}"
    env = prepare(tmp_path, database_url, emulator, posts=1)
    process = daemon(env, "doc")
    try:
        wait_for_start(database_url, process)
        rows = wait_until_settled(database_url, timeout_s=60)
        assert {row.state for row in rows} == {DeliveryState.PUBLISHED}
        result = CliRunner().invoke(app, ["doctor", "--json"], env=env)
        report = json.loads(result.stdout)
        assert result.exit_code == 0 and report["ok"] and report["daemons_alive"][0].startswith("doc@")
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=30)
