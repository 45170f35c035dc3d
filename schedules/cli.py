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
from campaign.i18n import _, format_day, format_number, format_utc, format_when, ngettext, state_label

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
        super().__init__(_("no delivery {delivery_id}: see `clickable schedule list`").format(delivery_id=delivery_id))


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

    from campaign.costs import describe
    from campaign.store import get_campaign
    from campaign.timezones import format_local
    from schedules.plan import plan
    from schedules.views import planned_costs

    app_state = state(ctx)
    campaign_id = _campaign_id(app_state)
    with app_state.database().session() as session:
        campaign = get_campaign(session, campaign_id)
        report = plan(session, campaign, now=app_state.now())
        costs = planned_costs(session, campaign.id, app_state.networks)
    if as_json:
        print_json({**report.as_dict(), "estimated_cost": [item.as_dict() for item in costs.values()]})
        return
    table = Table(_("id"), _("post"), _("network"), _("account"), _("territory"), _("local time"), _("note"))
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
        _("{planned} deliveries planned, {already} already planned, {missed} not planned.").format(planned=len(report.planned), already=report.already, missed=len(report.missed))
    )
    for missed in report.missed:
        app_state.console.print(
            _("  not planned: {post} on {account} in {territory}: {reason}").format(post=missed['post'], account=missed['account'], territory=missed['territory'], reason=missed['reason'])
        )
    for item in costs.values():  # networks that charge per call (X): what the planned deliveries will cost
        app_state.console.print(_("Estimated cost of the deliveries to go out, {line}").format(line=describe(item)))
    if report.awaiting_approval:
        waiting = report.awaiting_approval
        app_state.console.print(
            ngettext(
                "{count} post waits for approval ({posts}): "
                "`clickable post show ID`, then `clickable post approve ID --by NAME`.",
                "{count} posts wait for approval ({posts}): "
                "`clickable post show ID`, then `clickable post approve ID --by NAME`.",
                len(waiting),
            ).format(count=len(waiting), posts=", ".join(waiting[:5]) + (", …" if len(waiting) > 5 else ""))
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
        raise ClickableError(_("unknown state '{unknown}': use {states}").format(unknown=unknown[0], states=', '.join(DeliveryState)))
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
    table = Table(_("id"), _("local time"), _("network"), _("account"), _("territory"), _("post"), _("state"))
    for row in rows:
        table.add_row(
            str(row["id"]),
            format_when(datetime.fromisoformat(row["due_utc"]), row["zone"], short=True)
            if row["due_utc"] and row["zone"]
            else "",
            row["network"],
            row["account"],
            row["territory"],
            row["post"],
            _("{state} ({visibility})").format(
                state=state_label(row["state"]), visibility=state_label(row["visibility"])
            )
            if row["visibility"] and row["visibility"] != "public"
            else state_label(row["state"]),
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
    app_state.console.print(_("Wrote {rows} events to {ics}.").format(rows=len(rows), ics=ics))


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
                _("would send {id} to {network} ({account}, {territory}):").format(id=row['id'], network=row['network'], account=row['account'], territory=row['territory'])
            )
            app_state.console.print(f"  {row['text']}")
        app_state.console.print(_("{rows} deliveries due; nothing was sent (--dry-run).").format(rows=len(rows)))
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
            _("say --now to publish immediately (otherwise `clickable schedule plan` gives it its time)")
        )
    database = app_state.database()
    with database.session() as session:
        campaign = get_campaign(session, _campaign_id(app_state))
        post = get_post(session, campaign.id, post_id)
        if campaign.approval_required and post.status != PostStatus.APPROVED:
            raise ClickableError(
                _("post '{post_id}' is not approved: run `clickable post approve {post_id} --by NAME` first").format(post_id=post_id)
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
            raise ClickableError(_("delivery {delivery_id} is {state}: nothing to retry").format(delivery_id=delivery_id, state=delivery.state))
        if delivery.state == DeliveryState.UNCONFIRMED:
            raise ClickableError(
                _("delivery {delivery_id} is unconfirmed: the daemon reconciles it first (it may already be online)").format(delivery_id=delivery_id)
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
            _("retry asked by a person"),
            now=app_state.now(),
            due_utc=app_state.now(),
            attempts=0,
            stage=None,
        )
    app_state.console.print(_("Delivery {delivery_id} queued again.").format(delivery_id=delivery_id))
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
                _("delivery {delivery_id} is {state}: it cannot be cancelled (delete the post on the network by hand)").format(delivery_id=delivery_id, state=delivery.state)
            )
        transition(session, delivery, DeliveryState.CANCELLED, _("cancelled by a person"), now=app_state.now())
    app_state.console.print(_("Delivery {delivery_id} cancelled.").format(delivery_id=delivery_id))


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
        since = format_utc(account.paused_at) if account.paused_at else "?"
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
                until=format_utc(account.paused_until) if account.paused_until else "",
                reason=account.paused_reason,
                count=len(waiting),
                ids=", ".join(str(delivery_id) for delivery_id in waiting[:10]) or _("none yet"),
            )
        )
    return lines


