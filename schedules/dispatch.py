"""The dispatcher: claims due deliveries and runs the adapters' stages, so that a post goes out once."""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, update
from sqlmodel import Session, col, select

from campaign import quota
from campaign.checks import tracked_url
from campaign.db import Database
from campaign.errors import ClickableError
from campaign.i18n import _, format_number, format_when
from campaign.models import (
    Account,
    Campaign,
    Capsule,
    Delivery,
    DeliveryEvent,
    DeliveryState,
    Link,
    Post,
    Territory,
    Variant,
)
from capsules.delivery import capsule_media
from networks.accounts import AccountRef, EmulatorUnreachable
from networks.base import (
    AccountPaused,
    Adapter,
    CaptionTrack,
    Content,
    NeedsReauth,
    NetworkError,
    NotSent,
    Published,
    RateLimited,
    Rejected,
    Unconfirmed,
    certainly_not_sent,
    fingerprint,
)
from networks.registry import Registry, registry
from networks.spec import QuotaRules
from schedules.states import STAGE_CREATE, claim_due, release, transition

log = logging.getLogger("clickable.dispatch")
BACKOFF_BASE_S = 60.0
BACKOFF_MAX_S = 1800.0
MAX_ATTEMPTS = 5
AdapterProvider = Callable[[AccountRef], Adapter]
_QUOTA_LOCK = threading.Lock()  # a quota's check and its reservation, one delivery at a time


# An unconfirmed delivery is sent again under its idempotency key only if that leaves this long before
# the network forgets the key (the retry must be claimed and sent within the window)
IDEMPOTENCY_MARGIN_S = 900.0


def delivery_key(campaign: str, delivery: int, account: str, content_fingerprint: str) -> str:
    """The delivery's idempotency key: the same on every attempt and after any restart, different for
    every delivery (and for the same delivery number in another database or campaign)."""
    import hashlib

    seed = f"clickable-delivery\0{campaign}\0{delivery}\0{account}\0{content_fingerprint}"
    return hashlib.sha256(seed.encode("utf-8")).hexdigest()[:40]


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class DispatchSummary:
    published: int = 0
    retrying: int = 0
    failed: int = 0
    unconfirmed: int = 0
    paused: int = 0
    released: int = 0
    outcomes: dict[int, str] = field(default_factory=dict)
    # one line per delivery that was not published: which one, on which account, why, what to do
    problems: list[str] = field(default_factory=list)

    def count(self, delivery_id: int, state: str) -> None:
        self.outcomes[delivery_id] = state
        if hasattr(self, state):
            setattr(self, state, getattr(self, state) + 1)

    @property
    def not_published(self) -> int:
        return self.retrying + self.failed + self.unconfirmed + self.paused


@dataclass
class Job:
    """Everything one delivery needs, read in one short transaction."""

    delivery_id: int
    account: AccountRef
    content: Content
    stage: str | None
    attempts: int
    problem: str | None = None  # a reason to fail before calling the network
    territory: str = ""
    paused: str | None = None  # the network stopped the account (Account.paused_reason)
    paused_until: datetime | None = None  # …until then (None: until a person resumes it)


