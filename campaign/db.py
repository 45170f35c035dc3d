"""The database: engine, sessions and Alembic migrations applied on first use."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, event, text
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.exc import DatabaseError as SQLAlchemyDatabaseError
from sqlmodel import Session, create_engine

from campaign import models  # noqa: F401  (registers the tables on SQLModel.metadata)
from campaign.errors import DatabaseError
from campaign.i18n import _

MIGRATIONS = Path(__file__).parent / "migrations"
MIGRATION_LOCK = "clickable:migrations"
_ALEMBIC_IN_THIS_PROCESS = threading.Lock()


def _alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def make_engine(url: str) -> Engine:
    """An engine for ``url``; a readable error for a malformed URL."""
    try:
        if url.startswith("sqlite"):
            engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
            event.listen(engine, "connect", _sqlite_pragmas)
        else:
            engine = create_engine(url, pool_pre_ping=True)
    except (ArgumentError, ImportError, ValueError) as error:
        raise DatabaseError(
            _("cannot use database URL ({name}): set CLICKABLE_DATABASE_URL to sqlite:///path/clickable.db or postgresql+psycopg://user@/dbname").format(name=type(error).__name__)
        ) from None
    return engine


def lock_key(name: str) -> int:
    """A stable 64-bit key for ``name`` (PostgreSQL advisory locks are numbered)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def serialise(connection: Connection, name: str) -> None:
    """Make the current transaction the only one holding ``name`` until it ends; others wait.

    PostgreSQL: a transaction-level advisory lock. SQLite has one writer at a time: the write lock
    is taken now (``BEGIN IMMEDIATE`` on a fresh transaction, else a write that changes nothing),
    with the busy timeout as the wait. Call it first in the transaction, before any read, so that
    what is read next is what the previous holder committed.
    """
    dialect = connection.dialect.name
    if dialect == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key(name)})
    elif dialect == "sqlite":
        driver = connection.connection.dbapi_connection
        if driver is not None and not getattr(driver, "in_transaction", True):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("UPDATE campaign SET id = id WHERE 0 = 1")


def head_revision() -> str | None:
    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine) -> tuple[str | None, str | None]:
    """Apply pending migrations; returns (revision before, revision after)."""
    try:
        before = current_revision(engine)
        if before != head_revision():
            # Alembic's command API keeps its context in a module global: one upgrade at a time in
            # a process; between processes, the migration lock taken in env.py orders them.
            with _ALEMBIC_IN_THIS_PROCESS:
                command.upgrade(_alembic_config(engine), "head")
        return before, current_revision(engine)
    except (OperationalError, SQLAlchemyDatabaseError) as error:
        reason = str(error.orig).splitlines()[0] if error.orig else type(error).__name__
        raise DatabaseError(
            _("cannot open the database ({reason}): check CLICKABLE_DATABASE_URL and that the server runs").format(reason=reason)
        ) from None


class Database:
    """One engine for the process, migrated to the latest schema on first use."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._ready = False

    def ensure_schema(self) -> None:
        if not self._ready:
            upgrade(self.engine)
            self._ready = True

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session whose work is committed at the end of the block, or rolled back entirely."""
        self.ensure_schema()
        with Session(self.engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def dispose(self) -> None:
        self.engine.dispose()

    def __repr__(self) -> str:
        return f"Database({self.engine.url.render_as_string(hide_password=True)!r})"
