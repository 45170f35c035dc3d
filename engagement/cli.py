"""Commands of the engagement room: `clickable landing serve`."""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from campaign.context import command_group, state
from campaign.errors import CampaignFileError, CannotListen
from campaign.i18n import _, format_day

if TYPE_CHECKING:
    from datetime import date

    from campaign.context import AppState
    from campaign.schema import TargetSpec
    from engagement.periods import Period
    from engagement.stats import Dataset

landing_app = command_group('The "report it" landing page.')


@landing_app.command("serve")
def serve_command(
    ctx: typer.Context,
    host: Annotated[
        str, typer.Option(help="Address to listen on (behind a reverse proxy: 127.0.0.1).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    workers: Annotated[
        int,
        typer.Option(min=1, help="Worker processes (each counts in memory and adds to the same daily rows)."),
    ] = 1,
) -> None:
    """Serve the landing page (uvicorn; no access log: visitors' addresses are never written)."""
    import uvicorn

    from campaign.checks import check_file
    from engagement.landing import LandingSite
    from engagement.serving import uvicorn_options

    app_state = state(ctx)
    report = check_file(app_state.settings.campaign_file(), networks=app_state.networks, now=app_state.now())
    if report.campaign is None:
        raise CampaignFileError(report.problems)
    database = app_state.database()
    database.ensure_schema()
    site = LandingSite(report.campaign, database, server_headers=True)
    unlinked: dict[tuple[str, str], list[str]] = {}
    for item in site.unlinked_numbers():
        unlinked.setdefault((item.channel, item.number), []).append(item.territory)
    for (channel, number), territories in unlinked.items():
        app_state.err_console.print(
            _(
                "warning: the text of channel '{channel}' shows {number} where no channel calls it "
                "({territories}): it has no link there; list that number's channel there, or take "
                "the number out of the text"
            ).format(channel=channel, number=number, territories=", ".join(territories)),
            markup=False,
            highlight=False,
        )
    _check_can_listen(host, port)
    app_state.console.print(_("Landing page on http://{host}:{port}/ — Ctrl-C to stop.").format(host=host, port=port))
    options = uvicorn_options(host, port)
    if workers == 1:
        uvicorn.run(site.app(), **options)
        return
    # Each worker process imports the app and builds it from the same settings.
    os.environ["CLICKABLE_HOME"] = str(app_state.settings.workspace())
    os.environ["CLICKABLE_DATABASE_URL"] = app_state.settings.resolved_database_url()
    uvicorn.run("engagement.landing:app_for_landing_serve", factory=True, workers=workers, **options)


def _check_can_listen(host: str, port: int) -> None:
    """A clear one-line error before uvicorn starts, rather than its log line and exit code 3."""
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
            probe.bind((host, port))
    except (OSError, OverflowError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        raise CannotListen(host, port, reason, "--port or --host") from None


stats_app = command_group("Metrics, exports and the HTML report.")


@stats_app.command("collect")
def collect_command(
    ctx: typer.Context,
    all_: Annotated[
        bool, typer.Option("--all", help="Every published delivery now, not only those at a milestone.")
    ] = False,
) -> None:
    """Store a metric snapshot for published deliveries (history is never overwritten)."""
    from engagement.collect import collect
    from networks.accounts import AccountRef, build_adapter
    from networks.base import Adapter
    from networks.credentials import CredentialStore

    app_state = state(ctx)
    store = CredentialStore(app_state.settings.workspace())
    adapters: dict[str, Adapter] = {}

    def provide(account: AccountRef) -> Adapter:
        if account.name not in adapters:
            adapters[account.name] = build_adapter(
                account, store=store, emulator_url=app_state.settings.emulator_url, registry=app_state.secrets
            )
        return adapters[account.name]

    with app_state.database().session() as session:
        summary = collect(session, provide, now=app_state.now(), milestones_only=not all_)
    app_state.console.print(
        _("{snapshots} snapshots stored ({missing} posts no longer on their network).").format(snapshots=summary.snapshots, missing=summary.missing)
    )
    for line in summary.retired:
        network, kind, name = line.split(" ", 2)
        app_state.err_console.print(
            _(
                "metric {name} ({network}, {kind}) refused by the network: retired, not asked again "
                "(`clickable doctor` lists retired metrics)"
            ).format(name=name, network=network, kind=kind)
        )
    for error in summary.errors:
        app_state.err_console.print(f"postponed: {error}")
    if summary.errors:
        raise typer.Exit(3)


SinceOption = Annotated[
    str | None,
    typer.Option(
        help="First day of the period: 2026-12-01, 01/12/2026, or a month (2026-12, 12/2026). "
        "Compared with the period of the same length just before.",
        show_default=False,
    ),
]
UntilOption = Annotated[
    str | None,
    typer.Option(
        help="Last day of the period, included (same forms; a month means its last day). Default: today.",
        show_default=False,
    ),
]
UtcOption = Annotated[
    bool,
    typer.Option(
        "--utc",
        help="Read the dates as UTC days (default: each territory's local days, as the landing page counts).",
    ),
]


@stats_app.command("export")
def export_command(
    ctx: typer.Context,
    format_: Annotated[str, typer.Option("--format", help="csv, xlsx or json.")] = "csv",
    by: Annotated[str, typer.Option(help="post, capsule, network, territory, day or target.")] = "post",
    out: Annotated[
        Path | None, typer.Option(help="File to write (default: standard output; required for xlsx).")
    ] = None,
    suppress_below: Annotated[
        int, typer.Option(help="Show counts below this number as '<N' (small territories).")
    ] = 0,
    since: SinceOption = None,
    until: UntilOption = None,
    utc: UtcOption = False,
) -> None:
    """Views, engagement, landing visits, channel clicks and their ratios, by one dimension.

    With --since, each row also holds the previous period's numbers (previous_*) and the change
    (change_*, 0.25 = +25 %). --by target: progress against the campaign file's targets.
    """
    from campaign.cli import _current_campaign_id
    from campaign.errors import ClickableError
    from campaign.store import get_campaign
    from engagement.periods import Period
    from engagement.stats import DIMENSIONS, Dataset, to_csv, to_json, to_xlsx

    app_state = state(ctx)
    if format_ not in ("csv", "xlsx", "json"):
        raise ClickableError(_("unknown format '{format}': use csv, xlsx or json").format(format=format_))
    if by not in (*DIMENSIONS, "target"):
        raise ClickableError(
            _("unknown dimension '{by}': use {known}").format(by=by, known=", ".join((*DIMENSIONS, "target")))
        )
    if format_ == "xlsx" and out is None:
        raise ClickableError(_("an xlsx export needs --out FILE"))
    period = Period.parse(since, until, utc=utc)
    with app_state.database().session() as session:
        campaign = get_campaign(session, _current_campaign_id(app_state))
        dataset = Dataset(session, campaign.id, utc=utc)
        if by == "target":
            data, count = _export_targets(app_state, dataset, period, format_, suppress_below)
        else:
            previous = period.previous(dataset.today(app_state.now()))
            if previous is not None:
                rows = dataset.compared_rows(by, period, previous)
                _say_period(app_state, period, previous, dataset.today(app_state.now()))
            else:
                rows = dataset.rows(by, period if period.bounded else None)
            compared = previous is not None
            if format_ == "xlsx":
                data = to_xlsx(rows, by, suppress_below, compared=compared)
            elif format_ == "csv":
                data = to_csv(rows, by, suppress_below, compared=compared).encode("utf-8")
            else:
                data = to_json(rows, by, suppress_below).encode("utf-8")
            count = len(rows)
    if out is None:
        typer.echo(data.decode("utf-8"), nl=False)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    app_state.console.print(_("Wrote {count} rows by {by} to {out}.").format(count=count, by=by, out=out))


def _say_period(app_state: AppState, period: Period, previous: Period, today: date) -> None:
    """One line on stderr (standard output stays the export): which days, compared with which."""
    assert period.since is not None and previous.since is not None and previous.until is not None
    app_state.err_console.print(
        _("Period {start} to {end} ({dates}), compared with {previous_start} to {previous_end}.").format(
            start=format_day(period.since),
            end=format_day(period.until or today),
            dates=_("UTC days") if period.utc else _("each territory's local days"),
            previous_start=format_day(previous.since),
            previous_end=format_day(previous.until),
        )
    )


def _campaign_targets(app_state: AppState) -> tuple[dict[str, TargetSpec], dict[str, str]]:
    """The targets and the channel names of the workspace's campaign file (its targets must check)."""
    from campaign.checks import check_file, target_problems

    report = check_file(app_state.settings.campaign_file(), networks=app_state.networks, now=app_state.now())
    problems = target_problems(report)
    if report.campaign is None or problems:
        raise CampaignFileError(problems)
    names = {key: channel.name for key, channel in report.campaign.landing.channels.items()}
    return report.campaign.targets, names


def _export_targets(
    app_state: AppState, dataset: Dataset, period: Period, format_: str, suppress_below: int
) -> tuple[bytes, int]:
    import csv
    import io
    import json

    from campaign.errors import ClickableError
    from engagement.targets import EXPORT_COLUMNS, evaluate

    targets, names = _campaign_targets(app_state)
    if not targets:
        raise ClickableError(
            _("{file} has no targets: add a 'targets:' section (see the README's analyst section)").format(
                file=app_state.settings.campaign_file()
            )
        )
    progress = evaluate(
        targets, dataset, dataset.daily(), now=app_state.now(), period=period, channel_names=names
    )
    rows = [item.as_dict(suppress_below) for item in progress]
    if format_ == "json":
        return json.dumps(rows, ensure_ascii=False, indent=2).encode("utf-8"), len(rows)
    if format_ == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=EXPORT_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
        return buffer.getvalue().encode("utf-8"), len(rows)
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("targets")
    sheet.append(list(EXPORT_COLUMNS))
    for row in rows:
        sheet.append([row[name] for name in EXPORT_COLUMNS])
    buffer_bytes = io.BytesIO()
    workbook.save(buffer_bytes)
    return buffer_bytes.getvalue(), len(rows)


@stats_app.command("report")
def report_command(
    ctx: typer.Context,
    out: Annotated[
        Path | None, typer.Option(help="File to write (default: report.html, or report.pdf with --pdf).")
    ] = None,
    suppress_below: Annotated[int, typer.Option(help="Show counts below this number as '<N'.")] = 0,
    since: SinceOption = None,
    until: UntilOption = None,
    utc: UtcOption = False,
    pdf: Annotated[bool, typer.Option("--pdf", help="Write an A4 PDF instead of the HTML page.")] = False,
) -> None:
    """A self-contained report (HTML, or PDF for a funder): summary, trends, targets, tables."""
    from campaign.checks import check_file, target_problems
    from campaign.cli import _current_campaign_id
    from campaign.store import get_campaign
    from engagement.periods import Period
    from engagement.report import build_report_model, render_html

    app_state = state(ctx)
    period = Period.parse(since, until, utc=utc)
    target = out or Path("report.pdf" if pdf else "report.html")
    checked = check_file(app_state.settings.campaign_file(), networks=app_state.networks, now=app_state.now())
    names = (
        {key: channel.name for key, channel in checked.campaign.landing.channels.items()}
        if checked.campaign
        else None
    )
    problems = target_problems(checked)
    targets = checked.campaign.targets if checked.campaign and not problems else None
    if problems:
        app_state.err_console.print(
            _("Targets left out of the report: {problem}").format(problem=problems[0])
        )
    with app_state.database().session() as session:
        campaign = get_campaign(session, _current_campaign_id(app_state))
        model = build_report_model(
            session,
            campaign,
            suppress_below=suppress_below,
            channel_names=names,
            period=period,
            targets=targets,
            now=app_state.now(),
        )
    if pdf:
        from engagement.pdf import render_pdf

        data = render_pdf(model)
    else:
        data = render_html(model).encode("utf-8")
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.part")
    temporary.write_bytes(data)
    temporary.replace(target)
    app_state.console.print(
        _("Wrote {out} ({size} KB, {period}).").format(out=target, size=len(data) // 1024, period=model.period)
    )


def preview_command(
    ctx: typer.Context,
    post_ids: Annotated[
        list[str] | None,
        typer.Argument(metavar="[ID]...", help="Posts to preview (default: every post not archived).", show_default=False),
    ] = None,
    out: Annotated[Path, typer.Option(help="HTML page to write.")] = Path("preview.html"),
) -> None:
    """Write one page showing each variant of each post as each network shows it (for approvers).

    The text exactly as published, with its tracked link as the network shows it and where the
    feed cuts it; the capsule's poster in the network's frame with the part its app covers; the
    length and its limit, the estimated cost, the approval state. Approving a post that changed
    since its preview is refused until it is previewed again.
    """
    from campaign.cli import _current_campaign_id
    from campaign.store import get_campaign
    from engagement.preview import posts_to_preview, write_preview

    app_state = state(ctx)
    with app_state.database().session() as session:
        campaign = get_campaign(session, _current_campaign_id(app_state))
        posts = posts_to_preview(session, campaign, post_ids or [])
        previews = write_preview(session, campaign, posts, app_state.networks, out, now=app_state.now())
    variants = sum(len(item.variants) for item in previews)
    app_state.console.print(
        _("Wrote {out}: {posts} posts, {variants} variants as each network shows them. Open it, then approve.").format(
            out=out, posts=len(previews), variants=variants
        )
    )
