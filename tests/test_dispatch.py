"""The dispatcher against the emulator: staged publishing, retries, pauses, reconciliation, claims."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from sqlmodel import Session, select
from typer.testing import CliRunner

from campaign.db import Database
from campaign.models import Account, Delivery, DeliveryEvent, DeliveryState, Worker
from cli import app
from networks.accounts import AccountRef, build_adapter
from networks.base import Adapter, Content, MediaHandle, Published
from networks.credentials import CredentialStore
from networks.emulator.server import EmulatorServer
from schedules.dispatch import Dispatcher
from schedules.states import claim_due, recover_stale

from .conftest import inject, published, small_campaign


@dataclass
class Env:
    workspace: Path
    database: Database
    emulator: EmulatorServer
    env: dict[str, str]

    def cli(self, *args: str) -> object:
        return CliRunner().invoke(app, list(args), env=self.env)

    def provider(self, **options: object) -> object:
        store = CredentialStore(self.workspace, use_keyring=False)

        def provide(account: AccountRef) -> Adapter:
            return build_adapter(
                account,
                store=store,
                emulator_url=self.emulator.url,
                sleep=lambda _s: None,
                timeout=2.0,
                **options,
            )

        return provide

    def dispatcher(self, worker: str = "test-worker", **options: object) -> Dispatcher:
        return Dispatcher(self.database, self.provider(), worker=worker, backoff_base_s=30, **options)  # type: ignore[arg-type]

    def deliveries(self) -> list[Delivery]:
        with Session(self.database.engine) as session:
            return list(session.exec(select(Delivery).order_by(Delivery.id)))  # type: ignore[arg-type]

    def make_due(self) -> None:
        with Session(self.database.engine) as session:
            for delivery in session.exec(select(Delivery)):
                delivery.due_utc = datetime.now(UTC) - timedelta(seconds=1)
                session.add(delivery)
            session.commit()


@pytest.fixture
def env(tmp_path: Path, emulator: EmulatorServer, database_url: str) -> Iterator[Env]:
    yield from make_env(tmp_path, emulator, database_url, small_campaign())


def make_env(
    tmp_path: Path, emulator: EmulatorServer, database_url: str, campaign: dict[str, object]
) -> Iterator[Env]:
    (tmp_path / "campaign.yaml").write_text(yaml.safe_dump(campaign, allow_unicode=True), "utf-8")
    environment = {
        "CLICKABLE_HOME": str(tmp_path),
        "CLICKABLE_DATABASE_URL": database_url,
        "CLICKABLE_EMULATOR_URL": emulator.url,
        "CLICKABLE_KEYRING": "0",
    }
    database = Database(database_url)
    result = Env(tmp_path, database, emulator, environment)
    assert result.cli("campaign", "load").exit_code == 0  # type: ignore[attr-defined]
    assert result.cli("schedule", "plan").exit_code == 0  # type: ignore[attr-defined]
    result.make_due()
    yield result
    database.dispose()


def test_due_deliveries_are_published_once_with_their_history(env: Env) -> None:
    summary = env.dispatcher().run_due()
    assert summary.published == 8
    deliveries = env.deliveries()
    assert {delivery.state for delivery in deliveries} == {DeliveryState.PUBLISHED}
    records = published(env.emulator)
    assert len(records) == 8 and len({record["text"] for record in records}) == 8
    assert {delivery.remote_id for delivery in deliveries} == {record["id"] for record in records}
    with Session(env.database.engine) as session:
        events = session.exec(
            select(DeliveryEvent).where(DeliveryEvent.delivery_id == deliveries[0].id)
        ).all()
    assert [event.to_state for event in events] == ["queued", "sending", "published"]
    assert env.dispatcher().run_due().published == 0  # nothing is due any more


def test_rate_limit_is_honoured(env: Env) -> None:
    inject(
        env.emulator,
        "x",
        "POST /2/tweets",
        status=429,
        times=1,
        headers={
            "x-rate-limit-remaining": "0",
            "x-rate-limit-reset": str(int(datetime.now(UTC).timestamp()) + 300),
        },
        body={"title": "Too Many Requests", "status": 429},
    )
    summary = env.dispatcher(batch=1).run_due()
    assert summary.retrying == 1
    waiting = next(delivery for delivery in env.deliveries() if delivery.state == DeliveryState.RETRYING)
    assert waiting.due_utc is not None
    assert timedelta(seconds=280) < waiting.due_utc - datetime.now(UTC) <= timedelta(seconds=301)
    assert waiting.attempts == 0  # waiting for a rate limit is not a failed attempt


def test_transient_errors_back_off_then_fail(env: Env) -> None:
    inject(env.emulator, "facebook", "POST /{page-id}/feed", status=503, body="<html>down</html>", times=100)
    dispatcher = env.dispatcher(max_attempts=2)
    dispatcher.run_due()
    facebook = [delivery for delivery in env.deliveries() if delivery.state != DeliveryState.PUBLISHED]
    assert {delivery.state for delivery in facebook} == {
        DeliveryState.UNCONFIRMED
    }  # a 5xx on create is never retried blindly
    reconciled = dispatcher.reconcile()
    assert set(reconciled.values()) == {DeliveryState.QUEUED}  # not on the network: queued again


def test_transient_upload_errors_retry_with_growing_backoff(env: Env) -> None:
    dispatcher = env.dispatcher()
    delays = [dispatcher._backoff(attempt) for attempt in (1, 2, 3, 4)]
    assert 24 <= delays[0] <= 36 and 48 <= delays[1] <= 72 and delays[3] > delays[2] > delays[1]


def test_expired_token_pauses_the_account(env: Env) -> None:
    inject(
        env.emulator,
        "x",
        "POST /2/tweets",
        status=401,
        body={"title": "Unauthorized", "status": 401},
        times=100,
    )
    env.dispatcher().run_due()
    states = {(delivery.account_id, delivery.state) for delivery in env.deliveries()}
    with Session(env.database.engine) as session:
        x_account = session.exec(select(Account).where(Account.name == "x-main")).one()
    assert x_account.needs_reauth
    assert {state for account, state in states if account == x_account.id} == {DeliveryState.PAUSED}
    assert {state for account, state in states if account != x_account.id} == {DeliveryState.PUBLISHED}
    doctor = env.cli("doctor")
    assert doctor.exit_code == 1 and "account x-main needs re-authentication" in doctor.stdout  # type: ignore[attr-defined]


def test_an_account_the_network_blocked_pauses_for_a_person_and_is_not_retried(env: Env) -> None:
    """Graph code 368 ("The action attempted has been deemed abusive or is otherwise disallowed") and
    Instagram's 4/2207051 (blocked as spam): no retry helps, a person must act on the account
    (developers.facebook.com/docs/graph-api/guides/error-handling; Instagram's error-codes reference)."""
    blocked = {
        "error": {
            "message": "(#368) The action attempted has been deemed abusive or is otherwise disallowed",
            "type": "OAuthException",
            "code": 368,
            "error_subcode": 1390008,
            "fbtrace_id": "Atest",
        }
    }
    inject(env.emulator, "facebook", "POST /{page-id}/feed", status=400, body=blocked, times=100)
    summary = env.dispatcher(batch=1).run_due()
    with Session(env.database.engine) as session:
        account = session.exec(select(Account).where(Account.name == "fb-main")).one()
    facebook = [delivery for delivery in env.deliveries() if delivery.account_id == account.id]
    assert {delivery.state for delivery in facebook} == {DeliveryState.PAUSED} and summary.paused >= 1
    assert not account.needs_reauth  # the token is fine: the network stopped the account
    feed_calls = [item for item in env.emulator.emulator.requests if item["template"] == "/{page-id}/feed"]
    assert len(feed_calls) == 1  # paused at the first refusal, never retried
    doctor = env.cli("doctor")
    assert doctor.exit_code == 1  # type: ignore[attr-defined]
    line = next(line for line in doctor.stdout.splitlines() if "account fb-main is paused" in line)  # type: ignore[attr-defined]
    assert "the network blocked this action (code 368/1390008" in line
    assert "a person must open the account in the network's app" in line
    assert f"{len(facebook)} deliveries wait" in line
    # the person acted on the network: retrying one delivery ends the account's pause, the others follow
    retried = env.cli("delivery", "retry", str(facebook[0].id))
    assert retried.exit_code == 0  # type: ignore[attr-defined]
    assert f"{len(facebook) - 1} other deliveries queued again" in retried.stdout  # type: ignore[attr-defined]
    assert "fb-main is paused" not in env.cli("doctor").stdout  # type: ignore[attr-defined]
    assert {delivery.state for delivery in env.deliveries() if delivery.account_id == account.id} == {
        DeliveryState.QUEUED
    }


def test_rejection_fails_with_the_network_reason(env: Env) -> None:
    inject(
        env.emulator,
        "facebook",
        "POST /{page-id}/feed",
        status=400,
        times=100,
        body={
            "error": {
                "message": "(#100) Invalid parameter",
                "code": 100,
                "error_user_msg": "Le message contient un lien interdit.",
            }
        },
    )
    env.dispatcher().run_due()
    failed = [delivery for delivery in env.deliveries() if delivery.state == DeliveryState.FAILED]
    assert len(failed) == 4 and all(
        "Le message contient un lien interdit." in (delivery.last_error or "") for delivery in failed
    )
    doctor = env.cli("doctor")
    assert doctor.exit_code == 1 and "4 deliveries failed" in doctor.stdout  # type: ignore[attr-defined]
    for delivery in failed:
        assert env.cli("delivery", "cancel", str(delivery.id)).exit_code == 0  # type: ignore[attr-defined]
    assert env.cli("doctor").exit_code == 0  # type: ignore[attr-defined]  # a human decided


def test_lost_answer_is_reconciled_as_published(env: Env) -> None:
    env.emulator.emulator.chaos_rate = 0.0
    inject(env.emulator, "x", "POST /2/tweets", delay_s=2.5)  # the post lands, the answer comes too late
    dispatcher = Dispatcher(env.database, env.provider(), worker="w", backoff_base_s=30)  # type: ignore[arg-type]
    dispatcher.adapters = env.provider()  # type: ignore[assignment]
    summary = dispatcher.run_due()
    assert summary.unconfirmed == 1
    import time

    time.sleep(2)
    assert set(dispatcher.reconcile().values()) == {DeliveryState.PUBLISHED}
    assert len(published(env.emulator)) == 8  # nothing was sent twice


def test_two_claims_never_share_a_delivery(env: Env) -> None:
    with Session(env.database.engine) as first, Session(env.database.engine) as second:
        a = claim_due(first, "a", now=datetime.now(UTC), limit=5)
        b = claim_due(second, "b", now=datetime.now(UTC), limit=5)
    assert len(a) == 5 and len(b) == 3 and not set(a) & set(b)


def test_claims_of_a_dead_worker_are_recovered(env: Env) -> None:
    now = datetime.now(UTC)
    with Session(env.database.engine) as session:
        session.add(
            Worker(
                id="dead",
                host="h",
                pid=1,
                started_at=now - timedelta(hours=1),
                beat_at=now - timedelta(minutes=10),
            )
        )
        session.commit()
        claimed = claim_due(session, "dead", now=now, limit=2)
        for delivery_id in claimed:
            delivery = session.get(Delivery, delivery_id)
            assert delivery is not None
            delivery.claimed_at = now - timedelta(minutes=5)
            delivery.stage = "create" if delivery_id == claimed[0] else "upload"
            session.add(delivery)
        session.commit()
        recover_stale(session, now=now, stale_after=timedelta(seconds=45))
        states = {delivery_id: session.get(Delivery, delivery_id).state for delivery_id in claimed}  # type: ignore[union-attr]
    assert states == {claimed[0]: DeliveryState.UNCONFIRMED, claimed[1]: DeliveryState.QUEUED}


def test_a_stopping_daemon_gives_back_the_claims_it_never_sent(env: Env) -> None:
    """Stopping mid-batch: what was sent is published; the rest is queued again, not 'unconfirmed'."""
    stop = threading.Event()
    provide = env.provider()

    def stopping_after_first_create(account: AccountRef) -> Adapter:
        adapter = provide(account)  # type: ignore[operator]
        create = adapter.create

        def create_then_stop(content: Content, media: MediaHandle | None) -> Published:
            try:
                return create(content, media)  # type: ignore[no-any-return]
            finally:
                stop.set()  # as SIGTERM would, while this call is out

        adapter.create = create_then_stop  # type: ignore[method-assign]
        return adapter  # type: ignore[no-any-return]

    dispatcher = Dispatcher(
        env.database, stopping_after_first_create, worker="stopping", backoff_base_s=30, concurrency=1
    )
    summary = dispatcher.run_due(stop=stop)
    deliveries = env.deliveries()
    assert summary.published == 1 and summary.released == 7
    assert Counter(delivery.state for delivery in deliveries) == {
        DeliveryState.PUBLISHED: 1,
        DeliveryState.QUEUED: 7,
    }
    queued = [delivery for delivery in deliveries if delivery.state == DeliveryState.QUEUED]
    assert all(delivery.claimed_by is None and delivery.attempts == 0 for delivery in queued)
    assert len(published(env.emulator)) == 1
    assert env.dispatcher().run_due().published == 7  # the next run sends them without reconciling


def test_cli_list_history_retry_cancel(env: Env) -> None:
    rows = json.loads(env.cli("schedule", "list", "--json").stdout)  # type: ignore[attr-defined]
    assert set(rows[0]) == {
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
    }
    assert rows[0]["link"].startswith("https://s.example.org/r/")
    target = rows[0]["id"]
    assert env.cli("delivery", "cancel", str(target)).exit_code == 0  # type: ignore[attr-defined]
    assert env.cli("schedule", "run", "--once").exit_code == 0  # type: ignore[attr-defined]
    assert len(published(env.emulator)) == 7
    assert env.cli("delivery", "retry", str(target)).exit_code == 0  # type: ignore[attr-defined]
    assert env.cli("schedule", "run", "--once").exit_code == 0  # type: ignore[attr-defined]
    assert len(published(env.emulator)) == 8
    history = json.loads(env.cli("delivery", "history", str(target), "--json").stdout)  # type: ignore[attr-defined]
    assert [item["to"] for item in history] == ["queued", "cancelled", "queued", "sending", "published"]
    refused = env.cli("delivery", "cancel", str(target))
    assert refused.exit_code == 1 and "cannot be cancelled" in refused.stderr  # type: ignore[attr-defined]
    missing = env.cli("delivery", "history", "99999")
    assert missing.exit_code == 1 and "no delivery 99999" in missing.stderr  # type: ignore[attr-defined]


def test_dry_run_sends_nothing(env: Env) -> None:
    result = env.cli("schedule", "run", "--dry-run")
    assert result.exit_code == 0 and "8 deliveries due; nothing was sent" in result.stdout  # type: ignore[attr-defined]
    assert published(env.emulator) == []


def test_calendar_file(env: Env, tmp_path: Path) -> None:
    from icalendar import Calendar

    target = tmp_path / "plan.ics"
    assert env.cli("schedule", "calendar", "--ics", str(target)).exit_code == 0  # type: ignore[attr-defined]
    events = [
        component
        for component in Calendar.from_ical(target.read_bytes()).walk()
        if component.name == "VEVENT"
    ]
    assert len(events) == 8 and all(event.get("dtstart").dt.tzinfo is not None for event in events)


def test_metrics_at_milestones_keep_their_history(env: Env) -> None:
    from campaign.models import MetricSnapshot
    from engagement.collect import collect

    dispatcher = env.dispatcher()
    assert dispatcher.run_due().published == 8
    start = datetime.now(UTC)
    with Session(env.database.engine) as session:
        assert collect(session, dispatcher.adapter, now=start).snapshots == 0  # no milestone reached yet
        env.emulator.emulator.clock_offset += 2 * 3600
        first = collect(session, dispatcher.adapter, now=start + timedelta(hours=2))
        again = collect(session, dispatcher.adapter, now=start + timedelta(hours=2, minutes=5))
        env.emulator.emulator.clock_offset += 23 * 3600
        later = collect(session, dispatcher.adapter, now=start + timedelta(hours=25))
        snapshots = session.exec(select(MetricSnapshot).order_by(MetricSnapshot.id)).all()  # type: ignore[arg-type]
    assert (first.snapshots, again.snapshots, later.snapshots) == (8, 0, 8)
    assert [snapshot.milestone for snapshot in snapshots] == ["1h"] * 8 + ["24h"] * 8
    one = [snapshot for snapshot in snapshots if snapshot.delivery_id == snapshots[0].delivery_id]
    assert one[1].metrics["views"] >= one[0].metrics["views"] > 0  # numbers grow; the first reading is kept


# -- nothing sent is never "unconfirmed"; reconciliation goes on account by account ----------------


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _unreachable_provider(env: Env, emulator_url: str) -> object:
    """Adapters with the emulator's (valid) credentials, sending to an address that cannot be reached."""
    from networks.accounts import emulator_credentials
    from networks.registry import registry

    def provide(account: AccountRef) -> Adapter:
        credentials = emulator_credentials(account, env.emulator.url)
        adapter = registry().adapter_class(account.network)
        return adapter(credentials, emulator_url=emulator_url, timeout=2.0)

    return provide


@pytest.mark.parametrize(
    "where",
    ["connection refused", "name not resolved"],
)
def test_a_create_call_that_never_left_is_retried_not_unconfirmed(env: Env, where: str) -> None:
    url = (
        f"http://127.0.0.1:{_free_port()}" if where == "connection refused" else "http://no-such-host.invalid"
    )
    dispatcher = Dispatcher(env.database, _unreachable_provider(env, url), worker="w", backoff_base_s=30)  # type: ignore[arg-type]
    summary = dispatcher.run_due()
    assert (summary.retrying, summary.unconfirmed) == (8, 0)
    deliveries = env.deliveries()
    assert {delivery.state for delivery in deliveries} == {DeliveryState.RETRYING}
    assert all(delivery.stage is None for delivery in deliveries)  # no "create sent" left behind
    assert len(summary.problems) == 8 and all("not sent" in line for line in summary.problems)
    assert published(env.emulator) == []


def test_a_create_call_whose_connection_dropped_stays_unconfirmed(env: Env) -> None:
    """The server took the request and closed without answering: it may have published."""
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(10)
    stop = threading.Event()

    def swallow() -> None:
        while not stop.is_set():
            try:
                connection, _address = listener.accept()
            except OSError:
                return
            connection.recv(65536)
            connection.close()

    thread = threading.Thread(target=swallow, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        dispatcher = Dispatcher(env.database, _unreachable_provider(env, url), worker="w", backoff_base_s=30)  # type: ignore[arg-type]
        summary = dispatcher.run_due()
    finally:
        stop.set()
        listener.close()
    assert summary.unconfirmed == 8
    assert {delivery.state for delivery in env.deliveries()} == {DeliveryState.UNCONFIRMED}


def test_emulator_down_or_credentials_missing_sends_nothing_and_says_what_to_do(
    tmp_path: Path, emulator: EmulatorServer, database_url: str
) -> None:
    campaign = small_campaign(posts=1)
    campaign["accounts"]["x-real"] = {"network": "x", "sandbox": False}  # type: ignore[index]
    campaign["posts"][0]["accounts"].append("x-real")  # type: ignore[index]
    env = next(make_env(tmp_path, emulator, database_url, campaign))
    try:
        emulator.stop()
        result = env.cli("post", "publish", "p000", "--now")
        assert result.exit_code == 3, result.output  # type: ignore[attr-defined]
        output = result.stdout + result.stderr  # type: ignore[attr-defined]
        assert "Traceback" not in output and isinstance(result.exception, SystemExit)  # type: ignore[attr-defined]
        lines = [line for line in result.stderr.splitlines() if line.startswith("delivery ")]  # type: ignore[attr-defined]
        assert len(lines) == 6, result.stderr  # type: ignore[attr-defined]
        assert sum("(x-real, " in line and "clickable accounts add x-real" in line for line in lines) == 2
        assert (
            sum("emulator does not answer" in line and "clickable emulator serve" in line for line in lines)
            == 4
        )
        states = Counter(delivery.state for delivery in env.deliveries())
        assert states == {DeliveryState.RETRYING: 4, DeliveryState.PAUSED: 2}
        doctor = env.cli("doctor")
        assert doctor.exit_code == 1  # type: ignore[attr-defined]
        assert "account x-real needs re-authentication (no credentials for account 'x-real'" in doctor.stdout  # type: ignore[attr-defined]
        assert "unconfirmed" not in doctor.stdout  # type: ignore[attr-defined]
        again = env.cli("schedule", "run", "--once")
        assert "Traceback" not in again.stdout + again.stderr  # type: ignore[attr-defined]
        assert again.exit_code == 0, again.output  # type: ignore[attr-defined]  # the retries are not due yet
    finally:
        env.database.dispose()


def _unconfirm_everything(env: Env) -> None:
    """Every create call answers 503: all 8 deliveries are unconfirmed, nothing was published."""
    inject(env.emulator, "x", "POST /2/tweets", status=503, body={"title": "Service Unavailable"}, times=4)
    inject(env.emulator, "facebook", "POST /{page-id}/feed", status=503, body="<html>down</html>", times=4)
    env.emulator.emulator.chaos_rate = 0.0
    assert env.dispatcher().run_due().unconfirmed == 8


def test_one_failing_account_does_not_stop_the_reconciliation_of_the_others(env: Env) -> None:
    from schedules.daemon import Daemon

    _unconfirm_everything(env)
    # X answers its "who am I" call with an empty body: the X adapter cannot read it (a bug class
    # we do not own); before, the exception ended the whole reconciliation every minute
    inject(env.emulator, "x", "GET /2/users/me", status=200, body={}, times=100)
    dispatcher = env.dispatcher()
    daemon = Daemon(env.database, dispatcher)
    assert daemon.guarded("reconcile")  # the job itself succeeded: the account's failure is recorded
    by_network = {(delivery.account_id, delivery.state) for delivery in env.deliveries()}
    with Session(env.database.engine) as session:
        x_account = session.exec(select(Account).where(Account.name == "x-main")).one()
        fb_account = session.exec(select(Account).where(Account.name == "fb-main")).one()
    assert {state for account, state in by_network if account == fb_account.id} == {DeliveryState.QUEUED}
    assert {state for account, state in by_network if account == x_account.id} == {DeliveryState.UNCONFIRMED}
    assert x_account.reconcile_error and "x-main" in x_account.reconcile_error
    assert x_account.reconcile_failed_at is not None and fb_account.reconcile_error is None
    doctor = env.cli("doctor")
    assert doctor.exit_code == 1  # type: ignore[attr-defined]
    assert "4 unconfirmed deliveries of account x-main wait" in doctor.stdout  # type: ignore[attr-defined]
    assert "reconciliation of account x-main fails" in doctor.stdout  # type: ignore[attr-defined]
    assert "the daemon reconciles them" not in doctor.stdout  # type: ignore[attr-defined]

    env.emulator.emulator.faults.clear()  # X answers again: reconciled, and the failure forgotten
    assert set(dispatcher.reconcile().values()) == {DeliveryState.QUEUED}
    with Session(env.database.engine) as session:
        x_account = session.exec(select(Account).where(Account.name == "x-main")).one()
    assert x_account.reconcile_error is None and x_account.reconcile_failed_at is None


def test_reconciliation_waits_for_missing_credentials_and_says_so(env: Env) -> None:
    _unconfirm_everything(env)
    env.emulator.stop()  # sandbox accounts get their credentials from the emulator
    results = env.dispatcher().reconcile()
    assert results == {}
    with Session(env.database.engine) as session:
        accounts = session.exec(select(Account)).all()
    assert all("clickable emulator serve" in (account.reconcile_error or "") for account in accounts)
    assert {delivery.state for delivery in env.deliveries()} == {DeliveryState.UNCONFIRMED}
    once = env.cli("schedule", "run", "--once")
    output = once.stdout + once.stderr  # type: ignore[attr-defined]
    assert "Traceback" not in output and "reconciliation of account x-main fails" in output
    assert once.exception is None or isinstance(once.exception, SystemExit)  # type: ignore[attr-defined]


def test_a_live_daemon_gives_back_its_own_claims_that_no_batch_holds(env: Env) -> None:
    """A batch cut short by an error leaves its claims 'sending' under a worker whose heartbeat is
    fine: the daemon's reconciliation gives them back (queued, or unconfirmed if create was out)."""
    from schedules.daemon import Daemon

    dispatcher = env.dispatcher(worker="alive")
    daemon = Daemon(env.database, dispatcher, stale_after=timedelta(seconds=45))
    daemon.register()
    now = datetime.now(UTC)
    with Session(env.database.engine) as session:
        claimed = claim_due(session, "alive", now=now, limit=3)
        for delivery_id in claimed:
            delivery = session.get(Delivery, delivery_id)
            assert delivery is not None
            delivery.claimed_at = now - timedelta(minutes=5)
            delivery.stage = "create" if delivery_id == claimed[0] else "upload"
            session.add(delivery)
        session.commit()
    dispatcher.in_flight.add(claimed[2])  # still held by a running batch: left alone
    assert daemon.guarded("reconcile")
    states = {delivery.id: delivery.state for delivery in env.deliveries()}
    assert states[claimed[0]] == DeliveryState.QUEUED  # unconfirmed, then not found: queued again
    assert states[claimed[1]] == DeliveryState.QUEUED
    assert states[claimed[2]] == DeliveryState.SENDING
    with Session(env.database.engine) as session:
        reasons = [
            event.reason
            for event in session.exec(select(DeliveryEvent).where(DeliveryEvent.delivery_id == claimed[0]))
        ]
    assert "claim of alive cut short during the create call" in reasons


def test_an_unexpected_error_before_create_gives_up_after_the_last_attempt(
    tmp_path: Path, emulator: EmulatorServer, database_url: str, videos: dict[str, Path]
) -> None:
    """Instagram answers its container call with an empty object: the adapter cannot read it. Nothing
    was created, so it is retried, and after the last attempt it fails with the reason (it was
    retried for ever)."""
    from campaign.models import Capsule

    campaign = small_campaign(posts=0, territories={"fr": ("France", "Europe/Paris")})
    campaign["accounts"] = {"ig-main": {"network": "instagram", "sandbox": True}}
    campaign["capsules"] = {"reel": {"script": "reel.yaml"}}
    campaign["posts"] = [
        {"id": "reel", "text": "Reel : parles-en.", "accounts": ["ig-main"], "capsule": "reel"}
    ]
    (tmp_path / "reel.yaml").write_text("title: reel\n", "utf-8")
    env = next(make_env(tmp_path, emulator, database_url, campaign))
    try:
        with Session(env.database.engine) as session:
            capsule = session.exec(select(Capsule)).one()
            capsule.outputs = {  # as `capsule render` records it (render.CapsuleRender.outputs)
                "languages": ["fr"],
                "renders": {"vertical.fr": {"files": [{"kind": "video", "path": str(videos["good"])}]}},
            }
            session.add(capsule)
            session.commit()
        inject(emulator, "instagram", "POST /{ig-user-id}/media", status=200, body={}, times=10)
        dispatcher = env.dispatcher(max_attempts=2)
        first = dispatcher.run_due()
        assert first.retrying == 1 and "unexpected error: KeyError" in first.problems[0]
        env.make_due()
        second = dispatcher.run_due()
        assert second.failed == 1 and "gave up after 2 attempts" in second.problems[0]
        assert [delivery.state for delivery in env.deliveries()] == [DeliveryState.FAILED]
        assert published(emulator) == []
    finally:
        env.database.dispose()


def test_metrics_of_an_account_without_credentials_wait_and_the_others_are_collected(env: Env) -> None:
    assert env.dispatcher().run_due().published == 8
    with Session(env.database.engine) as session:  # the operator moved x-main to the real network
        account = session.exec(select(Account).where(Account.name == "x-main")).one()
        account.sandbox = False
        session.add(account)
        session.commit()
    result = env.cli("stats", "collect", "--all")
    assert result.exit_code == 3 and isinstance(result.exception, SystemExit), result.output  # type: ignore[attr-defined]
    assert "4 snapshots stored" in result.stdout  # type: ignore[attr-defined]  # Facebook's
    assert "postponed: x-main: no credentials for account 'x-main'" in result.stderr  # type: ignore[attr-defined]
    assert "clickable accounts add x-main" in result.stderr  # type: ignore[attr-defined]
