"""SQLModel tables. No secrets here: credentials live in the keyring or the workspace key file."""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from campaign.dbtypes import RedactedJSON, RedactedText, UTCDateTime


def utcnow() -> datetime:
    return datetime.now(UTC)


def _instant(**kwargs: Any) -> Any:
    """A timezone-aware UTC instant column (naive values are refused by the app layer)."""
    return Field(sa_column=Column(UTCDateTime(), **kwargs))


class PostStatus(StrEnum):
    DRAFT = "draft"
    APPROVED = "approved"
    ARCHIVED = "archived"  # removed from the campaign file after some of it was published


class DeliveryState(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    PUBLISHED = "published"
    RETRYING = "retrying"
    FAILED = "failed"
    UNCONFIRMED = "unconfirmed"
    CANCELLED = "cancelled"
    PAUSED = "paused"


class Campaign(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=64)
    name: str
    language: str = Field(max_length=8)
    source_path: str
    content_hash: str = Field(max_length=64)
    approval_required: bool = True
    two_person: bool = False
    utm: bool = True
    landing_base_url: str
    schedule: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False, server_default="{}")
    )
    loaded_at: datetime = _instant(nullable=False)


class Territory(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("campaign_id", "key"),)
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: str = Field(foreign_key="campaign.id", index=True, max_length=64)
    key: str = Field(max_length=32)
    name: str
    timezone: str = Field(max_length=64)
    slots: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    quiet_hours: str | None = Field(default=None, max_length=16)
    # BCP 47 tags: the first a capsule is written in is burned in, the others are caption tracks
    languages: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))


class Account(SQLModel, table=True):
    """A publishing account. Its credentials are never stored here (see networks/credentials)."""

    __table_args__ = (UniqueConstraint("campaign_id", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: str = Field(foreign_key="campaign.id", index=True, max_length=64)
    name: str = Field(max_length=64)
    network: str = Field(max_length=16)
    sandbox: bool = False
    handle: str | None = None
    settings: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    needs_reauth: bool = False
    token_expires_at: datetime | None = _instant(nullable=True)
    # why reconciling this account's unconfirmed deliveries fails (for `doctor`), and since when
    reconcile_error: str | None = Field(default=None, sa_type=RedactedText)
    reconcile_failed_at: datetime | None = _instant(nullable=True)
    # the network stopped the account (credits spent, a usage cap reached…): what happened and what a
    # person must do, since when, and until when (None: until a person runs `clickable accounts resume`)
    paused_reason: str | None = Field(default=None, sa_type=RedactedText)
    paused_at: datetime | None = _instant(nullable=True)
    paused_until: datetime | None = _instant(nullable=True)


class Capsule(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("campaign_id", "key"),)
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: str = Field(foreign_key="campaign.id", index=True, max_length=64)
    key: str = Field(max_length=64)
    script_path: str
    title: str | None = None
    render_hash: str | None = Field(default=None, max_length=64)
    rendered_at: datetime | None = _instant(nullable=True)
    outputs: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class PostBase(SQLModel):
    key: str = Field(max_length=64)
    text: str
    author: str | None = None
    at_local: str | None = Field(default=None, max_length=32)
    link: bool = False
    capsule_key: str | None = Field(default=None, max_length=64)
    territories: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    accounts: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    status: str = Field(default=PostStatus.DRAFT, max_length=16)  # a PostStatus value
    position: int = 0
    source_line: int = 0


class Post(PostBase, table=True):
    __table_args__ = (UniqueConstraint("campaign_id", "key"),)
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: str = Field(foreign_key="campaign.id", index=True, max_length=64)
    content_hash: str = Field(max_length=64)
    updated_at: datetime = _instant(nullable=False)


class PostPublic(PostBase):
    """A post as listed by `clickable post list --json`."""

    approved_by: str | None = None
    approved_at: datetime | None = None


class Variant(SQLModel, table=True):
    """A post's text for one network, with ``{link}`` still unsubstituted."""

    __table_args__ = (UniqueConstraint("post_id", "network"),)
    id: int | None = Field(default=None, primary_key=True)
    post_id: int = Field(foreign_key="post.id", index=True)
    network: str = Field(max_length=16)
    text: str
    # the decisions this network requires of the post (its spec's choices), as the campaign file wrote them
    choices: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))


class Link(SQLModel, table=True):
    """A tracked short code: /r/<code> on the landing page.

    One per (post, account, territory) for posts; one per capsule for the QR code and short URL
    of its end card (then post, account and territory are empty).
    """

    __table_args__ = (UniqueConstraint("post_id", "account_id", "territory_id"),)
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=16, unique=True, index=True)
    campaign_id: str = Field(foreign_key="campaign.id", index=True, max_length=64)
    post_id: int | None = Field(default=None, foreign_key="post.id", index=True)
    account_id: int | None = Field(default=None, foreign_key="account.id")
    territory_id: int | None = Field(default=None, foreign_key="territory.id")
    capsule_key: str | None = Field(default=None, max_length=64, index=True)
    network: str = Field(max_length=16)
    created_at: datetime = _instant(nullable=False)


