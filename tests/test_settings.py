"""Settings: workspace discovery and the default database."""

from __future__ import annotations

from pathlib import Path

import pytest

from campaign.errors import CampaignNotFound
from campaign.settings import Settings


def test_home_wins_and_database_defaults_to_the_workspace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CLICKABLE_DATABASE_URL", raising=False)
    monkeypatch.setenv("CLICKABLE_HOME", str(tmp_path))
    settings = Settings()
    assert settings.workspace() == tmp_path.resolve()
    assert settings.resolved_database_url() == f"sqlite:///{tmp_path.resolve() / 'clickable.db'}"


def test_database_url_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLICKABLE_DATABASE_URL", "postgresql+psycopg://clickable@/clickable")
    assert Settings().resolved_database_url() == "postgresql+psycopg://clickable@/clickable"


def test_workspace_is_found_in_a_parent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CLICKABLE_HOME", raising=False)
    (tmp_path / "campaign.yaml").write_text("campaign: {}\n", "utf-8")
    (tmp_path / "a" / "b").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "a" / "b")
    assert Settings().workspace() == tmp_path.resolve()


def test_no_workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CLICKABLE_HOME", raising=False)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(CampaignNotFound, match="clickable init"):
        Settings().workspace()
