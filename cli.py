"""The `clickable` command: mounts one sub-app per room and turns domain errors into exit codes."""

from __future__ import annotations

import gc
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from typer._click.exceptions import ClickException
from typer.core import TyperGroup
from typer.exceptions import Abort

from campaign import cli as campaign_cli
from campaign import clitext
from campaign.context import AppState
from campaign.errors import ClickableError
from campaign.i18n import _
from capsules import cli as capsules_cli
from demo import cli as demo_cli
from engagement import cli as engagement_cli
from networks import cli as networks_cli
from networks.registry import registry
from schedules import cli as schedules_cli


class ClickableGroup(TyperGroup):
    """The root group: the one error boundary, and where the interface's words are translated.

    A ClickableError becomes one red line on stderr and its exit code; Click's usage errors are
    shown in the interface language with their exit code (2).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        clitext.install()
        clitext.translate_command_tree(self)

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, windows_expand_args, **extra)
        try:
            result = super().main(args, prog_name, complete_var, False, windows_expand_args, **extra)
        except ClickException as error:
            clitext.show_click_error(error)
            sys.exit(error.exit_code)
        except Abort:
            typer.echo(_("Aborted!"), err=True)
            sys.exit(1)
        sys.exit(result if isinstance(result, int) else 0)

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except ClickableError as error:
            from rich.text import Text

            from campaign.console import SafeConsole
            from campaign.logs import redact

            SafeConsole(stderr=True).print(Text(_("error: "), style="bold red") + Text(redact(str(error))))
            raise SystemExit(error.exit_code) from None


app = typer.Typer(
    name="clickable",
    cls=ClickableGroup,
    help="Click@ble campaign tool: capsules, scheduled posts, landing page and statistics.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # see campaign.context.command_group
    context_settings={"max_content_width": 120},  # wide terminals show whole help lines
    add_completion=True,
)


@app.callback()
def root(
    ctx: typer.Context,
    home: Annotated[
        Path | None,
        typer.Option(
            "--home",
            envvar="CLICKABLE_HOME",
            help="Workspace folder holding campaign.yaml (default: this folder or its nearest parent with one).",
        ),
    ] = None,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Log what happens (secrets are masked).")
    ] = False,
) -> None:
    """Click@ble campaign tool."""
    state = AppState(home=home, networks=registry())  # entry points are read on first use
    ctx.obj = state
    ctx.call_on_close(state.close)
    # warnings always reach stderr through the redacting handler (never Python's bare last resort)
    from campaign.logs import configure_logging

    handler = configure_logging(state.secrets, level=logging.DEBUG if verbose else logging.WARNING)
    ctx.call_on_close(lambda: logging.getLogger().removeHandler(handler))


app.command("init")(campaign_cli.init_command)
app.add_typer(campaign_cli.app, name="campaign")
app.add_typer(campaign_cli.post_app, name="post")
app.add_typer(campaign_cli.db_app, name="db")
app.add_typer(capsules_cli.app, name="capsule")
app.add_typer(networks_cli.accounts_app, name="accounts")
app.add_typer(networks_cli.emulator_app, name="emulator")
app.add_typer(schedules_cli.schedule_app, name="schedule")
app.add_typer(schedules_cli.delivery_app, name="delivery")
campaign_cli.post_app.command("publish")(schedules_cli.publish_command)
campaign_cli.post_app.command("preview")(engagement_cli.preview_command)
app.command("doctor")(schedules_cli.doctor_command)
app.add_typer(engagement_cli.landing_app, name="landing")
app.add_typer(engagement_cli.stats_app, name="stats")
app.command("demo")(demo_cli.demo_command)


def main() -> None:
    try:
        app(prog_name="clickable")
    finally:
        # the command is over: the interpreter's last garbage collections would walk every object a
        # long command made (1.3 s after the demo's 380,000); freed memory goes back to the system anyway
        gc.freeze()
