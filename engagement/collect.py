"""Metric collection: adapters read the numbers, this stores them as snapshots at milestones (history is never overwritten)."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from campaign.errors import ClickableError
from campaign.i18n import _, format_when
from campaign.models import Account, Delivery, DeliveryState, MetricSnapshot, RetiredMetric
from campaign.store import chunks
from networks.accounts import AccountRef
from networks.base import Adapter, NetworkError

log = logging.getLogger("clickable.metrics")
MILESTONES: dict[str, timedelta] = {
    "1h": timedelta(hours=1),
    "24h": timedelta(hours=24),
    "72h": timedelta(hours=72),
    "7d": timedelta(days=7),
}


@dataclass
class CollectSummary:
    snapshots: int = 0
    missing: int = 0
    errors: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)  # "network kind name": refused this run, stored


def _count_calls(session: Session, account: Account, adapter: Adapter, now: datetime) -> None:
    """The metric reads count against the network's daily quota, where its spec declares one."""
    from campaign.quota import count_calls
    from networks.registry import registry

    calls = adapter.used_calls()
    spec = registry().get(account.network)
    if spec is not None and spec.quota is not None and calls and account.id is not None:
        count_calls(session, account.id, spec.quota, calls, now)


def _quota_short(session: Session, account: Account, adapter: Adapter, remote_ids: list[str], now: datetime) -> str | None:
    """Why reading these metrics would take the account past its network's daily quota, else None."""
    from campaign.quota import next_reset, short_of, usage
    from networks.registry import registry

    spec = registry().get(account.network)
    if spec is None or spec.quota is None or account.id is None:
        return None
    cost = spec.quota.cost(adapter.planned_metric_calls(remote_ids))
    short = short_of(usage(session, account.id, spec.quota, now), cost)
    if short is None:
        return None
    return _("{account}: quota of the day used up ({bucket}), metrics wait for the reset at {at}").format(
        account=account.name,
        bucket=_(short.label) if short.label else short.name,
        at=format_when(next_reset(spec.quota, now), spec.quota.reset_zone),
    )


def due_milestone(published_at: datetime, done: set[str], now: datetime) -> str | None:
    """The latest milestone reached and not yet collected (earlier missed ones are not invented)."""
    reached = [name for name, delta in MILESTONES.items() if published_at + delta <= now]
    if not reached or reached[-1] in done:
        return None
    return reached[-1]


def collect(
    session: Session,
    adapter_for: Callable[[AccountRef], Adapter],
    *,
    now: datetime,
    milestones_only: bool = True,
) -> CollectSummary:
    """Fetch metrics for published deliveries (only those at a milestone, unless asked for all)."""
    summary = CollectSummary()
    query = select(Delivery).where(
        Delivery.state == DeliveryState.PUBLISHED, col(Delivery.remote_id).is_not(None)
    )
    if milestones_only:  # not those before their first milestone, nor those past their last one, taken
        last = max(MILESTONES, key=MILESTONES.__getitem__)
        query = query.where(
            col(Delivery.published_at) <= now - min(MILESTONES.values()),
            ~(
                (col(Delivery.published_at) <= now - MILESTONES[last])
                & select(MetricSnapshot.id)
                .where(MetricSnapshot.delivery_id == Delivery.id, MetricSnapshot.milestone == last)
                .exists()
            ),
        )
    published = session.exec(query).all()
    taken: dict[int, set[str]] = defaultdict(set)
    for some in chunks([delivery.id for delivery in published]):
        rows = session.exec(
            select(MetricSnapshot.delivery_id, MetricSnapshot.milestone).where(
                col(MetricSnapshot.delivery_id).in_(some),
                col(MetricSnapshot.milestone).is_not(None),
            )
        )
        for delivery_id, milestone in rows:
            if milestone:
                taken[delivery_id].add(milestone)
    by_account: dict[int, list[tuple[Delivery, str | None]]] = defaultdict(list)
    for delivery in published:
        assert delivery.id is not None
        milestone = due_milestone(delivery.published_at or now, taken[delivery.id], now)
        if milestone is None and milestones_only:
            continue
        by_account[delivery.account_id].append((delivery, milestone))
    retired = retired_metrics(session)
    for account_id, items in by_account.items():
        account = session.get(Account, account_id)
        assert account is not None
        ref = AccountRef(account.name, account.network, account.sandbox, dict(account.settings or {}))
        adapter: Adapter | None = None
        try:
            adapter = adapter_for(ref)
            adapter.forget_metrics(retired.get(account.network, {}))  # refused by earlier runs
            remote_ids = [item.remote_id for item, _ in items if item.remote_id]
            if (waiting := _quota_short(session, account, adapter, remote_ids, now)) is not None:
                summary.errors.append(waiting)  # no call past the quota: the next run after the reset reads them
                continue
            readings = {reading.remote_id: reading for reading in adapter.fetch_metrics(remote_ids)}
        except (NetworkError, ClickableError) as error:  # credentials missing, emulator away, refused
            summary.errors.append(f"{account.name}: {error}")
            log.info(_("metrics for %s postponed: %s"), account.name, error)
            continue
        except Exception as error:  # an unexpected answer: this account waits, the others go on
            log.debug("metrics for %s", account.name, exc_info=True)
            summary.errors.append(
                _(
                    "{account}: unexpected error ({kind}: {error}); `clickable --verbose stats collect` shows the details"
                ).format(account=account.name, kind=type(error).__name__, error=error)
            )
            continue
        finally:
            if adapter is not None:
                _store_retired(session, adapter, retired, now, summary)
                _count_calls(session, account, adapter, now)
        for delivery, milestone in items:
            reading = readings.get(delivery.remote_id or "")
            if reading is None:
                continue
            if reading.missing:
                summary.missing += 1
            assert delivery.id is not None
            session.add(
                MetricSnapshot(
                    delivery_id=delivery.id,
                    collected_at=now,
                    milestone=milestone,
                    metrics=reading.normalised,
                    raw={**reading.raw, **({"missing": True} if reading.missing else {})},
                )
            )
            summary.snapshots += 1
    session.commit()
    return summary


def retired_metrics(session: Session) -> dict[str, dict[str, set[str]]]:
    """Metric names networks refused in earlier runs: network -> object kind -> names."""
    found: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for row in session.exec(select(RetiredMetric)):
        found[row.network][row.kind].add(row.name)
    return found


def _store_retired(
    session: Session,
    adapter: Adapter,
    known: dict[str, dict[str, set[str]]],
    now: datetime,
    summary: CollectSummary,
) -> None:
    """Keep the names the network refused during this account's reading, so that no run asks them again."""
    for kind, names in adapter.retired_metrics.items():
        for name in sorted(names - known[adapter.network][kind]):
            session.add(RetiredMetric(network=adapter.network, kind=kind, name=name, retired_at=now))
            known[adapter.network][kind].add(name)
            summary.retired.append(f"{adapter.network} {kind} {name}")
            log.warning(_("metric %s of %s (%s) refused by the network: retired"), name, adapter.network, kind)
    session.flush()
