"""Commands of the schedules room: plan, list, calendar, the daemon, deliveries, doctor."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from campaign.context import AppState, command_group, print_json, state
from campaign.errors import ClickableError
from campaign.i18n import _, format_number, format_when, ngettext

if TYPE_CHECKING:
    from sqlmodel import Session

    from campaign.models import Delivery
    from schedules.dispatch import DispatchSummary

# The database, the network clients and APScheduler are imported inside the commands that use them.

schedule_app = command_group("Plan posts in each territory's local time and run the publishing daemon.")
delivery_app = command_group("Inspect, retry or cancel one delivery.")
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
EXIT_PARTIAL = 3
STUCK_AFTER = timedelta(minutes=15)


class DeliveryNotFound(ClickableError, LookupError):
    def __init__(self, delivery_id: int) -> None:
        super().__init__(f"no delivery {delivery_id}: see `clickable schedule list`")


def adapter_provider(app_state: AppState) -> Any:
    from networks.accounts import AccountRef, build_adapter
    from networks.base import Adapter
    from networks.credentials import CredentialStore

    store = CredentialStore(app_state.settings.workspace())

    def provide(account: AccountRef) -> Adapter:
        return build_adapter(
            account, store=store, emulator_url=app_state.settings.emulator_url, registry=app_state.secrets
        )

    return provide


def _campaign_id(app_state: AppState) -> str | None:
    from campaign.cli import _current_campaign_id

    return _current_campaign_id(app_state)


@schedule_app.command("plan")
def plan_command(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Give every approved post its deliveries: local time in each territory, or the next free slot."""
    from rich.table import Table

    from campaign.store import get_campaign
    from campaign.timezones import format_local
    from schedules.plan import plan

    app_state = state(ctx)
    campaign_id = _campaign_id(app_state)
    with app_state.database().session() as session:
        campaign = get_campaign(session, campaign_id)
        report = plan(session, campaign, now=app_state.now())
    if as_json:
        print_json(report.as_dict())
        return
    table = Table("id", "post", "network", "account", "territory", "local time", "note")
    for item in report.planned:
        table.add_row(
            str(item.delivery_id),
            item.post,
            item.network,
            item.account,
            item.territory,
            format_local(item.due_utc, item.zone),
            item.note or "",
        )
    app_state.console.print(table)
    app_state.console.print(
        f"{len(report.planned)} deliveries planned, {report.already} already planned, {len(report.missed)} not planned."
    )
    for missed in report.missed:
        app_state.console.print(
            f"  not planned: {missed['post']} on {missed['account']} in {missed['territory']}: {missed['reason']}"
        )
    if report.awaiting_approval:
        waiting = report.awaiting_approval
        app_state.console.print(
            f"{len(waiting)} {'post waits' if len(waiting) == 1 else 'posts wait'} for approval "
            f"({', '.join(waiting[:5])}{', …' if len(waiting) > 5 else ''}): "
            f"`clickable post show ID`, then `clickable post approve ID --by NAME`."
        )


