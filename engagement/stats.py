"""Statistics: views and engagement from metric snapshots, visits and clicks from the landing counters.

Aggregation is done in SQL where the data is large (counter rows: one per code, territory, event
and day); deliveries, links and metric snapshots are read once into a :class:`Dataset`, from which
every dimension, period, comparison and daily series is computed.

Metric snapshots are cumulative readings (views so far); what a delivery gathered during a period
is its last reading up to the period's last day minus its last reading before its first day, so
that the periods of one campaign add up to its totals. A reading with no metrics (the post is gone
from its network) is skipped: the post keeps its last known numbers.

Some networks give no views or link clicks (Mastodon and Bluesky count no views:
``MetricRules.unavailable``). A row none of whose deliveries is on a network that gives a metric
shows it as not given (empty), not 0; and the visit rate divides only the visits through the links
of networks that count views by those views, so that a network without views does not raise it.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import Session, col, select

from campaign.i18n import _
from campaign.models import ClickCounter, Delivery, Link, MetricSnapshot, Post, Territory, Variant
from engagement.periods import Period

DIMENSIONS = ("post", "capsule", "network", "territory", "day")
ENGAGEMENT = ("likes", "comments", "shares", "saves")
COLUMNS = (
    "views",
    "engagement",
    "link_clicks",
    "landing_visits",
    "channel_clicks",
    "visit_rate",
    "click_rate",
)
COMPARED = ("deliveries", "views", "engagement", "link_clicks", "landing_visits", "channel_clicks")
LANDING_COUNTS = ("landing_visits", "channel_clicks")  # the counts small-count suppression hides
OPTIONAL = ("views", "link_clicks")  # the metrics a network may not give (MetricRules.unavailable)
NO_CAPSULE, UNPUBLISHED, DIRECT, UNKNOWN_TERRITORY = "(sans capsule)", "(non publié)", "(accès direct)", "(inconnu)"


def columns(dimension: str, *, compared: bool) -> list[str]:
    """The export's columns: stable English names for scripts."""
    names = [dimension, "deliveries", *COLUMNS]
    if compared:
        names += [f"previous_{name}" for name in (*COMPARED, "visit_rate", "click_rate")]
        names += [f"change_{name}" for name in COMPARED]
    return names


@dataclass
class Row:
    key: str
    deliveries: int = 0
    views: float = 0
    engagement: float = 0
    link_clicks: float = 0
    landing_visits: int = 0
    channel_clicks: int = 0
    by_channel: dict[str, int] = field(default_factory=dict)
    previous: Row | None = None  # the same key in the previous period, when periods are compared
    # which of OPTIONAL a network of the row's deliveries gives (the others are "not given", not 0);
    # None: the row has no delivery (direct visits), its numbers are 0
    given: set[str] | None = None
    # visits and channel clicks through the links of networks that count views: what the views brought
    viewed_visits: int = 0
    viewed_clicks: int = 0

    @property
    def visit_rate(self) -> float | None:
        """Landing visits per view (a ratio of totals: there is no per-person funnel), counting the
        visits through the links of networks that count views."""
        return round(self.viewed_visits / self.views, 4) if self.views else None

    def shown(self, metric: str) -> float | None:
        """A network metric of the row, None when the row has deliveries and no network of theirs gives it."""
        value: float = getattr(self, metric)
        return None if metric in OPTIONAL and self.given is not None and metric not in self.given else value

    @property
    def click_rate(self) -> float | None:
        """Reporting-channel clicks per landing visit."""
        return round(self.channel_clicks / self.landing_visits, 4) if self.landing_visits else None

    def as_dict(self, dimension: str, suppress_below: int = 0) -> dict[str, Any]:
        """The row for an export. Suppressed counts show as ``<N``, and a rate computed from a
        suppressed count is left empty (it would give the count back); so is a change."""
        data = {dimension: self.key, **self._values(suppress_below)}
        if self.previous is not None:
            before = self.previous._values(suppress_below)
            data.update({f"previous_{name}": value for name, value in before.items()})
            for name in COMPARED:
                now, then = data[name], before[name]
                data[f"change_{name}"] = (
                    round((now - then) / then, 4)
                    if isinstance(now, int) and isinstance(then, int) and then
                    else None
                )
        return data

    def _values(self, suppress_below: int) -> dict[str, Any]:
        visits_hidden = suppressed(self.landing_visits, suppress_below)
        clicks_hidden = suppressed(self.channel_clicks, suppress_below)
        views, link_clicks = self.shown("views"), self.shown("link_clicks")
        return {
            "deliveries": self.deliveries,
            "views": None if views is None else int(views),
            "engagement": int(self.engagement),
            "link_clicks": None if link_clicks is None else int(link_clicks),
            "landing_visits": f"<{suppress_below}" if visits_hidden else self.landing_visits,
            "channel_clicks": f"<{suppress_below}" if clicks_hidden else self.channel_clicks,
            # the rate gives back the visits through links of networks that count views: hidden with them
            "visit_rate": None if visits_hidden or suppressed(self.viewed_visits, suppress_below) else self.visit_rate,
            "click_rate": None if visits_hidden or clicks_hidden else self.click_rate,
        }


