"""The daemon: APScheduler 3 drives time (job store in the same database); the database says what to publish."""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlmodel import Session, col, select

from campaign.db import Database
from campaign.i18n import N_, _, format_day
from campaign.models import Account, Worker
from engagement.collect import collect
from schedules.dispatch import Dispatcher, DispatchSummary, utcnow
from schedules.states import recover_orphaned, recover_stale

log = logging.getLogger("clickable.daemon")
HEARTBEAT_S = 10
STALE_AFTER = timedelta(seconds=45)
MAX_SLEEP = timedelta(seconds=60)  # wake at the next due instant, or within a minute to see new plans
RECONCILE_S = 60
METRICS_S = 300
TOKENS_S = 3600
TOKEN_WARNING = timedelta(days=7)

# APScheduler stores jobs as references to module-level callables with picklable arguments:
# the running daemons of this process are found again by their worker id. A job of a daemon that
# is no longer running (one that stopped, or was killed and left its jobs in the store) does nothing.
_RUNNING: dict[str, Daemon] = {}


def _run(worker: str, method: str) -> None:
    daemon = _RUNNING.get(worker)
    if daemon is None:
        log.debug("job of %s, which is not running here: skipped", worker)
        return
    daemon.guarded(method)


def job_dispatch(worker: str) -> None:
    _run(worker, "dispatch")


def job_heartbeat(worker: str) -> None:
    _run(worker, "heartbeat")


def job_reconcile(worker: str) -> None:
    _run(worker, "reconcile")


def job_metrics(worker: str) -> None:
    _run(worker, "collect_metrics")


def job_tokens(worker: str) -> None:
    _run(worker, "check_tokens")


def new_worker_id(name: str) -> str:
    return f"{name}@{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@dataclass