class Dispatcher:
    def __init__(
        self,
        database: Database,
        adapters: AdapterProvider,
        *,
        worker: str,
        clock: Callable[[], datetime] = utcnow,
        batch: int = 25,
        concurrency: int = 4,
        backoff_base_s: float = BACKOFF_BASE_S,
        max_attempts: int = MAX_ATTEMPTS,
        rng: random.Random | None = None,
        networks: Registry | None = None,
    ) -> None:
        self.database = database
        self.networks = networks if networks is not None else registry()
        self.adapters = adapters
        self.worker = worker
        self.clock = clock
        self.batch = batch
        self.concurrency = concurrency  # deliveries in flight at once: network waits overlap
        self._lock = threading.Lock()
        self.backoff_base_s = backoff_base_s
        self.max_attempts = max_attempts
        self.rng = rng or random.Random()
        self._adapters: dict[str, Adapter] = {}
        self._paused: dict[str, str] = {}  # accounts whose credentials were refused in this run: why
        self._problems: list[tuple[int, str]] = []  # lines for the summary of the current run_due
        self.in_flight: set[int] = set()  # claimed deliveries a batch of this dispatcher still holds

    def adapter(self, account: AccountRef) -> Adapter:
        with self._lock:
            if account.name not in self._adapters:
                self._adapters[account.name] = self.adapters(account)
            return self._adapters[account.name]

    def in_flight_ids(self) -> set[int]:
        with self._lock:
            return set(self.in_flight)

    def run_due(self, *, stop: threading.Event | None = None, dry_run: bool = False) -> DispatchSummary:
        """Publish everything due now, one claimed batch at a time, until nothing is due.

        Per batch: one claim, one commit marking the text posts as "create sent" (before any call),
        the network calls (a few at once), then one commit recording what was published. A crash in
        between leaves the batch "unconfirmed": reconciliation looks for each post before any retry.
        """
        summary = DispatchSummary()
        self.database.ensure_schema()
        with self._lock:
            self._problems = []
        while not (stop and stop.is_set()):
            if dry_run:
                return summary
            with Session(self.database.engine) as session:
                ids = claim_due(session, self.worker, now=self.clock(), limit=self.batch)
                if not ids:
                    break
                with self._lock:
                    self.in_flight.update(ids)
            try:
                self._run_batch(ids, stop, summary)
            finally:
                with self._lock:
                    self.in_flight.difference_update(ids)
        with self._lock:
            summary.problems = [line for _id, line in sorted(self._problems)]
        return summary

    def _run_batch(self, ids: list[int], stop: threading.Event | None, summary: DispatchSummary) -> None:
        """One claimed batch: its jobs, the "create sent" mark of its text posts, the calls, the record.
        Should anything here fail, the claims left are given back by the daemon (recover_orphaned)."""
        with Session(self.database.engine) as session:
            jobs = {job.delivery_id: job for job in self.jobs(session, ids)}
            marked = {
                delivery_id
                for delivery_id, job in jobs.items()
                if job.content.video is None and not job.problem
            }
            if marked:
                session.execute(
                    update(Delivery)
                    .where(col(Delivery.id).in_(marked))
                    .values(stage=STAGE_CREATE, updated_at=self.clock())
                )
            session.commit()
        published: list[tuple[int, Published]] = []
        with ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="dispatch") as pool:
            outcomes = list(
                pool.map(
                    self._run_job,
                    [jobs[delivery_id] for delivery_id in ids],
                    [stop] * len(ids),
                    [delivery_id in marked for delivery_id in ids],
                    [published] * len(ids),
                )
            )
        self._record_published(published)
        for delivery_id, outcome in zip(ids, outcomes, strict=True):
            if outcome is None:
                summary.released += 1
            else:
                summary.count(delivery_id, outcome)

    def _run_job(
        self, job: Job, stop: threading.Event | None, marked: bool, published: list[tuple[int, Published]]
    ) -> str | None:
        """Deliver one job, or give its claim back when the daemon is stopping (None)."""
        if stop is not None and stop.is_set():
            with Session(self.database.engine) as session:
                release(
                    session,
                    [job.delivery_id],
                    self.worker,
                    now=self.clock(),
                    reason="daemon stopping",
                    never_sent=True,
                )
            return None
        return self.deliver(job.delivery_id, job=job, create_marked=marked, sink=published)

    def _record_published(self, items: list[tuple[int, Published]]) -> None:
        """Record many publications in one transaction (the hot path of a busy daemon)."""
        if not items:
            return
        now = self.clock()
        with Session(self.database.engine) as session:
            session.execute(
                update(Delivery),
                [
                    {
                        "id": delivery_id,
                        "state": DeliveryState.PUBLISHED,
                        "remote_id": item.remote_id,
                        "remote_url": item.url,
                        "visibility": item.visibility,
                        "published_at": now,
                        "stage": None,
                        "last_error": None,
                        "claimed_by": None,
                        "updated_at": now,
                    }
                    for delivery_id, item in items
                ],
            )
            session.execute(
                insert(DeliveryEvent),
                [
                    {
                        "delivery_id": delivery_id,
                        "at": now,
                        "from_state": DeliveryState.SENDING,
                        "to_state": DeliveryState.PUBLISHED,
                        "reason": "; ".join((_("published as {remote_id}").format(remote_id=item.remote_id), *item.notes)),
                    }
                    for delivery_id, item in items
                ],
            )
            session.commit()
        log.info(_("%d deliveries published"), len(items))

    def next_due(self, session: Session) -> datetime | None:
        return session.exec(
            select(Delivery.due_utc)
            .where(col(Delivery.state).in_((DeliveryState.QUEUED, DeliveryState.RETRYING)))
            .order_by(col(Delivery.due_utc))
            .limit(1)
        ).first()

    # -- one delivery ------------------------------------------------------------------------------

    def job(self, session: Session, delivery_id: int) -> Job:
        return self.jobs(session, [delivery_id])[0]

    def jobs(self, session: Session, ids: list[int]) -> list[Job]:
        """One query for everything a batch of deliveries needs (in the order of ``ids``)."""
        rows = session.exec(
            select(Delivery, Variant, Post, Account, Campaign, Link, Territory)  # type: ignore[call-overload]
            .join(Variant, col(Variant.id) == Delivery.variant_id)
            .join(Post, col(Post.id) == Variant.post_id)
            .join(Account, col(Account.id) == Delivery.account_id)
            .join(Campaign, col(Campaign.id) == Post.campaign_id)
            .outerjoin(Link, col(Link.id) == Delivery.link_id)
            .outerjoin(Territory, col(Territory.id) == Delivery.territory_id)
            .where(col(Delivery.id).in_(ids))
        ).all()
        capsules: dict[tuple[str, str], Capsule | None] = {}
        jobs: dict[int, Job] = {}
        for delivery, variant, post, account, campaign, link, territory in rows:
            ref = AccountRef(account.name, account.network, account.sandbox, dict(account.settings or {}))
            video: Path | None = None
            captions: tuple[CaptionTrack, ...] = ()
            alt_text = alt_language = None
            alt_texts: dict[str, str] = {}
            problem = None
            if post.capsule_key:
                key = (post.campaign_id, post.capsule_key)
                if key not in capsules:
                    capsules[key] = session.exec(
                        select(Capsule).where(Capsule.campaign_id == key[0], Capsule.key == key[1])
                    ).first()
                capsule = capsules[key]
                media = capsule_media(
                    post.capsule_key,
                    capsule.outputs if capsule is not None else None,
                    self.networks[account.network].media.formats if account.network in self.networks else (),
                    territory.key if territory is not None else "",
                    territory.languages if territory is not None else None,
                    campaign.language,
                )
                if isinstance(media, str):
                    problem = _("{reason}, then `clickable delivery retry {delivery}`").format(
                        reason=media, delivery=delivery.id
                    )
                else:
                    video, alt_text, alt_language = media.video, media.alt_text, media.alt_text_language
                    captions = tuple(
                        CaptionTrack(track.language, track.srt, track.vtt, track.burned_in)
                        for track in media.captions
                    )
                    outputs = (capsule.outputs if capsule is not None else None) or {}
                    alt_texts = {str(tag): str(value) for tag, value in (outputs.get("alt_text") or {}).items() if value}
            url = tracked_url(campaign.landing_base_url, link.code) if link else None
            text = delivery.text or variant.text
            content = Content(
                choices=self._choices(account, variant),
                text=text,
                video=video,
                link=url if url and url in text else None,
                title=post.key,
                captions=captions,
                alt_text=alt_text,
                alt_text_language=alt_language,
                languages=tuple(
                    (territory.languages if territory is not None else None) or [campaign.language]
                ),
                idempotency_key=delivery_key(
                    campaign.id, delivery.id, account.name, delivery.fingerprint or fingerprint(text)
                ),
                language=campaign.language,
                alt_texts=alt_texts,
            )
            jobs[delivery.id] = Job(
                delivery.id,
                ref,
                content,
                delivery.stage,
                delivery.attempts,
                problem,
                territory.key if territory is not None else "",
                account.paused_reason,
                account.paused_until,
            )
        return [jobs[delivery_id] for delivery_id in ids]

    def _choices(self, account: Account, variant: Variant) -> dict[str, str | bool]:
        """The choices the network requires: the post's own, else the account's (campaign.yaml)."""
        if account.network not in self.networks:
            return {}
        names = [choice.name for choice in self.networks[account.network].choices]
        made = {**(account.settings or {}), **(variant.choices or {})}
        return {name: made[name] for name in names if name in made}

    def deliver(
        self,
        delivery_id: int,
        *,
        job: Job | None = None,
        create_marked: bool = False,
        sink: list[tuple[int, Published]] | None = None,
    ) -> str:
        """Run the stages of one claimed delivery; returns its new state. Never raises for network errors.

        With ``sink``, a publication that needs no processing is appended there and recorded by the
        caller together with others (the create marker was committed before: see ``run_due``).
        """
        if job is None:
            with Session(self.database.engine) as session:
                job = self.job(session, delivery_id)
        if job.problem:
            return self._finish(delivery_id, DeliveryState.FAILED, job.problem, job=job)
        if job.account.name in self._paused:
            return self._finish(delivery_id, DeliveryState.PAUSED, self._paused[job.account.name], job=job)
        if job.paused is not None:  # the network stopped the account: nothing is sent until it resumes
            # (the delivery's last_error is the account's reason: `accounts resume` queues it again)
            if job.paused_until is None:
                return self._finish(delivery_id, DeliveryState.PAUSED, job.paused, job=job)
            if job.paused_until > self.clock():
                return self._finish(
                    delivery_id, DeliveryState.RETRYING, job.paused, due=job.paused_until, count_attempt=False, job=job
                )
        try:
            adapter = self.adapter(job.account)
        except Exception as error:  # no adapter, so nothing was sent: never "unconfirmed"
            return self._not_sent(delivery_id, job, error)
        rules = self.networks[job.account.network].quota if job.account.network in self.networks else None
        if rules is None:
            return self._stages(delivery_id, job, adapter, create_marked, sink)
        reserved, waiting = self._reserve(delivery_id, job, adapter, rules)
        if waiting is not None:
            wait, reason = waiting
            return self._finish(
                delivery_id, DeliveryState.RETRYING, reason, retry_in=wait, count_attempt=False, job=job
            )
        try:
            return self._stages(delivery_id, job, adapter, create_marked, sink)
        finally:
            self._settle(delivery_id, adapter, rules, reserved)

    # -- daily quotas (networks whose spec meters calls) ----------------------------------------------

    def _reserve(
        self, delivery_id: int, job: Job, adapter: Adapter, rules: QuotaRules
    ) -> tuple[dict[str, int], tuple[float, str] | None]:
        """Reserve the calls the delivery will make, or say how long it waits for the network's reset."""
        now = self.clock()
        cost = rules.cost(adapter.planned_calls(job.content))
        with _QUOTA_LOCK, Session(self.database.engine) as session:
            account_id = session.execute(select(Delivery.account_id).where(Delivery.id == delivery_id)).scalar_one()
            short = quota.short_of(quota.usage(session, account_id, rules, now), cost)
            if short is not None:
                reset = quota.next_reset(rules, now)
                reason = _(
                    "{network} quota of the day used up ({bucket}: {used} of {limit} used, this post needs "
                    "{cost}): waits for the reset at {at}"
                ).format(
                    network=job.account.network,
                    bucket=_(short.label) if short.label else short.name,
                    used=format_number(short.used),
                    limit=format_number(short.limit),
                    cost=format_number(cost.get(short.name, 0)),
                    at=format_when(reset, rules.reset_zone),
                )
                return {}, ((reset - now).total_seconds(), reason)
            quota.add(session, account_id, rules, cost, now)
            session.commit()
        return cost, None

    def _settle(self, delivery_id: int, adapter: Adapter, rules: QuotaRules, reserved: dict[str, int]) -> None:
        """Count the calls really made instead of the ones reserved."""
        used = rules.cost(adapter.used_calls())
        difference = {bucket: used.get(bucket, 0) - reserved.get(bucket, 0) for bucket in {*used, *reserved}}
        if not any(difference.values()):
            return
        with _QUOTA_LOCK, Session(self.database.engine) as session:
            account_id = session.execute(select(Delivery.account_id).where(Delivery.id == delivery_id)).scalar_one()
            quota.add(session, account_id, rules, difference, self.clock())
            session.commit()

    def _stages(
        self,
        delivery_id: int,
        job: Job,
        adapter: Adapter,
        create_marked: bool,
        sink: list[tuple[int, Published]] | None,
    ) -> str:
        create_called = False  # the text posts of a batch are marked "create" before any call
        try:
            media = adapter.upload_media(job.content)
            if not create_marked:
                self._set_stage(
                    delivery_id, STAGE_CREATE
                )  # committed before the call: a crash now means "unconfirmed"
            create_called = True
            published = adapter.create(job.content, media)
        except NetworkError as error:
            if isinstance(error, Unconfirmed) and certainly_not_sent(error):
                error = NotSent(error.network, _("the create call was not sent: cannot connect"))
            return self._failed_before_publish(delivery_id, job, error)
        except Exception as error:  # a bug or an unexpected library error: never a blind retry after create
            log.debug("delivery %s: unexpected error", delivery_id, exc_info=True)
            reason = _("unexpected error: {kind}: {error}").format(kind=type(error).__name__, error=error)
            if create_called and not certainly_not_sent(error):
                return self._finish(delivery_id, DeliveryState.UNCONFIRMED, reason, job=job)
            if job.attempts >= self.max_attempts:  # the same error every time: a human must look
                return self._finish(
                    delivery_id,
                    DeliveryState.FAILED,
                    _("gave up after {attempts} attempts: {reason}").format(
                        attempts=job.attempts, reason=reason
                    ),
                    job=job,
                )
            return self._finish(
                delivery_id, DeliveryState.RETRYING, reason, retry_in=self._backoff(job.attempts), job=job
            )
        if not published.processing:  # nothing to wait for
            if sink is not None:
                with self._lock:
                    sink.append((delivery_id, published))
                return DeliveryState.PUBLISHED
            return self._published(delivery_id, published, None)
        self._set_stage(delivery_id, "poll", remote_id=published.remote_id, remote_url=published.url)
        note = None
        try:
            published = adapter.finalize(adapter.poll(published))
        except Rejected as error:
            return self._finish(
                delivery_id,
                DeliveryState.FAILED,
                _("created as {remote_id} but {reason}").format(remote_id=published.remote_id, reason=error.reason),
                job=job,
            )
        except NetworkError as error:
            note = _("processing not confirmed: {error}").format(error=error)
        except Exception as error:  # created (it has its id): published, with what went wrong after
            log.debug("delivery %s: unexpected error while polling", delivery_id, exc_info=True)
            note = _("processing not confirmed: unexpected error: {kind}: {error}").format(
                kind=type(error).__name__, error=error
            )
        return self._published(delivery_id, published, note)

    def _not_sent(self, delivery_id: int, job: Job, error: Exception) -> str:
        """The adapter could not be made (credentials missing or unreadable, emulator away): nothing
        was sent, so the delivery is queued for a retry, paused for a human, or failed; never unconfirmed."""
        if isinstance(error, EmulatorUnreachable):
            error = NotSent(job.account.network, str(error))
        if isinstance(error, NetworkError):
            return self._failed_before_publish(delivery_id, job, error)
        if isinstance(error, ClickableError):  # MissingCredentials, an unreadable credentials file
            return self._pause_account(delivery_id, job.account.name, str(error), job=job)
        log.debug("delivery %s: no adapter for %s", delivery_id, job.account.name, exc_info=True)
        return self._finish(
            delivery_id,
            DeliveryState.FAILED,
            _("nothing sent: account {account} cannot be used ({kind}: {error})").format(
                account=job.account.name, kind=type(error).__name__, error=error
            ),
            job=job,
        )

    def _failed_before_publish(self, delivery_id: int, job: Job, error: NetworkError) -> str:
        if isinstance(error, Unconfirmed):
            return self._finish(delivery_id, DeliveryState.UNCONFIRMED, str(error), job=job)
        if isinstance(error, RateLimited):
            return self._finish(
                delivery_id,
                DeliveryState.RETRYING,
                str(error),
                retry_in=error.retry_after,
                count_attempt=False,
                job=job,
            )
        if isinstance(error, NeedsReauth):
            return self._pause_account(delivery_id, job.account.name, str(error), job=job)
        if isinstance(error, AccountPaused):
            return self._hold_account(delivery_id, job, error)
        if isinstance(error, Rejected) and error.duplicate and job.attempts > 1:
            try:
                found = self.adapter(job.account).find_published(job.content.fingerprint)
            except Exception:  # cannot look: the delivery fails with the network's reason below
                log.debug("delivery %s: looking for the duplicate failed", delivery_id, exc_info=True)
                found = None
            if found is not None:
                return self._published(
                    delivery_id, found, _("the network already had it (an earlier attempt landed)")
                )
        if isinstance(error, Rejected):
            return self._finish(
                delivery_id, DeliveryState.FAILED, _("rejected by {network}: {reason}").format(network=error.network, reason=error.reason), job=job
            )
        if job.attempts >= self.max_attempts:
            return self._finish(
                delivery_id,
                DeliveryState.FAILED,
                _("gave up after {attempts} attempts: {error}").format(attempts=job.attempts, error=error),
                job=job,
            )
        return self._finish(
            delivery_id, DeliveryState.RETRYING, str(error), retry_in=self._backoff(job.attempts), job=job
        )

    def _backoff(self, attempts: int) -> float:
        """Exponential backoff with ±20 % jitter, so that many retries do not land together."""
        base = min(BACKOFF_MAX_S, self.backoff_base_s * 2 ** max(0, attempts - 1))
        return base * self.rng.uniform(0.8, 1.2)

    def _set_stage(self, delivery_id: int, stage: str, **fields: object) -> None:
        with Session(self.database.engine) as session:
            session.execute(
                update(Delivery)
                .where(col(Delivery.id) == delivery_id)
                .values(stage=stage, updated_at=self.clock(), **fields)
            )
            session.commit()

    def _finish(
        self,
        delivery_id: int,
        state: str,
        reason: str,
        *,
        retry_in: float | None = None,
        count_attempt: bool = True,
        job: Job | None = None,
        due: datetime | None = None,  # a retry at this instant (instead of ``retry_in`` seconds from now)
    ) -> str:
        now = self.clock()
        with Session(self.database.engine) as session:
            delivery = session.get(Delivery, delivery_id)
            assert delivery is not None
            fields: dict[str, object] = {"last_error": reason}
            if state != DeliveryState.UNCONFIRMED:
                fields["stage"] = None  # only an unconfirmed delivery keeps "create sent"
            if state == DeliveryState.RETRYING:
                due = due or now + timedelta(seconds=retry_in or self.backoff_base_s)
                fields["due_utc"] = due
                if not count_attempt:
                    fields["attempts"] = max(0, delivery.attempts - 1)
            transition(session, delivery, state, reason, now=now, **fields)
            session.commit()
        if job is not None:
            self._problem(job, state, reason, due)
        else:
            log.info(_("delivery %s → %s: %s"), delivery_id, state, reason)
        return state

    def _problem(self, job: Job, state: str, reason: str, due: datetime | None = None) -> None:
        """One line for a delivery that was not published: which, where, why and what to do."""
        delivery_id = job.delivery_id
        if state == DeliveryState.RETRYING:
            advice = _("tried again from {at} UTC").format(at=f"{due:%Y-%m-%d %H:%M}" if due else "?")
        elif state == DeliveryState.PAUSED:
            advice = _("then `clickable delivery retry {id}`").format(id=delivery_id)
        elif state == DeliveryState.UNCONFIRMED:
            advice = _("the post may be online: reconciliation looks for it before anything is sent again")
        else:
            advice = _(
                "read `clickable delivery history {id}`, then `clickable delivery retry {id}` "
                "or `clickable delivery cancel {id}`"
            ).format(id=delivery_id)
        where = ", ".join(part for part in (job.account.name, job.territory) if part)
        line = _("delivery {id} ({where}) {state}: {reason}; {advice}").format(
            id=delivery_id, where=where, state=state, reason=reason, advice=advice
        )
        log.info("%s", line)
        with self._lock:
            self._problems.append((delivery_id, line))

    def _published(self, delivery_id: int, published: Published, note: str | None) -> str:
        """Record a publication: one UPDATE and one event row, in one commit (the hot path)."""
        now = self.clock()
        with Session(self.database.engine) as session:
            before = session.execute(select(Delivery.state).where(Delivery.id == delivery_id)).scalar_one()
            session.execute(
                update(Delivery)
                .where(col(Delivery.id) == delivery_id)
                .values(
                    state=DeliveryState.PUBLISHED,
                    remote_id=published.remote_id,
                    remote_url=published.url,
                    visibility=published.visibility,
                    published_at=now,
                    stage=None,
                    last_error=None,
                    claimed_by=None,
                    updated_at=now,
                )
            )
            session.execute(
                insert(DeliveryEvent).values(
                    delivery_id=delivery_id,
                    at=now,
                    from_state=before,
                    to_state=DeliveryState.PUBLISHED,
                    reason="; ".join((note or _("published as {remote_id}").format(remote_id=published.remote_id), *published.notes)),
                )
            )
            session.commit()
        log.info(_("delivery %s published as %s"), delivery_id, published.remote_id)
        return DeliveryState.PUBLISHED

    def _pause_account(self, delivery_id: int, account_name: str, reason: str, *, job: Job | None = None) -> str:
        """The account's credentials are refused or missing: its deliveries wait for a human (see `doctor`)."""
        now = self.clock()
        with Session(self.database.engine) as session:
            delivery = session.get(Delivery, delivery_id)
            assert delivery is not None
            account = session.get(Account, delivery.account_id)
            assert account is not None
            account.needs_reauth = True
            session.add(account)
            transition(
                session, delivery, DeliveryState.PAUSED, reason, now=now, stage=None, last_error=reason
            )
            for other in session.exec(
                select(Delivery).where(
                    Delivery.account_id == account.id,
                    col(Delivery.state).in_((DeliveryState.QUEUED, DeliveryState.RETRYING)),
                )
            ):
                transition(
                    session,
                    other,
                    DeliveryState.PAUSED,
                    _("account {account} cannot publish: {reason}").format(
                        account=account_name, reason=reason
                    ),
                    now=now,
                )
            session.commit()
        self._adapters.pop(account_name, None)
        self._paused[account_name] = reason
        if job is not None:
            self._problem(job, DeliveryState.PAUSED, reason)
        return DeliveryState.PAUSED

    def _hold_account(self, delivery_id: int, job: Job, error: AccountPaused) -> str:
        """The network stopped the account, not this post: the account is paused (see `doctor`).

        Until a person acts (``until`` None) this delivery and the account's queued ones are paused;
        until an instant (a usage cap), this one waits until then and the others are held when their
        turn comes. Nothing is sent for the account meanwhile: no call spent on a certain refusal.
        """
        now = self.clock()
        reason = f"{error.reason}; {error.advice}"
        with Session(self.database.engine) as session:
            delivery = session.get(Delivery, delivery_id)
            assert delivery is not None
            account = session.get(Account, delivery.account_id)
            assert account is not None
            ended = account.paused_until is not None and account.paused_until <= now
            if account.paused_reason is None or ended:
                account.paused_at = now  # a new pause (a cap that ended and came back is a new one)
            account.paused_reason, account.paused_until = reason, error.until
            session.add(account)
            if error.until is None:
                for other in session.exec(
                    select(Delivery).where(
                        Delivery.account_id == account.id,
                        col(Delivery.id) != delivery_id,
                        col(Delivery.state).in_((DeliveryState.QUEUED, DeliveryState.RETRYING)),
                    )
                ):
                    transition(session, other, DeliveryState.PAUSED, reason, now=now, last_error=reason)
            session.commit()
        log.warning(_("account %s paused by %s: %s"), job.account.name, error.network, reason)
        if error.until is None:
            return self._finish(delivery_id, DeliveryState.PAUSED, reason, job=job)
        return self._finish(delivery_id, DeliveryState.RETRYING, reason, due=error.until, count_attempt=False, job=job)

    # -- reconciliation --------------------------------------------------------------------------

    def reconcile(self) -> dict[int, str]:
        """Unconfirmed deliveries: published if the network has the post, else queued again.

        Account by account: an account whose reconciliation fails (credentials refused or missing,
        network away, an unexpected answer) keeps its deliveries unconfirmed and has its failure
        recorded for `doctor`; the other accounts go on.
        """
        results: dict[int, str] = {}
        with Session(self.database.engine) as session:
            rows = session.exec(select(Delivery).where(Delivery.state == DeliveryState.UNCONFIRMED)).all()
            jobs = self.jobs(session, [row.id for row in rows if row.id is not None])
            fingerprints = {row.id: row.fingerprint for row in rows}
            account_ids = {row.id: row.account_id for row in rows}
            failing = {
                account.id
                for account in session.exec(select(Account).where(col(Account.reconcile_error).is_not(None)))
                if account.id is not None
            }
        by_account: dict[int, list[Job]] = {}
        for job in jobs:
            by_account.setdefault(account_ids[job.delivery_id], []).append(job)
        for account_id in failing - set(by_account):
            self._record_reconciliation(account_id, None)  # nothing left to reconcile there
        for account_id, account_jobs in by_account.items():
            try:
                for job in account_jobs:
                    results[job.delivery_id] = self._reconcile_one(
                        job, fingerprints[job.delivery_id] or job.content.fingerprint
                    )
            except Exception as error:
                if not isinstance(error, NetworkError | ClickableError):
                    log.debug("reconciliation of %s", account_jobs[0].account.name, exc_info=True)
                reason = self._reconcile_failure(account_jobs[0].account.name, error)
                self._record_reconciliation(account_id, reason)
                log.warning("%s", reason)
                continue
            self._record_reconciliation(account_id, None)
        return results

    def _reconcile_one(self, job: Job, content_fingerprint: str) -> str:
        if self._key_still_honoured(job):
            # the network answers a create sent again with the same idempotency key with the post that key
            # made, if it made one: sending it again cannot publish twice (and finds what a search may miss)
            return self._queue_again(
                job,
                _(
                    "unconfirmed: sent again with the same idempotency key, which {network} honours "
                    "(a post it made is answered, not made twice)"
                ).format(network=job.account.network),
            )
        adapter = self.adapter(job.account)
        try:
            found = adapter.find_published(content_fingerprint)
        finally:
            rules = self.networks[job.account.network].quota if job.account.network in self.networks else None
            if rules is not None:
                self._settle(job.delivery_id, adapter, rules, {})
        if found is not None:
            return self._published(job.delivery_id, found, _("found on {network} by reconciliation").format(network=found.network))
        return self._queue_again(job, _("not found on the network after an unconfirmed attempt: queued again"))

    def _key_still_honoured(self, job: Job) -> bool:
        """Whether the network still honours the key of every create this delivery may have sent: it
        declares an idempotency window, and the delivery's first claim (before any create) is younger
        than the window with a margin for the retry to be claimed."""
        spec = self.networks.get(job.account.network)
        window = spec.idempotency_window_s if spec is not None else None
        if not window or not job.content.idempotency_key:
            return False
        with Session(self.database.engine) as session:
            first = session.exec(
                select(DeliveryEvent.at)
                .where(
                    DeliveryEvent.delivery_id == job.delivery_id,
                    DeliveryEvent.to_state == DeliveryState.SENDING,
                )
                .order_by(col(DeliveryEvent.at))
                .limit(1)
            ).first()
        if first is None:
            return False
        if first.tzinfo is None:
            first = first.replace(tzinfo=UTC)
        return (self.clock() - first).total_seconds() < window - IDEMPOTENCY_MARGIN_S

    def _queue_again(self, job: Job, reason: str) -> str:
        state = self._finish(job.delivery_id, DeliveryState.QUEUED, reason)
        with Session(self.database.engine) as session:
            delivery = session.get(Delivery, job.delivery_id)
            assert delivery is not None
            delivery.due_utc = self.clock()
            delivery.stage = None
            session.add(delivery)
            session.commit()
        return state

    def _reconcile_failure(self, account: str, error: Exception) -> str:
        """One line for `doctor` and the log: which account, why, and what to do."""
        if isinstance(error, NeedsReauth | ClickableError):
            advice = _("then the daemon reconciles its unconfirmed deliveries")
        elif isinstance(error, NetworkError):
            advice = _(
                "the daemon tries again every minute; `clickable accounts check {account}` tests the account"
            ).format(account=account)
        else:
            advice = _(
                "the daemon tries again every minute; `clickable --verbose schedule run --once` shows the details"
            )
        detail = (
            str(error)
            if isinstance(error, NetworkError | ClickableError)
            else f"{type(error).__name__}: {error}"
        )
        return _("reconciliation of account {account} fails: {error}; {advice}").format(
            account=account, error=detail, advice=advice
        )

    def _record_reconciliation(self, account_id: int, reason: str | None) -> None:
        """Remember (redacted, see Account.reconcile_error) or forget an account's failure."""
        now = self.clock()
        with Session(self.database.engine) as session:
            account = session.get(Account, account_id)
            if account is None or account.reconcile_error == reason:
                return
            account.reconcile_error = reason
            account.reconcile_failed_at = (account.reconcile_failed_at or now) if reason else None
            session.add(account)
            session.commit()
