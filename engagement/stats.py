"""Statistics: views and engagement from metric snapshots, visits and clicks from the landing counters.

Aggregation is done in SQL where the data is large (counter rows: one per code, event and day);
snapshots are read once (the latest per delivery).
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from campaign.models import ClickCounter, Delivery, Link, MetricSnapshot, Post, Territory, Variant

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

    @property
    def visit_rate(self) -> float | None:
        """Landing visits per view (a ratio of totals: there is no per-person funnel)."""
        return round(self.landing_visits / self.views, 4) if self.views else None

    @property
    def click_rate(self) -> float | None:
        """Reporting-channel clicks per landing visit."""
        return round(self.channel_clicks / self.landing_visits, 4) if self.landing_visits else None

    def as_dict(self, dimension: str, suppress_below: int = 0) -> dict[str, Any]:
        """The row for an export. Suppressed counts show as ``<N``, and a rate computed from a
        suppressed count is left empty (it would give the count back)."""
        visits_hidden = suppressed(self.landing_visits, suppress_below)
        clicks_hidden = suppressed(self.channel_clicks, suppress_below)
        return {
            dimension: self.key,
            "deliveries": self.deliveries,
            "views": int(self.views),
            "engagement": int(self.engagement),
            "link_clicks": int(self.link_clicks),
            "landing_visits": f"<{suppress_below}" if visits_hidden else self.landing_visits,
            "channel_clicks": f"<{suppress_below}" if clicks_hidden else self.channel_clicks,
            "visit_rate": None if visits_hidden else self.visit_rate,
            "click_rate": None if visits_hidden or clicks_hidden else self.click_rate,
        }


def suppressed(count: float, suppress_below: int) -> bool:
    """Whether a count is small enough to identify someone in a small territory (0 is shown)."""
    return bool(suppress_below) and 0 < count < suppress_below


def aggregate(session: Session, campaign_id: str, dimension: str) -> list[Row]:
    """One row per value of ``dimension``, sorted by landing visits then views."""
    if dimension not in DIMENSIONS:
        raise ValueError(f"unknown dimension '{dimension}': use {', '.join(DIMENSIONS)}")
    rows: dict[str, Row] = {}

    def row(key: str) -> Row:
        return rows.setdefault(key, Row(key))

    deliveries = session.exec(
        select(Delivery.id, Delivery.published_at, Post.key, Post.capsule_key, Variant.network, Territory.key)  # type: ignore[call-overload]
        .join(Variant, col(Variant.id) == Delivery.variant_id)
        .join(Post, col(Post.id) == Variant.post_id)
        .join(Territory, col(Territory.id) == Delivery.territory_id)
        .where(Post.campaign_id == campaign_id)
    ).all()
    keys: dict[int, str] = {}
    for delivery_id, published_at, post, capsule, network, territory in deliveries:
        value = {
            "post": post,
            "capsule": capsule or "(sans capsule)",
            "network": network,
            "territory": territory,
            "day": published_at.date().isoformat() if published_at else "(non publié)",
        }[dimension]
        keys[delivery_id] = value
        row(value).deliveries += 1
    latest = select(func.max(MetricSnapshot.id)).group_by(col(MetricSnapshot.delivery_id))
    for snapshot in session.exec(select(MetricSnapshot).where(col(MetricSnapshot.id).in_(latest))):
        key = keys.get(snapshot.delivery_id)
        if key is None:
            continue
        metrics = snapshot.metrics or {}
        target = row(key)
        target.views += float(
            metrics.get("views") or metrics.get("video_views") or metrics.get("impressions") or 0
        )
        target.engagement += sum(float(metrics.get(name) or 0) for name in ENGAGEMENT)
        target.link_clicks += float(metrics.get("link_clicks") or 0)
    # landing counters: summed in SQL, then attributed through their tracked code
    if dimension == "day":
        counted = session.exec(
            select(ClickCounter.day, ClickCounter.event, func.sum(ClickCounter.count))  # type: ignore[call-overload]
            .where(ClickCounter.campaign_id == campaign_id)
            .group_by(ClickCounter.day, ClickCounter.event)
        ).all()
        for day, event, total in counted:
            _add(row(day.isoformat()), event, int(total))
        return _sorted(rows)
    code_keys = _code_keys(session, campaign_id, dimension) if dimension != "territory" else {}
    counted = session.exec(
        select(ClickCounter.code, ClickCounter.territory, ClickCounter.event, func.sum(ClickCounter.count))
        .where(ClickCounter.campaign_id == campaign_id)
        .group_by(ClickCounter.code, ClickCounter.territory, ClickCounter.event)
    ).all()
    for code, territory, event, total in counted:
        key = (
            (territory or "(inconnu)") if dimension == "territory" else code_keys.get(code, "(accès direct)")
        )
        _add(row(key), event, int(total))
    return _sorted(rows)


def _code_keys(session: Session, campaign_id: str, dimension: str) -> dict[str, str]:
    result: dict[str, str] = {}
    links = session.exec(
        select(Link.code, Link.network, Link.capsule_key, Post.key, Post.capsule_key)  # type: ignore[call-overload]
        .outerjoin(Post, col(Post.id) == Link.post_id)
        .where(Link.campaign_id == campaign_id)
    ).all()
    for code, network, link_capsule, post, post_capsule in links:
        result[code] = {
            "post": post or f"(capsule {link_capsule})",
            "capsule": link_capsule or post_capsule or "(sans capsule)",
            "network": network if network != "capsule" else "(vidéo partagée)",
        }[dimension]
    return result


def _add(row: Row, event: str, total: int) -> None:
    if event == "visit":
        row.landing_visits += total
    elif event.startswith("click:"):
        row.channel_clicks += total
        channel = event.removeprefix("click:")
        row.by_channel[channel] = row.by_channel.get(channel, 0) + total


def _sorted(rows: dict[str, Row]) -> list[Row]:
    return sorted(rows.values(), key=lambda item: (-item.landing_visits, -item.views, item.key))


def channel_totals(session: Session, campaign_id: str) -> dict[str, int]:
    totals: dict[str, int] = defaultdict(int)
    for event, total in session.exec(
        select(ClickCounter.event, func.sum(ClickCounter.count))
        .where(ClickCounter.campaign_id == campaign_id)
        .group_by(ClickCounter.event)
    ):
        if event.startswith("click:"):
            totals[event.removeprefix("click:")] += int(total)
    return dict(sorted(totals.items(), key=lambda item: -item[1]))


def to_csv(rows: list[Row], dimension: str, suppress_below: int = 0) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=[dimension, "deliveries", *COLUMNS])
    writer.writeheader()
    for item in rows:
        writer.writerow(item.as_dict(dimension, suppress_below))
    return buffer.getvalue()


def to_json(rows: list[Row], dimension: str, suppress_below: int = 0) -> str:
    return json.dumps(
        [item.as_dict(dimension, suppress_below) for item in rows], ensure_ascii=False, indent=2
    )


def to_xlsx(rows: list[Row], dimension: str, suppress_below: int = 0) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(f"par {dimension}")
    sheet.append([dimension, "deliveries", *COLUMNS])
    for item in rows:
        sheet.append(list(item.as_dict(dimension, suppress_below).values()))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
