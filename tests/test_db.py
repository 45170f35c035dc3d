"""Migrations and tables agree; instants come back aware in UTC on every database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

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
