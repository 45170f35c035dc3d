"""Alembic environment: the engine comes from campaign.db (never from a config file)."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

from campaign import models  # noqa: F401
from campaign.db import MIGRATION_LOCK, serialise

engine = context.config.attributes["engine"]
with engine.connect() as connection:
    # two first commands at once on a new database: one migrates, the other waits and finds it done
    serialise(connection, MIGRATION_LOCK)
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
