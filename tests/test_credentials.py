"""Credentials: lookup order, file mode, masking, and the `clickable accounts` commands."""

from __future__ import annotations

import json
import shutil
import stat
import subprocess
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
    from networks.x.adapter import XAdapter

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
    result = cli("accounts", "add", "pigeon-ecpat")
    assert result.exit_code == 1 and "no account 'pigeon-ecpat'" in result.stderr


def test_accounts_check_on_the_sandbox(cli: Cli, emulator: EmulatorServer) -> None:
    env = {"CLICKABLE_HOME": str(cli.workspace), "CLICKABLE_EMULATOR_URL": emulator.url}
    for name, expected in (
        ("x-ecpat", "@ecpat_sandbox"),
        ("facebook-ecpat", "ECPAT France (sandbox)"),
        ("instagram-ecpat", "@ecpat_sandbox"),
        ("tiktok-ecpat", "@ecpat.sandbox"),
        ("bluesky-ecpat", "@ecpat-sandbox.bsky.social"),
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


# --- a hand-edited credentials file ----------------------------------------------------------------

HAND_EDITED = [
    ("list at the top", '[{"x-ecpat": {}}]', "must hold one JSON object of accounts"),
    ("record is a string", '{"x-ecpat": "ck-test-7Qw9"}', "account 'x-ecpat' must be an object of fields, not a string"),
    ("field is a number", '{"x-ecpat": {"consumer_key": 12345}}', "field 'consumer_key' must be text, not a number"),
    ("bad expires_at", '{"x-ecpat": {"consumer_key": "a", "expires_at": "next tuesday"}}', "expires_at is not a date and time"),
    ("naive expires_at", '{"x-ecpat": {"consumer_key": "a", "expires_at": "2027-01-31T00:00:00"}}', "expires_at has no UTC offset"),
    ("expires_at out of range", '{"x-ecpat": {"consumer_key": "a", "expires_at": "0001-01-01T00:00:00+05:00"}}', "expires_at is out of range"),
    ("not json", '{"x-ecpat": {', "is not valid JSON (Expecting property name enclosed in double quotes at line 1, column 14)"),
    ("deep nesting", "[" * 100_000, "is not valid JSON"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "content", "fragment"), HAND_EDITED, ids=[case[0] for case in HAND_EDITED])
def test_a_hand_edited_file_is_one_line_naming_the_file_and_the_fix(
    cli: Cli, name: str, content: str, fragment: str
) -> None:
    cli.edit("    network: x\n    sandbox: true", "    network: x\n    sandbox: false")
    path = cli.workspace / ".clickable-credentials.json"
    path.write_text(content, "utf-8")
    path.chmod(0o600)
    env = {"CLICKABLE_HOME": str(cli.workspace), "CLICKABLE_KEYRING": "0"}
    for command in (["accounts", "list"], ["accounts", "check", "x-ecpat"]):
        result = CliRunner().invoke(app, command, env=env)
        assert result.exit_code == 1, result.output
        assert isinstance(result.exception, SystemExit), result.exception  # not a traceback
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"error: {path}: "), result.stderr
        assert fragment in lines[0] and ("clickable accounts add" in lines[0]), lines[0]
        assert "ck-test-7Qw9" not in result.output  # a value is never repeated: it may be a secret
    assert path.read_text("utf-8") == content  # nothing written


def test_adding_to_a_broken_file_is_refused_before_the_secrets_are_typed(cli: Cli) -> None:
    cli.edit("    network: x\n    sandbox: true", "    network: x\n    sandbox: false")
    path = cli.workspace / ".clickable-credentials.json"
    path.write_text('["other accounts were here"]', "utf-8")
    path.chmod(0o600)
    result = CliRunner().invoke(
        app,
        ["accounts", "add", "x-ecpat"],
        input="\n".join(SECRETS.values()) + "\n",
        env={"CLICKABLE_HOME": str(cli.workspace), "CLICKABLE_KEYRING": "0"},
    )
    assert result.exit_code == 1 and "must hold one JSON object" in result.stderr
    assert "consumer key" not in result.output  # no prompt was shown
    assert path.read_text("utf-8") == '["other accounts were here"]'


def test_a_credentials_path_that_is_not_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / ".clickable-credentials.json").mkdir()
    store = CredentialStore(tmp_path, use_keyring=False)
    with pytest.raises(ClickableError, match="is not a regular file"):
        store.load("x-ecpat", "x")
    with pytest.raises(ClickableError, match="is not a regular file"):
        store.save("x-ecpat", "x", SECRETS, None)


# --- git ------------------------------------------------------------------------------------------

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def git(folder: Path, *args: str) -> str:
    result = subprocess.run(["git", "-C", str(folder), *args], capture_output=True, text=True, check=True)
    return result.stdout


