"""Commands of the campaign room: init, campaign check/load/show, post list/show/approve, db upgrade."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from campaign.context import AppState, command_group, echo, print_json, state
from campaign.errors import CampaignFileError, ClickableError
from campaign.i18n import _

# Heavy modules (the checks, the database, Rich) are imported inside the commands that use them:
# `clickable --help` and every other command must not pay for them (tests/test_startup.py).

app = command_group("Check, load and inspect the campaign file.")
post_app = command_group("List, inspect and approve posts.")
db_app = command_group("Database schema.")

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts instead of a table.")]
FileArgument = Annotated[
    Path | None,
    typer.Argument(help="Campaign file (default: campaign.yaml in the workspace).", show_default=False),
]


def _campaign_file(app_state: AppState, file: Path | None) -> Path:
    return file if file is not None else app_state.settings.campaign_file()


def _current_campaign_id(app_state: AppState) -> str | None:
    """The id written in the workspace's campaign file, when it can be read.

    Only ``campaign.id`` is read (no full check): the commands that need it work on what is loaded.
    """
    import yaml

    from campaign.yamlsource import read_bounded_text

    try:
        text = read_bounded_text(app_state.settings.campaign_file())
        document = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    # the safe constructor raises ValueError and the like on values such as a 13th month
    except (ClickableError, OSError, UnicodeError, yaml.YAMLError, ValueError, TypeError, OverflowError, RecursionError):
        return None
    campaign = document.get("campaign") if isinstance(document, dict) else None
    value = campaign.get("id") if isinstance(campaign, dict) else None
    return value if isinstance(value, str) else None


def init_command(
    ctx: typer.Context,
    folder: Annotated[Path, typer.Argument(help="Folder to create the campaign in.")],
) -> None:
    """Create a campaign folder from the French Click@ble example."""
    from campaign.example import write_example
    from campaign.settings import CAMPAIGN_FILE_NAME

    app_state = state(ctx)
    written = write_example(folder, today=date.today())
    app_state.console.print(f"Created {len(written)} files in {folder}:")
    for path in written:
        app_state.console.print(f"  {path}")
    app_state.console.print(
        f"Next: edit {folder / CAMPAIGN_FILE_NAME}, then run `clickable campaign check` and "
        "`clickable campaign load` in that folder."
    )


@app.command("check")
def check_command(ctx: typer.Context, file: FileArgument = None, as_json: JsonOption = False) -> None:
    """Check the campaign file: structure, references, times, and each network's text limits."""
    from campaign.checks import check_file

    app_state = state(ctx)
    path = _campaign_file(app_state, file)
    report = check_file(path, networks=app_state.networks, now=app_state.now())
    if as_json:
        print_json(report.as_dict())
    else:
        for problem in report.problems:
            echo(str(problem))
        for note in report.notes:
            app_state.err_console.print(
                _("{where}: note: {message}").format(where=f"{note.file}:{note.line}", message=note.message),
                markup=False,
                highlight=False,
            )
        if report.ok:
            over = sum(1 for variant in report.variants if not variant.ok)
            app_state.console.print(
                f"{path}: ok — {len(report.campaign.posts) if report.campaign else 0} posts, "
                f"{len(report.variants)} variants within their limits" + (f" ({over} over)" if over else "")
            )
        else:
            count = len(report.problems)
            app_state.err_console.print(f"{path}: {count} problem{'s' if count > 1 else ''}")
    if not report.ok:
        raise typer.Exit(1)