def suppressed(count: float, suppress_below: int) -> bool:
    """Whether a count is small enough to identify someone in a small territory (0 is shown)."""
    return bool(suppress_below) and 0 < count < suppress_below


def suppress_series(values: list[int], suppress_below: int) -> list[int | None]:
    """A daily series with its small counts hidden (``None``).

    When a single day would be hidden, the smallest other non-zero day is hidden too: the series'
    total is shown elsewhere, and total minus the days shown would give a lone hidden day back.
    """
    hidden = [suppressed(value, suppress_below) for value in values]
    if sum(hidden) == 1:
        others = [(value, index) for index, value in enumerate(values) if value and not hidden[index]]
        if others:
            hidden[min(others)[1]] = True
    return [None if hide else value for value, hide in zip(values, hidden, strict=True)]


@dataclass(frozen=True)
class DeliveryFacts:
    id: int
    post: str
    capsule: str | None
    network: str
    territory: str
    zone: str
    published_at: datetime | None


@dataclass(frozen=True)
class Reading:
    """One metric snapshot, reduced to the numbers the statistics use (cumulative)."""

    at: datetime
    milestone: str | None
    views: float
    engagement: float
    link_clicks: float


def _reading(snapshot_metrics: Mapping[str, Any], at: datetime, milestone: str | None) -> Reading:
    metrics = snapshot_metrics or {}
    return Reading(
        at=at,
        milestone=milestone,
        views=float(metrics.get("views") or metrics.get("video_views") or metrics.get("impressions") or 0),
        engagement=sum(float(metrics.get(name) or 0) for name in ENGAGEMENT),
        link_clicks=float(metrics.get("link_clicks") or 0),
    )


@dataclass(frozen=True)
class Increment:
    """What one reading added to the delivery's numbers since the one before, on the reading's day."""

    day: date
    views: float
    engagement: float
    link_clicks: float


@dataclass
class DailySeries:
    """Numbers per day (a territory's local day, or the UTC day of readings with ``--utc``)."""

    visits: dict[str, Counter[date]] = field(default_factory=lambda: defaultdict(Counter))  # by territory
    clicks: dict[str, Counter[date]] = field(default_factory=lambda: defaultdict(Counter))  # by territory
    channel_clicks: dict[str, Counter[date]] = field(default_factory=lambda: defaultdict(Counter))
    territory_channel_clicks: dict[tuple[str, str], Counter[date]] = field(
        default_factory=lambda: defaultdict(Counter)
    )
    views_by_network: dict[str, Counter[date]] = field(default_factory=lambda: defaultdict(Counter))
    views_by_territory: dict[str, Counter[date]] = field(default_factory=lambda: defaultdict(Counter))

    def metric(self, metric: str, territory: str, channel: str | None = None) -> Counter[date]:
        """The daily series a target counts: one territory's visits, clicks (to a channel) or views."""
        if metric == "landing_visits":
            return self.visits.get(territory, Counter())
        if metric == "views":
            return self.views_by_territory.get(territory, Counter())
        if channel is not None:
            return self.territory_channel_clicks.get((territory, channel), Counter())
        return self.clicks.get(territory, Counter())