@needs_git
def test_credentials_are_not_stored_in_a_file_git_tracks(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    store = CredentialStore(tmp_path, use_keyring=False)
    store.file.write_text("{}", "utf-8")
    store.file.chmod(0o600)
    git(tmp_path, "add", "-f", store.file.name)
    with pytest.raises(ClickableError, match=r"is tracked by git.*git rm --cached \.clickable-credentials\.json"):
        store.save("x-ecpat", "x", SECRETS, None)
    assert store.file.read_text("utf-8") == "{}"
    git(tmp_path, "rm", "-q", "--cached", store.file.name)
    store.save("x-ecpat", "x", SECRETS, None)  # untracked: stored
    assert store.load("x-ecpat", "x") is not None


@needs_git
def test_accounts_add_in_a_tracked_folder_is_refused_before_any_prompt(cli: Cli) -> None:
    cli.edit("    network: x\n    sandbox: true", "    network: x\n    sandbox: false")
    git(cli.workspace, "init", "-q")
    path = cli.workspace / ".clickable-credentials.json"
    path.write_text("{}", "utf-8")
    path.chmod(0o600)
    git(cli.workspace, "add", "-f", path.name)
    result = CliRunner().invoke(
        app,
        ["accounts", "add", "x-ecpat"],
        input="\n".join(SECRETS.values()) + "\n",
        env={"CLICKABLE_HOME": str(cli.workspace), "CLICKABLE_KEYRING": "0"},
    )
    assert result.exit_code == 1
    assert "is tracked by git" in result.stderr and "consumer key" not in result.output
    assert path.read_text("utf-8") == "{}"


def test_without_git_on_the_machine_nothing_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "no-git-here"))
    store = CredentialStore(tmp_path, use_keyring=False)
    store.save("x-ecpat", "x", SECRETS, None)
    assert store.load("x-ecpat", "x") is not None


def test_an_answer_the_adapter_cannot_read_is_one_clear_line(cli: Cli, emulator: EmulatorServer) -> None:
    from .conftest import inject

    inject(emulator, "x", "GET /2/users/me", status=200, body={})  # no "data": nobody to name
    result = CliRunner().invoke(
        app,
        ["accounts", "check", "x-ecpat"],
        env={"CLICKABLE_HOME": str(cli.workspace), "CLICKABLE_EMULATOR_URL": emulator.url},
    )
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.exception
    assert "account x-ecpat: unexpected answer from x" in result.stderr
    assert "--verbose accounts check x-ecpat" in result.stderr


class MemoryKeyring:
    """An OS keyring of our own for the test (keyring's backend interface, entries in memory)."""

    def __new__(cls) -> object:
        from keyring.backend import KeyringBackend

        class Backend(KeyringBackend):
            priority = 1  # type: ignore[assignment]

            def __init__(self) -> None:
                super().__init__()
                self.entries: dict[tuple[str, str], str] = {}

            def get_password(self, service: str, username: str) -> str | None:
                return self.entries.get((service, username))

            def set_password(self, service: str, username: str, password: str) -> None:
                self.entries[service, username] = password

            def delete_password(self, service: str, username: str) -> None:
                self.entries.pop((service, username), None)

        return Backend()


@pytest.mark.parametrize(
    ("entry", "fragment"),
    [
        ("not json", "is not valid JSON"),
        ('["a list"]', "must be an object of fields, not a list"),
        ('{"consumer_key": 1}', "field 'consumer_key' must be text"),
        ('{"consumer_key": "a", "expires_at": "2027-01-31"}', "expires_at has no UTC offset"),
    ],
)
def test_a_broken_keyring_entry_is_one_line_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, entry: str, fragment: str
) -> None:
    import keyring

    backend = MemoryKeyring()
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)  # type: ignore[arg-type]
    try:
        backend.set_password("clickable", "x-ecpat", entry)  # type: ignore[attr-defined]
        store = CredentialStore(tmp_path, environ={})
        with pytest.raises(ClickableError) as raised:
            store.load("x-ecpat", "x")
        message = str(raised.value)
        assert message.startswith("the OS keyring entry clickable/x-ecpat: ") and fragment in message
        assert "run `clickable accounts add x-ecpat` again" in message
    finally:
        keyring.set_keyring(previous)


def test_expires_is_a_day(cli: Cli) -> None:
    cli.edit("    network: x\n    sandbox: true", "    network: x\n    sandbox: false")
    env = {"CLICKABLE_HOME": str(cli.workspace), "CLICKABLE_DATABASE_URL": cli.database_url, "CLICKABLE_KEYRING": "0"}
    refused = CliRunner().invoke(app, ["accounts", "add", "x-ecpat", "--expires", "2027-01-31T10:00+05:00"], env=env)
    assert refused.exit_code == 1 and "is not a date: write it as YYYY-MM-DD" in refused.stderr
    answers = "\n".join(SECRETS.values()) + "\n"
    added = CliRunner().invoke(app, ["accounts", "add", "x-ecpat", "--expires", "2027-01-31"], input=answers, env=env)
    assert added.exit_code == 0, added.output
    stored = json.loads((cli.workspace / ".clickable-credentials.json").read_text("utf-8"))
    assert stored["x-ecpat"]["expires_at"] == "2027-01-31T00:00:00+00:00"