class Daemon:
    database: Database
    dispatcher: Dispatcher
    name: str = "main"
    clock: Callable[[], datetime] = utcnow
    heartbeat_s: float = HEARTBEAT_S
    stale_after: timedelta = STALE_AFTER
    reconcile_s: float = RECONCILE_S
    max_sleep: timedelta = MAX_SLEEP
    stop_event: threading.Event = field(default_factory=threading.Event)
    scheduler: BlockingScheduler | None = None
    totals: DispatchSummary = field(default_factory=DispatchSummary)

    @property
    def worker(self) -> str:
        return self.dispatcher.worker

    # -- jobs ----------------------------------------------------------------------------------

    def guarded(self, method: str) -> bool:
        """Run one periodic job; a failure is one log line (the job runs again at its next time),
        never a traceback from the scheduler nor the end of the daemon."""
        try:
            getattr(self, method)()
        except Exception as error:
            log.debug("%s failed", method, exc_info=True)
            log.warning(
                "%s",
                _("{job} failed ({error}): tried again at its next run").format(
                    job=_(JOB_NAMES.get(method, method)), error=_describe(error)
                ),
            )
            return False
        return True

    def register(self) -> None:
        now = self.clock()
        with Session(self.database.engine) as session:
            session.add(
                Worker(
                    id=self.worker, host=socket.gethostname(), pid=os.getpid(), started_at=now, beat_at=now
                )
            )
            session.commit()

    def heartbeat(self) -> None:
        self._update_worker(beat_at=self.clock())

    def _update_worker(self, **fields: Any) -> None:
        with Session(self.database.engine) as session:
            worker = session.get(Worker, self.worker)
            if worker is not None:
                for name, value in fields.items():
                    setattr(worker, name, value)
                session.add(worker)
                session.commit()

    def reconcile(self) -> None:
        in_flight = self.dispatcher.in_flight_ids()
        with Session(self.database.engine) as session:
            recovered = recover_stale(session, now=self.clock(), stale_after=self.stale_after)
            recovered += recover_orphaned(
                session, self.worker, in_flight, now=self.clock(), stale_after=self.stale_after
            )
        if recovered:
            log.warning(
                _("recovered %d deliveries left 'sending' by stopped workers or cut-short batches"),
                len(recovered),
            )
        self.dispatcher.reconcile()

    def dispatch(self) -> DispatchSummary:
        try:
            summary = self.dispatcher.run_due(stop=self.stop_event)
            for key in ("published", "retrying", "failed", "unconfirmed", "paused", "released"):
                setattr(self.totals, key, getattr(self.totals, key) + getattr(summary, key))
            return summary
        finally:
            self.schedule_next_dispatch()  # also after an error: the daemon never stops waking up

    def collect_metrics(self) -> None:
        with Session(self.database.engine) as session:
            result = collect(session, self.dispatcher.adapter, now=self.clock())
        if result.snapshots:
            log.info(_("collected %d metric snapshots"), result.snapshots)

    def check_tokens(self) -> list[str]:
        soon = self.clock() + TOKEN_WARNING
        with Session(self.database.engine) as session:
            accounts = session.exec(select(Account).where(col(Account.token_expires_at).is_not(None))).all()
        warnings = [
            _("token of {name} expires on {token_expires_at}").format(name=account.name, token_expires_at=format_day(account.token_expires_at))
            for account in accounts
            if account.token_expires_at and account.token_expires_at <= soon
        ]
        for warning in warnings:
            log.warning(_("%s: run `clickable accounts add`"), warning)
        return warnings

    def schedule_next_dispatch(self) -> None:
        if self.scheduler is None or self.stop_event.is_set():
            return
        now = self.clock()
        try:
            with Session(self.database.engine) as session:
                due = self.dispatcher.next_due(session)
        except Exception as error:  # the database is away: look again within max_sleep
            log.warning(_("cannot read the next due instant (%s): trying again later"), type(error).__name__)
            due = None
        wake = min(due, now + self.max_sleep) if due is not None else now + self.max_sleep
        # A new id for each wake-up: the scheduler removes the job that just ran (a date trigger
        # fires once) after handing it over, and must not remove this one in its place.
        self.scheduler.add_job(
            job_dispatch,
            DateTrigger(run_date=max(wake, now)),
            args=[self.worker],
            id=_dispatch_id(self.name),
            misfire_grace_time=None,
        )

    # -- run -----------------------------------------------------------------------------------

    def run_once(self) -> DispatchSummary:
        """Recover, reconcile, publish what is due, collect metrics at milestones; then return."""
        self.database.ensure_schema()
        self.register()
        _RUNNING[self.worker] = self
        try:
            self.guarded("reconcile")  # side jobs: their failure never keeps due posts from going out
            summary = self.dispatcher.run_due(stop=self.stop_event)
            self.guarded("collect_metrics")
            return summary
        finally:
            self.stopped()

    def run_forever(self, *, install_signals: bool = True) -> DispatchSummary:
        self.database.ensure_schema()
        self.register()
        _RUNNING[self.worker] = self
        store = SQLAlchemyJobStore(engine=self.database.engine, tablename=f"apscheduler_{_slug(self.name)}")
        scheduler = _Scheduler(
            self.stop_event,
            jobstores={"default": store},
            timezone="UTC",
            job_defaults={"coalesce": True, "max_instances": 1},
        )
        self.scheduler = scheduler
        common: dict[str, Any] = {"args": [self.worker], "replace_existing": True}
        scheduler.add_job(
            job_heartbeat, IntervalTrigger(seconds=self.heartbeat_s), id=f"heartbeat:{self.name}", **common
        )
        scheduler.add_job(
            job_reconcile,
            IntervalTrigger(seconds=self.reconcile_s),
            id=f"reconcile:{self.name}",
            next_run_time=self.clock(),
            **common,
        )
        scheduler.add_job(
            job_metrics, IntervalTrigger(seconds=METRICS_S), id=f"metrics:{self.name}", **common
        )
        scheduler.add_job(
            job_tokens,
            IntervalTrigger(seconds=TOKENS_S),
            id=f"tokens:{self.name}",
            next_run_time=self.clock(),
            **common,
        )
        scheduler.add_job(
            job_dispatch, DateTrigger(run_date=self.clock()), id=_dispatch_id(self.name), **common
        )
        if install_signals:
            for signum in (signal.SIGTERM, signal.SIGINT):
                signal.signal(signum, self._on_signal)
        log.info(_("daemon %s started"), self.worker)
        try:
            scheduler.start()
        finally:
            self.stopped()
        return self.totals

    def _on_signal(self, signum: int, _frame: object) -> None:
        log.info(_("signal %s: finishing the current delivery, releasing the others"), signum)
        self.stop()

    def stop(self) -> None:
        """Ask the daemon to stop: the scheduler's own loop shuts it down (see _Scheduler)."""
        self.stop_event.set()
        if self.scheduler is not None and self.scheduler.running:
            threading.Thread(target=self.scheduler.wakeup, daemon=True).start()  # not from a signal handler

    def stopped(self) -> None:
        _RUNNING.pop(self.worker, None)
        self._update_worker(stopped_at=self.clock())


class _Scheduler(BlockingScheduler):
    """A blocking scheduler that shuts down from its own loop, between two rounds of jobs.

    APScheduler 3 lets ``shutdown`` run in another thread while its loop hands jobs over: the loop
    then submits to stopped executors or looks for the job it just ran among pending ones
    (JobLookupError), and the daemon dies with a traceback instead of stopping cleanly.
    """

    def __init__(self, stop_event: threading.Event, **options: Any) -> None:
        super().__init__(**options)
        self.stop_event = stop_event

    def _process_jobs(self) -> float | None:
        if self.stop_event.is_set():
            self.shutdown(wait=True)  # waits for the running delivery; the loop then ends
            return None
        return super()._process_jobs()


JOB_NAMES = {
    "dispatch": N_("publishing"),
    "heartbeat": N_("heartbeat"),
    "reconcile": N_("reconciliation"),
    "collect_metrics": N_("metric collection"),
    "check_tokens": N_("token check"),
}


def _describe(error: Exception) -> str:
    """A failure in one line: a domain error's own message, else its type and first line."""
    from campaign.errors import ClickableError
    from networks.base import NetworkError

    if isinstance(error, ClickableError | NetworkError):
        return str(error)
    first = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}: {first}" if first else type(error).__name__


def _dispatch_id(name: str) -> str:
    return f"dispatch:{name}:{uuid.uuid4().hex[:12]}"


def _slug(name: str) -> str:
    return "".join(character if character.isalnum() else "_" for character in name.lower())[:40]