class Dataset:
    """Deliveries, their readings and the tracked links of one campaign, read once.

    Counters are not held: they are summed in SQL for each question (a campaign can hold millions
    of counter rows).
    """

    def __init__(self, session: Session, campaign_id: str, *, utc: bool = False) -> None:
        self.session = session
        self.campaign_id = campaign_id
        self.utc = utc
        self.deliveries: dict[int, DeliveryFacts] = {}
        rows = session.exec(
            select(Delivery.id, Delivery.published_at, Delivery.zone, Post.key, Post.capsule_key, Variant.network, Territory.key)  # type: ignore[call-overload]
            .join(Variant, col(Variant.id) == Delivery.variant_id)
            .join(Post, col(Post.id) == Variant.post_id)
            .join(Territory, col(Territory.id) == Delivery.territory_id)
            .where(Post.campaign_id == campaign_id)
        ).all()
        for delivery_id, published_at, zone, post, capsule, network, territory in rows:
            self.deliveries[delivery_id] = DeliveryFacts(
                delivery_id, post, capsule, network, territory, zone, published_at
            )
        self.zones: dict[str, str] = dict(
            session.exec(
                select(Territory.key, Territory.timezone).where(Territory.campaign_id == campaign_id)
            ).all()
        )
        self.readings: dict[int, list[Reading]] = defaultdict(list)
        snapshots = session.exec(
            select(MetricSnapshot.delivery_id, MetricSnapshot.collected_at, MetricSnapshot.milestone, MetricSnapshot.metrics)
            .join(Delivery, col(Delivery.id) == MetricSnapshot.delivery_id)
            .join(Variant, col(Variant.id) == Delivery.variant_id)
            .join(Post, col(Post.id) == Variant.post_id)
            .where(Post.campaign_id == campaign_id)
            .order_by(col(MetricSnapshot.collected_at), col(MetricSnapshot.id))
        ).all()
        for delivery_id, collected_at, milestone, metrics in snapshots:
            if metrics:  # an empty reading: the network lost the post; its last numbers stand
                self.readings[delivery_id].append(_reading(metrics, collected_at, milestone))
        self.code_keys: dict[str, dict[str, str]] = {}
        links = session.exec(
            select(Link.code, Link.network, Link.capsule_key, Post.key, Post.capsule_key)  # type: ignore[call-overload]
            .outerjoin(Post, col(Post.id) == Link.post_id)
            .where(Link.campaign_id == campaign_id)
        ).all()
        for code, network, link_capsule, post, post_capsule in links:
            self.code_keys[code] = {
                "post": post or f"(capsule {link_capsule})",
                "capsule": link_capsule or post_capsule or NO_CAPSULE,
                "network": network if network != "capsule" else "(vidéo partagée)",
            }
        self.given = given_metrics({item.network for item in self.deliveries.values()} | {
            keys["network"] for keys in self.code_keys.values()
        })
        self._increments: dict[int, list[Increment]] = {}
        Span = tuple[date | None, date | None]
        self._by_code: dict[Span, list[tuple[str, str, str, int]]] = {}
        self._by_day: dict[Span, list[tuple[date, str, str, int]]] = {}
        self._unviewed_by_day: dict[Span, dict[tuple[date, str], int]] = {}

    def metrics_of(self, network: str) -> set[str]:
        """The metrics of OPTIONAL that ``network`` gives (a network we do not know is trusted)."""
        return self.given.get(network, set(OPTIONAL))

    def gives(self, network: str, metric: str = "views") -> bool:
        """Whether ``network`` gives ``metric`` (one of OPTIONAL)."""
        return metric in self.metrics_of(network)

    def viewed(self, code: str) -> bool:
        """Whether visits through the link ``code`` follow views a network counts (a post's link on
        a network that gives views, a capsule's end card, or no known link)."""
        network = self.code_keys.get(code, {}).get("network")
        return network is None or self.gives(network)

    def unviewed_by_day(self, period: Period | None) -> dict[tuple[date, str], int]:
        """(day, event) -> total through the links of networks that count no views, summed in SQL."""
        span = _span(period)
        if span not in self._unviewed_by_day:
            networks = [network for network in self.given if not self.gives(network)]
            totals: dict[tuple[date, str], int] = {}
            if networks:
                rows = self.session.exec(
                    select(ClickCounter.day, ClickCounter.event, func.sum(ClickCounter.count))  # type: ignore[call-overload]
                    .join(Link, (col(Link.code) == ClickCounter.code) & (col(Link.campaign_id) == ClickCounter.campaign_id))
                    .where(*self._where(period), col(Link.network).in_(networks))
                    .group_by(ClickCounter.day, ClickCounter.event)
                ).all()
                totals = {(day, event): int(total) for day, event, total in rows}
            self._unviewed_by_day[span] = totals
        return self._unviewed_by_day[span]

    def today(self, now: datetime) -> date:
        """Today's date: in UTC, or the latest local date among the campaign's territories."""
        if self.utc or not self.zones:
            return now.astimezone(UTC).date()
        return max(now.astimezone(ZoneInfo(zone)).date() for zone in self.zones.values())

    def day_of(self, instant: datetime, zone: str) -> date:
        return Period(utc=self.utc).day_of(instant, zone)

    def publication_day(self, delivery: DeliveryFacts) -> date | None:
        return self.day_of(delivery.published_at, delivery.zone) if delivery.published_at else None

    def increments(self, delivery_id: int) -> list[Increment]:
        """The delivery's readings as what each added, on its day (they add up to the last reading)."""
        if delivery_id not in self._increments:
            delivery = self.deliveries[delivery_id]
            before = Reading(delivery.published_at or datetime.min, None, 0, 0, 0)
            result = []
            for reading in self.readings.get(delivery_id, []):
                result.append(
                    Increment(
                        self.day_of(reading.at, delivery.zone),
                        reading.views - before.views,
                        reading.engagement - before.engagement,
                        reading.link_clicks - before.link_clicks,
                    )
                )
                before = reading
            self._increments[delivery_id] = result
        return self._increments[delivery_id]

    def _where(self, period: Period | None) -> list[Any]:
        return counter_conditions(self.campaign_id, period)

    def counters_by_code(self, period: Period | None) -> list[tuple[str, str, str, int]]:
        """(code, territory, event, total) over the period, summed in SQL (once per period)."""
        self.sum_by_code([period])
        return self._by_code[_span(period)]

    def sum_by_code(self, periods: Sequence[Period | None]) -> None:
        """Sum the counters per code for each period not summed yet (the costly part of every export
        and report: a campaign holds a row per code, event and day). Grouped in the order of the
        index ix_clickcounter_code_sums, the sum is one ordered scan of that index."""
        columns = (ClickCounter.code, ClickCounter.territory, ClickCounter.event)
        for span in dict.fromkeys(_span(period) for period in periods):
            if span in self._by_code:
                continue
            totals = self.session.exec(
                select(*columns, func.sum(ClickCounter.count))
                .where(*self._where(Period(*span)))
                .group_by(*columns)
            ).all()
            self._by_code[span] = [(code, where, event, int(total)) for code, where, event, total in totals]

    def counters_by_day(self, period: Period | None = None) -> list[tuple[date, str, str, int]]:
        """(day, territory, event, total), summed in SQL; days are the territories' local days."""
        if _span(period) in self._by_day:
            return self._by_day[_span(period)]
        rows = self.session.exec(
            select(ClickCounter.day, ClickCounter.territory, ClickCounter.event, func.sum(ClickCounter.count))  # type: ignore[call-overload]
            .where(*self._where(period))
            .group_by(ClickCounter.territory, ClickCounter.event, ClickCounter.day)  # ix_clickcounter_day_sums
        ).all()
        self._by_day[_span(period)] = [(day, territory, event, int(total)) for day, territory, event, total in rows]
        return self._by_day[_span(period)]

    def first_day(self) -> date | None:
        """The first day with a publication or a count."""
        days = [day for item in self.deliveries.values() if (day := self.publication_day(item))]
        counted = self.session.exec(
            select(func.min(ClickCounter.day)).where(ClickCounter.campaign_id == self.campaign_id)
        ).one()
        if counted is not None:
            days.append(counted)
        return min(days) if days else None

    def last_day(self) -> date | None:
        """The last day with a publication, a reading or a count."""
        days = [day for item in self.deliveries.values() if (day := self.publication_day(item))]
        days += [increment.day for key in self.readings for increment in self.increments(key)]
        counted = self.session.exec(
            select(func.max(ClickCounter.day)).where(ClickCounter.campaign_id == self.campaign_id)
        ).one()
        if counted is not None:
            days.append(counted)
        return max(days) if days else None

    def daily(self, period: Period | None = None) -> DailySeries:
        """Every daily series the report draws and the targets count, from one pass over the counters."""
        series = DailySeries()
        for day, territory, event, total in self.counters_by_day(period):
            key = territory or UNKNOWN_TERRITORY
            if event == "visit":
                series.visits[key][day] += total
            elif event.startswith("click:"):
                channel = event.removeprefix("click:")
                series.clicks[key][day] += total
                series.channel_clicks[channel][day] += total
                series.territory_channel_clicks[(key, channel)][day] += total
        for delivery in self.deliveries.values():
            if not self.gives(delivery.network):  # no line of zeros for a network that counts no views
                continue
            for increment in self.increments(delivery.id):
                if period is None or period.contains(increment.day):
                    series.views_by_network[delivery.network][increment.day] += increment.views  # type: ignore[assignment]
                    series.views_by_territory[delivery.territory][increment.day] += increment.views  # type: ignore[assignment]
        return series

    def rows(self, dimension: str, period: Period | None = None) -> list[Row]:
        """One row per value of ``dimension`` over ``period`` (all time without one)."""
        if dimension not in DIMENSIONS:
            raise ValueError(_("unknown dimension '{dimension}': use {dimensions}").format(dimension=dimension, dimensions=', '.join(DIMENSIONS)))
        rows: dict[str, Row] = {}

        def row(key: str) -> Row:
            return rows.setdefault(key, Row(key))

        keys: dict[int, str] = {}
        for delivery in self.deliveries.values():
            published = self.publication_day(delivery)
            if dimension == "day":
                keys[delivery.id] = published.isoformat() if published else UNPUBLISHED
                if published is None and period is not None and period.bounded:
                    continue
            else:
                keys[delivery.id] = {
                    "post": delivery.post,
                    "capsule": delivery.capsule or NO_CAPSULE,
                    "network": delivery.network,
                    "territory": delivery.territory,
                }[dimension]
            # without a period every planned delivery counts; within one, those published in it
            counted = period is None or not period.bounded or bool(published and period.contains(published))
            if counted:
                row(keys[delivery.id]).deliveries += 1
            elif dimension != "day":
                row(keys[delivery.id])  # the row exists in every period: periods compare key by key
            if dimension != "day":
                target = rows[keys[delivery.id]]
                target.given = (target.given or set()) | self.metrics_of(delivery.network)
        for delivery_id, key in keys.items():
            for increment in self.increments(delivery_id):
                if period is not None and not period.contains(increment.day):
                    continue
                target = row(increment.day.isoformat() if dimension == "day" else key)
                target.views += increment.views
                target.engagement += increment.engagement
                target.link_clicks += increment.link_clicks
        if dimension == "day":
            unviewed = self.unviewed_by_day(period)
            for day, _territory, event, total in self.counters_by_day(period):
                _add(row(day.isoformat()), event, total, viewed=total)
            for (day, event), total in unviewed.items():
                _add(row(day.isoformat()), event, 0, viewed=-total)
            if self.deliveries:  # a day's views may come from any delivery published before it
                everywhere = set().union(*(self.metrics_of(item.network) for item in self.deliveries.values()))
                for item in rows.values():
                    item.given = everywhere
        else:
            for code, territory, event, total in self.counters_by_code(period):
                if dimension == "territory":
                    key = territory or UNKNOWN_TERRITORY
                else:
                    key = self.code_keys.get(code, {}).get(dimension, DIRECT)
                _add(row(key), event, total, viewed=total if self.viewed(code) else 0)
        return _sorted(rows)

    def compared_rows(self, dimension: str, period: Period, previous: Period) -> list[Row]:
        """The rows of ``period``, each with the same key's row of ``previous`` attached."""
        self.sum_by_code([period, previous])
        current = {item.key: item for item in self.rows(dimension, period)}
        before = {item.key: item for item in self.rows(dimension, previous)}
        for key, item in before.items():
            current.setdefault(key, Row(key)).previous = item
        for item in current.values():
            if item.previous is None:
                item.previous = Row(item.key)
        return _sorted(current)

    def channel_totals(self, period: Period | None = None) -> dict[str, int]:
        return channel_totals(self.session, self.campaign_id, period)


