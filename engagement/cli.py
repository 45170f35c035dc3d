"""Commands of the engagement room: `clickable landing serve`."""

from __future__ import annotations

from typing import Annotated

import typer

from campaign.checks import check_file
from campaign.context import state
from campaign.errors import CampaignFileError

landing_app = typer.Typer(help='The "report it" landing page.', no_args_is_help=True)


@landing_app.command("serve")
def serve_command(
    ctx: typer.Context,
    host: Annotated[
        str, typer.Option(help="Address to listen on (behind a reverse proxy: 127.0.0.1).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
) -> None:
    """Serve the landing page (uvicorn; no access log: visitors' addresses are never written)."""
    import uvicorn

    from engagement.landing import LandingSite

    app_state = state(ctx)
    report = check_file(app_state.settings.campaign_file(), now=app_state.now())
    if report.campaign is None:
        raise CampaignFileError(report.problems)
    database = app_state.database()
    database.ensure_schema()
    site = LandingSite(report.campaign, database)
    app_state.console.print(f"Landing page on http://{host}:{port}/ — Ctrl-C to stop.")
    uvicorn.run(
        site.app(),
        host=host,
        port=port,
        access_log=False,
        server_header=False,
        date_header=False,
        log_level="warning",
    )
