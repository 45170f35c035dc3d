"""Daily aggregate counters for the landing page: counted in memory, written in batches. Nothing about visitors."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Table, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from campaign.db import Database
from campaign.models import ClickCounter

# Days are the local days of the visitor's territory (a visit at 23:00 in Nouméa counts on Nouméa's
# date); a visit with no territory (the home page) counts on the Paris date.
DEFAULT_ZONE = ZoneInfo("Europe/Paris")
Key = tuple[date, str, str, str]  # day, code, territory, event
COUNTERS: Table = ClickCounter.__table__  # type: ignore[attr-defined]
# Rows per INSERT: 6 parameters each, well under SQLite's default limit of 32,766 parameters a
# statement and PostgreSQL's 65,535 (a second of visits to 11,000 links, or counts kept while the
# database was away, made one statement too many parameters: refused at every later flush).
ROWS_PER_STATEMENT = 1_000


@dataclass
class Counters:
    """Counts waiting to be written; ``flush`` adds them to the daily rows in one transaction
    (statements of ROWS_PER_STATEMENT rows)."""

    database: Database
    campaign_id: str
    zones: dict[str, ZoneInfo] = field(default_factory=dict)  # territory key -> its zone
    pending: Counter[Key] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)
    flushing: threading.Lock = field(default_factory=threading.Lock)
    written: int = 0

    def count(self, *, code: str, territory: str, event: str, now: datetime) -> None:
        with self.lock:
            day = now.astimezone(self.zones.get(territory, DEFAULT_ZONE)).date()
            self.pending[(day, code, territory, event)] += 1

    def flush(self) -> int:
        """Write what is pending. One flush at a time: the last one, as the page stops, waits for a
        periodic one still running, and so also writes a batch that one had to put back."""
        with self.flushing:
            return self._flush()

    def _flush(self) -> int:
        with self.lock:
            batch, self.pending = self.pending, Counter()
        if not batch:
            return 0
        dialect = self.database.engine.dialect.name
        build = pg_insert if dialect == "postgresql" else sqlite_insert
        rows = [
            {
                "day": day,
                "campaign_id": self.campaign_id,
                "code": code,
                "territory": territory,
                "event": event,
                "count": count,
            }
            for (day, code, territory, event), count in batch.items()
        ]
        try:
            with self.database.engine.begin() as connection:  # all of the batch, or none of it
                for start in range(0, len(rows), ROWS_PER_STATEMENT):
                    statement = build(ClickCounter).values(rows[start : start + ROWS_PER_STATEMENT])
                    statement = statement.on_conflict_do_update(
                        index_elements=["day", "campaign_id", "code", "territory", "event"],
                        set_={"count": COUNTERS.c.count + statement.excluded.count},
                    )
                    connection.execute(statement)
        except Exception:
            with self.lock:  # nothing is lost: the batch goes back to the queue
                self.pending.update(batch)
            raise
        total = sum(batch.values())
        self.written += total
        return total

    def total(self, event_prefix: str = "") -> int:
        with self.database.engine.connect() as connection:
            statement = select(func.coalesce(func.sum(COUNTERS.c.count), 0)).where(
                COUNTERS.c.event.startswith(event_prefix)
            )
            return int(connection.execute(statement).scalar_one())
