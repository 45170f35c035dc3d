"""No secret in any log line, repr, exception or database row (runs last: it also greps the suite's files)."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text
from typer.testing import CliRunner

from campaign.logs import SecretRegistry, configure_logging
from cli import app
from networks.base import Content, NetworkError
from networks.emulator.server import EmulatorServer

from .conftest import Cli, inject, make_adapter, sandbox_credentials
from .test_credentials import SECRETS


def all_secrets(server: EmulatorServer) -> list[str]:
    values = list(SECRETS.values())
    for network in ("x", "facebook", "instagram"):
        credentials = sandbox_credentials(server, network)
        values.extend(credentials.secrets())
    return sorted(set(values))


def test_secrets_never_leak(
    cli: Cli, emulator: EmulatorServer, videos: dict[str, Path], database_url: str
) -> None:
    secrets = all_secrets(emulator)
    env = {
        "CLICKABLE_HOME": str(cli.workspace),
        "CLICKABLE_DATABASE_URL": database_url,
        "CLICKABLE_EMULATOR_URL": emulator.url,
    }
    runner = CliRunner()
    outputs = [runner.invoke(app, ["campaign", "load"], env=env).output]
    for name in ("x-ecpat", "facebook-ecpat", "instagram-ecpat"):
        result = runner.invoke(app, ["--verbose", "accounts", "check", name], env=env)
        assert result.exit_code == 0, result.output
        outputs.append(result.output)

    registry = SecretRegistry()
    stream = io.StringIO()
    handler = configure_logging(registry, level=logging.DEBUG, stream=stream)
    errors: list[str] = []
    try:
        for network in ("x", "facebook", "instagram"):
            adapter = make_adapter(emulator, network)
            registry.add(*adapter.credentials.secrets())  # type: ignore[attr-defined]
            logging.getLogger("clickable.test").debug("adapter %r", adapter)
            adapter.publish(Content(text=f"Vidéo {network}", video=videos["good"]))
            outputs.append(repr(adapter))
        inject(emulator, "x", "POST /2/tweets", status=401, body={"title": "Unauthorized", "status": 401})
        inject(
            emulator,
            "facebook",
            "POST /{page-id}/feed",
            status=400,
            body={"error": {"code": 190, "message": "expired"}},
        )
        for network in ("x", "facebook"):
            try:
                make_adapter(emulator, network).publish(Content(text="refusé"))
            except NetworkError as error:
                errors.extend([str(error), repr(error)])
                logging.getLogger("clickable.test").exception("publishing failed")
    finally:
        logging.getLogger().removeHandler(handler)
    logged = stream.getvalue()
    assert "DEBUG" in logged  # the libraries did log at DEBUG: the scrubbing was exercised
    assert len(errors) == 4
    engine = create_engine(database_url)
    rows = []
    with engine.connect() as connection:
        for table in inspect(engine).get_table_names():
            rows.extend(str(row) for row in connection.execute(text(f'SELECT * FROM "{table}"')))
    engine.dispose()
    assert rows
    haystacks = {
        "log": logged,
        "cli output": "\n".join(outputs),
        "exceptions": "\n".join(errors),
        "database": "\n".join(rows),
    }
    leaks = [
        (where, secret) for where, haystack in haystacks.items() for secret in secrets if secret in haystack
    ]
    assert leaks == []


def test_no_file_the_suite_wrote_holds_a_secret(
    tmp_path_factory: pytest.TempPathFactory, emulator: EmulatorServer
) -> None:
    """Databases, renders, reports: only the mode-600 credentials file may hold credentials."""
    secrets = [secret.encode() for secret in all_secrets(emulator)]
    leaks = []
    for path in tmp_path_factory.getbasetemp().rglob("*"):
        if (
            not path.is_file()
            or path.name == ".clickable-credentials.json"
            or path.stat().st_size > 50_000_000
        ):
            continue
        content = path.read_bytes()
        leaks.extend((str(path), secret.decode()) for secret in secrets if secret in content)
    assert leaks == []
