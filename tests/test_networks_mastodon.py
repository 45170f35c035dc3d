"""Mastodon (any instance): Mastodon.py over real HTTP to the emulator's Mastodon part.

The emulator's Mastodon routes are judged by Mastodon's documentation, written as JSON Schemas in
networks/mastodon/schemas.py (each with its link) and validated with ``jsonschema`` for every request and
every answer. The documented cases relied on:

- https://docs.joinmastodon.org/methods/statuses/#create — form fields (status, media_ids[], visibility
  public/unlisted/private/direct, language "ISO 639-1 language code", sensitive, spoiler_text, poll[…]);
  ``status`` can be left out only when ``media_ids`` is given; a poll and media cannot go together;
  the ``Idempotency-Key`` header: "Prevent duplicate submissions of the same status. Idempotency keys are
  stored for up to 1 hour"; 422 "Validation failed: Text character limit of 500 exceeded".
- https://docs.joinmastodon.org/methods/media/#v2 — multipart ``file`` (required), ``description``
  ("A plain-text description of the media, for accessibility purposes"), ``focus``; 200 with the
  MediaAttachment when processed synchronously, 202 with ``url: null`` while a video is processed.
- https://docs.joinmastodon.org/methods/media/#get — 200 once processed, 206 "Partial content" while
  still processing, 404 when not owned or not there.
- https://docs.joinmastodon.org/methods/instance/#v2 and /entities/Instance/ —
  ``configuration.statuses.max_characters`` (500 by default), ``characters_reserved_per_url`` (23),
  ``max_media_attachments``, ``configuration.media_attachments`` (video_size_limit, video_matrix_limit,
  description_limit).
- https://docs.joinmastodon.org/entities/Status/, /entities/MediaAttachment/, /entities/Account/ —
  required attributes of the answers; ``favourites_count``, ``reblogs_count``, ``replies_count`` (no views).
- https://docs.joinmastodon.org/client/authorized/ — ``Authorization: Bearer <token>``; 401
  ``{"error": "The access token is invalid"}`` (https://docs.joinmastodon.org/entities/Error/).
- https://docs.joinmastodon.org/api/rate-limits/ — 300 calls in 5 minutes, ``X-RateLimit-Reset`` an
  ISO 8601 instant; 429 "Too many requests".
- https://docs.joinmastodon.org/methods/accounts/#verify_credentials, /methods/accounts/#statuses
  (limit "Max 40 statuses").
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from campaign.checks import check_file
from networks.base import CaptionTrack, Content, NeedsReauth, RateLimited, Rejected, Transient, Unconfirmed
from networks.emulator.server import EmulatorServer
from networks.mastodon import schemas
from networks.mastodon.adapter import MastodonAdapter, post_language
from networks.mastodon.emulator import SANDBOX_INSTANCE, status_html
from networks.mastodon.instances import FILE_NAME, InstanceLimits, known_limits
from networks.mastodon.spec import SPEC
from networks.mastodon.text import measure
from networks.registry import registry
from networks.transport import prepare_session

from .conftest import Cli, inject, make_adapter, published, sandbox_credentials

HOST = "mastodon.example.org"
CREATE = "POST /api/v1/statuses"
PUBLIC: dict[str, str | bool] = {"visibility": "public"}


def part(server: EmulatorServer) -> Any:
    return server.emulator.part("mastodon")


def adapter(server: EmulatorServer, instance: str | None = None, **options: Any) -> MastodonAdapter:
    if instance is None:
        return make_adapter(server, "mastodon", **options)  # type: ignore[return-value]
    from pydantic import SecretStr

    credentials = sandbox_credentials(server, "mastodon")
    values = {**credentials.values, "instance": SecretStr(instance)}
    options.setdefault("sleep", lambda _s: None)
    options.setdefault("timeout", 2.0)
    return MastodonAdapter(
        type(credentials)(credentials.account, "mastodon", values, credentials.source),
        emulator_url=server.url,
        **options,
    )


def raw(server: EmulatorServer) -> tuple[requests.Session, dict[str, str]]:
    """A plain HTTP client of the instance (through our loopback transport) and its Bearer header."""
    session = prepare_session(requests.Session(), emulator_url=server.url, timeout=10)
    token = server.emulator.credentials()["mastodon"]["access_token"]
    return session, {"Authorization": f"Bearer {token}"}


def exchanges(server: EmulatorServer, endpoint: str) -> list[dict[str, Any]]:
    return [
        item
        for item in server.emulator.requests
        if item["network"] == "mastodon" and f"{item['method']} {item['template']}" == endpoint
    ]


# -- the schemas themselves -------------------------------------------------------------------------


def test_every_schema_is_a_valid_json_schema_with_its_documentation_link() -> None:
    import jsonschema

    for endpoint, (request_schema, answers) in schemas.ROUTES.items():
        for schema in (request_schema, *answers.values()):
            jsonschema.Draft202012Validator.check_schema(schema)
            assert str(schema["$comment"]).startswith("https://docs.joinmastodon.org/"), endpoint
    jsonschema.Draft202012Validator.check_schema(schemas.ERROR)


@pytest.mark.parametrize(
    ("form", "refused"),
    [
        ({"status": "Bonjour", "visibility": "public", "language": "fr"}, None),
        ({"media_ids[]": ["1901"]}, None),  # media alone, no text: documented as allowed
        ({}, "is not valid under any of the given schemas"),  # neither status nor media
        ({"status": ""}, "is not valid under any of the given schemas"),
        ({"status": "x", "visibility": "everyone"}, "is not one of"),
        ({"status": "x", "language": "fra"}, "does not match"),  # ISO 639-1: two letters
        ({"status": "x", "media_ids[]": ["1"], "poll[options][]": ["a", "b"]}, "should not be valid"),
        ({"status": "x", "colour": "red"}, "Additional properties are not allowed"),
    ],
)
def test_the_create_schema_takes_what_the_documentation_takes(
    form: dict[str, Any], refused: str | None
) -> None:
    """https://docs.joinmastodon.org/methods/statuses/#create"""
    document = {"headers": {"authorization": "Bearer abc"}, "query": {}, "form": form, "files": {}}
    found = schemas.errors(schemas.CREATE_STATUS, document)
    if refused is None:
        assert found == []
    else:
        assert any(refused in problem for problem in found), found


