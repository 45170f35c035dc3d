"""The delivery state machine: recorded transitions, atomic claims, recovery of dead workers' claims."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, update
from sqlmodel import Session, col, select

from campaign.i18n import _
from campaign.models import Account, Delivery, DeliveryEvent, DeliveryState, Worker

CLAIMABLE = (DeliveryState.QUEUED, DeliveryState.RETRYING)
# a create call was sent (or may have been): the outcome is unknown until reconciled
STAGE_CREATE = "create"


def transition(
    session: Session, delivery: Delivery, to_state: str, reason: str | None, *, now: datetime, **fields: Any
) -> None:
    """Move ``delivery`` to ``to_state`` and record the transition with its time and reason."""
    before = delivery.state
    delivery.state = to_state
    delivery.updated_at = now
    for name, value in fields.items():
        setattr(delivery, name, value)
    if to_state not in (DeliveryState.SENDING,):
        delivery.claimed_by = None
    session.add(delivery)
    assert delivery.id is not None
    session.add(
        DeliveryEvent(delivery_id=delivery.id, at=now, from_state=before, to_state=to_state, reason=reason)
    )


def resume_account(session: Session, account: Account, *, now: datetime, keep: int | None = None) -> int:
    """End the pause its network put on ``account`` (a person acted on it): the deliveries held for
    that reason are queued again, except ``keep``; returns how many. Those paused or retrying for a
    reason of their own (a refused token, a backoff) are left as they are."""
    was = account.paused_reason
    account.paused_reason = account.paused_at = account.paused_until = None
    session.add(account)
    if was is None:
        return 0
    queued = 0
    for delivery in session.exec(
        select(Delivery).where(
            Delivery.account_id == account.id,
            col(Delivery.state).in_((DeliveryState.PAUSED, DeliveryState.RETRYING)),
        )
    ):
        if delivery.id == keep or delivery.last_error != was:
            continue
        transition(
            session, delivery, DeliveryState.QUEUED, _("account resumed by a person"), now=now, due_utc=now, stage=None
        )
        queued += 1
    return queued


def claim_due(session: Session, worker: str, *, now: datetime, limit: int) -> list[int]:
    """Claim up to ``limit`` due deliveries for ``worker`` with one conditional UPDATE.

    Two workers never get the same delivery: the UPDATE re-checks the state of each row it changes
    (and on PostgreSQL skips rows another worker has locked).
    """
    candidates = (
        select(Delivery.id)
        .where(col(Delivery.state).in_(CLAIMABLE), col(Delivery.due_utc) <= now)
        .order_by(col(Delivery.due_utc), col(Delivery.id))
        .limit(limit)
    )
    values = {
        "state": DeliveryState.SENDING,
        "claimed_by": worker,
        "claimed_at": now,
        "stage": "upload",
        "attempts": Delivery.attempts + 1,
        "updated_at": now,
    }
    if session.get_bind().dialect.name == "postgresql":
        # a CTE runs once; "IN (SELECT … LIMIT n FOR UPDATE SKIP LOCKED)" may be re-run by the planner
        # and then lock (and claim) more than n rows
        claimable = candidates.with_for_update(skip_locked=True).cte("claimable")
        statement = update(Delivery).where(col(Delivery.id) == claimable.c.id)
    else:
        statement = update(Delivery).where(col(Delivery.id).in_(candidates.scalar_subquery()))
    claimed = session.execute(
        statement.where(col(Delivery.state).in_(CLAIMABLE), col(Delivery.due_utc) <= now)
        .values(**values)
        .returning(col(Delivery.id))
        .execution_options(synchronize_session=False)
    )
    ids = sorted(int(row[0]) for row in claimed)
    for delivery_id in ids:
        session.add(
            DeliveryEvent(
                delivery_id=delivery_id,
                at=now,
                from_state="due",
                to_state=DeliveryState.SENDING,
                reason=_("claimed by {worker}").format(worker=worker),
            )
        )
    session.commit()
    return ids


def _give_back(
    session: Session,
    delivery: Delivery,
    *,
    now: datetime,
    create_may_be_out: bool,
    reason_out: str,
    reason_queued: str,
    **queued_changes: Any,
) -> None:
    """A claim given back: 'unconfirmed' when the create call may have gone out (reconciliation then
    looks for the post before any retry), else queued again."""
    if create_may_be_out:
        transition(session, delivery, DeliveryState.UNCONFIRMED, reason_out, now=now)
    else:
        transition(
            session, delivery, DeliveryState.QUEUED, reason_queued, now=now, stage=None, **queued_changes
        )


def release(
    session: Session, ids: list[int], worker: str, *, now: datetime, reason: str, never_sent: bool = False
) -> int:
    """Give back claims (clean shutdown). With ``never_sent`` the caller knows no create call went out."""
    released = 0
    for delivery_id in ids:
        delivery = session.get(Delivery, delivery_id)
        if delivery is None or delivery.state != DeliveryState.SENDING or delivery.claimed_by != worker:
            continue
        _give_back(
            session,
            delivery,
            now=now,
            create_may_be_out=delivery.stage == STAGE_CREATE and not never_sent,
            reason_out=_("{reason} while the create call was out").format(reason=reason),
            reason_queued=reason,
            attempts=max(0, delivery.attempts - 1),
        )
        released += 1
    session.commit()
    return released


def recover_stale(session: Session, *, now: datetime, stale_after: timedelta) -> list[int]:
    """Deliveries left 'sending' by a worker whose heartbeat stopped: queued again, or unconfirmed
    when the create call may have gone out (then reconciliation looks for the post first)."""
    alive = select(Worker.id).where(col(Worker.beat_at) > now - stale_after, col(Worker.stopped_at).is_(None))
    stale = session.exec(
        select(Delivery).where(
            Delivery.state == DeliveryState.SENDING,
            or_(col(Delivery.claimed_by).is_(None), col(Delivery.claimed_by).not_in(alive)),
            and_(col(Delivery.claimed_at).is_not(None), col(Delivery.claimed_at) < now - stale_after),
        )
    ).all()
    for delivery in stale:
        _give_back(
            session,
            delivery,
            now=now,
            create_may_be_out=delivery.stage == STAGE_CREATE,
            reason_out=_("worker {claimed_by} stopped during the create call").format(claimed_by=delivery.claimed_by),
            reason_queued=_("worker {claimed_by} stopped before publishing: queued again").format(claimed_by=delivery.claimed_by),
        )
    session.commit()
    return [delivery.id for delivery in stale if delivery.id is not None]


def recover_orphaned(
    session: Session, worker: str, in_flight: set[int], *, now: datetime, stale_after: timedelta
) -> list[int]:
    """This worker's own claims that no delivery in flight holds any more (a batch cut short by an
    error): given back like a dead worker's, so a live daemon never leaves them 'sending' for good."""
    orphaned = [
        delivery
        for delivery in session.exec(
            select(Delivery).where(
                Delivery.state == DeliveryState.SENDING,
                Delivery.claimed_by == worker,
                and_(col(Delivery.claimed_at).is_not(None), col(Delivery.claimed_at) < now - stale_after),
            )
        ).all()
        if delivery.id not in in_flight
    ]
    for delivery in orphaned:
        _give_back(
            session,
            delivery,
            now=now,
            create_may_be_out=delivery.stage == STAGE_CREATE,
            reason_out=_("claim of {worker} cut short during the create call").format(worker=worker),
            reason_queued=_("claim of {worker} cut short before publishing: queued again").format(
                worker=worker
            ),
        )
    session.commit()
    return [delivery.id for delivery in orphaned if delivery.id is not None]
