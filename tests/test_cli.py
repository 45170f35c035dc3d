"""The `clickable` command as a user runs it: init, check, load, show, approve, db upgrade."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from campaign.db import head_revision
from cli import app

from .conftest import Cli


def test_init_creates_a_valid_french_example(tmp_path: Path) -> None:
    runner = CliRunner()
    target = tmp_path / "click2026"
    result = runner.invoke(app, ["init", str(target)])
    assert result.exit_code == 0, result.output
    assert (target / "campaign.yaml").is_file()
    assert sorted(path.name for path in (target / "capsules").iterdir()) == [
        "dire-non.yaml",
        "sextorsion.yaml",
        "signaler.yaml",
        "signeur-lsf.mp4",  # the drawn stand-in interpreter of dire-non (capsules/signer_sample.py)
    ]
    check = runner.invoke(app, ["--home", str(target), "campaign", "check", "--json"])
    assert check.exit_code == 0, check.output
    data = json.loads(check.stdout)
    assert data["ok"] is True and data["errors"] == []
    networks = {variant["network"] for variant in data["variants"]}
    assert networks == {"x", "facebook", "instagram", "tiktok", "mastodon", "bluesky", "youtube"}
    assert len({variant["post"] for variant in data["variants"]}) >= 8


def test_example_names_the_reporting_channels_and_territories(tmp_path: Path) -> None:
    CliRunner().invoke(app, ["init", str(tmp_path / "c")])
    text = (tmp_path / "c" / "campaign.yaml").read_text("utf-8")
    for needle in (
        "Pharos",
        "Point de Contact",
        "3018",
        "119",
        "05 44 44",
        "Indian/Reunion",
        "America/Martinique",
        "America/Guadeloupe",
        "America/Cayenne",
        "Indian/Mayotte",
        "Pacific/Noumea",
        "Pacific/Tahiti",
    ):
        assert needle in text, needle
    assert "capture" not in text.lower()  # never advise to screenshot or keep material


def test_init_refuses_to_overwrite(tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["init", str(tmp_path / "c")]).exit_code == 0
    (tmp_path / "c" / "campaign.yaml").write_text("# mine\n", "utf-8")
    result = runner.invoke(app, ["init", str(tmp_path / "c")])
    assert result.exit_code == 1
    assert "already holds a campaign.yaml" in result.stderr
    assert (tmp_path / "c" / "campaign.yaml").read_text("utf-8") == "# mine\n"


def test_init_into_a_file_path_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x", "utf-8")
    result = CliRunner().invoke(app, ["init", str(tmp_path / "file")])
    assert result.exit_code == 1 and "is a file, not a folder" in result.stderr


def test_check_finds_the_workspace_from_a_subfolder(cli: Cli, monkeypatch: object) -> None:
    import os

    sub = cli.workspace / "capsules"
    cwd = os.getcwd()
    os.chdir(sub)
    try:
        result = CliRunner().invoke(app, ["campaign", "check"], env={"CLICKABLE_HOME": None})
    finally:
        os.chdir(cwd)
    assert result.exit_code == 0, result.output
    assert str(cli.workspace / "campaign.yaml") in result.stdout


def test_no_workspace_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["--home", str(tmp_path), "campaign", "check"])
    assert result.exit_code == 1
    assert "no campaign.yaml in" in result.stderr and "clickable init" in result.stderr


def test_full_path_of_a_communication_officer(cli: Cli) -> None:
    assert cli("campaign", "check").exit_code == 0
    loaded = cli("campaign", "load")
    assert loaded.exit_code == 0, loaded.output
    assert "10 new" in loaded.stdout
    listing = json.loads(cli("post", "list", "--json").stdout)
    assert [post["id"] for post in listing][:3] == ["p01-lancement", "p02-sextorsion", "p03-secret"]
    assert {post["status"] for post in listing} == {"draft"}
    approved = cli("post", "approve", "p02-sextorsion", "--by", "Alex")
    assert approved.exit_code == 0
    assert (
        json.loads(cli("post", "list", "--json", "--status", "approved").stdout)[0]["id"] == "p02-sextorsion"
    )
    shown = cli("post", "show", "p02-sextorsion")
    assert shown.exit_code == 0
    assert "Approved by Alex" in shown.stdout
    show = json.loads(cli("campaign", "show", "--json").stdout)
    assert show["id"].startswith("clickable-")
    assert show["posts"] == {"approved": 1, "draft": 9}
    assert len(show["territories"]) == 8
    table = cli("campaign", "show")
    assert "Pacific/Noumea" in table.stdout


def test_commands_on_loaded_posts_work_while_the_file_is_being_edited(cli: Cli) -> None:
    """Listing or approving what is loaded reads only the campaign id, not a file that fails its check."""
    campaign_id = cli.campaign_data()["campaign"]["id"]  # type: ignore[index]
    cli.edit(f"id: {campaign_id}", "id: autre-campagne")
    assert cli("campaign", "load").exit_code == 0  # two campaigns in one database
    cli.edit("id: autre-campagne", f"id: {campaign_id}")
    assert cli("campaign", "load").exit_code == 0
    cli.edit("  - id: p09-outre-mer", "  - id: P09 Outre mer")
    check = cli("campaign", "check")
    assert check.exit_code == 1 and "campaign.yaml:" in check.stderr
    listing = json.loads(cli("post", "list", "--json").stdout)
    assert [post["id"] for post in listing][-1] == "p10-dire-non" and len(listing) == 10
    assert cli("post", "approve", "p01-lancement", "--by", "Alex").exit_code == 0


def test_post_show_gives_each_variant_as_published(cli: Cli) -> None:
    assert cli("campaign", "load").exit_code == 0
    shown = json.loads(cli("post", "show", "p01-lancement", "--json").stdout)
    variants = shown["variants"]
    assert len(variants) == 2 * 8 + 2  # X and Facebook in eight territories, Instagram and TikTok (national) once
    instagram = [variant for variant in variants if variant["network"] == "instagram"]
    assert all(variant["link"] is None and "lien dans la bio" in variant["text"] for variant in instagram)
    x = [variant for variant in variants if variant["network"] == "x"]
    assert all("{link}" not in variant["text"] and variant["link"] in variant["text"] for variant in x)
    assert all(variant["limit"] == 280 and variant["length"] <= 280 and variant["ok"] for variant in x)


def test_db_upgrade_is_idempotent(cli: Cli) -> None:
    head = head_revision()
    first = cli("db", "upgrade")
    assert first.exit_code == 0 and f"upgraded from empty to {head}" in first.stdout
    assert f"up to date (revision {head})" in cli("db", "upgrade").stdout


def test_bad_database_url_is_one_line(workspace: Path) -> None:
    env = {"CLICKABLE_HOME": str(workspace), "CLICKABLE_DATABASE_URL": "nonsense://"}
    result = CliRunner().invoke(app, ["campaign", "load"], env=env)
    assert result.exit_code == 1
    assert "CLICKABLE_DATABASE_URL" in result.stderr and "Traceback" not in result.output
    env["CLICKABLE_DATABASE_URL"] = "postgresql+psycopg://nobody@127.0.0.1:1/none"
    result = CliRunner().invoke(app, ["campaign", "load"], env=env)
    assert result.exit_code == 1 and "cannot open the database" in result.stderr


def test_help_lists_the_rooms() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("init", "campaign", "post", "db"):
        assert command in result.stdout


def test_init_writes_a_gitignore_so_that_git_add_stages_no_secret(tmp_path: Path) -> None:
    import shutil
    import subprocess

    import pytest

    from networks.credentials import CredentialStore

    target = tmp_path / "click2026"
    assert CliRunner().invoke(app, ["init", str(target)]).exit_code == 0
    ignore = (target / ".gitignore").read_text("utf-8")
    for pattern in (".clickable-credentials.json", "clickable.db", "clickable.db-*", "out/", "*.partial.*"):
        assert pattern in ignore.splitlines(), pattern
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    env = {"CLICKABLE_HOME": str(target), "CLICKABLE_DATABASE_URL": f"sqlite:///{target / 'clickable.db'}"}
    assert CliRunner().invoke(app, ["campaign", "load"], env=env).exit_code == 0
    CredentialStore(target, use_keyring=False).save("x-ecpat", "x", {"consumer_key": "k"}, None)
    (target / "out").mkdir()
    (target / "out" / ".vertical.partial.mp4").write_bytes(b"...")
    for command in (["init", "-q"], ["add", "-A"]):
        subprocess.run(["git", "-C", str(target), *command], check=True, capture_output=True)
    staged = subprocess.run(
        ["git", "-C", str(target), "ls-files"], check=True, capture_output=True, text=True
    ).stdout.splitlines()
    assert "campaign.yaml" in staged and ".gitignore" in staged
    assert not [name for name in staged if "credentials" in name or "clickable.db" in name or "out/" in name]


def test_init_in_a_folder_with_a_gitignore_adds_what_is_missing(tmp_path: Path) -> None:
    target = tmp_path / "c"
    target.mkdir()
    (target / ".gitignore").write_text("notes/\nclickable.db\n", "utf-8")
    result = CliRunner().invoke(app, ["init", str(target)])
    assert result.exit_code == 0, result.output
    lines = (target / ".gitignore").read_text("utf-8").splitlines()
    assert lines[:2] == ["notes/", "clickable.db"]
    assert lines.count("clickable.db") == 1 and ".clickable-credentials.json" in lines