# -- the emulator: any instance, Mastodon's own answers ---------------------------------------------


@pytest.mark.refused_requests("x")  # asks X's host for an instance: X's document refuses it
def test_each_instance_is_its_own_host_with_its_own_statuses(emulator: EmulatorServer) -> None:
    first = adapter(emulator).publish(Content(text="Sur mastodon.example.org", choices=PUBLIC))
    other = adapter(emulator, "https://Social.Exemple.FR/").publish(
        Content(text="Sur social.exemple.fr", choices=PUBLIC)
    )
    assert first.url == f"https://{HOST}/@ecpat_sandbox/{first.remote_id}"
    assert other.url == f"https://social.exemple.fr/@ecpat_sandbox/{other.remote_id}"
    session, _auth = raw(emulator)
    assert session.get(f"https://social.exemple.fr/api/v1/statuses/{first.remote_id}").status_code == 404
    assert session.get(f"https://{HOST}/api/v1/statuses/{first.remote_id}").json()["id"] == first.remote_id
    # a host another network's part serves is not an instance
    assert session.get("https://api.x.com/api/v2/instance").status_code != 200
    assert [item["account"] for item in published(emulator)] == [
        f"ecpat_sandbox@{HOST}",
        "ecpat_sandbox@social.exemple.fr",
    ]


@pytest.mark.refused_requests("mastodon")
def test_refused_requests_get_mastodon_s_error_entity(emulator: EmulatorServer) -> None:
    """https://docs.joinmastodon.org/client/authorized/ and /entities/Error/"""
    session, auth = raw(emulator)
    no_token = session.post(f"https://{HOST}/api/v1/statuses", data={"status": "x"})
    assert (no_token.status_code, no_token.json()) == (401, {"error": "The access token is invalid"})
    wrong = session.post(
        f"https://{HOST}/api/v1/statuses", data={"status": "x", "visibility": "everyone"}, headers=auth
    )
    assert wrong.status_code == 422 and wrong.json()["error"].startswith("Validation failed: form/visibility")
    too_long = session.post(f"https://{HOST}/api/v1/statuses", data={"status": "é" * 501}, headers=auth)
    assert too_long.json() == {"error": "Validation failed: Text character limit of 500 exceeded"}
    missing = session.get(f"https://{HOST}/api/v1/statuses/123", headers=auth)
    assert (missing.status_code, missing.json()) == (404, {"error": "Record not found"})
    assert published(emulator) == []


