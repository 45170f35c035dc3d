"""Storing the campaign: idempotent load, approvals, tracked links, queries. Sessions are passed in."""

from __future__ import annotations

import hashlib
import json
import secrets
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Table, insert
from sqlmodel import Session, SQLModel, col, delete, select

from campaign.characters import name_problem, same_person
from campaign.checks import (
    LINK_CODE_LENGTH,
    account_territories,
    post_territories,
    tracked_url,
    variant_template,
)
from campaign.db import serialise
from campaign.errors import (
    ApprovalRefused,
    CampaignNotLoaded,
    PostNotFound,
    PreviewOutdated,
    PublishedPostChanged,
)
from campaign.i18n import _
from campaign.models import (
    Account,
    Approval,
    Campaign,
    Capsule,
    Delivery,
    DeliveryEvent,
    DeliveryState,
    Link,
    Post,
    PostPublic,
    PostStatus,
    Preview,
    Territory,
    Variant,
)
from campaign.rules import Networks
from campaign.schema import CampaignFile, PostSpec
from campaign.texts import LINK_PLACEHOLDER, TextLength, link_in_text, render_text
from campaign.yamlsource import paused_collector

CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: codes are read aloud and typed
# Deliveries in these states hold the old text on a network, or may: the text can no longer change.
LOCKED_STATES = (DeliveryState.PUBLISHED, DeliveryState.SENDING, DeliveryState.UNCONFIRMED)
CHUNK = 900  # ids or codes per IN (...) query: under SQLite's oldest limit of 999 parameters


@dataclass
class LoadSummary:
    campaign_id: str
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    archived: list[str] = field(default_factory=list)
    approvals_withdrawn: list[str] = field(default_factory=list)
    links_created: int = 0

    def as_dict(self) -> dict[str, object]:
        return {
            "campaign": self.campaign_id,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "removed": self.removed,
            "archived": self.archived,
            "approvals_withdrawn": self.approvals_withdrawn,
            "links_created": self.links_created,
        }


def _digest(value: object) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


def _post_content(campaign: CampaignFile, post: PostSpec) -> dict[str, object]:
    return {
        "texts": _variant_texts(campaign, post),
        # a post's choices are part of what is approved (only when it has some: older hashes stay valid)
        **({"choices": post.choices} if post.choices else {}),
        "accounts": post.accounts,
        "territories": post_territories(campaign, post),
        "at": str(post.at) if post.at is not None else None,
        "capsule": post.capsule,
        "link": post.link,
    }


def _variant_texts(campaign: CampaignFile, post: PostSpec) -> dict[str, str]:
    networks = dict.fromkeys(campaign.accounts[name].network for name in post.accounts)
    return {network: variant_template(post, network) for network in networks}


def new_code(session: Session, taken: set[str]) -> str:
    """A fresh random tracked-link code, unique in the database."""
    return new_codes(session, 1, taken)[0]


