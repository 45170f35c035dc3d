"""Planning: one delivery per (variant × account × territory), at a local time or the next free slot."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from campaign.i18n import _
from campaign.models import (
    Account,
    Campaign,
    Delivery,
    DeliveryEvent,
    DeliveryState,
    Link,
    Post,
    PostStatus,
    Territory,
    Variant,
)
from campaign.schema import ScheduleSpec
from campaign.slots import (
    DEFAULT_SLOTS,
    QuietHours,
    Resolved,
    end_of_quiet_hours,
    parse_quiet_hours,
    parse_slots,
    resolve,
    slot_times,
)
from campaign.store import render_post
from campaign.timezones import format_local, parse_local
from networks.base import fingerprint
from networks.registry import Registry, registry

CAP_WINDOW = timedelta(hours=24)
SLOT_SEARCH_DAYS = 120


@dataclass(frozen=True)
class PlannedDelivery:
    delivery_id: int
    post: str
    account: str
    network: str
    territory: str
    zone: str
    due_utc: datetime
    note: str | None

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.delivery_id,
            "post": self.post,
            "account": self.account,
            "network": self.network,
            "territory": self.territory,
            "due_utc": self.due_utc.isoformat(),
            "due_local": format_local(self.due_utc, self.zone),
            "note": self.note,
        }


@dataclass
class PlanReport:
    planned: list[PlannedDelivery] = field(default_factory=list)
    missed: list[dict[str, str]] = field(default_factory=list)
    already: int = 0
    awaiting_approval: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "planned": [item.as_dict() for item in self.planned],
            "missed": self.missed,
            "already_planned": self.already,
            "awaiting_approval": self.awaiting_approval,
        }


def cap_key(networks: Registry, network: str, has_video: bool) -> str:
    """The daily cap that applies, as the network's spec says (video posts may have their own)."""
    return networks[network].cap_key(has_video) if network in networks else network


def daily_caps(networks: Registry, schedule: ScheduleSpec) -> dict[str, int]:
    """The networks' default daily caps, with the campaign file's ``schedule.caps`` over them."""
    defaults = {key: value for spec in networks.values() for key, value in spec.caps.items()}
    return {**defaults, **schedule.caps}


class _Calendar:
    """What is already planned: busy slots per (account, territory), and dues per (account, cap)."""

    def __init__(self, session: Session, campaign: Campaign, networks: Registry) -> None:
        self.busy: dict[tuple[int, int], set[datetime]] = defaultdict(set)
        self.dues: dict[tuple[int, str], list[datetime]] = defaultdict(list)
        rows = session.exec(
            select(Delivery, Variant, Post)
            .join(Variant, col(Variant.id) == Delivery.variant_id)
            .join(Post, col(Post.id) == Variant.post_id)
            .where(Post.campaign_id == campaign.id, col(Delivery.state) != DeliveryState.CANCELLED)
        ).all()
        for delivery, variant, post in rows:
            if delivery.due_utc is not None:
                self.add(
                    delivery.account_id,
                    delivery.territory_id,
                    cap_key(networks, variant.network, post.capsule_key is not None),
                    delivery.due_utc,
                )

    def add(self, account: int, territory: int, cap: str, due: datetime) -> None:
        self.busy[(account, territory)].add(due)
        self.dues[(account, cap)].append(due)

    def cap_allows(self, account: int, cap: str, due: datetime, limit: int | None) -> bool:
        if limit is None:
            return True
        dues = self.dues[(account, cap)]
        before = sum(1 for other in dues if due - CAP_WINDOW < other <= due)
        after = sum(1 for other in dues if due <= other < due + CAP_WINDOW)
        return before < limit and after < limit


