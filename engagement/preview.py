"""`clickable post preview`: each variant of each post as each network shows it, on one page.

Everything the page shows about a network comes from that network's spec in the registry
(networks/<name>/spec.py): how it counts the text and its limit, how its feed shows a link and
where it cuts the text, the frame it shows a video in and the part its buttons cover, its prices.
No network is named here. The page is self-contained (the capsule's poster embedded, no link to
follow, no remote resource) and made for a phone's width.

Previewing a post records a fingerprint of what was shown (campaign.store.record_preview):
`post approve` refuses a post whose content changed since, until it is previewed again.
"""

from __future__ import annotations

import base64
import io
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlmodel import Session, col, select

from campaign.i18n import _
from campaign.models import Campaign, Capsule, Post, PostStatus, Territory
from campaign.store import (
    current_approval,
    last_preview,
    preview_fingerprint,
    published_texts,
    record_preview,
)
from networks.spec import NetworkSpec

POSTER_WIDTH = 360  # pixels: enough for a phone, keeps the page light
READINGS_PER_POST = 4  # metric readings after each publication (1 h, 24 h, 72 h, 7 days)
URL = re.compile(r"https?://\S+")


@dataclass
class Segment:
    """A piece of a text as the feed shows it: words, or a link (clickable or not)."""

    text: str
    link: bool = False
    address: str = ""  # the full address behind a shortened link


@dataclass
class VideoFrame:
    poster: str  # base64 JPEG
    width: int  # the frame the network shows it in, as an aspect ratio
    height: int
    feed: tuple[int, int] | None  # the crop of the feed, when it crops
    safe: tuple[float, float, float, float] | None  # top, right, bottom, left, in % of the frame
    label: str  # how the network calls these videos
    alt: str


@dataclass
class VariantPreview:
    network: str  # the network's label
    account: str
    territories: list[str]  # named as the campaign names them
    shown: list[Segment]  # as the feed shows it (cut where the feed cuts it)
    cut: bool
    more_label: str
    whole: list[Segment]
    length: int
    limit: int
    ok: bool
    reason: str | None
    link_counts: int | None  # the characters a link counts, when the network counts it so
    links_clickable: bool
    has_link: bool
    cost: str | None  # the estimated cost of publishing it everywhere, when the network charges
    cost_detail: str | None
    video: VideoFrame | None
    video_missing: str | None
    text_differs: list[tuple[str, str]] = field(default_factory=list)  # (territory, text) when not the same


@dataclass
class PostPreview:
    key: str
    status: str  # in words
    approved: bool
    approval: str
    author: str
    at: str
    capsule: str | None
    variants: list[VariantPreview]
    fingerprint: str


def _dollars(amount: float) -> str:
    return f"{amount:,.2f}".replace(",", "\u202f").replace(".", ",") + "\u00a0$"


def _show_link(address: str, spec: NetworkSpec) -> str:
    """A link as the network's feed shows it (X: its display_url), from the spec's ``link_shown``."""
    if spec.text.link_shown is None:
        return address
    bare = re.sub(r"^https?://(www\.)?", "", address)
    return bare if len(bare) <= spec.text.link_shown else bare[: spec.text.link_shown] + "…"


def segments(text: str, spec: NetworkSpec) -> list[Segment]:
    """The text in pieces: plain words, and each link as the network shows it."""
    result: list[Segment] = []
    position = 0
    for match in URL.finditer(text):
        if match.start() > position:
            result.append(Segment(text[position : match.start()]))
        address = match.group(0)
        clickable = spec.text.links_clickable
        result.append(Segment(_show_link(address, spec) if clickable else address, link=clickable, address=address))
        position = match.end()
    if position < len(text):
        result.append(Segment(text[position:]))
    return result


