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
    for network in ("x", "facebook", "instagram", "bluesky"):
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
    for name in ("x-ecpat", "facebook-ecpat", "instagram-ecpat", "bluesky-ecpat"):
        result = runner.invoke(app, ["--verbose", "accounts", "check", name], env=env)
        assert result.exit_code == 0, result.output
        outputs.append(result.output)

    registry = SecretRegistry()
    stream = io.StringIO()
    handler = configure_logging(registry, level=logging.DEBUG, stream=stream)
    errors: list[str] = []
    try:
        for network in ("x", "facebook", "instagram", "tiktok", "bluesky"):
            adapter = make_adapter(emulator, network)
            registry.add(*adapter.credentials.secrets())  # type: ignore[attr-defined]
            logging.getLogger("clickable.test").debug("adapter %r", adapter)
            choices: dict[str, str | bool] = {  # the decisions a network requires, made
                choice.name: False if choice.boolean else choice.options[0] for choice in adapter.spec.choices
            }
            adapter.publish(Content(text=f"Vidéo {network}", video=videos["good"], choices=choices))
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


# -- a network's answer that repeats a credential leaves no trace -----------------------------------

FRAGMENT = 12  # a run this long of a secret is a recognisable part of it


def recognisable(haystack: str, secrets: list[str]) -> list[str]:
    """The secrets ``haystack`` shows whole, cut, URL-encoded or inside base64 (checked on our own,
    independently of campaign.logs)."""
    import base64
    import binascii
    import re
    from urllib.parse import quote

    texts = [haystack]
    for run in re.findall(r"[A-Za-z0-9+/_-]{16,}={0,2}", haystack):
        padded = run.rstrip("=") + "=" * (-len(run.rstrip("=")) % 4)
        for decode in (base64.b64decode, base64.urlsafe_b64decode):
            try:
                texts.append(decode(padded).decode("latin-1"))
            except (binascii.Error, ValueError):
                continue
    found = []
    for secret in secrets:
        for form in {secret, quote(secret, safe="")}:
            runs = {form[i : i + FRAGMENT] for i in range(len(form) - FRAGMENT + 1)} or {form}
            if any(run in text for text in texts for run in runs if not run.isdigit()):
                found.append(secret)
                break
    return found


def echoing_campaign() -> dict[str, object]:
    posts = []
    for name in ("first", "late"):
        posts.append(
            {"id": f"{name}-text", "text": f"Message {name} : parles-en.", "accounts": ["x-main", "fb-main"]}
        )
        posts.append(
            {
                "id": f"{name}-reel",
                "text": f"Reel {name} : parles-en.",
                "accounts": ["ig-main"],
                "capsule": "reel",
            }
        )
    return {
        "campaign": {"id": "echo-test", "name": "Echo", "language": "fr"},
        "approval": {"required": False},
        "territories": {"fr": {"name": "France", "timezone": "Europe/Paris"}},
        "accounts": {
            "x-main": {"network": "x", "sandbox": True},
            "fb-main": {"network": "facebook", "sandbox": True},
            "ig-main": {"network": "instagram", "sandbox": True},
        },
        "capsules": {"reel": {"script": "reel.yaml"}},
        "landing": {
            "base_url": "https://s.example.org",
            "channels": {"tel-119": {"name": "119", "phone": "119"}},
        },
        "posts": posts,
    }


