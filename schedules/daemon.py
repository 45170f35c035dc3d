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
from campaign.models import Account, Worker
from networks.collect import collect
from schedules.dispatch import Dispatcher, DispatchSummary, utcnow
from schedules.states import recover_stale

log = logging.getLogger("clickable.daemon")
HEARTBEAT_S = 10
STALE_AFTER = timedelta(seconds=45)
MAX_SLEEP = timedelta(seconds=60)  # wake at the next due instant, or within a minute to see new plans
RECONCILE_S = 60
METRICS_S = 300
TOKENS_S = 3600
TOKEN_WARNING = timedelta(days=7)

# APScheduler stores jobs as references to module-level callables with picklable arguments:
# the running daemons of this process are found again by their worker id.
_RUNNING: dict[str, Daemon] = {}


def job_dispatch(worker: str) -> None:
    _RUNNING[worker].dispatch()


def job_heartbeat(worker: str) -> None:
    _RUNNING[worker].heartbeat()


def job_reconcile(worker: str) -> None:
    _RUNNING[worker].reconcile()


def job_metrics(worker: str) -> None:
    _RUNNING[worker].collect_metrics()


def job_tokens(worker: str) -> None:
    _RUNNING[worker].check_tokens()


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
        with Session(self.database.engine) as session:
            worker = session.get(Worker, self.worker)
            if worker is not None:
                worker.beat_at = self.clock()
                session.add(worker)
                session.commit()

    def reconcile(self) -> None:
        with Session(self.database.engine) as session:
            recovered = recover_stale(session, now=self.clock(), stale_after=self.stale_after)
        if recovered:
            log.warning("recovered %d deliveries from stopped workers", len(recovered))
        self.dispatcher.reconcile()

    def dispatch(self) -> DispatchSummary:
        summary = self.dispatcher.run_due(stop=self.stop_event)
        for key in ("published", "retrying", "failed", "unconfirmed", "paused", "released"):
            setattr(self.totals, key, getattr(self.totals, key) + getattr(summary, key))
        self.schedule_next_dispatch()
        return summary

    def collect_metrics(self) -> None:
        with Session(self.database.engine) as session:
            result = collect(session, self.dispatcher.adapter, now=self.clock())
        if result.snapshots:
            log.info("collected %d metric snapshots", result.snapshots)

    def check_tokens(self) -> list[str]:
        soon = self.clock() + TOKEN_WARNING
        with Session(self.database.engine) as session:
            accounts = session.exec(select(Account).where(col(Account.token_expires_at).is_not(None))).all()
        warnings = [
            f"token of {account.name} expires on {account.token_expires_at:%Y-%m-%d}"
            for account in accounts
            if account.token_expires_at and account.token_expires_at <= soon
        ]
        for warning in warnings:
            log.warning("%s: run `clickable accounts add`", warning)
        return warnings

    def schedule_next_dispatch(self) -> None:
        if self.scheduler is None or self.stop_event.is_set():
            return
        now = self.clock()
        with Session(self.database.engine) as session:
            due = self.dispatcher.next_due(session)
        wake = min(due, now + self.max_sleep) if due is not None else now + self.max_sleep
        self.scheduler.add_job(
            job_dispatch,
            DateTrigger(run_date=max(wake, now)),
            args=[self.worker],
            id=f"dispatch:{self.name}",
            replace_existing=True,
            misfire_grace_time=None,
        )

    # -- run -----------------------------------------------------------------------------------

    def run_once(self) -> DispatchSummary:
        """Recover, reconcile, publish what is due, collect metrics at milestones; then return."""
        self.database.ensure_schema()
        self.register()
        _RUNNING[self.worker] = self
        try:
            self.reconcile()
            summary = self.dispatcher.run_due(stop=self.stop_event)
            self.collect_metrics()
            return summary
        finally:
            self.stopped()

    def run_forever(self, *, install_signals: bool = True) -> DispatchSummary:
        self.database.ensure_schema()
        self.register()
        _RUNNING[self.worker] = self
        store = SQLAlchemyJobStore(engine=self.database.engine, tablename=f"apscheduler_{_slug(self.name)}")
        scheduler = BlockingScheduler(
            jobstores={"default": store}, timezone="UTC", job_defaults={"coalesce": True, "max_instances": 1}
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
            job_dispatch, DateTrigger(run_date=self.clock()), id=f"dispatch:{self.name}", **common
        )
        if install_signals:
            for signum in (signal.SIGTERM, signal.SIGINT):
                signal.signal(signum, self._on_signal)
        log.info("daemon %s started", self.worker)
        try:
            scheduler.start()
        finally:
            self.stopped()
        return self.totals

    def _on_signal(self, signum: int, _frame: object) -> None:
        log.info("signal %s: finishing the current delivery, releasing the others", signum)
        self.stop()

    def stop(self) -> None:
        self.stop_event.set()
        if self.scheduler is not None and self.scheduler.running:
            threading.Thread(target=self.scheduler.shutdown, kwargs={"wait": True}, daemon=True).start()

    def stopped(self) -> None:
        _RUNNING.pop(self.worker, None)
        with Session(self.database.engine) as session:
            worker = session.get(Worker, self.worker)
            if worker is not None:
                worker.stopped_at = self.clock()
                session.add(worker)
                session.commit()


def _slug(name: str) -> str:
    return "".join(character if character.isalnum() else "_" for character in name.lower())[:40]
