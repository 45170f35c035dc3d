"""Migrations and tables agree; instants come back aware in UTC on every database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import Session, SQLModel

from campaign.db import Database, current_revision, head_revision
from campaign.models import Campaign


def test_migrations_match_the_tables(database_url: str) -> None:
    database = Database(database_url)
    try:
        database.ensure_schema()
        assert current_revision(database.engine) == head_revision()
        with database.engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
        assert differences == []
    finally:
        database.dispose()


def test_instants_round_trip_as_aware_utc(database_url: str) -> None:
    database = Database(database_url)
    noumea = timezone(timedelta(hours=11))
    try:
        with database.session() as session:
            session.add(
                Campaign(
                    id="c",
                    name="c",
                    language="fr",
                    source_path="/x",
                    content_hash="h",
                    landing_base_url="https://x.example",
                    loaded_at=datetime(2026, 12, 1, 18, 30, tzinfo=noumea),
                )
            )
        with Session(database.engine) as session:
            row = session.get(Campaign, "c")
            assert row is not None
            assert row.loaded_at == datetime(2026, 12, 1, 7, 30, tzinfo=UTC)
            assert row.loaded_at.utcoffset() == timedelta(0)
    finally:
        database.dispose()


def test_naive_instants_are_refused(database_url: str) -> None:
    database = Database(database_url)
    try:
        with pytest.raises(Exception, match="naive datetime"), database.session() as session:
            session.add(
                Campaign(
                    id="c",
                    name="c",
                    language="fr",
                    source_path="/x",
                    content_hash="h",
                    landing_base_url="https://x.example",
                    loaded_at=datetime(2026, 12, 1, 18, 30),
                )
            )
            session.flush()
    finally:
        database.dispose()


def test_repr_hides_the_password() -> None:
    database = Database("postgresql+psycopg://user:s3cr3t-pw@localhost/db")
    assert "s3cr3t-pw" not in repr(database)


def test_two_first_migrations_at_once_both_end_at_head(database_url: str, tmp_path: Path) -> None:
    """Two commands starting together on a new database (two processes): one migrates, the other
    waits for it. Without the migration lock one of them failed ("expected to match one row when
    updating '0001' to '0002'") or waited for ever, about one round in three."""
    import subprocess
    import sys

    rounds = 3 if database_url.startswith("sqlite") else 1  # (one PostgreSQL schema per test)
    for round_ in range(rounds):
        url = f"sqlite:///{tmp_path / f'round{round_}.db'}" if database_url.startswith("sqlite") else database_url
        code = (
            "import sys; from campaign.db import Database, current_revision, head_revision\n"
            "sys.stdin.readline()\n"  # both start migrating when the test says so
            f"database = Database({url!r}); database.ensure_schema()\n"
            "assert current_revision(database.engine) == head_revision()\n"
        )
        processes = [
            subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)
        ]
        for process in processes:
            assert process.stdin is not None
            process.stdin.write("go\n")
            process.stdin.flush()
        for process in processes:
            _, errors = process.communicate(timeout=120)
            assert process.returncode == 0, errors