def test_error_reasons_and_history_from_every_network_hold_no_secret(
    tmp_path: Path, emulator: EmulatorServer, videos: dict[str, Path], database_url: str
) -> None:
    """Every network's error bodies repeat its credentials (whole, cut, in base64): the delivery
    history, the reconciliation failures, metric snapshots, printed lines, logs and exports show none."""
    import base64
    from urllib.parse import quote

    import yaml
    from sqlmodel import Session, select

    from campaign.db import Database
    from campaign.models import Capsule, Delivery, DeliveryState, MetricSnapshot

    emulator.emulator.chaos_rate = 0.0
    creds = emulator.emulator.credentials()
    x, fb, ig = creds["x"], creds["facebook"], creds["instagram"]
    secrets = sorted(
        {x[k] for k in ("consumer_key", "consumer_secret", "access_token", "access_token_secret")}
        | {fb["page_token"], ig["token"]}
    )
    basic = base64.b64encode(f"{x['consumer_key']}:{x['consumer_secret']}".encode()).decode()

    def x_problem(status: int, what: str) -> dict[str, object]:
        detail = f"{what}: consumer_key={x['consumer_key']} token {x['access_token'][:24]}… Authorization: Basic {basic}"
        return {
            "status": status,
            "body": {"title": "Forbidden", "type": "about:blank", "status": status, "detail": detail},
        }

    def graph_problem(status: int, token: str, **error: object) -> dict[str, object]:
        message = f"Malformed access token {token} (access_token={quote(token)}, {token[:20]}…)"
        return {"status": status, "body": {"error": {"message": message, "type": "OAuthException", **error}}}

    (tmp_path / "campaign.yaml").write_text(yaml.safe_dump(echoing_campaign(), allow_unicode=True), "utf-8")
    (tmp_path / "reel.yaml").write_text("title: reel\n", "utf-8")
    env = {
        "CLICKABLE_HOME": str(tmp_path),
        "CLICKABLE_DATABASE_URL": database_url,
        "CLICKABLE_EMULATOR_URL": emulator.url,
        "CLICKABLE_KEYRING": "0",
    }
    runner = CliRunner()
    outputs: list[str] = []

    def run(*args: str, codes: tuple[int, ...] = (0,)) -> str:
        result = runner.invoke(app, ["--verbose", *args], env=env)
        text = result.stdout + result.stderr
        assert result.exit_code in codes, (args, text)
        assert "Traceback" not in text, (args, text)
        assert result.exception is None or isinstance(result.exception, SystemExit), (args, result.exception)
        outputs.append(text)
        return text

    run("campaign", "load")
    database = Database(database_url)
    with Session(database.engine) as session:
        capsule = session.exec(select(Capsule)).one()
        capsule.outputs = {  # as `capsule render` records it (render.CapsuleRender.outputs)
            "languages": ["fr"],
            "renders": {"vertical.fr": {"files": [{"kind": "video", "path": str(videos["good"])}]}},
        }
        session.add(capsule)
        session.commit()
    run("schedule", "plan")

    # refusals on create (X, Facebook) and while uploading (Instagram: transient, then refused)
    inject(emulator, "x", "POST /2/tweets", **x_problem(403, "not permitted"))
    inject(emulator, "facebook", "POST /{page-id}/feed", **graph_problem(400, fb["page_token"], code=100))
    inject(
        emulator,
        "instagram",
        "POST /{ig-user-id}/media",
        **graph_problem(500, ig["token"], code=2, is_transient=True),
    )
    inject(emulator, "instagram", "POST /{ig-user-id}/media", **graph_problem(400, ig["token"], code=100))
    run("post", "publish", "first-text", "--now", codes=(3,))
    run("post", "publish", "first-reel", "--now", codes=(3,))  # retrying: transient
    run("post", "publish", "first-reel", "--now", codes=(3,))  # failed: refused
    with Session(database.engine) as session:
        first = session.exec(select(Delivery).where(Delivery.state == DeliveryState.FAILED)).all()
    assert len(first) == 3
    for delivery in first:
        run("delivery", "retry", str(delivery.id))
    run("schedule", "run", "--once")  # now published: metrics can be asked for

    # lost answers on create, then reconciliation refused by every network
    inject(emulator, "x", "POST /2/tweets", status=503, body={"title": "Service Unavailable"})
    inject(emulator, "facebook", "POST /{page-id}/feed", status=503, body="<html>down</html>")
    inject(emulator, "instagram", "POST /{ig-user-id}/media_publish", status=503, body="<html>down</html>")
    run("post", "publish", "late-text", "--now", codes=(3,))
    run("post", "publish", "late-reel", "--now", codes=(3,))
    inject(emulator, "x", "GET /2/users/me", times=5, **x_problem(403, "reading refused"))
    inject(
        emulator, "facebook", "GET /{page-id}/posts", times=5, **graph_problem(400, fb["page_token"], code=10)
    )
    inject(
        emulator, "instagram", "GET /{ig-user-id}/media", times=5, **graph_problem(400, ig["token"], code=10)
    )
    once = run("schedule", "run", "--once")
    assert once.count("reconciliation of account") >= 3
    doctor = run("doctor", codes=(1,))
    assert all(f"account {name}" in doctor for name in ("x-main", "fb-main", "ig-main"))
    run("doctor", "--json", codes=(1,))

    # metrics: missing posts whose error repeats the token, and a transient refusal
    with Session(database.engine) as session:
        remote_ids = [
            d.remote_id
            for d in session.exec(select(Delivery).where(Delivery.state == DeliveryState.PUBLISHED))
        ]
    gone = x_problem(404, "gone")["body"]["detail"]  # type: ignore[index]
    x_error = {
        "errors": [
            {
                "resource_id": rid,
                "title": "Not Found Error",
                "detail": gone,
                "type": "https://api.twitter.com/2/problems/resource-not-found",  # only this means "gone"
                "resource_type": "tweet",
                "parameter": "ids",
                "value": rid,
            }
            for rid in remote_ids
            if rid
        ]
    }
    inject(emulator, "x", "GET /2/tweets", status=200, body=x_error, times=5)
    inject(
        emulator,
        "facebook",
        "GET /{id}/insights",
        times=5,
        **graph_problem(400, fb["page_token"], code=100, error_subcode=33),
    )
    # Graph's 100/33 may only mean "not readable with this token": the post itself is read next
    inject(
        emulator,
        "facebook",
        "GET /{id}",
        times=1,
        **graph_problem(400, fb["page_token"], code=100, error_subcode=33),
    )
    inject(
        emulator,
        "instagram",
        "GET /{id}/insights",
        times=5,
        **graph_problem(500, ig["token"], code=2, is_transient=True),
    )
    run("stats", "collect", "--all", codes=(3,))

    # the account checks print the networks' refusals
    inject(emulator, "x", "GET /2/users/me", **x_problem(403, "check refused"))
    inject(emulator, "facebook", "GET /{id}", **graph_problem(400, fb["page_token"], code=100))
    inject(emulator, "instagram", "GET /{id}", **graph_problem(400, ig["token"], code=100))
    for name in ("x-main", "fb-main", "ig-main"):
        assert f"account {name}" in run("accounts", "check", name, codes=(1,))

    # everything stored is printed back: history, lists, exports, report
    with Session(database.engine) as session:
        ids = [d.id for d in session.exec(select(Delivery))]
    for delivery_id in ids:
        run("delivery", "history", str(delivery_id))
        run("delivery", "history", str(delivery_id), "--json")
    run("schedule", "list", "--json")
    run("stats", "export", "--format", "json")
    run("stats", "report", "--out", str(tmp_path / "report.html"))
    database.dispose()

    rows = []
    engine = create_engine(database_url)
    with engine.connect() as connection:
        for table in inspect(engine).get_table_names():
            rows.extend(str(row) for row in connection.execute(text(f'SELECT * FROM "{table}"')))
    engine.dispose()
    stored = "\n".join(rows)
    assert "**********" in stored  # the echoes did reach the database, masked
    with Session(create_engine(database_url)) as session:
        raws = [str(snapshot.raw) for snapshot in session.exec(select(MetricSnapshot))]
    print("RAWS", raws)
    assert sum("**********" in raw for raw in raws) == 2  # X and Facebook posts "gone", with the echo
    assert stored.count("reconciliation of account") == 3
    printed = "\n".join(outputs)
    assert "Malformed access token **********" in printed
    report = (tmp_path / "report.html").read_text("utf-8")
    leaks = {
        where: recognisable(haystack, secrets)
        for where, haystack in {"database": stored, "output and logs": printed, "report": report}.items()
    }
    assert leaks == {"database": [], "output and logs": [], "report": []}
