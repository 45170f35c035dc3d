"""Commands of the campaign room: init, campaign check/load/show, post list/show/approve, db upgrade."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from campaign.context import AppState, command_group, echo, print_json, state
from campaign.errors import CampaignFileError, ClickableError
from campaign.i18n import _, format_utc, ngettext, state_label

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
    app_state.console.print(_("Created {count} files in {folder}:").format(count=len(written), folder=folder))
    for path in written:
        app_state.console.print(f"  {path}")
    app_state.console.print(
        _("Next: edit {file}, then run `clickable campaign check` and `clickable campaign load` in that folder.").format(file=folder / CAMPAIGN_FILE_NAME)
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
                _("{path}: ok — {posts} posts, {variants} variants within their limits").format(
                    path=path, posts=len(report.campaign.posts) if report.campaign else 0, variants=len(report.variants)
                )
                + (_(" ({over} over)").format(over=over) if over else "")
            )
        else:
            count = len(report.problems)
            app_state.err_console.print(
                ngettext("{path}: {count} problem", "{path}: {count} problems", count).format(path=path, count=count)
            )
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
        _(
            "Loaded campaign {campaign_id}: {created} new, {updated} changed, {unchanged} unchanged, "
            "{removed} removed, {archived} archived posts; {links_created} new tracked links."
        ).format(
            campaign_id=summary.campaign_id,
            created=len(summary.created),
            updated=len(summary.updated),
            unchanged=len(summary.unchanged),
            removed=len(summary.removed),
            archived=len(summary.archived),
            links_created=summary.links_created,
        )
    )
    if summary.approvals_withdrawn:
        console.print(
            _("Approval withdrawn (content changed): {approvals_withdrawn} — run `clickable post approve ID --by NAME` again.").format(approvals_withdrawn=', '.join(summary.approvals_withdrawn))
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
    console.print(_("File: {source_path} — loaded {loaded_at} UTC").format(source_path=campaign.source_path, loaded_at=format_utc(campaign.loaded_at)))
    approval = (
        "two-person"
        if campaign.two_person
        else ("required" if campaign.approval_required else "not required")
    )
    console.print(_("Approval: {approval} — landing page: {landing_base_url}").format(approval=approval, landing_base_url=campaign.landing_base_url))
    table = Table(_("territory"), _("name"), _("time zone"), title=_("Territories"))
    for row in territories:
        table.add_row(row.key, row.name, row.timezone)
    console.print(table)
    table = Table(_("account"), _("network"), _("mode"), title=_("Accounts"))
    for account in accounts:
        table.add_row(account.name, account.network, _("sandbox (emulator)") if account.sandbox else _("live"))
    console.print(table)
    console.print(
        _("Posts: ")
        + (", ".join(f"{count} {state_label(status)}" for status, count in sorted(statuses.items())) or _("none"))
        + _(" — {links} tracked links").format(links=links)
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
    table = Table(_("id"), _("status"), _("accounts"), _("territories"), _("at (local)"), _("capsule"), _("approved by"))
    for post in posts:
        table.add_row(
            post.key,
            state_label(post.status),
            ", ".join(post.accounts),
            ", ".join(post.territories),
            post.at_local or _("next free slot"),
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

    from campaign.costs import describe, estimate, prices_for, total
    from campaign.i18n import format_dollars
    from campaign.store import get_campaign, get_post, list_posts, render_post

    app_state = state(ctx)
    campaign_id = _current_campaign_id(app_state)
    with app_state.database().session() as session:
        campaign = get_campaign(session, campaign_id)
        post = get_post(session, campaign.id, post_id)
        rendered = render_post(session, campaign, post, networks=app_state.networks)
        approvals = [item for item in list_posts(session, campaign.id) if item.key == post.key]
    approval = approvals[0] if approvals else None
    networks = app_state.networks
    costs = [
        estimate(prices_for(networks[item.network], campaign.schedule), item.network, item.text)
        if item.network in networks
        else None
        for item in rendered
    ]
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
                "variants": [
                    {**item.as_dict(), "estimated_cost_usd": round(cost.amount, 4) if cost else None}
                    for item, cost in zip(rendered, costs, strict=True)
                ],
            }
        )
        return
    console = app_state.console
    console.print(Text(_("Post {key} — {status}").format(key=post.key, status=state_label(post.status)), style="bold"))
    if approval and approval.approved_by:
        console.print(_("Approved by {approved_by} on {approved_at} UTC").format(approved_by=approval.approved_by, approved_at=format_utc(approval.approved_at) if approval.approved_at else "?"))
    console.print(
        _("Author: {author} — at: {at_local} (local time of each territory)").format(author=post.author or _('unknown'), at_local=post.at_local or _('next free slot'))
    )
    for item, cost in zip(rendered, costs, strict=True):
        verdict = "ok" if item.length.ok else _("OVER THE LIMIT")
        console.print(
            Text(
                _("\n{network} · {account} · {territory} — {length}/{limit} {verdict}").format(network=item.network, account=item.account, territory=item.territory, length=item.length.length, limit=item.length.limit, verdict=verdict),
                style="bold" if item.length.ok else "bold red",
            )
        )
        console.print(Text(item.text))
        if cost is not None:
            console.print(
                _("Estimated cost: {amount} ({kind}, then {reads} metric reads)").format(
                    amount=format_dollars(cost.amount),
                    kind=_("a post with a link") if cost.posts_with_url else _("a post without a link"),
                    reads=cost.reads,
                )
            )
    for line in total(costs).values():
        console.print()
        console.print(_("Estimated cost of this post, {line}").format(line=describe(line)))


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
        _("Post {post_id} approved by {approved_by} at {approved_at} UTC.").format(post_id=post_id, approved_by=approval.approved_by, approved_at=format_utc(approval.approved_at))
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
        app_state.console.print(_("Database schema is up to date (revision {after}).").format(after=after))
    else:
        app_state.console.print(
            _("Database schema upgraded from {before} to {after} (head {head_revision}).").format(before=before or _('empty'), after=after, head_revision=head_revision())
        )


__all__ = ["app", "db_app", "init_command", "post_app"]