@app.command("load")
def load_command(ctx: typer.Context, file: FileArgument = None, as_json: JsonOption = False) -> None:
    """Store the campaign in the database (idempotent; all or nothing)."""
    from campaign.checks import check_file
    from campaign.store import load_campaign

    app_state = state(ctx)
    path = _campaign_file(app_state, file)
    report = check_file(path, networks=app_state.networks, now=app_state.now())
    if not report.ok or report.campaign is None:
        raise CampaignFileError(report.problems)
    lines = {
        post.id: report.source.position(("posts", index)).line
        for index, post in enumerate(report.campaign.posts)
    }
    campaign, text = report.campaign, report.source.text  # the text checked, not a second read
    del report  # the positions and lengths of every value: not needed to store (a third of the memory)
    database = app_state.database()
    with database.session() as session:
        summary = load_campaign(
            session, campaign, source_path=path.resolve(), source_text=text, lines=lines, now=app_state.now()
        )
    if as_json:
        print_json(summary.as_dict())
        return
    console = app_state.console
    console.print(
        f"Loaded campaign {summary.campaign_id}: {len(summary.created)} new, {len(summary.updated)} changed, "
        f"{len(summary.unchanged)} unchanged, {len(summary.removed)} removed, {len(summary.archived)} archived posts; "
        f"{summary.links_created} new tracked links."
    )
    if summary.approvals_withdrawn:
        console.print(
            f"Approval withdrawn (content changed): {', '.join(summary.approvals_withdrawn)} — "
            "run `clickable post approve ID --by NAME` again."
        )


