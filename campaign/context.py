"""What every command needs: the settings (built once), the database (opened lazily), consoles."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from campaign.characters import printable
from campaign.logs import SECRETS, SecretRegistry

if TYPE_CHECKING:
    from rich.console import Console

    from campaign.db import Database
    from campaign.rules import Networks
    from campaign.settings import Settings


class AppState:
    """Built by the root callback; settings, consoles and the database are made on first use.

    Nothing here is built at start-up: ``clickable --help`` and a command that needs no database
    import neither pydantic-settings, nor Rich, nor SQLAlchemy.
    """

    def __init__(
        self, settings: Settings | None = None, *, home: Path | None = None, networks: Networks | None = None
    ) -> None:
        if settings is not None:
            self.settings = settings
        self._home = home
        self._networks = networks
        self.secrets: SecretRegistry = SECRETS  # the process's one registry (campaign.logs)
        self._database: Database | None = None

    @cached_property
    def settings(self) -> Settings:
        from campaign.settings import Settings

        return (
            Settings.from_environment(home=self._home)
            if self._home is not None
            else Settings.from_environment()
        )

    @property
    def networks(self) -> Networks:
        """The registered networks (the root cli.py passes networks' registry, read on first use)."""
        if self._networks is None:
            raise RuntimeError("the root cli.py gives AppState the registered networks")
        return self._networks

    @cached_property
    def console(self) -> Console:
        from campaign.console import SafeConsole

        return SafeConsole()

    @cached_property
    def err_console(self) -> Console:
        from campaign.console import SafeConsole

        return SafeConsole(stderr=True)

    def database(self) -> Database:
        if self._database is None:
            from campaign.db import Database

            self._database = Database(self.settings.resolved_database_url())
        return self._database

    def close(self) -> None:
        if self._database is not None:
            self._database.dispose()
            self._database = None

    @staticmethod
    def now() -> datetime:
        return datetime.now(UTC)


def command_group(help: str, **options: Any) -> typer.Typer:
    """A group of commands, as every room declares its own.

    Help is Click's plain layout, not Typer's Rich panels: importing Typer's Rich help (Rich's
    Markdown, Syntax and Traceback) costs more than the whole start-up budget of `--help`
    (benchmarks/startup.py), and Click's words are translated with the rest (campaign/i18n.py).
    """
    return typer.Typer(help=help, no_args_is_help=True, rich_markup_mode=None, **options)


def state(ctx: typer.Context) -> AppState:
    """The AppState the root callback created (a default one when a sub-app runs alone)."""
    root = ctx.find_root()
    if not isinstance(root.obj, AppState):
        root.obj = AppState()
        root.call_on_close(root.obj.close)
    return root.obj


def echo(text: str, *, err: bool = False) -> None:
    """Plain output (a line, no Rich), escaped like SafeConsole's (see campaign/console.py)."""
    typer.echo(printable(text), err=err)


def print_json(value: Any) -> None:
    """JSON on stdout for scripts: UTF-8, stable key order, datetimes as ISO 8601.

    Control, bidirectional and invisible characters are written as JSON escapes (``\\u001b``):
    the data decoded is the same, and a terminal shows them instead of acting on them.
    """
    text = json.dumps(value, ensure_ascii=False, indent=2, default=_json_default)
    typer.echo(printable(SECRETS.scrub(text), json=True))  # no secret known to the process


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__}")
