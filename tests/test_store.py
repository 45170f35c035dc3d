"""Storing the campaign: idempotent load, all-or-nothing, approvals, published posts locked.

Runs on SQLite, and on PostgreSQL too when CLICKABLE_TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from campaign.db import Database
from campaign.models import Approval, Delivery, DeliveryState, Link, Post, Territory, Variant
from networks.registry import registry

from .conftest import Cli


def counts(database_url: str) -> dict[str, int]:
    database = Database(database_url)
    try:
        with Session(database.engine) as session:
            return {
                model.__name__: session.exec(select(func.count()).select_from(model)).one()
                for model in (Post, Variant, Link, Approval, Territory, Delivery)
            }
    finally:
        database.dispose()


def publish_one(database_url: str, post_key: str, network: str) -> None:
    """Mark one delivery of a post as published, as the dispatcher will."""
    database = Database(database_url)
    try:
        with database.session() as session:
            post = session.exec(select(Post).where(Post.key == post_key)).one()
            variant = session.exec(
                select(Variant).where(Variant.post_id == post.id, Variant.network == network)
            ).one()
            link = session.exec(select(Link).where(Link.post_id == post.id, Link.network == network)).first()
            assert link is not None
            session.add(
                Delivery(
                    variant_id=variant.id,  # type: ignore[arg-type]
                    account_id=link.account_id,
                    territory_id=link.territory_id,
                    link_id=link.id,
                    state=DeliveryState.PUBLISHED,
                    due_utc=datetime.now(UTC),
                    zone="Europe/Paris",
                    remote_id="123",
                    updated_at=datetime.now(UTC),
                )
            )
    finally:
        database.dispose()


def test_load_is_idempotent(cli: Cli, database_url: str) -> None:
    first = cli("campaign", "load", "--json")
    assert first.exit_code == 0, first.output
    summary = json.loads(first.stdout)
    assert len(summary["created"]) == 10 and summary["links_created"] > 0
    before = counts(database_url)
    second = cli("campaign", "load", "--json")
    assert second.exit_code == 0
    again = json.loads(second.stdout)
    assert again["created"] == [] and again["updated"] == [] and len(again["unchanged"]) == 10
    assert again["links_created"] == 0
    assert counts(database_url) == before


def test_one_link_per_post_account_and_territory(cli: Cli, database_url: str) -> None:
    assert cli("campaign", "load").exit_code == 0
    shown = json.loads(cli("post", "show", "p08-nouvelle-caledonie", "--json").stdout)
    assert [(v["account"], v["territory"]) for v in shown["variants"]] == [
        ("facebook-ecpat", "nc"),
        ("x-ecpat", "nc"),
    ]
    codes = {variant["link"] for variant in shown["variants"]}
    assert len(codes) == 2
    assert all(code.startswith("https://clickable.example.org/r/") for code in codes)
    assert all(variant["link"] in variant["text"] for variant in shown["variants"])


def test_changing_text_withdraws_the_approval(cli: Cli) -> None:
    assert cli("campaign", "load").exit_code == 0
    assert cli("post", "approve", "p03-secret", "--by", "Alex").exit_code == 0
    cli.edit("C'est un signal d'alerte.", "C'est un signal d'alarme.")
    result = cli("campaign", "load", "--json")
    summary = json.loads(result.stdout)
    assert summary["updated"] == ["p03-secret"]
    assert summary["approvals_withdrawn"] == ["p03-secret"]
    posts = {post["id"]: post for post in json.loads(cli("post", "list", "--json").stdout)}
    assert posts["p03-secret"]["status"] == "draft"
    assert posts["p03-secret"]["approved_by"] is None


def test_changing_a_published_text_is_refused_and_nothing_is_written(cli: Cli, database_url: str) -> None:
    assert cli("campaign", "load").exit_code == 0
    publish_one(database_url, "p03-secret", "x")
    before = counts(database_url)
    cli.edit("C'est un signal d'alerte.", "C'est un signal d'alarme.")
    cli.edit("Qui voit ce que tu publies ?", "Qui lit ce que tu publies ?")  # another post changes too
    result = cli("campaign", "load")
    assert result.exit_code == 1
    assert "post 'p03-secret' is already published and its text cannot change" in result.stderr
    assert "campaign.yaml:" in result.stderr
    assert counts(database_url) == before
    shown = json.loads(cli("post", "show", "p05-confidentialite", "--json").stdout)
    assert "Qui voit ce que tu publies ?" in shown["variants"][0]["text"]  # the other change was not stored


def test_removed_posts_are_deleted_or_archived(cli: Cli, database_url: str) -> None:
    assert cli("campaign", "load").exit_code == 0
    publish_one(database_url, "p08-nouvelle-caledonie", "facebook")
    data = cli.campaign_data()
    posts = data["posts"]
    assert isinstance(posts, list)
    gone = ("p08-nouvelle-caledonie", "p09-outre-mer", "p10-dire-non")
    kept = [post for post in posts if post["id"] not in gone]
    text = (cli.workspace / "campaign.yaml").read_text("utf-8")
    start = text.index("  - id: p08-nouvelle-caledonie")
    (cli.workspace / "campaign.yaml").write_text(text[:start], "utf-8")
    assert len(kept) == 7
    summary = json.loads(cli("campaign", "load", "--json").stdout)
    assert summary["removed"] == ["p09-outre-mer", "p10-dire-non"]
    assert summary["archived"] == ["p08-nouvelle-caledonie"]
    statuses = {post["id"]: post["status"] for post in json.loads(cli("post", "list", "--json").stdout)}
    assert statuses["p08-nouvelle-caledonie"] == "archived"
    assert "p09-outre-mer" not in statuses


def test_two_person_approval(cli: Cli) -> None:
    assert cli("campaign", "load").exit_code == 0
    refused = cli("post", "approve", "p01-lancement", "--by", "camille (communication)")
    assert refused.exit_code == 1
    assert "someone else must approve it" in refused.stderr
    approved = cli("post", "approve", "p01-lancement", "--by", "Alex Martin")
    assert approved.exit_code == 0, approved.output
    again = cli("post", "approve", "p01-lancement", "--by", "Sam")
    assert again.exit_code == 0 and "approved by Alex Martin" in again.stdout  # the first approval stands
    post = next(p for p in json.loads(cli("post", "list", "--json").stdout) if p["id"] == "p01-lancement")
    assert post["status"] == "approved" and post["approved_by"] == "Alex Martin"
    assert datetime.fromisoformat(post["approved_at"]).tzinfo is not None


@pytest.mark.parametrize(
    "name",
    [
        "Camille\u200b (communication)",  # zero-width space
        "Camille\u2060 (communication)",  # word joiner
        "Camille\u00ad (communication)",  # soft hyphen
        "\u202eCamille (communication)",  # right-to-left override
        "Camille\ufe0f (communication)",  # variation selector
        "Camille\x1b (communication)",  # escape
    ],
    ids=["zwsp", "word-joiner", "soft-hyphen", "rlo", "variation-selector", "escape"],
)
def test_a_name_with_an_invisible_character_is_refused(cli: Cli, database_url: str, name: str) -> None:
    assert cli("campaign", "load").exit_code == 0
    result = cli("post", "approve", "p01-lancement", "--by", name)
    assert result.exit_code == 1, result.output
    assert "invisible character U+" in result.stderr and "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1
    assert counts(database_url)["Approval"] == 0


@pytest.mark.parametrize(
    "name",
    ["ＣＡＭＩＬＬＥ (communication)", "camille  (communication)", " Camille\u00a0(communication) "],
    ids=["fullwidth", "double-space", "no-break-space"],
)
def test_two_person_rule_compares_names_as_people_read_them(cli: Cli, name: str) -> None:
    assert cli("campaign", "load").exit_code == 0
    refused = cli("post", "approve", "p01-lancement", "--by", name)
    assert refused.exit_code == 1, refused.output
    assert "someone else must approve it" in refused.stderr


def test_an_author_with_an_invisible_character_cannot_pass_for_someone_else(cli: Cli) -> None:
    """The author side is normalised too: a hidden character in the file is refused by check."""
    cli.edit('author: "Camille (communication)"', 'author: "Camille\\u200b (communication)"')
    result = cli("campaign", "check")
    assert result.exit_code == 1
    assert "campaign.author: the name holds the invisible character U+200B ZERO WIDTH SPACE" in result.stdout


def test_author_may_approve_without_two_person_rule(cli: Cli) -> None:
    cli.edit("two_person: true", "two_person: false")
    assert cli("campaign", "load").exit_code == 0
    assert cli("post", "approve", "p01-lancement", "--by", "Camille (communication)").exit_code == 0


def test_approving_unknown_post_names_the_known_ones(cli: Cli) -> None:
    assert cli("campaign", "load").exit_code == 0
    result = cli("post", "approve", "p99", "--by", "Alex")
    assert result.exit_code == 1
    assert "no post 'p99'" in result.stderr and "p01-lancement" in result.stderr


def test_commands_before_load_say_what_to_do(cli: Cli) -> None:
    result = cli("post", "list")
    assert result.exit_code == 1
    assert "run `clickable campaign load` first" in result.stderr


def test_invalid_campaign_is_not_loaded(cli: Cli, database_url: str) -> None:
    assert cli("campaign", "load").exit_code == 0
    before = counts(database_url)
    cli.edit("timezone: Pacific/Noumea", "timezone: Pacific/Nowhere")
    result = cli("campaign", "load")
    assert result.exit_code == 1
    assert "unknown time zone 'Pacific/Nowhere'" in result.stderr
    assert counts(database_url) == before


def test_two_first_loads_at_once_on_a_new_database_both_succeed(cli: Cli, database_url: str) -> None:
    """The second load waits for the first and finds its rows (it died with an IntegrityError)."""
    import threading
    from datetime import UTC, datetime

    from sqlalchemy import event

    from campaign.checks import check_file
    from campaign.store import LoadSummary, load_campaign

    path = cli.workspace / "campaign.yaml"
    report = check_file(path, networks=registry())
    assert report.campaign is not None
    first, second = Database(database_url), Database(database_url)
    first.ensure_schema()
    second.ensure_schema()
    second_is_in = threading.Event()

    def lock_reached(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if "pg_advisory_xact_lock" in statement or "BEGIN IMMEDIATE" in statement:
            second_is_in.set()  # the second load is at its lock: it cannot read before the first commits

    def campaign_read(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if "FROM campaign" in statement:
            second_is_in.set()  # (without a lock) it has read that there is no campaign yet

    event.listen(second.engine, "before_cursor_execute", lock_reached)
    event.listen(second.engine, "after_cursor_execute", campaign_read)
    outcome: dict[str, object] = {}

    def load_second() -> None:
        try:
            with second.session() as session:
                outcome["summary"] = load_campaign(
                    session, report.campaign, source_path=path, source_text=report.source.text,  # type: ignore[arg-type]
                    lines={}, now=datetime.now(UTC),
                )  # fmt: skip
        except Exception as error:
            outcome["error"] = error

    try:
        with first.session() as session:
            load_campaign(
                session, report.campaign, source_path=path, source_text=report.source.text,
                lines={}, now=datetime.now(UTC),
            )  # fmt: skip
            thread = threading.Thread(target=load_second)
            thread.start()
            assert second_is_in.wait(timeout=60)
        thread.join(timeout=60)
        assert not thread.is_alive()
        assert "error" not in outcome, outcome.get("error")
        summary = outcome["summary"]
        assert isinstance(summary, LoadSummary)
        assert summary.created == [] and len(summary.unchanged) == len(report.campaign.posts)
    finally:
        first.dispose()
        second.dispose()
