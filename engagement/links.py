"""The tracked links the landing page knows, and bounded lookups of the codes it does not know yet.

Every link of the campaign is read once at start-up, off the event loop. A code not in memory costs
one indexed query at most, run in a thread and shared: the codes asked meanwhile are looked up
together in the next query, one query at a time. A code found missing is answered from memory for
a while (the memory of such codes is bounded), and when too many codes wait for a lookup the page
says it is busy rather than queue more: a flood of made-up codes never delays the other requests.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, select
from sqlmodel import col

from campaign.db import Database
from campaign.i18n import _
from campaign.models import Link, Post, Territory

log = logging.getLogger("clickable.landing")
CODE = re.compile(r"^[a-z0-9]{4,16}$")
MISSING_FOR_S = 1.0  # a code found missing is answered from memory this long, then looked up again
MAX_MISSING = 10_000  # codes remembered as missing (the oldest are forgotten first)
MAX_WAITING = 1_000  # codes waiting for a lookup; beyond that the page answers "busy" at once
BATCH = 500  # codes per query
PAUSE_S = 0.005  # between two lookups: at most 200 queries a second, however many codes are asked
ANSWER_WITHIN_S = 2.0  # a lookup not answered by then (a database hanging): "busy"


@dataclass(frozen=True)
class Target:
    """Where a tracked code leads: its territory, network and post (loaded from the database)."""

    code: str
    territory: str
    network: str
    post: str


class LinksBusy(Exception):
    """Too many unknown codes are waiting for a lookup, or the database did not answer in time."""


def _select() -> Any:  # a Select (its type parameters differ across SQLAlchemy 2.0 and 2.1)
    return (
        select(
            col(Link.code), col(Territory.key), col(Link.network), col(Post.key), col(Link.capsule_key),
            col(Link.campaign_id),
        )
        .outerjoin(Territory, col(Territory.id) == Link.territory_id)
        .outerjoin(Post, col(Post.id) == Link.post_id)
    )  # fmt: skip


def _targets(rows: Iterable[Sequence[Any]], campaign_id: str) -> list[Target]:
    return [
        Target(code, territory or "", network, post or capsule or "")
        for code, territory, network, post, capsule, campaign in rows
        if campaign == campaign_id
    ]


@dataclass
class _Lookups:
    """The lookups of one event loop: codes waiting, the task that looks them up."""

    loop: asyncio.AbstractEventLoop
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    queue: list[str] = field(default_factory=list)  # asked, not yet in a query
    # asked, not answered yet: one future per visitor waiting (a visitor leaving cancels only theirs)
    waiting: dict[str, list[asyncio.Future[Target | None]]] = field(default_factory=dict)
    task: asyncio.Task[None] | None = None


class TrackedLinks:
    """The campaign's tracked links in memory; codes not in memory are looked up in bounded batches."""

    def __init__(
        self,
        database: Database,
        campaign_id: str,
        *,
        on_found: Callable[[Target], None] = lambda _target: None,
        max_waiting: int = MAX_WAITING,
        max_missing: int = MAX_MISSING,
        missing_for_s: float = MISSING_FOR_S,
        answer_within_s: float = ANSWER_WITHIN_S,
    ) -> None:
        self.database = database
        self.campaign_id = campaign_id
        self.on_found = on_found
        self.max_waiting = max_waiting
        self.max_missing = max_missing
        self.missing_for_s = missing_for_s
        self.answer_within_s = answer_within_s
        self.known: dict[str, Target] = {}
        self.missing: OrderedDict[str, float] = OrderedDict()  # code -> when it was found missing
        self.queries = 0  # lookups of unknown codes run so far (one per batch)
        self._select_all = _select().where(col(Link.campaign_id) == campaign_id)
        # By the codes' unique index alone: with the campaign in the WHERE clause too, SQLite
        # chooses the campaign's index and reads all its links for each lookup (15 ms for 20,000).
        self._select_some = _select().where(col(Link.code).in_(bindparam("codes", expanding=True)))
        self._lookups: _Lookups | None = None

    # -- reading ---------------------------------------------------------------------------------

    def load_all(self) -> None:
        """Read every link of the campaign (at start-up; in a thread when a loop is serving)."""
        with self.database.engine.connect() as connection:
            targets = _targets(connection.execute(self._select_all), self.campaign_id)
        self._remember(targets)

    def _query(self, codes: list[str]) -> list[Target]:
        with self.database.engine.connect() as connection:
            return _targets(connection.execute(self._select_some, {"codes": codes}), self.campaign_id)

    def _remember(self, targets: Iterable[Target]) -> None:
        for target in targets:
            self.known[target.code] = target
            self.missing.pop(target.code, None)
            self.on_found(target)

    # -- asking ----------------------------------------------------------------------------------

    async def find(self, code: str) -> Target | None:
        """The link behind ``code``, or None. Raises LinksBusy when it cannot be looked up now."""
        found = self.known.get(code)
        if found is not None or not CODE.match(code):
            return found
        since = self.missing.get(code)
        if since is not None and time.monotonic() - since < self.missing_for_s:
            return None
        lookups = self._for_this_loop()
        waiters = lookups.waiting.get(code)
        if waiters is None:
            if len(lookups.waiting) >= self.max_waiting:
                raise LinksBusy
            waiters = lookups.waiting[code] = []
            lookups.queue.append(code)
            lookups.wake.set()
        future: asyncio.Future[Target | None] = lookups.loop.create_future()
        waiters.append(future)
        timer = lookups.loop.call_later(self.answer_within_s, _give_up, future)
        try:
            return await future
        finally:
            timer.cancel()

    def _for_this_loop(self) -> _Lookups:
        loop = asyncio.get_running_loop()
        lookups = self._lookups
        if lookups is None or lookups.loop is not loop or lookups.task is None or lookups.task.done():
            lookups = self._lookups = _Lookups(loop)
            lookups.task = loop.create_task(self._look_up(lookups), name="clickable-link-lookups")
        return lookups

    async def _look_up(self, lookups: _Lookups) -> None:
        """One query at a time for the codes asked meanwhile, a short pause between two."""
        while True:
            await lookups.wake.wait()
            lookups.wake.clear()
            while lookups.queue:
                batch = lookups.queue[:BATCH]
                del lookups.queue[:BATCH]
                self.queries += 1
                try:
                    targets = await asyncio.to_thread(self._query, batch)
                except Exception as error:  # the database is away: "busy", nothing remembered as missing
                    log.warning(_("tracked links could not be looked up (%s)"), type(error).__name__)
                    for code in batch:
                        for future in lookups.waiting.pop(code):
                            _give_up(future)
                    await asyncio.sleep(PAUSE_S)
                    continue
                self._remember(targets)
                now = time.monotonic()
                for code in batch:
                    target = self.known.get(code)
                    if target is None:
                        self.missing[code] = now
                        self.missing.move_to_end(code)
                        while len(self.missing) > self.max_missing:
                            self.missing.popitem(last=False)
                    for future in lookups.waiting.pop(code):
                        if not future.done():  # not given up, nor left
                            future.set_result(target)
                await asyncio.sleep(PAUSE_S)

    async def close(self) -> None:
        """Stop this loop's lookups (as the page stops); codes still waiting are answered "busy"."""
        lookups, self._lookups = self._lookups, None
        if lookups is None or lookups.task is None or lookups.loop is not asyncio.get_running_loop():
            return
        lookups.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await lookups.task
        for waiters in lookups.waiting.values():
            for future in waiters:
                _give_up(future)


def _give_up(future: asyncio.Future[Target | None]) -> None:
    """The visitor behind ``future`` waited long enough (or the lookup failed): "busy"."""
    if not future.done():
        future.set_exception(LinksBusy())
