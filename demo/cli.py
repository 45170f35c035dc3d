"""`clickable demo`: the newcomer's first command."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from campaign.context import state
from campaign.i18n import _, format_number


def demo_command(
    ctx: typer.Context,
    folder: Annotated[Path, typer.Option("--dir", help="Folder to create the demo campaign in.")] = Path(
        "clickable-demo"
    ),
    keep_running: Annotated[
        bool, typer.Option("--keep-running", help="Keep the landing page up, to open it in a browser.")
    ] = False,
) -> None:
    """Run the whole campaign chain on this machine, with no credentials: capsule, posts, landing page, report."""
    from demo.run import DemoResult, run_demo

    app_state = state(ctx)
    console = app_state.console
    started = time.perf_counter()

    def wait(result: DemoResult) -> None:
        console.print(_("Landing page on {landing_url}/ — Ctrl-C to stop.").format(landing_url=result.landing_url))
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass

    result = run_demo(
        folder.resolve(),
        say=lambda message: console.print(message),
        keep_running=wait if keep_running else None,
    )
    elapsed = time.perf_counter() - started
    console.print(_("\nDemo finished in {elapsed:.0f} s.").format(elapsed=elapsed))
    published = ", ".join(f"{network} {format_number(count)}" for network, count in sorted(result.published.items()))
    console.print(
        _("Published on the emulator: {total} ({published}); failed: {failed}").format(total=format_number(sum(result.published.values())), published=published, failed=format_number(result.failed))
    )
    if result.drafts:
        console.print(
            _("Sent as drafts to the creator's inbox (not public until finished in the app): {drafts}").format(
                drafts=", ".join(f"{network} {count}" for network, count in sorted(result.drafts.items()))
            )
        )
    if result.private:
        console.print(
            _("Online as private videos (the project is not audited): {counts}").format(
                counts=", ".join(f"{network} {count}" for network, count in sorted(result.private.items()))
            )
        )
    console.print(_("Landing page visits: {visits}").format(visits=format_number(result.visits)))
    console.print(
        _("Reporting channel clicks: ")
        + (", ".join(f"{channel} {format_number(count)}" for channel, count in result.clicks.items()) or _("none"))
    )
    for name, path in result.files.items():
        console.print(f"  {name}: {path}")
    console.print(_("Open the report: {path}").format(path=result.files['report.html']))
