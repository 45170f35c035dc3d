"""Shared fixtures: a temporary workspace and database per test, a CLI runner bound to them."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import quote

import pytest
import yaml
from sqlalchemy import create_engine, text
from typer.testing import CliRunner, Result

from campaign.example import write_example
from cli import app

POSTGRES_URL = os.environ.get("CLICKABLE_TEST_DATABASE_URL")


def _backends() -> list[object]:
    backends: list[object] = ["sqlite"]
    backends.append(
        pytest.param(
            "postgresql",
            marks=pytest.mark.skipif(
                not POSTGRES_URL, reason="set CLICKABLE_TEST_DATABASE_URL to run on PostgreSQL"
            ),
        )
    )
    return backends


@pytest.fixture(params=_backends())
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, or a new schema in the PostgreSQL test database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    assert POSTGRES_URL is not None
    schema = f"test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in POSTGRES_URL else "?"
    yield f"{POSTGRES_URL}{separator}options={quote(f'-csearch_path={schema}')}"
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A workspace holding the French example campaign, dated from today."""
    folder = tmp_path / "campaign"
    write_example(folder, today=date.today())
    return folder


@dataclass
class Cli:
    workspace: Path
    database_url: str
    runner: CliRunner

    def __call__(self, *args: str, input: str | None = None) -> Result:
        env = {"CLICKABLE_HOME": str(self.workspace), "CLICKABLE_DATABASE_URL": self.database_url}
        return self.runner.invoke(app, list(args), env=env, input=input)

    def edit(self, change: str, replacement: str) -> None:
        """Replace text in the workspace's campaign.yaml (exactly once)."""
        path = self.workspace / "campaign.yaml"
        content = path.read_text("utf-8")
        assert content.count(change) >= 1, change
        path.write_text(content.replace(change, replacement, 1), "utf-8")

    def campaign_data(self) -> dict[str, object]:
        return yaml.safe_load((self.workspace / "campaign.yaml").read_text("utf-8"))  # type: ignore[no-any-return]


@pytest.fixture
def cli(workspace: Path, database_url: str) -> Cli:
    return Cli(workspace, database_url, CliRunner())
