"""Views of the plan shared by the commands and the demo: delivery rows and the iCalendar file."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from icalendar import Calendar, Event
from sqlmodel import Session, col, select

from campaign.checks import tracked_url
from campaign.models import Account, Delivery, Link, Post, Territory, Variant
from campaign.rules import Networks
from campaign.store import get_campaign
from campaign.timezones import format_local

EVENT_MINUTES = 15


def delivery_rows(
    session: Session, campaign_id: str | None, states: list[str] | None = None
) -> list[dict[str, Any]]:
    campaign = get_campaign(session, campaign_id)
    query = (
        select(Delivery, Variant, Post, Account, Territory)  # type: ignore[call-overload]
        .join(Variant, col(Variant.id) == Delivery.variant_id)
        .join(Post, col(Post.id) == Variant.post_id)
        .join(Account, col(Account.id) == Delivery.account_id)
        .join(Territory, col(Territory.id) == Delivery.territory_id)
        .where(Post.campaign_id == campaign.id)
        .order_by(col(Delivery.due_utc), col(Delivery.id))
    )
    if states:
        query = query.where(col(Delivery.state).in_(states))
    links = {link.id: link.code for link in session.exec(select(Link).where(Link.campaign_id == campaign.id))}
    rows = []
    for delivery, variant, post, account, territory in session.exec(query):
        code = links.get(delivery.link_id) if delivery.link_id else None
        rows.append(
            {
                "id": delivery.id,
                "post": post.key,
                "account": account.name,
                "network": variant.network,
                "territory": territory.key,
                "state": delivery.state,
                "due_utc": delivery.due_utc.isoformat() if delivery.due_utc else None,
                "due_local": format_local(delivery.due_utc, delivery.zone) if delivery.due_utc else None,
                "zone": delivery.zone,
                "remote_id": delivery.remote_id,
                "visibility": delivery.visibility,
                "link": tracked_url(campaign.landing_base_url, code) if code else None,
                "text": delivery.text,
                "note": delivery.note,
                "last_error": delivery.last_error,
            }
        )
    return rows


def calendar_ics(rows: list[dict[str, Any]], *, now: datetime) -> bytes:
    """The plan as an iCalendar file: one event per delivery, in UTC, openable in any calendar app."""
    calendar = Calendar()
    calendar.add("prodid", "-//ECPAT France//clickable//FR")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "Click@ble — publications")
    for row in rows:
        if not row["due_utc"]:
            continue
        event = Event()
        start = datetime.fromisoformat(row["due_utc"])
        event.add("uid", f"delivery-{row['id']}@clickable")
        event.add("dtstamp", now)
        event.add("dtstart", start)
        event.add("dtend", start + timedelta(minutes=EVENT_MINUTES))
        event.add("summary", f"[{row['network']}] {row['post']} — {row['territory']} ({row['state']})")
        event.add("description", f"{row['text'] or ''}\n\n{row['due_local']} · {row['account']}")
        calendar.add_component(event)
    return bytes(calendar.to_ical())


PENDING = ("queued", "retrying", "paused")  # still to go out (DeliveryState)


def planned_costs(session: Session, campaign_id: str | None, networks: Networks) -> dict[str, Any]:
    """The estimated cost, per network that charges, of the deliveries still to go out (their texts as
    planned, each with its metric readings): campaign/costs.py, prices from campaign.yaml over the specs'.
    Every campaign's when ``campaign_id`` is None."""
    from campaign.costs import estimate, prices_for, total
    from campaign.models import Campaign

    query = (
        select(Delivery.text, Account.network, Campaign.schedule)
        .join(Account, col(Account.id) == Delivery.account_id)
        .join(Campaign, col(Campaign.id) == Account.campaign_id)
        .where(col(Delivery.state).in_(PENDING))
    )
    if campaign_id is not None:
        query = query.where(Account.campaign_id == campaign_id)
    estimates = []
    for text, network, schedule in session.exec(query):
        if network in networks:
            estimates.append(estimate(prices_for(networks[network], schedule), network, text or ""))
    return total(estimates)