def plan(
    session: Session,
    campaign: Campaign,
    *,
    now: datetime,
    post_keys: list[str] | None = None,
    immediately: bool = False,
    networks: Registry | None = None,
) -> PlanReport:
    """Create the deliveries of approved posts that have none yet; existing ones are left alone."""
    networks = networks if networks is not None else registry()
    schedule = ScheduleSpec(**campaign.schedule) if campaign.schedule else ScheduleSpec()
    caps = daily_caps(networks, schedule)
    default_quiet = parse_quiet_hours(schedule.quiet_hours)
    calendar = _Calendar(session, campaign, networks)
    report = PlanReport()
    accounts = {
        row.id: row for row in session.exec(select(Account).where(Account.campaign_id == campaign.id))
    }
    territories = {
        row.id: row for row in session.exec(select(Territory).where(Territory.campaign_id == campaign.id))
    }
    query = select(Post).where(Post.campaign_id == campaign.id).order_by(col(Post.position))
    posts = [post for post in session.exec(query) if post_keys is None or post.key in post_keys]
    for post in posts:
        if post.status == PostStatus.ARCHIVED:
            continue  # removed from the file after some of it went out: nothing more is sent
        if post.status != PostStatus.APPROVED and campaign.approval_required:
            report.awaiting_approval.append(post.key)
            continue
        variants = {
            row.network: row for row in session.exec(select(Variant).where(Variant.post_id == post.id))
        }
        texts = {(item.account, item.territory): item for item in render_post(session, campaign, post, networks=networks)}
        links = session.exec(select(Link).where(Link.post_id == post.id)).all()
        order = {name: index for index, name in enumerate(post.accounts)}
        territory_order = {key: index for index, key in enumerate(post.territories)}
        links = sorted(
            (
                link
                for link in links
                if accounts[link.account_id].name in order
                and territories[link.territory_id].key in territory_order
            ),
            key=lambda link: (
                order[accounts[link.account_id].name],
                territory_order[territories[link.territory_id].key],
            ),
        )
        for link in links:
            account, territory = accounts[link.account_id], territories[link.territory_id]
            variant = variants[account.network]
            existing = session.exec(
                select(Delivery).where(
                    Delivery.variant_id == variant.id,
                    Delivery.account_id == account.id,
                    Delivery.territory_id == territory.id,
                )
            ).first()
            if existing is not None:
                report.already += 1
                continue
            cap = cap_key(networks, account.network, post.capsule_key is not None)
            limit = caps.get(cap)
            quiet = parse_quiet_hours(territory.quiet_hours) if territory.quiet_hours else default_quiet
            if immediately:
                placed: Resolved | None = Resolved(now, _("published now on request"))
            elif post.at_local:
                placed = _at_time(post.at_local, territory, quiet, calendar, account, cap, limit)
            else:
                placed = _next_slot(
                    territory,
                    account,
                    quiet,
                    now + timedelta(minutes=schedule.lead_minutes),
                    calendar,
                    cap,
                    limit,
                )
            where = {"post": post.key, "account": account.name, "territory": territory.key}
            if placed is None:
                report.missed.append(
                    {**where, "reason": _("no free slot within 120 days (caps or slots too tight)")}
                )
                continue
            if placed.instant < now - timedelta(minutes=schedule.catch_up_minutes):
                report.missed.append(
                    {
                        **where,
                        "reason": _("{instant} has passed: give the post a new time").format(instant=format_local(placed.instant, territory.timezone)),
                    }
                )
                continue
            rendered = texts[(account.name, territory.key)]
            due = max(placed.instant, now) if not immediately else now
            delivery = Delivery(
                variant_id=variant.id,  # type: ignore[arg-type]
                account_id=account.id,  # type: ignore[arg-type]
                territory_id=territory.id,  # type: ignore[arg-type]
                link_id=link.id,
                state=DeliveryState.QUEUED,
                due_utc=due,
                zone=territory.timezone,
                text=rendered.text,
                fingerprint=fingerprint(rendered.text),
                note=placed.note,
                updated_at=now,
            )
            session.add(delivery)
            session.flush()
            assert delivery.id is not None
            reason = "planned" + (f": {placed.note}" if placed.note else "")
            session.add(
                DeliveryEvent(
                    delivery_id=delivery.id,
                    at=now,
                    from_state=None,
                    to_state=DeliveryState.QUEUED,
                    reason=reason,
                )
            )
            calendar.add(account.id, territory.id, cap, due)  # type: ignore[arg-type]
            report.planned.append(
                PlannedDelivery(
                    delivery.id,
                    post.key,
                    account.name,
                    account.network,
                    territory.key,
                    territory.timezone,
                    due,
                    placed.note,
                )
            )
    session.flush()
    return report


def _at_time(
    at_local: str,
    territory: Territory,
    quiet: QuietHours,
    calendar: _Calendar,
    account: Account,
    cap: str,
    limit: int | None,
) -> Resolved | None:
    wall = parse_local(at_local)
    notes: list[str] = []
    for day in range(SLOT_SEARCH_DAYS):
        placed = resolve(wall + timedelta(days=day), territory.timezone)
        if placed.note:
            notes.append(placed.note)
        moved = end_of_quiet_hours(placed.instant, territory.timezone, quiet)
        if moved is not None:
            notes.append(moved.note or "")
            placed = moved
        if calendar.cap_allows(account.id, cap, placed.instant, limit):  # type: ignore[arg-type]
            if day:
                notes.append(_("the daily cap of {limit} for {cap} was reached: moved {day} day(s) later").format(limit=limit, cap=cap, day=day))
            return Resolved(placed.instant, "; ".join(dict.fromkeys(notes)) or None)
        notes.clear()
    return None


def _next_slot(
    territory: Territory,
    account: Account,
    quiet: QuietHours,
    after: datetime,
    calendar: _Calendar,
    cap: str,
    limit: int | None,
) -> Resolved | None:
    specs = territory.slots or (account.settings or {}).get("slots") or list(DEFAULT_SLOTS)
    rules = [parse_slots(spec) for spec in specs]
    busy = calendar.busy[(account.id, territory.id)]  # type: ignore[index]
    for candidate in slot_times(rules, territory.timezone, after, days=SLOT_SEARCH_DAYS):
        if (
            candidate.instant in busy
            or end_of_quiet_hours(candidate.instant, territory.timezone, quiet) is not None
        ):
            continue
        if calendar.cap_allows(account.id, cap, candidate.instant, limit):  # type: ignore[arg-type]
            return candidate
    return None