def doctor_command(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Is the daemon alive? Which accounts need re-authentication, which deliveries are stuck, unconfirmed or failed?"""
    from sqlmodel import col, select

    from campaign.costs import describe
    from campaign.models import Account, Delivery, DeliveryState, RetiredMetric, Worker
    from schedules.daemon import STALE_AFTER
    from schedules.views import planned_costs

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
                _("no daemon is running and {pending} deliveries wait: start `clickable schedule run`").format(pending=len(pending))
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
                _("{overdue} deliveries are more than 15 minutes overdue (oldest: {oldest} UTC)").format(overdue=len(overdue), oldest=format_utc(min(d.due_utc for d in overdue if d.due_utc)))
            )
        stuck = session.exec(
            select(Delivery).where(
                Delivery.state == DeliveryState.SENDING, col(Delivery.claimed_at) < now - STUCK_AFTER
            )
        ).all()
        if stuck:
            problems.append(
                _("{stuck} deliveries have been sending for more than 15 minutes: {ids}").format(stuck=len(stuck), ids=', '.join(str(d.id) for d in stuck[:10]))
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
                    since=format_utc(since) if since else "?",
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
                _("{failed} deliveries failed ({ids}): read `clickable delivery history ID`, then `clickable delivery retry ID` or `clickable delivery cancel ID`").format(failed=len(failed), ids=', '.join(str(d.id) for d in failed[:10]))
            )
        for account in session.exec(select(Account).where(col(Account.token_expires_at).is_not(None))):
            if account.token_expires_at and account.token_expires_at <= now + timedelta(days=7):
                problems.append(
                    _("token of {name} expires on {token_expires_at}: run `clickable accounts add {name}`").format(name=account.name, token_expires_at=format_day(account.token_expires_at))
                )
        retired = [
            {"network": row.network, "kind": row.kind, "name": row.name, "retired_at": row.retired_at.isoformat()}
            for row in session.exec(select(RetiredMetric).order_by(col(RetiredMetric.network), col(RetiredMetric.name)))
        ]
        quotas, notes = _quota_report(app_state, session, now)
        costs = planned_costs(session, None, app_state.networks)
    report = {
        "daemons_alive": [worker.id for worker in alive],
        "problems": problems,
        "ok": not problems,
        "retired_metrics": retired,
        "quota": quotas,
        "estimated_cost": [item.as_dict() for item in costs.values()],
    }
    if as_json:
        print_json(report)
    else:
        app_state.console.print(_("daemons alive: {daemons_alive}").format(daemons_alive=', '.join(report['daemons_alive']) or _('none')))  # type: ignore[arg-type]
        for note in notes:
            app_state.console.print(note, soft_wrap=True)
        for problem in problems:
            app_state.console.print(_("needs a human: {problem}").format(problem=problem))
        for item in retired:  # not a problem: collection goes on without them
            app_state.console.print(
                _(
                    "metric {name} ({network}, {kind}) retired on {day}: the network refused it, it is no longer asked"
                ).format(day=item["retired_at"][:10], **{key: item[key] for key in ("name", "network", "kind")})
            )
        for cost in costs.values():  # not a problem: what the planned deliveries will cost (X charges per call)
            app_state.console.print(_("Estimated cost of the deliveries to go out, {line}").format(line=describe(cost)))
        if not problems:
            app_state.console.print(_("nothing needs a human"))
    if problems:
        raise typer.Exit(1)