@app.command("show")
def show_command(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Show the loaded campaign: territories, accounts, posts by status."""
    from rich.table import Table
    from rich.text import Text
    from sqlmodel import func, select

    from campaign.models import Account, Link, Post, Territory
    from campaign.store import get_campaign

    app_state = state(ctx)
    campaign_id = _current_campaign_id(app_state)
    with app_state.database().session() as session:
        campaign = get_campaign(session, campaign_id)
        territories = session.exec(select(Territory).where(Territory.campaign_id == campaign.id)).all()
        accounts = session.exec(select(Account).where(Account.campaign_id == campaign.id)).all()
        statuses = dict(
            session.exec(
                select(Post.status, func.count()).where(Post.campaign_id == campaign.id).group_by(Post.status)
            ).all()
        )
        links = session.exec(
            select(func.count()).select_from(Link).where(Link.campaign_id == campaign.id)
        ).one()
    data = {
        "id": campaign.id,
        "name": campaign.name,
        "language": campaign.language,
        "file": campaign.source_path,
        "loaded_at": campaign.loaded_at,
        "approval": {"required": campaign.approval_required, "two_person": campaign.two_person},
        "landing": campaign.landing_base_url,
        "territories": [{"key": row.key, "name": row.name, "timezone": row.timezone} for row in territories],
        "accounts": [{"name": row.name, "network": row.network, "sandbox": row.sandbox} for row in accounts],
        "posts": statuses,
        "tracked_links": links,
    }
    if as_json:
        print_json(data)
        return
    console = app_state.console
    console.print(Text(f"{campaign.name} ({campaign.id})", style="bold"))
    console.print(f"File: {campaign.source_path} — loaded {campaign.loaded_at:%Y-%m-%d %H:%M} UTC")
    approval = (
        "two-person"
        if campaign.two_person
        else ("required" if campaign.approval_required else "not required")
    )
    console.print(f"Approval: {approval} — landing page: {campaign.landing_base_url}")
    table = Table("territory", "name", "time zone", title="Territories")
    for row in territories:
        table.add_row(row.key, row.name, row.timezone)
    console.print(table)
    table = Table("account", "network", "mode", title="Accounts")
    for account in accounts:
        table.add_row(account.name, account.network, "sandbox (emulator)" if account.sandbox else "live")
    console.print(table)
    console.print(
        "Posts: "
        + (", ".join(f"{count} {status}" for status, count in sorted(statuses.items())) or "none")
        + f" — {links} tracked links"
    )


@post_app.command("list")
def post_list_command(
    ctx: typer.Context,
    as_json: JsonOption = False,
    status: Annotated[
        str | None, typer.Option(help="Only posts in this status (draft, approved, archived).")
    ] = None,
) -> None:
    """List the posts of the loaded campaign."""
    from rich.table import Table

    from campaign.store import get_campaign, list_posts

    app_state = state(ctx)
    campaign_id = _current_campaign_id(app_state)
    with app_state.database().session() as session:
        campaign = get_campaign(session, campaign_id)
        posts = [post for post in list_posts(session, campaign.id) if status is None or post.status == status]
    if as_json:
        print_json([{"id": post.key, **post.model_dump(mode="json", exclude={"key"})} for post in posts])
        return
    table = Table("id", "status", "accounts", "territories", "at (local)", "capsule", "approved by")
    for post in posts:
        table.add_row(
            post.key,
            post.status,
            ", ".join(post.accounts),
            ", ".join(post.territories),
            post.at_local or "next free slot",
            post.capsule_key or "",
            post.approved_by or "",
        )
    app_state.console.print(table)


@post_app.command("show")
def post_show_command(
    ctx: typer.Context,
    post_id: Annotated[str, typer.Argument(metavar="ID", help="Post id from the campaign file.")],
    as_json: JsonOption = False,
) -> None:
    """Show each variant of a post exactly as it will be published, with its length and limit."""
    from rich.text import Text

    from campaign.store import get_campaign, get_post, list_posts, render_post

    app_state = state(ctx)
    campaign_id = _current_campaign_id(app_state)
    with app_state.database().session() as session:
        campaign = get_campaign(session, campaign_id)
        post = get_post(session, campaign.id, post_id)
        rendered = render_post(session, campaign, post, networks=app_state.networks)
        approvals = [item for item in list_posts(session, campaign.id) if item.key == post.key]
    approval = approvals[0] if approvals else None
    if as_json:
        print_json(
            {
                "id": post.key,
                "status": post.status,
                "author": post.author,
                "at": post.at_local,
                "capsule": post.capsule_key,
                "approved_by": approval.approved_by if approval else None,
                "approved_at": approval.approved_at if approval else None,
                "variants": [item.as_dict() for item in rendered],
            }
        )
        return
    console = app_state.console
    console.print(Text(f"Post {post.key} — {post.status}", style="bold"))
    if approval and approval.approved_by:
        console.print(f"Approved by {approval.approved_by} on {approval.approved_at:%Y-%m-%d %H:%M} UTC")
    console.print(
        f"Author: {post.author or 'unknown'} — at: {post.at_local or 'next free slot'} (local time of each territory)"
    )
    for item in rendered:
        verdict = "ok" if item.length.ok else "OVER THE LIMIT"
        console.print(
            Text(
                f"\n{item.network} · {item.account} · {item.territory} — {item.length.length}/{item.length.limit} {verdict}",
                style="bold" if item.length.ok else "bold red",
            )
        )
        console.print(Text(item.text))


@post_app.command("approve")
def post_approve_command(
    ctx: typer.Context,
    post_id: Annotated[str, typer.Argument(metavar="ID", help="Post id from the campaign file.")],
    by: Annotated[
        str, typer.Option("--by", help="Name of the person approving.", envvar="CLICKABLE_APPROVER")
    ],
) -> None:
    """Approve a post so that it can be planned and published.

    When the post was previewed (`clickable post preview`), the approval records what the preview
    showed, and a post that changed since its preview is refused until it is previewed again.
    """
    from campaign.store import approve_post, get_campaign

    app_state = state(ctx)
    campaign_id = _current_campaign_id(app_state)
    with app_state.database().session() as session:
        campaign = get_campaign(session, campaign_id)
        approval = approve_post(session, campaign, post_id, by=by, now=app_state.now())
    app_state.console.print(
        f"Post {post_id} approved by {approval.approved_by} at {approval.approved_at:%Y-%m-%d %H:%M} UTC."
    )
    if approval.preview_hash is None:
        app_state.console.print(
            _("Not previewed: `clickable post preview {post}` shows it as each network will.").format(post=post_id)
        )


@db_app.command("upgrade")
def db_upgrade_command(ctx: typer.Context) -> None:
    """Apply pending schema migrations (also done automatically on first use)."""
    from campaign.db import head_revision, upgrade

    app_state = state(ctx)
    before, after = upgrade(app_state.database().engine)
    if before == after:
        app_state.console.print(f"Database schema is up to date (revision {after}).")
    else:
        app_state.console.print(
            f"Database schema upgraded from {before or 'empty'} to {after} (head {head_revision()})."
        )


__all__ = ["app", "db_app", "init_command", "post_app"]
