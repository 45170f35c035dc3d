"""What a network charges for what is planned: the one place estimates are made.

Since February 2026 X charges each call (docs.x.com/x-api/getting-started/pricing): $0.015 a post,
$0.20 a post whose text holds a URL, $0.005 a post or metric read. A network's spec declares its prices
(``NetworkSpec.prices``); campaign.yaml may set others under ``schedule.prices.<network>`` (a price
left out keeps the spec's). ``schedule plan``, ``post show``, ``post preview`` and ``doctor`` show the
estimates made here; nothing is billed by us.

A post's planned reads are its metric readings (1 h, 24 h, 72 h and 7 days after publication:
engagement/collect.py), one read each.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from campaign.rules import NetworkRules

URL = re.compile(r"https?://\S+")
READINGS_PER_POST = 4  # the metric milestones of engagement/collect.py: 1 h, 24 h, 72 h, 7 days
PRICE_NAMES = ("post", "post_with_url", "read")


@dataclass(frozen=True)
class Rates:
    """What a network charges per call, in US dollars."""

    post: float
    post_with_url: float | None = None  # a post whose text holds a URL, when it costs more
    read: float | None = None  # one post or metric read


def prices_for(rules: NetworkRules, schedule: Mapping[str, Any] | None = None) -> Rates | None:
    """The network's prices: campaign.yaml's ``schedule.prices`` over its spec's, None when it has none."""
    declared = rules.prices
    chosen = {name: getattr(declared, name) for name in PRICE_NAMES} if declared is not None else {}
    configured = ((schedule or {}).get("prices") or {}).get(rules.name) or {}
    chosen |= {name: value for name, value in configured.items() if name in PRICE_NAMES and value is not None}
    return Rates(**chosen) if chosen.get("post") is not None else None


@dataclass(frozen=True)
class Estimate:
    """The estimated cost of some posts on one network and of their planned metric reads (US dollars)."""

    network: str
    posts: int = 0
    posts_with_url: int = 0  # of ``posts``, those whose text holds a URL (charged more by X)
    reads: int = 0
    posts_amount: float = 0.0
    reads_amount: float = 0.0

    @property
    def amount(self) -> float:
        return self.posts_amount + self.reads_amount

    def __add__(self, other: Estimate) -> Estimate:
        assert other.network == self.network
        return Estimate(
            self.network,
            self.posts + other.posts,
            self.posts_with_url + other.posts_with_url,
            self.reads + other.reads,
            self.posts_amount + other.posts_amount,
            self.reads_amount + other.reads_amount,
        )

    def as_dict(self) -> dict[str, object]:
        return {
            "network": self.network,
            "posts": self.posts,
            "posts_with_url": self.posts_with_url,
            "reads": self.reads,
            "usd": round(self.amount, 4),
        }


def estimate(prices: Rates | None, network: str, text: str, *, readings: int = READINGS_PER_POST) -> Estimate | None:
    """One publication of ``text`` and its ``readings`` metric reads; None for a network without prices."""
    if prices is None:
        return None
    with_url = bool(URL.search(text)) and prices.post_with_url is not None
    each = prices.post_with_url if with_url and prices.post_with_url is not None else prices.post
    reads = readings if prices.read else 0
    return Estimate(network, 1, int(with_url), reads, each, reads * (prices.read or 0.0))


def total(estimates: Iterable[Estimate | None]) -> dict[str, Estimate]:
    """Estimates added up per network (networks without prices left out)."""
    sums: dict[str, Estimate] = {}
    for item in estimates:
        if item is not None:
            sums[item.network] = sums[item.network] + item if item.network in sums else item
    return sums


def describe(item: Estimate) -> str:
    """One line for people: ``x: about US$0.43 (2 posts, 1 with a link; 8 metric reads)``."""
    from campaign.i18n import _, format_dollars

    return _("{network}: about {amount} ({posts} posts, {with_url} with a link; {reads} metric reads)").format(
        network=item.network,
        amount=format_dollars(item.amount),
        posts=item.posts,
        with_url=item.posts_with_url,
        reads=item.reads,
    )