class Delivery(SQLModel, table=True):
    """One publication: a variant on one account for one territory, with its state and due instant."""

    __table_args__ = (UniqueConstraint("variant_id", "account_id", "territory_id"),)
    id: int | None = Field(default=None, primary_key=True)
    variant_id: int = Field(foreign_key="variant.id", index=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    territory_id: int = Field(foreign_key="territory.id")
    link_id: int | None = Field(default=None, foreign_key="link.id")
    state: str = Field(default=DeliveryState.QUEUED, max_length=16, index=True)  # a DeliveryState value
    due_utc: datetime | None = _instant(nullable=True, index=True)
    zone: str = Field(max_length=64)
    text: str | None = None
    fingerprint: str | None = Field(default=None, max_length=64)
    remote_id: str | None = None
    remote_url: str | None = None
    stage: str | None = Field(default=None, max_length=16)  # upload, create (sent: outcome unknown), poll
    # who can see the published post when the network says (YouTube: public, unlisted, private)
    visibility: str | None = Field(default=None, max_length=16)
    # how planning placed it (DST, quiet hours, caps)
    note: str | None = Field(default=None, sa_type=RedactedText)
    attempts: int = 0
    last_error: str | None = Field(default=None, sa_type=RedactedText)  # scrubbed of secrets when stored
    claimed_by: str | None = Field(default=None, max_length=64)
    claimed_at: datetime | None = _instant(nullable=True)
    published_at: datetime | None = _instant(nullable=True)
    updated_at: datetime = _instant(nullable=False)


class QuotaUsage(SQLModel, table=True):
    """What one account of a metered network (its spec's ``quota``) used of a bucket on one day, the day
    as the network counts it (its reset zone: YouTube's starts at midnight Pacific time)."""

    __table_args__ = (UniqueConstraint("account_id", "bucket", "day"),)
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    bucket: str = Field(max_length=32)
    day: str = Field(max_length=10)  # YYYY-MM-DD in the network's reset zone
    used: int = 0
    updated_at: datetime = _instant(nullable=False)


class DeliveryEvent(SQLModel, table=True):
    """A delivery's state transition, with its time and reason (`clickable delivery history`)."""

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: int = Field(foreign_key="delivery.id", index=True)
    at: datetime = _instant(nullable=False)
    from_state: str | None = Field(default=None, max_length=16)
    to_state: str = Field(max_length=16)
    reason: str | None = Field(default=None, sa_type=RedactedText)  # scrubbed of secrets when stored


class ApprovalBase(SQLModel):
    approved_by: str = Field(max_length=128)
    approved_at: datetime = _instant(nullable=False)
    content_hash: str = Field(max_length=64)


class Approval(ApprovalBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    post_id: int = Field(foreign_key="post.id", index=True)
    preview_hash: str | None = Field(default=None, max_length=64)  # what the approver previewed, if anything


class Preview(SQLModel, table=True):
    """A post shown as each network shows it (`clickable post preview`): the fingerprint of what was shown."""

    id: int | None = Field(default=None, primary_key=True)
    post_id: int = Field(foreign_key="post.id", index=True)
    content_hash: str = Field(max_length=64)
    previewed_at: datetime = _instant(nullable=False)


class Worker(SQLModel, table=True):
    """A running daemon: its heartbeat tells `doctor` it is alive and lets others recover its claims."""

    id: str = Field(primary_key=True, max_length=64)
    host: str = Field(max_length=128)
    pid: int
    started_at: datetime = _instant(nullable=False)
    beat_at: datetime = _instant(nullable=False)
    stopped_at: datetime | None = _instant(nullable=True)


class RetiredMetric(SQLModel, table=True):
    """A metric name a network refused (it was retired, or never existed): not asked again.

    Written by metric collection when a network refuses a name (the names are then asked one at a
    time, see networks/metrics.py), read before each collection, shown by `doctor`.
    """

    __table_args__ = (UniqueConstraint("network", "kind", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    network: str = Field(max_length=16)
    kind: str = Field(max_length=32)  # the object kind of the network's spec metric names ("post", "media")
    name: str = Field(max_length=128)
    retired_at: datetime = _instant(nullable=False)


class MetricSnapshot(SQLModel, table=True):
    """Engagement numbers of one delivery at one moment; history is never overwritten."""

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: int = Field(foreign_key="delivery.id", index=True)
    milestone: str | None = Field(
        default=None, max_length=8
    )  # 1h, 24h, 72h, 7d, or None when collected by hand
    collected_at: datetime = _instant(nullable=False)
    metrics: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    raw: dict[str, Any] = Field(default_factory=dict, sa_column=Column(RedactedJSON, nullable=False))


class ClickCounter(SQLModel, table=True):
    """A daily aggregate from the landing page: visits or channel clicks. Nothing about visitors."""

    __table_args__ = (
        UniqueConstraint("day", "campaign_id", "code", "territory", "event"),
        # covering indexes for the statistics: sums per code over a period, and per day (0005)
        Index("ix_clickcounter_code_sums", "campaign_id", "code", "territory", "event", "day", "count"),
        Index("ix_clickcounter_day_sums", "campaign_id", "territory", "event", "day", "count"),
    )
    id: int | None = Field(default=None, primary_key=True)
    day: date = Field(index=True)
    campaign_id: str = Field(max_length=64)
    code: str = Field(default="", max_length=16)  # tracked link code, "" for direct visits
    territory: str = Field(max_length=32)
    event: str = Field(max_length=64)  # "visit" or "click:<channel>"
    count: int = 0


__all__ = [
    "Account",
    "Approval",
    "Campaign",
    "Capsule",
    "ClickCounter",
    "Delivery",
    "DeliveryEvent",
    "DeliveryState",
    "Link",
    "MetricSnapshot",
    "Post",
    "PostPublic",
    "PostStatus",
    "Preview",
    "Territory",
    "Variant",
    "Worker",
    "utcnow",
]