@schedule_app.command("list")
def list_command(
    ctx: typer.Context,
    state_filter: Annotated[
        list[str] | None, typer.Option("--state", help="Only deliveries in this state (repeatable).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """List deliveries with their local time and zone, network, account and state."""
    from rich.table import Table

    from campaign.models import DeliveryState
    from schedules.views import delivery_rows

    app_state = state(ctx)
    states = [item for value in state_filter or [] for item in value.split(",")]
    unknown = [item for item in states if item not in set(DeliveryState)]
    if unknown:
        raise ClickableError(f"unknown state '{unknown[0]}': use {', '.join(DeliveryState)}")
    with app_state.database().session() as session:
        rows = delivery_rows(session, _campaign_id(app_state), states or None)
    if as_json:
        print_json(
            [
                {
                    key: row[key]
                    for key in (
                        "id",
                        "post",
                        "account",
                        "network",
                        "territory",
                        "state",
                        "due_utc",
                        "due_local",
                        "remote_id",
                        "visibility",
                        "link",
                    )
                }
                for row in rows
            ]
        )
        return
    table = Table("id", "local time", "network", "account", "territory", "post", "state")
    for row in rows:
        table.add_row(
            str(row["id"]),
            row["due_local"] or "",
            row["network"],
            row["account"],
            row["territory"],
            row["post"],
            _("{state} ({visibility})").format(state=row["state"], visibility=row["visibility"])
            if row["visibility"] and row["visibility"] != "public"
            else row["state"],
        )
    app_state.console.print(table)


@schedule_app.command("calendar")
def calendar_command(
    ctx: typer.Context, ics: Annotated[Path, typer.Option("--ics", help="iCalendar file to write.")]
) -> None:
    """Write the plan as an iCalendar file: one event per delivery, for any calendar app."""
    from schedules.views import calendar_ics, delivery_rows

    app_state = state(ctx)
    with app_state.database().session() as session:
        rows = delivery_rows(session, _campaign_id(app_state))
    ics.parent.mkdir(parents=True, exist_ok=True)
    ics.write_bytes(calendar_ics(rows, now=app_state.now()))
    app_state.console.print(f"Wrote {len(rows)} events to {ics}.")


@schedule_app.command("run")
def run_command(
    ctx: typer.Context,
    once: Annotated[bool, typer.Option("--once", help="Publish what is due, then exit.")] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would be sent; send nothing.")
    ] = False,
    name: Annotated[str, typer.Option(help="Name of this daemon (one per machine or service).")] = "main",
) -> None:
    """Run the publishing daemon (APScheduler): it wakes at the next due instant."""
    from sqlmodel import Session

    from campaign.models import DeliveryState
    from schedules.daemon import Daemon, new_worker_id
    from schedules.dispatch import Dispatcher
    from schedules.views import delivery_rows

    app_state = state(ctx)
    database = app_state.database()
    database.ensure_schema()
    if dry_run:
        with Session(database.engine) as session:
            rows = [
                row
                for row in delivery_rows(
                    session, _campaign_id(app_state), [DeliveryState.QUEUED, DeliveryState.RETRYING]
                )
                if row["due_utc"] and datetime.fromisoformat(row["due_utc"]) <= app_state.now()
            ]
        for row in rows:
            app_state.console.print(
                f"would send {row['id']} to {row['network']} ({row['account']}, {row['territory']}):"
            )
            app_state.console.print(f"  {row['text']}")
        app_state.console.print(f"{len(rows)} deliveries due; nothing was sent (--dry-run).")
        return
    settings = app_state.settings
    dispatcher = Dispatcher(
        database, adapter_provider(app_state), worker=new_worker_id(name), backoff_base_s=settings.backoff_s
    )
    daemon = Daemon(
        database,
        dispatcher,
        name=name,
        heartbeat_s=settings.heartbeat_s,
        stale_after=timedelta(seconds=settings.stale_after_s),
        reconcile_s=settings.reconcile_s,
        max_sleep=timedelta(seconds=settings.max_sleep_s),
    )
    if once:
        summary = daemon.run_once()
    else:
        with _daemon_logging():
            summary = daemon.run_forever()
    _report(
        app_state,
        summary,
        _(
            "published {published}, retrying {retrying}, failed {failed}, unconfirmed {unconfirmed}, paused {paused}"
        ),
        partial_exit=once,  # a daemon stopped cleanly exits 0: what it could not publish, it logged
    )


def _report(
    app_state: AppState, summary: DispatchSummary, totals: str, *, partial_exit: bool = True, **names: str
) -> None:
    """One line per delivery not published (which, why, what to do), the totals, and exit code 3
    when a due delivery was not published."""
    for line in summary.problems:
        app_state.err_console.print(line, markup=False)
    app_state.console.print(
        totals.format(
            published=summary.published,
            retrying=summary.retrying,
            failed=summary.failed,
            unconfirmed=summary.unconfirmed,
            paused=summary.paused,
            **names,
        )
    )
    if partial_exit and summary.not_published:
        raise typer.Exit(EXIT_PARTIAL)


@contextmanager
def _daemon_logging() -> Iterator[None]:
    """A running daemon says what it does (INFO) on stderr, for its service log; --verbose says more."""
    import logging

    logger = logging.getLogger("clickable")
    before = logger.level
    if logging.getLogger().getEffectiveLevel() > logging.INFO:
        logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.setLevel(before)


def publish_command(
    ctx: typer.Context,
    post_id: Annotated[str, typer.Argument(metavar="ID", help="Post id from the campaign file.")],
    now: Annotated[bool, typer.Option("--now", help="Publish now, without waiting for its time.")] = False,
) -> None:
    """Publish an approved post now in all its territories (its planned deliveries become due now)."""
    from sqlmodel import col, select

    from campaign.models import Delivery, DeliveryState, PostStatus, Variant
    from campaign.store import get_campaign, get_post
    from schedules.daemon import new_worker_id
    from schedules.dispatch import Dispatcher
    from schedules.plan import plan

    app_state = state(ctx)
    if not now:
        raise ClickableError(
            "say --now to publish immediately (otherwise `clickable schedule plan` gives it its time)"
        )
    database = app_state.database()
    with database.session() as session:
        campaign = get_campaign(session, _campaign_id(app_state))
        post = get_post(session, campaign.id, post_id)
        if campaign.approval_required and post.status != PostStatus.APPROVED:
            raise ClickableError(
                f"post '{post_id}' is not approved: run `clickable post approve {post_id} --by NAME` first"
            )
        plan(session, campaign, now=app_state.now(), post_keys=[post.key], immediately=True)
        for delivery in session.exec(
            select(Delivery)
            .join(Variant, col(Variant.id) == Delivery.variant_id)
            .where(Variant.post_id == post.id)
        ):
            if delivery.state in (DeliveryState.QUEUED, DeliveryState.RETRYING):
                delivery.due_utc = app_state.now()
                session.add(delivery)
    dispatcher = Dispatcher(
        database,
        adapter_provider(app_state),
        worker=new_worker_id("publish"),
        backoff_base_s=app_state.settings.backoff_s,
    )
    summary = dispatcher.run_due()
    _report(
        app_state,
        summary,
        _(
            "{post}: published {published}, failed {failed}, unconfirmed {unconfirmed}, retrying {retrying}, paused {paused}"
        ),
        post=post_id,
    )


def _delivery(session: Session, delivery_id: int) -> Delivery:
    from campaign.models import Delivery

    delivery = session.get(Delivery, delivery_id)
    if delivery is None:
        raise DeliveryNotFound(delivery_id)
    return delivery


@delivery_app.command("history")
def history_command(
    ctx: typer.Context, delivery_id: Annotated[int, typer.Argument(metavar="ID")], as_json: JsonOption = False
) -> None:
    """Every state a delivery went through, with time and reason."""
    from sqlmodel import col, select

    from campaign.models import DeliveryEvent
    from campaign.timezones import format_local

    app_state = state(ctx)
    with app_state.database().session() as session:
        delivery = _delivery(session, delivery_id)
        events = session.exec(
            select(DeliveryEvent)
            .where(DeliveryEvent.delivery_id == delivery_id)
            .order_by(col(DeliveryEvent.at), col(DeliveryEvent.id))
        ).all()
    items = [
        {
            "at": event.at.isoformat(),
            "at_local": format_local(event.at, delivery.zone),
            "from": event.from_state,
            "to": event.to_state,
            "reason": event.reason,
        }
        for event in events
    ]
    if as_json:
        print_json(items)
        return
    for item in items:
        app_state.console.print(
            f"{item['at_local']}  {item['from'] or '—'} → {item['to']}  {item['reason'] or ''}"
        )


@delivery_app.command("retry")
def retry_command(ctx: typer.Context, delivery_id: Annotated[int, typer.Argument(metavar="ID")]) -> None:
    """Queue a failed, paused or cancelled delivery again (an unconfirmed one is reconciled first)."""
    from campaign.models import Account, DeliveryState
    from schedules.states import resume_account, transition

    app_state = state(ctx)
    with app_state.database().session() as session:
        delivery = _delivery(session, delivery_id)
        if delivery.state in (DeliveryState.PUBLISHED, DeliveryState.SENDING):
            raise ClickableError(f"delivery {delivery_id} is {delivery.state}: nothing to retry")
        if delivery.state == DeliveryState.UNCONFIRMED:
            raise ClickableError(
                f"delivery {delivery_id} is unconfirmed: the daemon reconciles it first (it may already be online)"
            )
        account = session.get(Account, delivery.account_id)
        if account is not None and account.needs_reauth:
            account.needs_reauth = False
            session.add(account)
        resumed = 0
        if account is not None and account.paused_reason is not None:  # a person acted on the account
            resumed = resume_account(session, account, now=app_state.now(), keep=delivery.id)
        transition(
            session,
            delivery,
            DeliveryState.QUEUED,
            "retry asked by a person",
            now=app_state.now(),
            due_utc=app_state.now(),
            attempts=0,
            stage=None,
        )
    app_state.console.print(f"Delivery {delivery_id} queued again.")
    if resumed:
        app_state.console.print(
            _("Account {account} resumed: {count} other deliveries queued again.").format(
                account=account.name if account is not None else "", count=resumed
            )
        )


@delivery_app.command("cancel")
def cancel_command(ctx: typer.Context, delivery_id: Annotated[int, typer.Argument(metavar="ID")]) -> None:
    """Cancel a delivery that has not been published."""
    from campaign.models import DeliveryState
    from schedules.states import transition

    app_state = state(ctx)
    with app_state.database().session() as session:
        delivery = _delivery(session, delivery_id)
        if delivery.state in (DeliveryState.PUBLISHED, DeliveryState.SENDING, DeliveryState.UNCONFIRMED):
            raise ClickableError(
                f"delivery {delivery_id} is {delivery.state}: it cannot be cancelled (delete the post on the network by hand)"
            )
        transition(session, delivery, DeliveryState.CANCELLED, "cancelled by a person", now=app_state.now())
    app_state.console.print(f"Delivery {delivery_id} cancelled.")


def _quota_report(app_state: AppState, session: Session, now: datetime) -> tuple[list[dict[str, object]], list[str]]:
    """Each metered account's quota today (used, left, when it starts again), and its private uploads."""
    from sqlmodel import select

    from campaign.models import Account, Delivery, DeliveryState
    from campaign.quota import day_of, next_reset, usage
    from networks.registry import registry

    rows: list[dict[str, object]] = []
    lines: list[str] = []
    for account in session.exec(select(Account).order_by(Account.name)):
        spec = registry().get(account.network)
        if spec is None or spec.quota is None or account.id is None:
            continue
        rules = spec.quota
        reset = next_reset(rules, now)
        buckets = usage(session, account.id, rules, now)
        for bucket in buckets:
            rows.append(
                {
                    "account": account.name,
                    "network": account.network,
                    "day": day_of(rules, now),
                    "bucket": bucket.name,
                    "used": bucket.used,
                    "limit": bucket.limit,
                    "left": bucket.left,
                    "resets_at": reset.isoformat(),
                }
            )
        lines.append(
            _("quota of {account} today: {buckets} (starts again {at})").format(
                account=account.name,
                buckets="; ".join(
                    _("{bucket}: {used} used, {left} left").format(
                        bucket=_(bucket.label) if bucket.label else bucket.name,
                        used=format_number(bucket.used),
                        left=format_number(bucket.left),
                    )
                    for bucket in buckets
                ),
                at=format_when(reset, rules.reset_zone),
            )
        )
        private = session.exec(
            select(Delivery.id).where(
                Delivery.account_id == account.id,
                Delivery.state == DeliveryState.PUBLISHED,
                Delivery.visibility == "private",
            )
        ).all()
        if private and not (account.settings or {}).get("audited"):
            lines.append(
                _(
                    "{count} deliveries of {account} are online as private videos, seen by the channel only "
                    "({ids}): its Google Cloud project is not audited"
                ).format(count=len(private), account=account.name, ids=", ".join(str(item) for item in private[:10]))
            )
    return rows, lines


def _paused_accounts(session: Any, now: datetime) -> list[str]:
    """One line per account its network stopped: what happened, what a person must do, when it resumes."""
    from sqlmodel import col, select

    from campaign.models import Account, Delivery, DeliveryState

    lines = []
    for account in session.exec(select(Account).where(col(Account.paused_reason).is_not(None))):
        if account.paused_until is not None and account.paused_until <= now:
            continue  # the pause ended by itself
        waiting = session.exec(
            select(Delivery.id).where(
                Delivery.account_id == account.id,
                col(Delivery.state).in_((DeliveryState.PAUSED, DeliveryState.RETRYING, DeliveryState.QUEUED)),
            )
        ).all()
        since = f"{account.paused_at:%Y-%m-%d %H:%M}" if account.paused_at else "?"
        if account.paused_until is None:
            line = _(
                "account {account} is paused since {since} UTC: {reason}; {count} deliveries wait ({ids})"
            )
        else:
            line = _(
                "account {account} is paused since {since} UTC until {until} UTC: {reason}; "
                "{count} deliveries wait ({ids})"
            )
        lines.append(
            line.format(
                account=account.name,
                since=since,
                until=f"{account.paused_until:%Y-%m-%d %H:%M}" if account.paused_until else "",
                reason=account.paused_reason,
                count=len(waiting),
                ids=", ".join(str(delivery_id) for delivery_id in waiting[:10]) or _("none yet"),
            )
        )
    return lines


def doctor_command(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Is the daemon alive? Which accounts need re-authentication, which deliveries are stuck, unconfirmed or failed?"""
    from sqlmodel import col, select

    from campaign.models import Account, Delivery, DeliveryState, RetiredMetric, Worker
    from schedules.daemon import STALE_AFTER

    app_state = state(ctx)
    now = app_state.now()
    problems: list[str] = []
    with app_state.database().session() as session:
        workers = session.exec(select(Worker).where(col(Worker.stopped_at).is_(None))).all()
        alive = [worker for worker in workers if worker.beat_at > now - STALE_AFTER]
        pending = session.exec(
            select(Delivery).where(col(Delivery.state).in_((DeliveryState.QUEUED, DeliveryState.RETRYING)))
        ).all()
        if pending and not alive:
            problems.append(
                f"no daemon is running and {len(pending)} deliveries wait: start `clickable schedule run`"
            )
        for account in session.exec(select(Account).where(Account.needs_reauth == True)):  # noqa: E712
            paused = session.exec(
                select(Delivery)
                .where(Delivery.account_id == account.id, Delivery.state == DeliveryState.PAUSED)
                .order_by(col(Delivery.updated_at).desc())
            ).all()
            why = next((delivery.last_error for delivery in paused if delivery.last_error), None)
            problems.append(
                _(
                    "account {account} needs re-authentication{why}: run `clickable accounts add {account}`, "
                    "then `clickable delivery retry` its paused deliveries ({ids})"
                ).format(
                    account=account.name,
                    why=f" ({why})" if why else "",
                    ids=", ".join(str(delivery.id) for delivery in paused[:10]) or _("none yet"),
                )
            )
        problems.extend(_paused_accounts(session, now))
        overdue = [
            delivery for delivery in pending if delivery.due_utc and delivery.due_utc < now - STUCK_AFTER
        ]
        if overdue:
            problems.append(
                f"{len(overdue)} deliveries are more than 15 minutes overdue (oldest: {min(d.due_utc for d in overdue if d.due_utc):%Y-%m-%d %H:%M} UTC)"
            )
        stuck = session.exec(
            select(Delivery).where(
                Delivery.state == DeliveryState.SENDING, col(Delivery.claimed_at) < now - STUCK_AFTER
            )
        ).all()
        if stuck:
            problems.append(
                f"{len(stuck)} deliveries have been sending for more than 15 minutes: {', '.join(str(d.id) for d in stuck[:10])}"
            )
        unconfirmed = session.exec(select(Delivery).where(Delivery.state == DeliveryState.UNCONFIRMED)).all()
        failing = {
            account.id: account
            for account in session.exec(select(Account).where(col(Account.reconcile_error).is_not(None)))
        }
        for account_id, account in failing.items():
            waiting = [delivery for delivery in unconfirmed if delivery.account_id == account_id]
            if not waiting:
                continue
            since = account.reconcile_failed_at
            problems.append(
                ngettext(
                    "{count} unconfirmed delivery of account {account} waits ({ids}): since {since} UTC, {error}",
                    "{count} unconfirmed deliveries of account {account} wait ({ids}): since {since} UTC, {error}",
                    len(waiting),
                ).format(
                    count=len(waiting),
                    account=account.name,
                    ids=", ".join(str(delivery.id) for delivery in waiting[:10]),
                    since=f"{since:%Y-%m-%d %H:%M}" if since else "?",
                    error=account.reconcile_error,
                )
            )
        others = [delivery for delivery in unconfirmed if delivery.account_id not in failing]
        if others:
            ids = ", ".join(str(delivery.id) for delivery in others[:10])
            problems.append(
                _("{count} deliveries are unconfirmed (the daemon reconciles them): {ids}").format(
                    count=len(others), ids=ids
                )
                if alive
                else _(
                    "{count} deliveries are unconfirmed and no daemon runs to reconcile them ({ids}): "
                    "start `clickable schedule run`, or run `clickable schedule run --once`"
                ).format(count=len(others), ids=ids)
            )
        failed = session.exec(select(Delivery).where(Delivery.state == DeliveryState.FAILED)).all()
        if failed:
            problems.append(
                f"{len(failed)} deliveries failed ({', '.join(str(d.id) for d in failed[:10])}): read "
                "`clickable delivery history ID`, then `clickable delivery retry ID` or `clickable delivery cancel ID`"
            )
        for account in session.exec(select(Account).where(col(Account.token_expires_at).is_not(None))):
            if account.token_expires_at and account.token_expires_at <= now + timedelta(days=7):
                problems.append(
                    f"token of {account.name} expires on {account.token_expires_at:%Y-%m-%d}: run `clickable accounts add {account.name}`"
                )
        retired = [
            {"network": row.network, "kind": row.kind, "name": row.name, "retired_at": row.retired_at.isoformat()}
            for row in session.exec(select(RetiredMetric).order_by(col(RetiredMetric.network), col(RetiredMetric.name)))
        ]
        quotas, notes = _quota_report(app_state, session, now)
    report = {
        "daemons_alive": [worker.id for worker in alive],
        "problems": problems,
        "ok": not problems,
        "retired_metrics": retired,
        "quota": quotas,
    }
    if as_json:
        print_json(report)
    else:
        app_state.console.print(f"daemons alive: {', '.join(report['daemons_alive']) or 'none'}")  # type: ignore[arg-type]
        for note in notes:
            app_state.console.print(note, soft_wrap=True)
        for problem in problems:
            app_state.console.print(f"needs a human: {problem}")
        for item in retired:  # not a problem: collection goes on without them
            app_state.console.print(
                _(
                    "metric {name} ({network}, {kind}) retired on {day}: the network refused it, it is no longer asked"
                ).format(day=item["retired_at"][:10], **{key: item[key] for key in ("name", "network", "kind")})
            )
        if not problems:
            app_state.console.print("nothing needs a human")
    if problems:
        raise typer.Exit(1)
