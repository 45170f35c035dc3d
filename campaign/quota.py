"""Daily quotas of metered networks (a spec's ``QuotaRules``): what each account used today, what is left.

A network's day is its own (YouTube's starts at midnight Pacific time). Usage is counted per account,
bucket and day in the database (``QuotaUsage``), from the calls the adapters say they made
(``Adapter.used_calls``). Before a delivery, the dispatcher reserves the calls the adapter expects to
make (``Adapter.planned_calls``); a delivery whose calls do not fit in what is left waits for the reset.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from campaign.models import QuotaUsage


class QuotaBucketRules(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def limit(self) -> int: ...

    @property
    def label(self) -> str: ...


class QuotaRules(Protocol):
    """A network's daily quota, as its spec declares it (``networks.spec.QuotaRules`` satisfies it)."""

    @property
    def buckets(self) -> Sequence[QuotaBucketRules]: ...

    @property
    def reset_zone(self) -> str: ...

    def cost(self, calls: Iterable[str]) -> dict[str, int]: ...


def day_of(rules: QuotaRules, instant: datetime) -> str:
    """The network's day at ``instant`` (YYYY-MM-DD in its reset zone)."""
    return instant.astimezone(ZoneInfo(rules.reset_zone)).date().isoformat()


def next_reset(rules: QuotaRules, instant: datetime) -> datetime:
    """The next start of the network's day after ``instant``, in UTC (midnight there, DST included)."""
    zone = ZoneInfo(rules.reset_zone)
    local = instant.astimezone(zone)
    midnight = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), zone)
    return midnight.astimezone(UTC)


@dataclass(frozen=True)
class Bucket:
    """One bucket of one account today."""

    name: str
    label: str
    used: int
    limit: int

    @property
    def left(self) -> int:
        return max(0, self.limit - self.used)


def usage(session: Session, account_id: int, rules: QuotaRules, now: datetime) -> list[Bucket]:
    """Every bucket of the account on the network's current day."""
    day = day_of(rules, now)
    rows = session.execute(
        select(col(QuotaUsage.bucket), col(QuotaUsage.used))
        .where(col(QuotaUsage.account_id) == account_id)
        .where(col(QuotaUsage.day) == day)
    ).all()
    used = {bucket: amount for bucket, amount in rows}
    return [Bucket(item.name, item.label, used.get(item.name, 0), item.limit) for item in rules.buckets]


def short_of(buckets: Iterable[Bucket], cost: dict[str, int]) -> Bucket | None:
    """The first bucket that ``cost`` would take past its limit, else None."""
    for bucket in buckets:
        if cost.get(bucket.name, 0) and bucket.used + cost[bucket.name] > bucket.limit:
            return bucket
    return None


def add(session: Session, account_id: int, rules: QuotaRules, units: dict[str, int], now: datetime) -> None:
    """Add ``units`` per bucket to the account's day (negative: give back a reservation not used)."""
    day = day_of(rules, now)
    for bucket, amount in units.items():
        if amount and not _increment(session, account_id, bucket, day, amount, now):
            try:
                with session.begin_nested():
                    row = QuotaUsage(
                        account_id=account_id, bucket=bucket, day=day, used=max(0, amount), updated_at=now
                    )
                    session.add(row)
            except IntegrityError:  # another worker made the row first: add to it
                _increment(session, account_id, bucket, day, amount, now)


def count_calls(
    session: Session, account_id: int, rules: QuotaRules, calls: Iterable[str], now: datetime
) -> None:
    """Count calls an adapter made outside a delivery (reconciliation, metric reads)."""
    add(session, account_id, rules, rules.cost(calls), now)


def _increment(session: Session, account_id: int, bucket: str, day: str, amount: int, now: datetime) -> bool:
    """Add to the row if it exists; whether it did."""
    changed = session.execute(
        update(QuotaUsage)
        .where(col(QuotaUsage.account_id) == account_id)
        .where(col(QuotaUsage.bucket) == bucket)
        .where(col(QuotaUsage.day) == day)
        .values(used=col(QuotaUsage.used) + amount, updated_at=now)
    )
    return bool(getattr(changed, "rowcount", 0))