def cut_for_feed(pieces: list[Segment], spec: NetworkSpec) -> tuple[list[Segment], bool]:
    """The pieces the feed shows before it cuts the text (at a word boundary), and whether it cuts."""
    limit = spec.text.feed_cut
    total = sum(len(piece.text) for piece in pieces)
    if limit is None or total <= limit:
        return pieces, False
    shown: list[Segment] = []
    room = limit
    for piece in pieces:
        if len(piece.text) <= room:
            shown.append(piece)
            room -= len(piece.text)
            continue
        if not piece.link:  # a link is never cut in two: the feed stops before it
            head = piece.text[:room]
            boundary = head.rfind(" ")
            head = head[:boundary] if boundary > 0 else head
            shown.append(Segment(head.rstrip()))
        break
    return shown, True


def _cost(spec: NetworkSpec, text: str, deliveries: int, schedule: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """What the deliveries cost (campaign/costs.py's prices: campaign.yaml's over the spec's)."""
    from campaign.costs import prices_for

    prices = prices_for(spec, schedule)
    if prices is None:
        return None, None
    with_link = bool(URL.search(text)) and prices.post_with_url is not None
    each = prices.post_with_url if with_link and prices.post_with_url is not None else prices.post
    reads = (prices.read or 0) * READINGS_PER_POST * deliveries
    total = each * deliveries + reads
    detail = f"{deliveries} publication{'s' if deliveries > 1 else ''} à {_dollars(each)}"
    if with_link:
        detail += " (le texte contient un lien)"
    if reads:
        detail += f", et {READINGS_PER_POST * deliveries} relevés des chiffres à {_dollars(prices.read or 0)}"
    return _dollars(total), detail


def _poster(capsule: Capsule | None, spec: NetworkSpec, title: str) -> tuple[VideoFrame | None, str | None]:
    """The capsule's poster, in the frame the network shows its videos in, with its safe zone."""
    if capsule is None:
        return None, None
    poster = (capsule.outputs or {}).get("poster")  # as `capsule render` records it (CapsuleRender.outputs)
    path = Path(poster) if isinstance(poster, str) else None
    if path is None or not path.is_file():
        return None, (
            f"la capsule « {capsule.key} » n'est pas encore rendue : lancez `clickable capsule render` "
            "pour voir son image ici"
        )
    from PIL import Image

    with Image.open(path) as image:
        width, height = image.size
        thumbnail = image.convert("RGB")
        thumbnail.thumbnail((POSTER_WIDTH, POSTER_WIDTH * 4))
        buffer = io.BytesIO()
        thumbnail.save(buffer, format="JPEG", quality=82)
    rules = spec.media.video()
    divisor = math.gcd(width, height) or 1
    frame = rules.aspect or (width // divisor, height // divisor)
    zone = spec.media.safe_zone
    safe = (
        (zone.top * 100, zone.right * 100, zone.bottom * 100, zone.left * 100) if zone is not None else None
    )
    label = _(rules.label)
    alt = (
        f"Image de la capsule « {title} » dans le cadre {frame[0]}:{frame[1]} de {spec.label}"
        + (", avec la zone que l'application couvre" if safe else "")
        + (f" et le recadrage {spec.media.feed_frame[0]}:{spec.media.feed_frame[1]} du fil" if spec.media.feed_frame else "")
    )
    return (
        VideoFrame(
            base64.b64encode(buffer.getvalue()).decode("ascii"),
            frame[0],
            frame[1],
            spec.media.feed_frame,
            safe,
            label,
            alt,
        ),
        None,
    )


def build_previews(
    session: Session,
    campaign: Campaign,
    posts: Sequence[Post],
    networks: Mapping[str, NetworkSpec],
) -> list[PostPreview]:
    """The preview of each post (nothing is recorded: see :func:`write_preview`)."""
    territory_names = {
        row.key: row.name for row in session.exec(select(Territory).where(Territory.campaign_id == campaign.id))
    }
    capsules = {
        row.key: row for row in session.exec(select(Capsule).where(Capsule.campaign_id == campaign.id))
    }
    result = []
    for post in posts:
        texts = published_texts(session, campaign, post)
        groups: dict[tuple[str, str], list[tuple[str, str]]] = {}
        for network, account, territory, _code, _url, text in texts:
            groups.setdefault((network, account), []).append((territory, text))
        capsule = capsules.get(post.capsule_key) if post.capsule_key else None
        variants = []
        for (network, account), items in groups.items():
            spec = networks[network]
            territory, text = items[0]
            pieces = segments(text, spec)
            shown, cut = cut_for_feed(pieces, spec)
            measured = spec.measure_text(text)
            cost, detail = _cost(spec, text, len(items), campaign.schedule)
            video, missing = _poster(capsule, spec, capsule.title or capsule.key) if capsule else (None, None)
            # the texts differ between territories only by their tracked link, unless a variant says otherwise
            differs = [
                (territory_names.get(where, where), other)
                for where, other in items[1:]
                if URL.sub("", other) != URL.sub("", text)
            ]
            variants.append(
                VariantPreview(
                    network=spec.label,
                    account=account,
                    territories=[territory_names.get(where, where) for where, _text in items],
                    shown=shown,
                    cut=cut,
                    more_label=spec.text.more_label,
                    whole=pieces,
                    length=measured.length,
                    limit=measured.limit,
                    ok=measured.ok,
                    reason=measured.reason,
                    link_counts=spec.text.link_length,
                    links_clickable=spec.text.links_clickable,
                    has_link=any(piece.address for piece in pieces),
                    cost=cost,
                    cost_detail=detail,
                    video=video,
                    video_missing=missing,
                    text_differs=differs,
                )
            )
        approval = current_approval(session, post)
        previewed = last_preview(session, post)
        fingerprint = preview_fingerprint(session, campaign, post)
        if approval is not None:
            words = f"Approuvée par {approval.approved_by} le {approval.approved_at:%d/%m/%Y à %H:%M} UTC"
            if approval.preview_hash is not None:
                words += (
                    ", telle que prévisualisée"
                    if approval.preview_hash == fingerprint
                    else " sur un aperçu qui a changé depuis"
                )
        elif post.status == PostStatus.ARCHIVED:
            words = "Archivée (retirée du fichier de campagne)"
        else:
            words = "En attente d'approbation"
            if previewed is not None and previewed.content_hash != fingerprint:
                words += f" — elle a changé depuis l'aperçu du {previewed.previewed_at:%d/%m/%Y à %H:%M} UTC"
        result.append(
            PostPreview(
                key=post.key,
                status=post.status,
                approved=approval is not None,
                approval=words,
                author=post.author or "inconnu·e",
                at=(f"le {post.at_local} (heure locale de chaque territoire)" if post.at_local else "au prochain créneau libre"),
                capsule=post.capsule_key,
                variants=variants,
                fingerprint=fingerprint,
            )
        )
    return result


def render_preview_html(campaign: Campaign, previews: list[PostPreview], *, generated: datetime) -> str:
    folder = Path(str(resources.files("templates")))
    environment = Environment(loader=FileSystemLoader(str(folder)), autoescape=select_autoescape(["html"]))
    return environment.get_template("previews/preview.html").render(
        campaign=campaign, posts=previews, generated=f"{generated:%d/%m/%Y à %H:%M} UTC"
    )


def write_preview(
    session: Session,
    campaign: Campaign,
    posts: Sequence[Post],
    networks: Mapping[str, Any],
    target: Path,
    *,
    now: datetime,
) -> list[PostPreview]:
    """Write the page to ``target`` (through a temporary file) and record each post as previewed."""
    previews = build_previews(session, campaign, posts, networks)
    html = render_preview_html(campaign, previews, generated=now)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.part")
    temporary.write_text(html, "utf-8")
    temporary.replace(target)
    for post in posts:
        record_preview(session, campaign, post, now=now)
    return previews


def posts_to_preview(session: Session, campaign: Campaign, keys: Sequence[str]) -> list[Post]:
    """The posts named (each must exist), or every post not archived, in the file's order."""
    from campaign.store import get_post

    if keys:
        return [get_post(session, campaign.id, key) for key in dict.fromkeys(keys)]
    return list(
        session.exec(
            select(Post)
            .where(Post.campaign_id == campaign.id, Post.status != PostStatus.ARCHIVED)
            .order_by(col(Post.position))
        )
    )


__all__ = ["PostPreview", "VariantPreview", "build_previews", "cut_for_feed", "posts_to_preview", "segments", "write_preview"]
