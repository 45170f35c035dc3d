"""Capsules in the database: their tracked end-card link and what was rendered."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from campaign.checks import tracked_url
from campaign.models import Campaign, Capsule, Link
from campaign.store import new_code

CAPSULE_NETWORK = "capsule"  # Link.network for end-card links: the video travels on every network


def capsule_link(session: Session, campaign: Campaign, key: str, *, now: datetime) -> str:
    """The capsule's tracked landing URL (created once, then stable across renders)."""
    link = session.exec(select(Link).where(Link.campaign_id == campaign.id, Link.capsule_key == key)).first()
    if link is None:
        link = Link(
            code=new_code(session, set()),
            campaign_id=campaign.id,
            capsule_key=key,
            network=CAPSULE_NETWORK,
            created_at=now,
        )
        session.add(link)
        session.flush()
    return tracked_url(campaign.landing_base_url, link.code)


def record_render(
    session: Session,
    campaign: Campaign,
    key: str,
    *,
    title: str,
    render_hash: str,
    outputs: dict[str, object],
    now: datetime,
) -> bool:
    """Store what was rendered for capsule ``key``; False when the campaign does not declare it.

    ``outputs`` is CapsuleRender.outputs(): renders by name (``vertical.rcf``) are added to those
    recorded before (a render of one format keeps the others); captions, alt text and languages
    are replaced."""
    capsule = session.exec(
        select(Capsule).where(Capsule.campaign_id == campaign.id, Capsule.key == key)
    ).first()
    if capsule is None:
        return False
    capsule.title = title
    capsule.render_hash = render_hash
    capsule.rendered_at = now
    previous = capsule.outputs or {}
    old = previous.get("renders")
    new = outputs.get("renders")
    renders = {**(old if isinstance(old, dict) else {}), **(new if isinstance(new, dict) else {})}
    capsule.outputs = {**outputs, "renders": renders}
    session.add(capsule)
    return True