def _random_codes(count: int) -> list[str]:
    """``count`` random codes over CODE_ALPHABET, uniform (bytes beyond a multiple of its size are
    dropped): one call to the system's random source, not one per character."""
    size = len(CODE_ALPHABET)
    bound = 256 - 256 % size
    letters: list[str] = []
    while len(letters) < count * LINK_CODE_LENGTH:
        needed = count * LINK_CODE_LENGTH - len(letters)
        letters += [
            CODE_ALPHABET[byte % size]
            for byte in secrets.token_bytes(needed + needed // 8 + 8)
            if byte < bound
        ]
    return [
        "".join(letters[at : at + LINK_CODE_LENGTH])
        for at in range(0, count * LINK_CODE_LENGTH, LINK_CODE_LENGTH)
    ]


def new_codes(session: Session, count: int, taken: set[str]) -> list[str]:
    """``count`` fresh random codes, unique in the database and among ``taken`` (which gains them).

    Asked of the database in chunks (one query per chunk, not one per code).
    """
    codes: list[str] = []
    while len(codes) < count:
        batch = list(set(_random_codes(count - len(codes))) - taken)
        used: set[str] = set()
        for chunk in chunks(batch):
            used.update(session.exec(select(Link.code).where(col(Link.code).in_(chunk))).all())
        fresh = [code for code in batch if code not in used]
        taken.update(fresh)
        codes.extend(fresh)
    return codes


def _table(model: type[SQLModel]) -> Table:
    """A model's Core table: new rows go in without the ORM's bookkeeping of one object each."""
    return model.__table__  # type: ignore[attr-defined]


def chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    """``items`` in slices short enough for one IN (...) query."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass
class _Stored:
    """What the database holds of a campaign's posts, read once per load (not once per post)."""

    posts: dict[str, Post]
    variants: dict[int, dict[str, Variant]]  # post id → network → variant
    links: dict[int, set[tuple[int | None, int | None]]]  # post id → (account id, territory id)
    deliveries: dict[int, list[tuple[int, str, str]]]  # post id → (delivery id, state, network)

    @classmethod
    def read(cls, session: Session, campaign_id: str) -> _Stored:
        posts = {post.key: post for post in session.exec(select(Post).where(Post.campaign_id == campaign_id))}
        stored = cls(posts, defaultdict(dict), defaultdict(set), defaultdict(list))
        if not posts:
            return stored
        of_campaign = select(Post.id).where(Post.campaign_id == campaign_id)
        for variant in session.exec(select(Variant).where(col(Variant.post_id).in_(of_campaign))):
            stored.variants[variant.post_id][variant.network] = variant
        for post_id, account_id, territory_id in session.exec(
            select(Link.post_id, Link.account_id, Link.territory_id).where(col(Link.post_id).in_(of_campaign))
        ):
            stored.links[post_id].add((account_id, territory_id))  # type: ignore[index]
        for delivery_id, state, post_id, network in session.exec(
            select(Delivery.id, Delivery.state, Variant.post_id, Variant.network)
            .join(Variant, col(Variant.id) == Delivery.variant_id)
            .where(col(Variant.post_id).in_(of_campaign))
        ):
            stored.deliveries[post_id].append((delivery_id, state, network))  # type: ignore[arg-type]
        return stored

    def locked_networks(self, post: Post) -> set[str]:
        """The networks on which some of the post is (or may be) online: its text there is fixed."""
        assert post.id is not None
        return {network for _id, state, network in self.deliveries[post.id] if state in LOCKED_STATES}


@paused_collector()  # the campaign's posts and their rows live until the load ends
def load_campaign(
    session: Session,
    campaign: CampaignFile,
    *,
    source_path: Path,
    source_text: str,
    lines: dict[str, int],
    now: datetime,
) -> LoadSummary:
    """Upsert the campaign into the database; the caller's transaction makes it all or nothing.

    ``lines`` maps post ids to their line in the file, for error messages. What is stored is read
    once, new rows are inserted in bulk: a load costs a few queries, not a few per post.
    """
    info = campaign.campaign
    summary = LoadSummary(info.id)
    # one load of a campaign at a time: a second one waits, then finds the first one's rows
    serialise(session.connection(), f"clickable:load:{info.id}")
    _upsert_campaign(session, campaign, source_path, source_text, now)
    territories = _upsert_territories(session, campaign)
    accounts = _upsert_accounts(session, campaign)
    _upsert_capsules(session, campaign, source_path.parent)
    stored = _Stored.read(session, info.id)
    existing = dict(stored.posts)
    new_rows: list[dict[str, Any]] = []
    for position, spec in enumerate(campaign.posts):
        content_hash = _digest(_post_content(campaign, spec))
        fields = _post_fields(campaign, spec, position, lines.get(spec.id, 0))
        post = existing.pop(spec.id, None)
        if post is None:
            new_rows.append(
                {**fields, "campaign_id": info.id, "key": spec.id, "content_hash": content_hash,
                 "status": PostStatus.DRAFT, "updated_at": now}
            )  # fmt: skip
            summary.created.append(spec.id)
            continue
        if post.content_hash == content_hash and post.status != PostStatus.ARCHIVED:
            summary.unchanged.append(spec.id)
        else:
            texts = _variant_texts(campaign, spec)
            old = {network: row.text for network, row in stored.variants[post.id].items()}  # type: ignore[index]
            if any(
                texts.get(network) != text
                for network, text in old.items()
                if network in stored.locked_networks(post)
            ):
                raise PublishedPostChanged(str(source_path), lines.get(spec.id, 1), post.key)
            _drop_pending_deliveries(session, stored, [post])
            if post.status == PostStatus.APPROVED:
                summary.approvals_withdrawn.append(spec.id)
            post.status = PostStatus.DRAFT
            post.content_hash = content_hash
            post.updated_at = now
            summary.updated.append(spec.id)
            _upsert_variants(session, post, stored.variants[post.id], texts, spec.choices or {})  # type: ignore[index]
        for name, value in fields.items():
            if getattr(post, name) != value:
                setattr(post, name, value)
        session.add(post)
    session.flush()
    if new_rows:
        session.execute(insert(_table(Post)), new_rows)
        created = dict(
            session.exec(
                select(Post.key, Post.id).where(
                    Post.campaign_id == info.id, col(Post.key).in_(summary.created)
                )
            ).all()
            if len(summary.created) <= CHUNK
            else session.exec(select(Post.key, Post.id).where(Post.campaign_id == info.id)).all()
        )
        variant_rows = [
            {
                "post_id": created[spec.id],
                "network": network,
                "text": text,
                "choices": dict((spec.choices or {}).get(network) or {}) or None,
            }
            for spec in campaign.posts
            if spec.id in created and spec.id not in stored.posts
            for network, text in _variant_texts(campaign, spec).items()
        ]
        session.execute(insert(_table(Variant)), variant_rows)
    else:
        created = {}
    post_ids = {**{key: post.id for key, post in stored.posts.items()}, **created}
    summary.links_created = _ensure_links(session, campaign, post_ids, stored, accounts, territories, now)
    _remove_posts(session, stored, list(existing.values()), summary)
    session.flush()
    return summary


def _upsert_campaign(
    session: Session, campaign: CampaignFile, source_path: Path, source_text: str, now: datetime
) -> None:
    info = campaign.campaign
    row = session.get(Campaign, info.id)
    file_hash = hashlib.sha256(source_text.encode()).hexdigest()
    if row is None:
        row = Campaign(
            id=info.id,
            name=info.name,
            language=info.language,
            source_path=str(source_path),
            content_hash=file_hash,
            landing_base_url=campaign.landing.base_url,
            loaded_at=now,
        )
    if row.content_hash != file_hash or row.name != info.name:
        row.loaded_at = now
    row.name = info.name
    row.language = info.language
    row.source_path = str(source_path)
    row.content_hash = file_hash
    row.approval_required = campaign.approval.required
    row.two_person = campaign.approval.two_person
    row.utm = info.utm
    row.landing_base_url = campaign.landing.base_url
    row.schedule = campaign.schedule.model_dump()
    session.add(row)
    session.flush()


def _post_fields(campaign: CampaignFile, spec: PostSpec, position: int, line: int) -> dict[str, Any]:
    """A post's columns that follow the file (the content hash and status are decided apart)."""
    return {
        "text": spec.text,
        "author": spec.author or campaign.campaign.author,
        "at_local": str(spec.at)[:16] if spec.at is not None else None,
        "link": bool(spec.link),
        "capsule_key": spec.capsule,
        "territories": post_territories(campaign, spec),
        "accounts": list(spec.accounts),
        "position": position,
        "source_line": line,
    }


def _upsert_territories(session: Session, campaign: CampaignFile) -> dict[str, Territory]:
    rows = {
        row.key: row
        for row in session.exec(select(Territory).where(Territory.campaign_id == campaign.campaign.id))
    }
    for key, spec in campaign.territories.items():
        row = rows.get(key) or Territory(
            campaign_id=campaign.campaign.id, key=key, name=spec.name, timezone=spec.timezone
        )
        row.name, row.timezone = spec.name, spec.timezone
        row.slots, row.quiet_hours = spec.slots, spec.quiet_hours
        row.languages = spec.languages
        session.add(row)
        rows[key] = row
    session.flush()
    return rows


def _upsert_accounts(session: Session, campaign: CampaignFile) -> dict[str, Account]:
    rows = {
        row.name: row
        for row in session.exec(select(Account).where(Account.campaign_id == campaign.campaign.id))
    }
    for name, spec in campaign.accounts.items():
        row = rows.get(name) or Account(campaign_id=campaign.campaign.id, name=name, network=spec.network)
        row.network = spec.network
        row.sandbox = spec.sandbox
        row.handle = spec.handle
        row.settings = spec.model_dump(exclude={"network", "sandbox", "handle"}, exclude_none=True)
        session.add(row)
        rows[name] = row
    session.flush()
    return rows


def _upsert_capsules(session: Session, campaign: CampaignFile, folder: Path) -> None:
    rows = {
        row.key: row
        for row in session.exec(select(Capsule).where(Capsule.campaign_id == campaign.campaign.id))
    }
    for key, spec in campaign.capsules.items():
        row = rows.get(key) or Capsule(campaign_id=campaign.campaign.id, key=key, script_path=spec.script)
        row.script_path = str((folder / spec.script).resolve())
        session.add(row)
    session.flush()


def _upsert_variants(
    session: Session,
    post: Post,
    rows: dict[str, Variant],
    texts: dict[str, str],
    choices: dict[str, dict[str, Any]],
) -> None:
    """A changed post's variants: one per network it uses now (its pending deliveries are gone)."""
    kept = dict(rows)
    for network, text in texts.items():
        row = kept.pop(network, None) or Variant(post_id=post.id, network=network, text=text)  # type: ignore[arg-type]
        row.text = text
        row.choices = dict(choices.get(network) or {}) or None
        session.add(row)
    for row in kept.values():  # networks the post no longer uses
        session.exec(delete(Delivery).where(col(Delivery.variant_id) == row.id))
        session.delete(row)
    session.flush()


def _ensure_links(
    session: Session,
    campaign: CampaignFile,
    post_ids: dict[str, int | None],
    stored: _Stored,
    accounts: dict[str, Account],
    territories: dict[str, Territory],
    now: datetime,
) -> int:
    """One tracked link per (post, account, territory) not linked yet, inserted in one go."""
    # ids and networks read once from the ORM objects, and each account's share of a list of
    # territories computed once: 20,000 posts ask the same few questions
    account_rows = {name: (row.id, row.network) for name, row in accounts.items()}
    territory_ids = {key: row.id for key, row in territories.items()}
    served: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    wanted: list[tuple[int, int | None, int | None, str]] = []
    for spec in campaign.posts:
        post_id = post_ids[spec.id]
        assert post_id is not None
        existing = stored.links.get(post_id, set())
        keys = tuple(post_territories(campaign, spec))
        for name in spec.accounts:
            account_id, network = account_rows[name]
            if (name, keys) not in served:
                served[name, keys] = account_territories(campaign, name, keys)
            for key in served[name, keys]:
                if (account_id, territory_ids[key]) not in existing:
                    wanted.append((post_id, account_id, territory_ids[key], network))
    if not wanted:
        return 0
    codes = new_codes(session, len(wanted), set())
    campaign_id = campaign.campaign.id
    session.execute(
        insert(_table(Link)),
        [
            {"code": code, "campaign_id": campaign_id, "post_id": post_id, "account_id": account_id,
             "territory_id": territory_id, "network": network, "created_at": now}
            for code, (post_id, account_id, territory_id, network) in zip(codes, wanted, strict=True)
        ],
    )  # fmt: skip
    return len(wanted)


def _drop_pending_deliveries(session: Session, stored: _Stored, posts: Sequence[Post]) -> None:
    """Deliveries that never went out are dropped with their history (plan makes new ones)."""
    pending = [
        delivery_id
        for post in posts
        for delivery_id, state, _network in stored.deliveries.get(post.id, [])  # type: ignore[arg-type]
        if state not in LOCKED_STATES
    ]
    for chunk in chunks(pending):
        session.exec(delete(DeliveryEvent).where(col(DeliveryEvent.delivery_id).in_(chunk)))
        session.exec(delete(Delivery).where(col(Delivery.id).in_(chunk)))
    for post in posts:
        assert post.id is not None
        stored.deliveries[post.id] = [item for item in stored.deliveries.get(post.id, []) if item[1] in LOCKED_STATES]
    session.flush()


def _remove_posts(session: Session, stored: _Stored, posts: list[Post], summary: LoadSummary) -> None:
    """Posts no longer in the file: archived when some of them is online, else deleted."""
    posts = [post for post in posts if post.status != PostStatus.ARCHIVED]
    _drop_pending_deliveries(session, stored, posts)
    deleted: list[int] = []
    for post in posts:
        if stored.deliveries.get(post.id):  # type: ignore[arg-type]
            post.status = PostStatus.ARCHIVED
            session.add(post)
            summary.archived.append(post.key)
        else:
            assert post.id is not None
            deleted.append(post.id)
            summary.removed.append(post.key)
    for chunk in chunks(deleted):
        session.exec(delete(Approval).where(col(Approval.post_id).in_(chunk)))
        session.exec(delete(Preview).where(col(Preview.post_id).in_(chunk)))
        session.exec(delete(Link).where(col(Link.post_id).in_(chunk)))
        session.exec(delete(Variant).where(col(Variant.post_id).in_(chunk)))
        session.exec(delete(Post).where(col(Post.id).in_(chunk)))
    session.flush()


# --- queries -------------------------------------------------------------------------------------


def get_campaign(session: Session, campaign_id: str | None) -> Campaign:
    """The campaign ``campaign_id``, or the only one stored when ``campaign_id`` is None."""
    if campaign_id is not None:
        row = session.get(Campaign, campaign_id)
        if row is not None:
            return row
    rows = session.exec(select(Campaign)).all()
    if len(rows) == 1 and campaign_id is None:
        return rows[0]
    raise CampaignNotLoaded()


def list_posts(session: Session, campaign_id: str) -> list[PostPublic]:
    posts = session.exec(
        select(Post).where(Post.campaign_id == campaign_id).order_by(col(Post.position))
    ).all()
    result = []
    for post in posts:
        approval = current_approval(session, post)
        public = PostPublic.model_validate(
            post,
            update={
                "approved_by": approval.approved_by if approval else None,
                "approved_at": approval.approved_at if approval else None,
            },
        )
        result.append(public)
    return result


def get_post(session: Session, campaign_id: str, key: str) -> Post:
    post = session.exec(select(Post).where(Post.campaign_id == campaign_id, Post.key == key)).first()
    if post is None:
        known = session.exec(
            select(Post.key).where(Post.campaign_id == campaign_id).order_by(col(Post.position))
        ).all()
        raise PostNotFound(key, list(known))
    return post


def current_approval(session: Session, post: Post) -> Approval | None:
    """The approval that covers the post's current content, if any."""
    if post.status != PostStatus.APPROVED:
        return None
    return session.exec(
        select(Approval)
        .where(Approval.post_id == post.id, Approval.content_hash == post.content_hash)
        .order_by(col(Approval.approved_at).desc())
    ).first()


def approve_post(session: Session, campaign: Campaign, key: str, *, by: str, now: datetime) -> Approval:
    """Record ``by``'s approval of the post's current content (two-person rule enforced)."""
    approver = by.strip()
    if not approver:
        raise ApprovalRefused(_("--by must name the person who approves, e.g. --by 'Alex Martin'"))
    invisible = name_problem(approver)
    if invisible is not None:
        raise ApprovalRefused(_("--by {name!r}: {reason}").format(name=approver, reason=invisible))
    post = get_post(session, campaign.id, key)
    if post.status == PostStatus.ARCHIVED:
        raise ApprovalRefused(
            _("post '{key}' is archived (removed from the campaign file): nothing to approve").format(key=key)
        )
    # names are compared as people read them: "Camille\u200b" or "ＣＡＭＩＬＬＥ" is still Camille
    if campaign.two_person and post.author and same_person(post.author, approver):
        raise ApprovalRefused(
            _("post '{key}' was written by {author}: with two-person approval, someone else must approve it (ask a colleague to run `clickable post approve`)").format(key=key, author=post.author)
        )
    existing = current_approval(session, post)
    if existing is not None:
        return existing  # approving the same content twice changes nothing
    assert post.id is not None
    # what the approver looked at: refused when the post changed since its last preview
    previewed = last_preview(session, post)
    if previewed is not None and previewed.content_hash != preview_fingerprint(session, campaign, post):
        raise PreviewOutdated(key, previewed.previewed_at)
    approval = Approval(
        post_id=post.id,
        approved_by=approver,
        approved_at=now,
        content_hash=post.content_hash,
        preview_hash=previewed.content_hash if previewed is not None else None,
    )
    post.status = PostStatus.APPROVED
    session.add(approval)
    session.add(post)
    session.flush()
    return approval


def last_preview(session: Session, post: Post) -> Preview | None:
    """The post's latest preview, if it was ever previewed."""
    return session.exec(
        select(Preview).where(Preview.post_id == post.id).order_by(col(Preview.previewed_at).desc(), col(Preview.id).desc())
    ).first()


def preview_fingerprint(session: Session, campaign: Campaign, post: Post) -> str:
    """A fingerprint of what a preview of the post shows: every text exactly as published (with its
    tracked link) on each account and territory, and the render of its capsule."""
    texts = sorted(
        [account, territory, text] for _network, account, territory, _code, _url, text in published_texts(session, campaign, post)
    )
    render = None
    if post.capsule_key:
        capsule = session.exec(
            select(Capsule).where(Capsule.campaign_id == campaign.id, Capsule.key == post.capsule_key)
        ).first()
        render = capsule.render_hash if capsule is not None else None
    return _digest({"texts": texts, "capsule": post.capsule_key, "render": render})


def record_preview(session: Session, campaign: Campaign, post: Post, *, now: datetime) -> Preview:
    """Remember that the post was previewed as it is now (`post approve` compares with it)."""
    assert post.id is not None
    preview = Preview(post_id=post.id, content_hash=preview_fingerprint(session, campaign, post), previewed_at=now)
    session.add(preview)
    session.flush()
    return preview


@dataclass(frozen=True)
class RenderedVariant:
    """A variant exactly as it will be published on one account for one territory."""

    network: str
    account: str
    territory: str
    code: str | None
    url: str | None
    text: str
    length: TextLength

    def as_dict(self) -> dict[str, object]:
        return {
            "network": self.network,
            "account": self.account,
            "territory": self.territory,
            "link": self.url,
            "text": self.text,
            "length": self.length.length,
            "limit": self.length.limit,
            "ok": self.length.ok,
        }


def published_texts(
    session: Session, campaign: Campaign, post: Post
) -> list[tuple[str, str, str, str | None, str | None, str]]:
    """(network, account, territory, code, url, text) of every delivery of ``post``, tracked link
    substituted, in the order of the post's accounts and territories."""
    variants = {row.network: row for row in session.exec(select(Variant).where(Variant.post_id == post.id))}
    accounts = {
        row.id: row for row in session.exec(select(Account).where(Account.campaign_id == campaign.id))
    }
    territories = {
        row.id: row for row in session.exec(select(Territory).where(Territory.campaign_id == campaign.id))
    }
    order = {name: index for index, name in enumerate(post.accounts)}
    territory_order = {key: index for index, key in enumerate(post.territories)}
    links = session.exec(select(Link).where(Link.post_id == post.id)).all()
    result = []
    for link in links:
        account = accounts[link.account_id]
        territory = territories[link.territory_id]
        if account.name not in order or territory.key not in territory_order:
            continue  # a link kept from an earlier version of the post
        variant = variants[account.network]
        wants = post.link or LINK_PLACEHOLDER in variant.text
        url = tracked_url(campaign.landing_base_url, link.code) if wants else None
        # an account set to `link: none` leaves it out of the text (the capsule's end card carries it)
        text = render_text(variant.text, url if link_in_text(account.settings) else None, append_link=True)
        result.append((account.network, account.name, territory.key, link.code if wants else None, url, text))
    result.sort(key=lambda item: (order[item[1]], territory_order[item[2]]))
    return result


def render_post(
    session: Session, campaign: Campaign, post: Post, *, networks: Networks
) -> list[RenderedVariant]:
    """Every (account, territory) text of ``post``, tracked link substituted, measured by its network."""
    return [
        RenderedVariant(network, account, territory, code, url, text, networks[network].measure_text(text))
        for network, account, territory, code, url, text in published_texts(session, campaign, post)
    ]