def _span(period: Period | None) -> tuple[date | None, date | None]:
    """What the counters of a period depend on: its days (counters have no UTC or local variant)."""
    return (period.since, period.until) if period is not None else (None, None)


def aggregate(
    session: Session, campaign_id: str, dimension: str, period: Period | None = None
) -> list[Row]:
    """One row per value of ``dimension``, sorted by landing visits then views."""
    return Dataset(session, campaign_id, utc=bool(period and period.utc)).rows(dimension, period)


def given_metrics(networks: Iterable[str]) -> dict[str, set[str]]:
    """network -> the metrics of OPTIONAL it gives (its spec's MetricRules.unavailable are not)."""
    from networks.registry import registry

    specs = registry()
    given = {}
    for network in networks:
        spec = specs.get(network)
        unavailable = set(spec.metrics.unavailable) if spec is not None else set()
        given[network] = set(OPTIONAL) - unavailable
    return given


def _add(row: Row, event: str, total: int, *, viewed: int) -> None:
    """Count ``total`` of ``event`` in ``row``, ``viewed`` of them through links of networks that count views."""
    if event == "visit":
        row.landing_visits += total
        row.viewed_visits += viewed
    elif event.startswith("click:"):
        row.channel_clicks += total
        row.viewed_clicks += viewed
        channel = event.removeprefix("click:")
        row.by_channel[channel] = row.by_channel.get(channel, 0) + total


