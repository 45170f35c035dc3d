"""Credentials: lookup order, file mode, masking, and the `clickable accounts` commands."""

from __future__ import annotations

import json
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

from campaign.errors import ClickableError
from cli import app
from networks.credentials import Credentials, CredentialStore
from networks.emulator.server import EmulatorServer

from .conftest import Cli

SECRETS = {
    "consumer_key": "ck-test-7Qw9",
    "consumer_secret": "cs-test-very-secret-1",
    "access_token": "at-test-2Zx8",
    "access_token_secret": "ats-test-very-secret-2",
}


def test_file_store_is_mode_600_and_round_trips(tmp_path: Path) -> None:
    store = CredentialStore(tmp_path, use_keyring=False)
    expires = datetime(2027, 1, 31, tzinfo=UTC)
    store.save("x-ecpat", "x", SECRETS, expires)
    assert stat.S_IMODE(store.file.stat().st_mode) == 0o600
    loaded = store.load("x-ecpat", "x")
    assert loaded is not None and loaded.source == "file" and loaded.expires_at == expires
    assert loaded.get("consumer_secret") == SECRETS["consumer_secret"]


def test_environment_overrides_the_file(tmp_path: Path) -> None:
    environ = {f"CLICKABLE_X_ECPAT_{key.upper()}": f"env-{value}" for key, value in SECRETS.items()}
    store = CredentialStore(tmp_path, use_keyring=False, environ=environ)
    store.save("x-ecpat", "x", SECRETS, None)
    loaded = store.load("x-ecpat", "x")
    assert loaded is not None and loaded.source == "environment"
    assert loaded.get("access_token") == "env-" + SECRETS["access_token"]


def test_a_file_readable_by_others_is_refused(tmp_path: Path) -> None:
    store = CredentialStore(tmp_path, use_keyring=False)
    store.save("x-ecpat", "x", SECRETS, None)
    store.file.chmod(0o644)
    with pytest.raises(ClickableError, match="chmod 600"):
        store.load("x-ecpat", "x")


def test_secrets_are_masked_in_repr_and_str() -> None:
    credentials = Credentials(
        "x-ecpat", "x", {key: SecretStr(value) for key, value in SECRETS.items()}, "file"
    )
    for text in (repr(credentials), str(credentials), f"{credentials}", repr(credentials.values)):
        assert not any(secret in text for secret in SECRETS.values())
    from networks.x import XAdapter

    assert not any(secret in repr(XAdapter(credentials)) for secret in SECRETS.values())


def test_accounts_add_list_and_warning(cli: Cli) -> None:
    cli.edit("    network: x\n    sandbox: true", "    network: x\n    sandbox: false")
    env_home = {"CLICKABLE_KEYRING": "0"}
    soon = (datetime.now(UTC) + timedelta(days=3)).date().isoformat()
    answers = "\n".join(SECRETS.values()) + "\n"
    result = CliRunner().invoke(
        app,
        ["accounts", "add", "x-ecpat", "--expires", soon],
        input=answers,
        env={"CLICKABLE_HOME": str(cli.workspace), "CLICKABLE_DATABASE_URL": cli.database_url, **env_home},
    )
    assert result.exit_code == 0, result.output
    assert not any(secret in result.output for key, secret in SECRETS.items() if "secret" in key)
    stored = json.loads((cli.workspace / ".clickable-credentials.json").read_text("utf-8"))
    assert stored["x-ecpat"]["consumer_secret"] == SECRETS["consumer_secret"]
    listing = CliRunner().invoke(
        app, ["accounts", "list", "--json"], env={"CLICKABLE_HOME": str(cli.workspace), **env_home}
    )
    rows = {row["name"]: row for row in json.loads(listing.stdout)}
    assert rows["x-ecpat"]["credentials"] == "file"
    assert rows["x-ecpat"]["warning"].startswith("token expires in")
    assert rows["facebook-ecpat"]["credentials"] == "emulator (sandbox)"


def test_missing_credentials_say_what_to_do(cli: Cli) -> None:
    cli.edit("    network: x\n    sandbox: true", "    network: x\n    sandbox: false")
    result = CliRunner().invoke(
        app,
        ["accounts", "check", "x-ecpat"],
        env={"CLICKABLE_HOME": str(cli.workspace), "CLICKABLE_KEYRING": "0"},
    )
    assert result.exit_code == 1
    assert "run `clickable accounts add x-ecpat` or set CLICKABLE_X_ECPAT_CONSUMER_KEY" in result.stderr


def test_unknown_account(cli: Cli) -> None:
    result = cli("accounts", "add", "tiktok-ecpat")
    assert result.exit_code == 1 and "no account 'tiktok-ecpat'" in result.stderr


def test_accounts_check_on_the_sandbox(cli: Cli, emulator: EmulatorServer) -> None:
    env = {"CLICKABLE_HOME": str(cli.workspace), "CLICKABLE_EMULATOR_URL": emulator.url}
    for name, expected in (
        ("x-ecpat", "@ecpat_sandbox"),
        ("facebook-ecpat", "ECPAT France (sandbox)"),
        ("instagram-ecpat", "@ecpat_sandbox"),
    ):
        result = CliRunner().invoke(app, ["accounts", "check", name], env=env)
        assert result.exit_code == 0, result.output
        assert expected in result.stdout


def test_emulator_down_is_one_clear_line(cli: Cli) -> None:
    result = CliRunner().invoke(
        app,
        ["accounts", "check", "x-ecpat"],
        env={"CLICKABLE_HOME": str(cli.workspace), "CLICKABLE_EMULATOR_URL": "http://127.0.0.1:9"},
    )
    assert result.exit_code == 1 and "clickable emulator serve" in result.stderr
