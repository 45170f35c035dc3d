"""What every command needs: the settings (built once), the database (opened lazily), consoles."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import typer
from rich.console import Console

from campaign.db import Database
from campaign.logs import SecretRegistry
from campaign.settings import Settings


@dataclass
class AppState:
    settings: Settings
    console: Console = field(default_factory=lambda: Console(highlight=False, soft_wrap=True))
    err_console: Console = field(
        default_factory=lambda: Console(stderr=True, highlight=False, soft_wrap=True)
    )
    secrets: SecretRegistry = field(default_factory=SecretRegistry)
    _database: Database | None = None

    def database(self) -> Database:
        if self._database is None:
            self._database = Database(self.settings.resolved_database_url())
        return self._database

    def close(self) -> None:
        if self._database is not None:
            self._database.dispose()
            self._database = None

    @staticmethod
    def now() -> datetime:
        return datetime.now(UTC)


def state(ctx: typer.Context) -> AppState:
    """The AppState the root callback created (a default one when a sub-app runs alone)."""
    root = ctx.find_root()
    if not isinstance(root.obj, AppState):
        root.obj = AppState(Settings())
        root.call_on_close(root.obj.close)
    return root.obj


def print_json(value: Any) -> None:
    """JSON on stdout for scripts: UTF-8, stable key order, datetimes as ISO 8601."""
    typer.echo(json.dumps(value, ensure_ascii=False, indent=2, default=_json_default))


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__}")