def test_every_exchange_was_judged_by_the_documented_shapes(
    emulator: EmulatorServer, videos: dict[str, Path]
) -> None:
    mastodon = adapter(emulator)
    result = mastodon.publish(
        Content(text="Une vidéo", video=videos["good"], alt_text="Une capsule", choices=PUBLIC)
    )
    mastodon.fetch_metrics([result.remote_id])
    mastodon.check_credentials()
    seen = [item for item in emulator.emulator.requests if item["network"] == "mastodon"]
    assert {f"{item['method']} {item['template']}" for item in seen} >= {
        "GET /api/v2/instance",
        "POST /api/v2/media",
        "GET /api/v1/media/{id}",
        CREATE,
        "GET /api/v1/statuses/{id}",
        "GET /api/v1/accounts/verify_credentials",
    }
    for item in seen:
        assert item["request"]["checked"] and item["request"]["ok"], item
        assert item["response"]["checked"] and item["response"]["ok"], item


# -- text: the instance's own limit --------------------------------------------------------------------


def test_text_is_counted_as_mastodon_counts_it() -> None:
    """app/validators/status_length_validator.rb: graphemes, every URL 23, remote mentions by their name."""
    assert measure("👨‍👩‍👧‍👦").length == 1  # one grapheme, seven code points
    assert measure("é" * 500).ok and not measure("é" * 501).ok
    link = "https://clickable.example.org/r/" + "a" * 80
    assert measure(f"Parles-en : {link}").length == len("Parles-en : ") + 23
    assert measure("@ecpat@mastodon.example.org").length == len("@ecpat")
    assert measure(f"{'x' * 490} {link}", 500, 10).length == 490 + 1 + 10
    assert not measure("   ").ok


def test_the_limit_is_the_instance_s_own_at_publish_time(emulator: EmulatorServer, tmp_path: Path) -> None:
    part(emulator).configure(HOST, max_characters=1000)
    long_text = "Ce n'est jamais ta faute. " * 30  # 780 characters: over Mastodon's default 500
    result = adapter(emulator, workspace=tmp_path).publish(Content(text=long_text, choices=PUBLIC))
    assert [item["id"] for item in published(emulator)] == [result.remote_id]
    assert known_limits(tmp_path, HOST) == InstanceLimits(max_characters=1000, version="4.4.0")
    part(emulator).configure("petit.example.net", max_characters=300)
    with pytest.raises(Rejected, match="the instance allows 300"):
        adapter(emulator, "https://petit.example.net").publish(Content(text=long_text, choices=PUBLIC))
    assert len(exchanges(emulator, CREATE)) == 1  # the second was refused before its create call


def test_idempotency_key_answers_with_the_status_it_made_for_an_hour(emulator: EmulatorServer) -> None:
    mastodon = adapter(emulator)
    content = Content(text="Une seule fois", choices=PUBLIC, idempotency_key="delivery-42")
    first, again = mastodon.publish(content), mastodon.publish(content)
    assert again.remote_id == first.remote_id and len(published(emulator)) == 1
    assert [(item["idempotency_key"], item["replayed"]) for item in part(emulator).creates] == [
        ("delivery-42", False),
        ("delivery-42", True),
    ]
    requests.post(f"{emulator.url}/_emulator/clock", json={"advance_s": 3601}, timeout=5)
    later = mastodon.publish(content)  # Mastodon forgets a key after an hour
    assert later.remote_id != first.remote_id and len(published(emulator)) == 2
    # a create without a delivery still carries a key of its own
    mastodon.publish(Content(text="Sans livraison", choices=PUBLIC))
    assert all(item["idempotency_key"] for item in part(emulator).creates)


def test_visibility_and_language_go_with_the_status(emulator: EmulatorServer) -> None:
    mastodon = adapter(emulator)
    result = mastodon.publish(
        Content(text="Pour La Réunion", choices={"visibility": "unlisted"}, languages=("rcf", "fr"))
    )
    session, _auth = raw(emulator)
    status = session.get(f"https://{HOST}/api/v1/statuses/{result.remote_id}").json()
    assert (status["visibility"], status["language"]) == ("unlisted", "fr")
    assert post_language(Content(text="x", languages=("fr-RE",))) == "fr"
    assert (
        post_language(Content(text="x", languages=("swb",))) is None
    )  # no ISO 639-1 code: the instance guesses
    with pytest.raises(Rejected, match="no visibility chosen"):
        mastodon.publish(Content(text="Sans choix"))


