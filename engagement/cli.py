"""Commands of the engagement room: `clickable landing serve`."""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Annotated

import typer

from campaign.context import command_group, state
from campaign.errors import CampaignFileError, CannotListen
from campaign.i18n import _

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
    report = check_file(app_state.settings.campaign_file(), now=app_state.now())
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
    app_state.console.print(f"Landing page on http://{host}:{port}/ — Ctrl-C to stop.")
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
    from networks.accounts import AccountRef, build_adapter
    from networks.base import Adapter
    from networks.collect import collect
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
        f"{summary.snapshots} snapshots stored ({summary.missing} posts no longer on their network)."
    )
    for error in summary.errors:
        app_state.err_console.print(f"postponed: {error}")
    if summary.errors:
        raise typer.Exit(3)


@stats_app.command("export")
def export_command(
    ctx: typer.Context,
    format_: Annotated[str, typer.Option("--format", help="csv, xlsx or json.")] = "csv",
    by: Annotated[str, typer.Option(help="post, capsule, network, territory or day.")] = "post",
    out: Annotated[
        Path | None, typer.Option(help="File to write (default: standard output; required for xlsx).")
    ] = None,
    suppress_below: Annotated[
        int, typer.Option(help="Show counts below this number as '<N' (small territories).")
    ] = 0,
) -> None:
    """Views, engagement, landing visits, channel clicks and their ratios, by one dimension."""
    from campaign.cli import _current_campaign_id
    from campaign.errors import ClickableError
    from campaign.store import get_campaign
    from engagement.stats import DIMENSIONS, aggregate, to_csv, to_json, to_xlsx

    app_state = state(ctx)
    if format_ not in ("csv", "xlsx", "json"):
        raise ClickableError(f"unknown format '{format_}': use csv, xlsx or json")
    if by not in DIMENSIONS:
        raise ClickableError(f"unknown dimension '{by}': use {', '.join(DIMENSIONS)}")
    if format_ == "xlsx" and out is None:
        raise ClickableError("an xlsx export needs --out FILE")
    with app_state.database().session() as session:
        campaign = get_campaign(session, _current_campaign_id(app_state))
        rows = aggregate(session, campaign.id, by)
    if format_ == "xlsx":
        data: bytes = to_xlsx(rows, by, suppress_below)
    else:
        data = (to_csv if format_ == "csv" else to_json)(rows, by, suppress_below).encode("utf-8")
    if out is None:
        typer.echo(data.decode("utf-8"), nl=False)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    app_state.console.print(f"Wrote {len(rows)} rows by {by} to {out}.")


@stats_app.command("report")
def report_command(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option(help="HTML file to write.")] = Path("report.html"),
    suppress_below: Annotated[int, typer.Option(help="Show counts below this number as '<N'.")] = 0,
) -> None:
    """A self-contained HTML report with charts and a plain-language summary."""
    from campaign.checks import check_file
    from campaign.cli import _current_campaign_id
    from campaign.store import get_campaign
    from engagement.report import build_report

    app_state = state(ctx)
    with app_state.database().session() as session:
        campaign = get_campaign(session, _current_campaign_id(app_state))
        report = check_file(app_state.settings.campaign_file(), now=app_state.now())
        names = (
            {key: channel.name for key, channel in report.campaign.landing.channels.items()}
            if report.campaign
            else None
        )
        html = build_report(session, campaign, suppress_below=suppress_below, channel_names=names)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html, "utf-8")
    app_state.console.print(f"Wrote {out} ({len(html) / 1024:.0f} KB).")