def _sorted(rows: dict[str, Row]) -> list[Row]:
    return sorted(rows.values(), key=lambda item: (-item.landing_visits, -item.views, item.key))


def counter_conditions(campaign_id: str, period: Period | None) -> list[Any]:
    """The WHERE clause of the counters of one campaign over a period."""
    conditions: list[Any] = [ClickCounter.campaign_id == campaign_id]
    if period is not None and period.since is not None:
        conditions.append(col(ClickCounter.day) >= period.since)
    if period is not None and period.until is not None:
        conditions.append(col(ClickCounter.day) <= period.until)
    return conditions


def channel_totals(session: Session, campaign_id: str, period: Period | None = None) -> dict[str, int]:
    """Clicks per channel over the period, most chosen first."""
    conditions = counter_conditions(campaign_id, period)
    totals: dict[str, int] = defaultdict(int)
    for event, total in session.exec(
        select(ClickCounter.event, func.sum(ClickCounter.count))
        .where(*conditions)
        .group_by(ClickCounter.event)
    ):
        if event.startswith("click:"):
            totals[event.removeprefix("click:")] += int(total)
    return dict(sorted(totals.items(), key=lambda item: -item[1]))


def to_csv(rows: Iterable[Row], dimension: str, suppress_below: int = 0, *, compared: bool = False) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns(dimension, compared=compared))
    writer.writeheader()
    for item in rows:
        writer.writerow(item.as_dict(dimension, suppress_below))
    return buffer.getvalue()


def to_json(rows: Iterable[Row], dimension: str, suppress_below: int = 0) -> str:
    return json.dumps(
        [item.as_dict(dimension, suppress_below) for item in rows], ensure_ascii=False, indent=2
    )


def to_xlsx(rows: Iterable[Row], dimension: str, suppress_below: int = 0, *, compared: bool = False) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(f"par {dimension}")
    names = columns(dimension, compared=compared)
    sheet.append(names)
    for item in rows:
        data = item.as_dict(dimension, suppress_below)
        sheet.append([data.get(name) for name in names])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