# -- media v2 -----------------------------------------------------------------------------------------


def test_a_video_is_uploaded_with_its_alt_text_and_polled_until_processed(
    emulator: EmulatorServer, videos: dict[str, Path]
) -> None:
    captions = (CaptionTrack("fr", videos["captions"], None),)
    result = adapter(emulator).publish(
        Content(
            text="Chantage aux photos ? Ne paie pas.",
            video=videos["good"],
            alt_text="Une adolescente regarde son téléphone.",
            alt_text_language="fr",
            captions=captions,
            choices=PUBLIC,
        )
    )
    [upload] = exchanges(emulator, "POST /api/v2/media")
    assert upload["status"] == 202  # processed in the background: url null
    polls = exchanges(emulator, "GET /api/v1/media/{id}")
    assert [item["status"] for item in polls] == [206, 200]
    session, _auth = raw(emulator)
    status = session.get(f"https://{HOST}/api/v1/statuses/{result.remote_id}").json()
    [media] = status["media_attachments"]
    assert media["description"] == "Une adolescente regarde son téléphone." and media["url"]
    assert any("caption" in note for note in result.notes)  # Mastodon takes no caption track: said


def test_a_video_never_processed_gives_up_at_its_deadline(
    emulator: EmulatorServer, videos: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    monkeypatch.setattr("networks.emulator.uploads.PROCESSING_POLLS", 10**6)  # processing never ends
    mastodon = adapter(emulator, sleep=sleep, clock=lambda: now[0])
    with pytest.raises(Transient, match="still processed"):
        mastodon.publish(Content(text="Vidéo bloquée", video=videos["good"], choices=PUBLIC))
    assert exchanges(emulator, CREATE) == []


# -- errors, metrics, credentials ------------------------------------------------------------------


def test_errors_are_classified_from_their_status(emulator: EmulatorServer) -> None:
    mastodon = adapter(emulator)
    mastodon.limits()
    inject(emulator, "mastodon", CREATE, status=403, body={"error": "This action is not allowed"})
    with pytest.raises(NeedsReauth, match="403"):
        mastodon.publish(Content(text="Compte suspendu", choices=PUBLIC))
    inject(emulator, "mastodon", CREATE, status=422, body={"error": "Validation failed: Text can't be blank"})
    with pytest.raises(Rejected, match="422"):
        mastodon.publish(Content(text="Refusé", choices=PUBLIC))
    inject(emulator, "mastodon", CREATE, kind="rate_limited", reset_in_s=120)
    with pytest.raises(RateLimited) as limited:
        mastodon.publish(Content(text="Trop vite", choices=PUBLIC))
    assert 100 <= limited.value.retry_after <= 121
    inject(emulator, "mastodon", CREATE, status=502, body="<html>Bad Gateway</html>")
    with pytest.raises(Unconfirmed):
        mastodon.publish(Content(text="Passerelle", choices=PUBLIC))
    assert published(emulator) == []


def test_metrics_are_the_status_counters_and_views_are_not_given(emulator: EmulatorServer) -> None:
    mastodon = adapter(emulator)
    result = mastodon.publish(Content(text="Des chiffres", choices=PUBLIC))
    requests.post(f"{emulator.url}/_emulator/clock", json={"advance_s": 86_400}, timeout=5)
    [reading] = mastodon.fetch_metrics([result.remote_id])
    assert set(reading.raw) == {"favourites_count", "reblogs_count", "replies_count"}
    assert reading.normalised == {
        "likes": reading.raw["favourites_count"],
        "shares": reading.raw["reblogs_count"],
        "comments": reading.raw["replies_count"],
    }
    assert reading.normalised["likes"] > 0
    assert "views" in SPEC.metrics.unavailable and "views" not in reading.normalised


def test_the_token_is_a_secret_and_check_credentials_reads_the_instance(
    emulator: EmulatorServer, tmp_path: Path
) -> None:
    assert [item.name for item in SPEC.credentials if item.secret] == ["access_token"]
    part(emulator).configure(HOST, max_characters=640)
    who = adapter(emulator, workspace=tmp_path).check_credentials()
    assert who == f"@ecpat_sandbox@{HOST} (texts up to 640 characters)"
    assert json.loads((tmp_path / FILE_NAME).read_text("utf-8"))[HOST]["max_characters"] == 640
    token = emulator.emulator.credentials()["mastodon"]["access_token"]
    assert token not in (tmp_path / FILE_NAME).read_text("utf-8")
    inject(emulator, "mastodon", "GET /api/v1/accounts/verify_credentials", kind="expired_token")
    with pytest.raises(NeedsReauth, match="accounts add"):
        adapter(emulator).check_credentials()


# -- campaign check --------------------------------------------------------------------------------


def campaign(**account: object) -> dict[str, object]:
    return {
        "campaign": {"id": "masto", "name": "Masto", "language": "fr"},
        "approval": {"required": False},
        "territories": {"fr": {"name": "France", "timezone": "Europe/Paris"}},
        "accounts": {
            "masto": {"network": "mastodon", "sandbox": True, "instance": SANDBOX_INSTANCE, **account}
        },
        "landing": {
            "base_url": "https://s.example.org",
            "channels": {"tel-119": {"name": "119", "phone": "119"}},
        },
        "posts": [{"id": "p1", "text": "Parles-en. " * 60 + "{link}", "accounts": ["masto"]}],
    }


def check(folder: Path, data: dict[str, object]) -> tuple[list[str], list[str]]:
    path = folder / "campaign.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    report = check_file(path, networks=registry())
    return [str(problem) for problem in report.problems], [str(note) for note in report.notes]


def test_campaign_check_counts_against_the_instance_s_limit_once_known(
    tmp_path: Path, emulator: EmulatorServer
) -> None:
    problems, notes = check(tmp_path, campaign(visibility="public"))  # 660 + 23 characters
    assert len(problems) == 1 and "the instance allows 500" in problems[0], problems
    assert any("not known yet" in note and "500" in note for note in notes), notes
    part(emulator).configure(HOST, max_characters=1000)
    adapter(emulator, workspace=tmp_path).check_credentials()  # what `accounts check` does
    assert check(tmp_path, campaign(visibility="public")) == ([], [])


@pytest.mark.parametrize(
    ("instance", "problem"),
    [
        (None, "needs its instance's address"),
        ("http://mastodon.example.org", "does not start with https://"),
        ("https://mastodon.example.org/@ecpat", "has more than a host"),
        ("mastodon.example.org", "does not start with https://"),
    ],
)
def test_campaign_check_wants_the_instance_s_https_address(
    tmp_path: Path, instance: str | None, problem: str
) -> None:
    data = campaign(visibility="public")
    data["posts"] = [{"id": "p1", "text": "Court. {link}", "accounts": ["masto"]}]
    account = data["accounts"]["masto"]  # type: ignore[index]
    if instance is None:
        del account["instance"]
    else:
        account["instance"] = instance
    problems, _notes = check(tmp_path, data)
    [found] = problems
    assert found.startswith(f"{tmp_path / 'campaign.yaml'}:") and problem in found


def test_campaign_check_wants_a_visibility(tmp_path: Path) -> None:
    data = campaign()
    data["posts"] = [{"id": "p1", "text": "Court. {link}", "accounts": ["masto"]}]
    problems, _notes = check(tmp_path, data)
    [found] = problems
    assert "choose visibility ('public', 'unlisted' or 'private')" in found
    assert found.startswith(f"{tmp_path / 'campaign.yaml'}:")


def test_status_html_keeps_the_text_readable() -> None:
    from networks.mastodon.adapter import plain_text

    text = (
        "Premier paragraphe.\nDeuxième ligne & <b>rien</b>\n\nLien : https://clickable.example.org/r/"
        + "a" * 40
    )
    assert plain_text(status_html(text)) == text


# -- the daemon killed during a create ----------------------------------------------------------------


def test_a_daemon_killed_during_a_create_retries_with_the_same_key_and_publishes_once(
    tmp_path: Path, emulator: EmulatorServer
) -> None:
    """A real `clickable schedule run` process, killed (SIGKILL) while Mastodon's answer to its create
    is late: the status exists, the daemon never heard of it. The next daemon finds the delivery
    unconfirmed, sends the create again with the same Idempotency-Key (Mastodon keeps a key for an
    hour), gets the status the first call made, and the record holds one status."""
    import signal
    import time
    from datetime import UTC, datetime, timedelta

    from sqlmodel import Session, select
    from typer.testing import CliRunner

    from campaign.db import Database
    from campaign.models import Delivery, DeliveryEvent, DeliveryState
    from cli import app

    from .test_daemon import FAST, daemon, states, wait_for_start, wait_until_settled

    data = campaign(visibility="public")
    data["posts"] = [{"id": "p1", "text": "Ce n'est jamais ta faute. {link}", "accounts": ["masto"]}]
    (tmp_path / "campaign.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    database_url = f"sqlite:///{tmp_path / 'kill.db'}"
    env = {
        **FAST,
        "CLICKABLE_HOME": str(tmp_path),
        "CLICKABLE_DATABASE_URL": database_url,
        "CLICKABLE_EMULATOR_URL": emulator.url,
    }
    for command in (["campaign", "load"], ["schedule", "plan"]):
        result = CliRunner().invoke(app, command, env=env)
        assert result.exit_code == 0, result.output
    database = Database(database_url)
    with Session(database.engine) as session:
        [delivery] = session.exec(select(Delivery))
        delivery.due_utc = datetime.now(UTC) - timedelta(seconds=1)
        session.add(delivery)
        session.commit()
    inject(emulator, "mastodon", CREATE, late_s=8)  # the status is made, its answer held back 8 s
    creates = part(emulator).creates

    process = daemon(env, "killed")
    try:
        wait_for_start(database_url, process)
        deadline = time.time() + 60
        while not (creates and creates[0]["status"]) and time.time() < deadline:
            time.sleep(0.05)
        assert creates and creates[0]["status"], "the daemon sent no create"
        process.send_signal(signal.SIGKILL)  # while it waits for the answer
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
    [row] = states(database_url)
    assert row.state == DeliveryState.SENDING and len(published(emulator)) == 1  # made, not known

    process = daemon(env, "after")
    try:
        wait_for_start(database_url, process)
        [row] = wait_until_settled(database_url, timeout_s=90)
    finally:
        process.send_signal(signal.SIGTERM)
        _, errors = process.communicate(timeout=30)
    assert b"Traceback" not in errors, errors.decode()
    [status] = published(emulator)
    assert row.state == DeliveryState.PUBLISHED and row.remote_id == status["id"]
    assert [(item["replayed"], item["status"]) for item in creates] == [
        (False, status["id"]),
        (True, status["id"]),  # answered with the status the first call made
    ]
    assert creates[0]["idempotency_key"] == creates[1]["idempotency_key"]
    assert len(creates[0]["idempotency_key"]) >= 32
    with Session(database.engine) as session:
        reasons = [
            event.reason or ""
            for event in session.exec(select(DeliveryEvent).where(DeliveryEvent.delivery_id == row.id))
        ]
    database.dispose()
    assert any("same idempotency key" in reason for reason in reasons), reasons


def test_accounts_check_reads_the_instance_and_campaign_check_counts_against_it(
    cli: Cli, emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The example's sandbox account: before any call, `campaign check` counts against 500 with a note;
    `accounts check` verifies the token (verify_credentials) and reads the instance's limit, which
    `campaign check` then uses."""
    monkeypatch.setenv("CLICKABLE_EMULATOR_URL", emulator.url)
    monkeypatch.setenv("CLICKABLE_KEYRING", "0")
    before = cli("campaign", "check")
    assert before.exit_code == 0, before.output
    assert (
        "note: account 'mastodon-ecpat': the text limit of https://mastodon.example.org is not known yet"
        in before.stderr
    )
    part(emulator).configure(HOST, max_characters=640)
    checked = cli("accounts", "check", "mastodon-ecpat")
    assert checked.exit_code == 0, checked.output
    assert f"@ecpat_sandbox@{HOST} (texts up to 640 characters)" in checked.stdout
    assert [item["template"] for item in exchanges_of(emulator)] == [
        "/api/v2/instance",
        "/api/v1/accounts/verify_credentials",
    ]
    assert "not known yet" not in cli("campaign", "check").stderr
    after = cli("campaign", "check", "--json")
    assert after.exit_code == 0
    report = json.loads(after.stdout)
    assert {variant["limit"] for variant in report["variants"] if variant["account"] == "mastodon-ecpat"} == {
        640
    }


def exchanges_of(server: EmulatorServer) -> list[dict[str, Any]]:
    return [item for item in server.emulator.requests if item["network"] == "mastodon"]
