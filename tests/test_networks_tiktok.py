"""TikTok (Content Posting API): what is particular to it, judged by TikTok's documented requests.

Ground truth, the pages the emulator part's schemas and rules were written from (networks/tiktok/docs.py):

- developers.tiktok.com/doc/content-posting-api-reference-query-creator-info: ``creator_info`` first;
  ``privacy_level_options`` (a public account: PUBLIC_TO_EVERYONE, MUTUAL_FOLLOW_FRIENDS, SELF_ONLY;
  FOLLOWER_OF_CREATOR only for private ones), ``comment/duet/stitch_disabled``,
  ``max_video_post_duration_sec``; 20 requests a minute;
- developers.tiktok.com/doc/content-posting-api-reference-direct-post: ``post_info`` (title in UTF-16
  runes ≤ 2,200, privacy_level, disable_*, brand_content_toggle, brand_organic_toggle) and
  ``source_info``; 6 init requests a minute per token; errors ``privacy_level_option_mismatch``,
  ``unaudited_client_can_only_post_to_private_accounts``, ``spam_risk_too_many_posts``,
  ``spam_risk_user_banned_from_posting``, ``url_ownership_unverified``, ``scope_not_authorized``,
  ``access_token_invalid``, ``rate_limit_exceeded``;
- developers.tiktok.com/doc/content-posting-api-reference-upload-video: the inbox init takes the video
  only (``source_info``), scope video.upload; the creator finishes the post in the app;
- developers.tiktok.com/doc/content-posting-api-media-transfer-guide: chunks 5–64 MB, the last up to
  128 MB, a file under 5 MB one chunk, 1–1,000 chunks, ``total_chunk_count`` = size / chunk rounded
  down, in order, ``Content-Range: bytes first-last/total``;
- developers.tiktok.com/doc/content-posting-api-reference-get-video-status: PROCESSING_UPLOAD,
  SEND_TO_USER_INBOX, PUBLISH_COMPLETE (``publicaly_available_post_id``, TikTok's spelling), FAILED
  with ``fail_reason``; 30 requests a minute;
- developers.tiktok.com/doc/tiktok-api-v2-error-handling: ``{"data", "error": {"code", "message",
  "log_id"}}``, each code's HTTP status;
- developers.tiktok.com/doc/login-kit-desktop and /oauth-user-access-token-management: ``client_key``,
  a loopback redirect with a port, PKCE with the verifier's SHA256 hex-encoded, the token endpoint;
- developers.tiktok.com/doc/content-sharing-guidelines: nothing of the tool's own on the content.
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path
from typing import Any

import pytest
import requests

from networks.base import AccountPaused, Content, NeedsReauth, RateLimited, Rejected
from networks.emulator.server import EmulatorServer
from networks.tiktok.adapter import MiB, TikTokAdapter, chunk_plan, chunk_spans
from networks.tiktok.emulator import chunk_problem
from networks.tiktok.text import measure

from .conftest import inject, make_adapter, published

CHOICES: dict[str, str | bool] = {
    "privacy_level": "PUBLIC_TO_EVERYONE",
    "disable_comment": False,
    "disable_duet": True,
    "disable_stitch": True,
    "brand_content_toggle": False,
    "brand_organic_toggle": False,
}
API = "open.tiktokapis.com"


def tiktok(server: EmulatorServer, *, audited: bool = False, **options: Any) -> TikTokAdapter:
    adapter = make_adapter(server, "tiktok", settings={"audited": audited}, **options)
    assert isinstance(adapter, TikTokAdapter)
    return adapter


def exchanges(server: EmulatorServer) -> list[dict[str, Any]]:
    return [item for item in server.emulator.requests if item["network"] == "tiktok"]


def templates(server: EmulatorServer) -> list[str]:
    return [f"{item['method']} {item['template']}" for item in exchanges(server)]


def fresh_token(server: EmulatorServer) -> str:
    """An access token this emulator issued. The client keeps tokens per address and refresh token
    for the process (and heals a 401 by refreshing); a raw call does not heal: a new emulator of the
    same seed on a reused port hands out the same refresh token, whose kept access token it never issued."""
    return tiktok(server).client.refresh(force=True)


def api(
    server: EmulatorServer, path: str, body: Any, *, token: str | None = None, fields: str = ""
) -> requests.Response:
    """A raw call to the emulator's API host, as any client would send it."""
    if token is None:
        token = fresh_token(server)
    query = f"?fields={fields}" if fields else ""
    return requests.post(
        f"{server.url}{path}{query}",
        json=body,
        headers={
            "Host": API,
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json; charset=UTF-8",
        },
        timeout=5,
    )


# -- every request a publication sends is what TikTok documents ---------------------------------------


def test_every_request_of_an_inbox_and_a_direct_post_validates(
    emulator: EmulatorServer, videos: dict[str, Path]
) -> None:
    tiktok(emulator).publish(Content(text="Brouillon", video=videos["good"], choices=CHOICES))
    tiktok(emulator, audited=True).publish(Content(text="Direct", video=videos["good"], choices=CHOICES))
    seen = exchanges(emulator)
    assert {
        "POST /v2/oauth/token/",
        "POST /v2/post/publish/creator_info/query/",
        "POST /v2/post/publish/inbox/video/init/",
        "POST /v2/post/publish/video/init/",
        "PUT /video/",
        "POST /v2/post/publish/status/fetch/",
        "POST /v2/video/list/",
    } <= set(templates(emulator))
    for item in seen:
        assert item["request"]["checked"] and item["request"]["ok"], item
        assert item["response"]["checked"] and item["response"]["ok"], item


def test_the_caption_goes_as_written_with_nothing_of_the_tools_own(
    emulator: EmulatorServer, videos: dict[str, Path]
) -> None:
    text = "Ce n'est jamais ta faute. Parles-en : https://clickable.example.org/r/ct3dkf7q #3018"
    tiktok(emulator, audited=True).publish(Content(text=text, video=videos["good"], choices=CHOICES))
    [record] = [item for item in published(emulator) if item["network"] == "tiktok"]
    assert record["text"] == text  # no watermark, brand or link of clickable added (sharing guidelines)
    [upload] = [upload for upload in emulator.emulator.uploads.values() if upload.data]
    assert bytes(upload.data) == videos["good"].read_bytes()  # the creator's video, byte for byte


@pytest.mark.refused_requests
def test_requests_tiktok_does_not_document_get_its_errors(emulator: EmulatorServer) -> None:
    source = {"source": "FILE_UPLOAD", "video_size": 1000, "chunk_size": 1000, "total_chunk_count": 1}
    unknown = api(
        emulator,
        "/v2/post/publish/video/init/",
        {"post_info": {"privacy_level": "SELF_ONLY", "watermark": True}, "source_info": source},
    )
    assert unknown.status_code == 400 and unknown.json()["error"]["code"] == "invalid_params"
    assert "watermark" in unknown.json()["error"]["message"] and unknown.json()["error"]["log_id"]
    level = api(
        emulator,
        "/v2/post/publish/video/init/",
        {"post_info": {"privacy_level": "PUBLIC"}, "source_info": source},
    )
    assert level.status_code == 400 and level.json()["error"]["code"] == "invalid_params"
    long = api(
        emulator,
        "/v2/post/publish/video/init/",
        {"post_info": {"privacy_level": "SELF_ONLY", "title": "😀" * 1101}, "source_info": source},
    )
    assert long.status_code == 400 and "UTF-16" in long.json()["error"]["message"]  # 2,202 runes
    chunks = api(
        emulator,
        "/v2/post/publish/inbox/video/init/",
        {"source_info": {**source, "video_size": 6 * MiB, "chunk_size": 1 * MiB, "total_chunk_count": 6}},
    )
    assert chunks.status_code == 400 and "5 MB" in chunks.json()["error"]["message"]
    fields = api(emulator, "/v2/video/list/", {"max_count": 20}, fields="id,play_count")
    assert fields.status_code == 400 and "play_count" in fields.json()["error"]["message"]
    bad_token = api(emulator, "/v2/post/publish/creator_info/query/", {}, token="act.forged")
    assert bad_token.status_code == 401 and bad_token.json()["error"]["code"] == "access_token_invalid"


@pytest.mark.refused_requests
def test_a_missing_scope_is_scope_not_authorized_and_needs_reauthentication(
    emulator: EmulatorServer, videos: dict[str, Path]
) -> None:
    part = emulator.emulator.part("tiktok")
    refresh = part.credentials["refresh_token"]
    part.refresh_tokens[refresh] = "user.info.basic,video.upload,video.list"  # no video.publish granted
    with pytest.raises(NeedsReauth, match="scope_not_authorized"):
        tiktok(emulator).publish(Content(text="Sans droit", video=videos["good"], choices=CHOICES))
    assert "PUT /video/" not in templates(emulator)


@pytest.mark.refused_requests
def test_chunks_out_of_order_or_of_the_wrong_size_are_refused(emulator: EmulatorServer) -> None:
    size = 12 * MiB
    answer = api(
        emulator,
        "/v2/post/publish/inbox/video/init/",
        {
            "source_info": {
                "source": "FILE_UPLOAD",
                "video_size": size,
                "chunk_size": 6 * MiB,
                "total_chunk_count": 2,
            }
        },
    )
    assert answer.status_code == 200, answer.text
    upload_url = answer.json()["data"]["upload_url"]
    target = emulator.url + upload_url.removeprefix("https://open-upload.tiktokapis.com")
    headers = {"Host": "open-upload.tiktokapis.com", "Content-Type": "video/mp4"}
    second = requests.put(
        target,
        data=b"\0" * (6 * MiB),
        headers={**headers, "Content-Range": f"bytes {6 * MiB}-{size - 1}/{size}"},
        timeout=10,
    )
    assert (
        second.status_code == 400 and second.json()["error"]["code"] == "invalid_file_upload"
    )  # not in order
    short = requests.put(
        target,
        data=b"\0" * MiB,
        headers={**headers, "Content-Range": f"bytes 0-{MiB - 1}/{size}"},
        timeout=10,
    )
    assert short.status_code == 400 and "6291456 bytes" in short.json()["error"]["message"]
    first = requests.put(
        target,
        data=b"\0" * (6 * MiB),
        headers={**headers, "Content-Range": f"bytes 0-{6 * MiB - 1}/{size}"},
        timeout=10,
    )
    assert first.status_code == 206


# -- chunk arithmetic (the media transfer guide) -----------------------------------------------------------


@pytest.mark.parametrize(
    "size",
    [
        1,
        5 * MiB - 1,
        5 * MiB,
        16 * MiB,
        64 * MiB,
        64 * MiB + 1,
        150 * MiB,
        1000 * 16 * MiB + 7,
        4 * 1024 * MiB,
    ],
)
def test_every_chunk_plan_keeps_tiktoks_rules(size: int) -> None:
    chunk, count = chunk_plan(size)
    assert chunk_problem(size, chunk, count) is None  # the emulator's reading of the rules agrees
    spans = chunk_spans(size, chunk, count)
    assert sum(length for _first, length in spans) == size and spans[0][0] == 0
    assert all(first + length == after for (first, length), (after, _n) in itertools.pairwise(spans))
    assert 1 <= count <= 1000 and spans[-1][1] <= 128 * MiB
    if size < 5 * MiB:
        assert (chunk, count) == (size, 1)
    else:
        assert all(5 * MiB <= length <= 64 * MiB for _first, length in spans[:-1])


def test_the_emulator_refuses_plans_the_guide_forbids() -> None:
    assert chunk_problem(4 * MiB, 2 * MiB, 2)  # under 5 MB: whole
    assert chunk_problem(100 * MiB, 100 * MiB, 1)  # over 64 MB: several chunks
    assert chunk_problem(150 * MiB, 16 * MiB, 10)  # count is size // chunk, 9
    assert chunk_problem(300 * MiB, 64 * MiB, 3) and chunk_problem(300 * MiB, 64 * MiB, 4) is None
    assert chunk_problem(2000 * 5 * MiB, 5 * MiB, 2000)  # at most 1,000 chunks


def test_a_150_mb_file_goes_in_order_in_chunks_and_only_the_last_one_is_the_create(
    emulator: EmulatorServer, tmp_path: Path
) -> None:
    big = tmp_path / "big.mp4"  # sparse: made here, never committed
    with big.open("wb") as stream:
        stream.truncate(150 * MiB)
    adapter = tiktok(emulator)
    content = Content(text="Gros fichier", video=big, choices=CHOICES)
    handle = adapter.upload_video(content, None, None)
    puts = [item for item in exchanges(emulator) if item["template"] == "/video/"]
    assert len(puts) == 8 and handle.uploaded_bytes == 8 * 16 * MiB  # 9 chunks of 16 MB, the last 22 MB
    [init] = [
        item for item in exchanges(emulator) if item["template"] == "/v2/post/publish/inbox/video/init/"
    ]
    assert init["request"]["ok"] and all(item["request"]["ok"] and item["status"] == 206 for item in puts)
    adapter.create(content, handle)
    last = [item for item in exchanges(emulator) if item["template"] == "/video/"][-1]
    assert last["status"] == 201
    [upload] = [upload for upload in emulator.emulator.uploads.values() if upload.total == 150 * MiB]
    assert len(upload.data) == 150 * MiB and upload.finalized
    with pytest.raises(Rejected, match="file_format_check_failed"):  # zeros are not a video
        adapter.poll(adapter.create(content, handle))


# -- the choices, against creator_info, before any upload -------------------------------------------------


def test_a_choice_creator_info_does_not_offer_is_refused_before_any_upload(
    emulator: EmulatorServer, videos: dict[str, Path]
) -> None:
    adapter = tiktok(emulator, audited=True)
    private_only = {**CHOICES, "privacy_level": "FOLLOWER_OF_CREATOR"}  # offered to private accounts only
    with pytest.raises(Rejected, match=r"FOLLOWER_OF_CREATOR is not offered to @ecpat\.sandbox"):
        adapter.publish(Content(text="Abonnés", video=videos["good"], choices=private_only))
    assert templates(emulator) == ["POST /v2/oauth/token/", "POST /v2/post/publish/creator_info/query/"]
    part = emulator.emulator.part("tiktok")
    part.creator["comment_disabled"] = True
    with pytest.raises(Rejected, match="turned comments off"):
        adapter.publish(Content(text="Commentaires", video=videos["good"], choices=CHOICES))
    part.creator.update(comment_disabled=False, max_video_post_duration_sec=2)
    with pytest.raises(Rejected, match="at most 2 s"):
        adapter.publish(Content(text="Trop long", video=videos["good"], choices=CHOICES))
    branded_private = {**CHOICES, "privacy_level": "SELF_ONLY", "brand_content_toggle": True}
    part.creator["max_video_post_duration_sec"] = 600
    with pytest.raises(Rejected, match="cannot be SELF_ONLY"):
        adapter.publish(Content(text="Partenariat", video=videos["good"], choices=branded_private))
    assert not any(
        item["template"] in ("/video/", "/v2/post/publish/video/init/") for item in exchanges(emulator)
    )


def test_every_choice_is_required_before_any_call(emulator: EmulatorServer, videos: dict[str, Path]) -> None:
    for name in CHOICES:
        choices = {key: value for key, value in CHOICES.items() if key != name}
        with pytest.raises(Rejected, match=f"no {name} choice"):
            tiktok(emulator).publish(Content(text="Sans choix", video=videos["good"], choices=choices))
    assert exchanges(emulator) == []


def test_a_tiktok_post_without_a_privacy_choice_is_a_campaign_check_error(cli: Any) -> None:
    cli.edit(
        "accounts:\n",
        "accounts:\n  tiktok-test: {network: tiktok, sandbox: true, disable_comment: false, disable_duet: true, disable_stitch: true, brand_content_toggle: false, brand_organic_toggle: false}\n",
    )
    cli.edit("    accounts: [x-ecpat, ", "    accounts: [tiktok-test, x-ecpat, ")  # the first post with X
    result = cli("campaign", "check")
    assert result.exit_code == 1
    path = cli.workspace / "campaign.yaml"
    line = next(
        number for number, row in enumerate(path.read_text("utf-8").splitlines(), 1) if "[tiktok-test," in row
    )
    assert f"campaign.yaml:{line}:" in result.stdout and "choose privacy_level" in result.stdout
    assert "'PUBLIC_TO_EVERYONE'" in result.stdout
    cli.edit(
        "tiktok-test: {network: tiktok, sandbox: true,",
        "tiktok-test: {network: tiktok, sandbox: true, privacy_level: PUBLIC,",
    )
    wrong = cli("campaign", "check")
    assert wrong.exit_code == 1 and "TikTok takes" in wrong.stdout


# -- inbox and direct post -----------------------------------------------------------------------------------


def test_an_inbox_post_is_reported_as_a_draft_until_the_creator_finishes_it(
    emulator: EmulatorServer, videos: dict[str, Path]
) -> None:
    adapter = tiktok(emulator)
    result = adapter.publish(Content(text="Pour le brouillon", video=videos["good"], choices=CHOICES))
    assert result.visibility == "inbox" and result.url is None and not result.processing
    assert (
        "inbox as a draft, not published" in result.notes[0]
        and "privacy PUBLIC_TO_EVERYONE" in result.notes[0]
    )
    assert "POST /v2/post/publish/video/init/" not in templates(emulator)  # the inbox init only
    assert published(emulator) == []  # nothing is public yet
    [reading] = adapter.fetch_metrics([result.remote_id])
    assert not reading.missing and reading.normalised == {}
    post_id = emulator.emulator.part("tiktok").finish_in_app(result.remote_id, "Pour le brouillon")
    emulator.emulator.clock_offset += 3600
    [reading] = adapter.fetch_metrics([result.remote_id])  # the creator posted it in the app: its numbers
    assert reading.raw["post_id"] == post_id and reading.normalised["views"] > 0


def test_an_unaudited_apps_direct_post_must_be_self_only(
    emulator: EmulatorServer, videos: dict[str, Path]
) -> None:
    emulator.emulator.part("tiktok").audited = False
    with pytest.raises(Rejected, match="unaudited_client_can_only_post_to_private_accounts"):
        tiktok(emulator, audited=True).publish(Content(text="Public", video=videos["good"], choices=CHOICES))
    private = tiktok(emulator, audited=True).publish(
        Content(text="Privé", video=videos["good"], choices={**CHOICES, "privacy_level": "SELF_ONLY"})
    )
    assert private.visibility == "private" and not private.processing


def test_a_direct_public_post_gets_its_address_and_metrics(
    emulator: EmulatorServer, videos: dict[str, Path]
) -> None:
    adapter = tiktok(emulator, audited=True)
    result = adapter.publish(Content(text="Public", video=videos["good"], choices=CHOICES))
    assert result.url == f"https://www.tiktok.com/@ecpat.sandbox/video/{result.remote_id}"
    emulator.emulator.clock_offset += 3600
    [reading] = adapter.fetch_metrics([result.remote_id])
    assert set(reading.normalised) == {"views", "likes", "comments", "shares"}


# -- pacing and errors ------------------------------------------------------------------------------------------


def test_init_is_paced_to_six_a_minute_per_token(emulator: EmulatorServer, videos: dict[str, Path]) -> None:
    now = [1_000.0]
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds
        emulator.emulator.clock_offset += seconds

    adapter = tiktok(emulator, sleep=sleep, clock=lambda: now[0])
    for index in range(7):
        adapter.upload_video(Content(text=f"n{index}", video=videos["good"], choices=CHOICES), None, None)
    assert [round(wait) for wait in waits if wait > 10] == [60]  # the seventh waited for the first to age
    inits = [item for item in exchanges(emulator) if item["template"] == "/v2/post/publish/inbox/video/init/"]
    assert len(inits) == 7 and all(item["status"] == 200 for item in inits)


@pytest.mark.refused_requests
def test_the_emulator_refuses_a_seventh_init_in_a_minute(emulator: EmulatorServer) -> None:
    token = fresh_token(emulator)
    source = {"source": "FILE_UPLOAD", "video_size": 1000, "chunk_size": 1000, "total_chunk_count": 1}
    codes = [
        api(emulator, "/v2/post/publish/inbox/video/init/", {"source_info": source}, token=token).status_code
        for _ in range(7)
    ]
    assert codes == [200] * 6 + [429]


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("spam_risk_too_many_posts", RateLimited),
        ("reached_active_user_cap", RateLimited),
        ("spam_risk_user_banned_from_posting", AccountPaused),
        ("privacy_level_option_mismatch", Rejected),
        ("url_ownership_unverified", Rejected),
    ],
)
def test_errors_are_classified_from_error_code(
    emulator: EmulatorServer, videos: dict[str, Path], code: str, kind: type[Exception]
) -> None:
    from networks.tiktok import docs

    status = docs.ERROR_CODES[code][0]
    inject(emulator, "tiktok", "POST /v2/post/publish/video/init/", status=status,
           body={"data": {}, "error": {"code": code, "message": "", "log_id": "1"}})  # fmt: skip
    with pytest.raises(kind) as caught:
        tiktok(emulator, audited=True).publish(Content(text="Erreur", video=videos["good"], choices=CHOICES))
    if code == "spam_risk_too_many_posts":
        assert caught.value.retry_after >= 3600  # type: ignore[attr-defined]


def test_texts_are_measured_in_utf16_runes() -> None:
    assert measure("é" * 2200).ok and not measure("é" * 2201).ok
    assert measure("😀" * 1100).ok and not measure("😀" * 1101).ok  # an emoji outside the BMP counts two
    assert not measure("  ").ok


# -- connecting a creator: Login Kit for Desktop on a loopback redirect, for real ------------------------


def connect(server: EmulatorServer, *, previous: dict[str, str] | None = None) -> dict[str, str]:
    from networks.oauth import ConnectRequest
    from networks.tiktok.oauth import TikTokConnector

    from .play_browser import browser

    request = ConnectRequest(
        account="tiktok-ecpat",
        network="tiktok",
        previous=previous,
        emulator_url=server.url,
        open_browser=browser(server.url),
        wait_s=10,
    )
    return TikTokConnector().connect(request)


def test_the_flow_gets_a_refresh_token_the_api_accepts_and_a_reconnect_keeps_it(
    emulator: EmulatorServer,
) -> None:
    from pydantic import SecretStr

    from networks.credentials import Credentials as Stored

    values = connect(emulator)
    sandbox = emulator.emulator.credentials()["tiktok"]
    assert values["client_key"] == sandbox["client_key"] and values["refresh_token"].startswith("rft.sbx")
    assert values["refresh_token"] != sandbox["refresh_token"] and values["open_id"] == sandbox["open_id"]
    stored = Stored(
        "tiktok-ecpat", "tiktok", {key: SecretStr(value) for key, value in values.items()}, "file"
    )
    assert TikTokAdapter(stored, emulator_url=emulator.url).check_credentials() == "@ecpat.sandbox"
    [consent] = [item for item in exchanges(emulator) if item["template"] == "/v2/auth/authorize/"]
    assert consent["status"] == 302 and {"client_key", "code_challenge", "state", "redirect_uri"} <= set(
        consent["query_keys"]
    )
    assert connect(emulator, previous=values)["client_key"] == values["client_key"]


def test_a_refused_refresh_token_needs_reauthentication_and_is_not_wiped(
    emulator: EmulatorServer, videos: dict[str, Path]
) -> None:
    part = emulator.emulator.part("tiktok")
    part.revoked.add(part.credentials["refresh_token"])
    adapter = tiktok(emulator)
    with pytest.raises(NeedsReauth, match="invalid_grant"):
        adapter.publish(Content(text="Jeton", video=videos["good"], choices=CHOICES))
    assert adapter.client.refresh_token == part.credentials["refresh_token"]  # kept for the person to see
    assert templates(emulator) == ["POST /v2/oauth/token/"]


def test_no_network_client_secret_in_reprs(emulator: EmulatorServer) -> None:
    adapter = tiktok(emulator)
    adapter.client.access_token()
    secrets = emulator.emulator.credentials()["tiktok"]
    shown = repr(adapter) + repr(adapter.client)
    assert secrets["client_secret"] not in shown and secrets["refresh_token"] not in shown
    assert os.environ.get("CLICKABLE_TEST_NO_SUCH") is None


def test_accounts_add_runs_login_kit_in_the_browser_and_stores_the_token(
    cli: Any, emulator: EmulatorServer
) -> None:
    import subprocess
    import sys

    from networks.credentials import CredentialStore

    play = Path(__file__).with_name("play_browser.py")
    env = {
        **os.environ,
        "CLICKABLE_HOME": str(cli.workspace),
        "CLICKABLE_DATABASE_URL": cli.database_url,
        "CLICKABLE_EMULATOR_URL": emulator.url,
        "CLICKABLE_KEYRING": "0",
        "BROWSER": f"{sys.executable} {play} %s &",  # how webbrowser runs the browser the environment names
        "PYTHONPATH": str(play.parent.parent),
    }
    command = [sys.executable, "-c", "from cli import main; main()", "accounts", "add", "tiktok-ecpat"]
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "www.tiktok.com/v2/auth/authorize/" in result.stdout and "Traceback" not in result.stderr
    stored = CredentialStore(cli.workspace, use_keyring=False).load("tiktok-ecpat", "tiktok")
    assert stored is not None and stored.get("refresh_token").startswith("rft.sbx")
    assert stored.get("refresh_token") not in result.stdout + result.stderr  # never printed
    check = subprocess.run(
        [sys.executable, "-c", "from cli import main; main()", "accounts", "check", "tiktok-ecpat"],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )  # fmt: skip
    assert check.returncode == 0 and "@ecpat.sandbox" in check.stdout, check.stdout + check.stderr


def test_a_rotated_refresh_token_is_kept_in_the_store_and_the_old_one_stops_working(
    emulator: EmulatorServer, tmp_path: Path
) -> None:
    """developers.tiktok.com/doc/oauth-refresh-a-user-access-token: "Refresh tokens are rotated… The
    previous refresh token stops working once a new one is issued." """
    from networks.accounts import AccountRef, build_adapter
    from networks.credentials import CredentialStore

    store = CredentialStore(tmp_path, use_keyring=False)
    values = connect(emulator)
    store.save("tiktok-ecpat", "tiktok", values, None)
    account = AccountRef("tiktok-ecpat", "tiktok", True, {})
    assert (
        build_adapter(account, store=store, emulator_url=emulator.url).check_credentials() == "@ecpat.sandbox"
    )
    kept = store.load("tiktok-ecpat", "tiktok")
    assert kept is not None and kept.get("refresh_token") not in ("", values["refresh_token"])
    assert kept.get("client_secret") == values["client_secret"]  # the other values stay as they were
    old = requests.post(
        f"{emulator.url}/v2/oauth/token/",
        data={
            **{key: values[key] for key in ("client_key", "client_secret", "refresh_token")},
            "grant_type": "refresh_token",
        },
        headers={"Host": API},
        timeout=5,
    )
    assert old.status_code == 400 and old.json()["error"] == "invalid_grant"
    refreshes = templates(emulator).count("POST /v2/oauth/token/")
    second = build_adapter(account, store=store, emulator_url=emulator.url)  # the access token is reused
    assert second.check_credentials() == "@ecpat.sandbox"
    assert templates(emulator).count("POST /v2/oauth/token/") == refreshes


# -- through the dispatcher: an inbox draft reported as such, re-authentication -------------------------


@pytest.fixture
def creator(tmp_path: Path, emulator: EmulatorServer, database_url: str, videos: dict[str, Path]) -> Any:
    """A campaign with one sandbox TikTok account (inbox mode, every choice made) and a video post due now."""
    from sqlmodel import Session, select

    from campaign.models import Capsule

    from .conftest import small_campaign
    from .test_dispatch import make_env

    campaign = small_campaign(posts=0, territories={"fr": ("France", "Europe/Paris")})
    campaign["accounts"] = {"tiktok-ecpat": {"network": "tiktok", "sandbox": True, **CHOICES}}
    campaign["capsules"] = {"clip": {"script": "clip.yaml"}}
    campaign["posts"] = [
        {
            "id": "clip",
            "text": "Ne paie pas. Parles-en. #ECPAT",
            "accounts": ["tiktok-ecpat"],
            "capsule": "clip",
        }
    ]
    (tmp_path / "clip.yaml").write_text("title: clip\n", "utf-8")
    env = next(make_env(tmp_path, emulator, database_url, campaign))
    with Session(env.database.engine) as session:
        capsule = session.exec(select(Capsule)).one()
        capsule.outputs = {  # as `capsule render` records it
            "languages": ["fr"],
            "renders": {"vertical.fr": {"files": [{"kind": "video", "path": str(videos["good"])}]}},
        }
        session.add(capsule)
        session.commit()
    yield env
    env.database.dispose()


def test_the_dispatcher_reports_an_inbox_post_as_a_draft(creator: Any) -> None:
    from sqlmodel import Session, select

    from campaign.models import DeliveryEvent

    summary = creator.dispatcher().run_due()
    assert summary.problems == []
    [delivery] = creator.deliveries()
    assert delivery.state == "published" and delivery.visibility == "inbox" and delivery.remote_url is None
    with Session(creator.database.engine) as session:
        reasons = [event.reason for event in session.exec(select(DeliveryEvent))]
    assert any("inbox as a draft, not published" in str(reason) for reason in reasons)
    listing = creator.cli("schedule", "list")
    assert "(inbox)" in listing.stdout, listing.stdout
    assert published(creator.emulator) == []  # nothing public until the creator finishes it


def test_a_refused_refresh_token_pauses_the_account_and_keeps_the_token(creator: Any) -> None:
    from sqlmodel import Session, select

    from campaign.models import Account
    from networks.credentials import CredentialStore

    store = CredentialStore(creator.workspace, use_keyring=False)
    values = connect(creator.emulator)  # accounts add, as the flow stores it
    store.save("tiktok-ecpat", "tiktok", values, None)
    creator.emulator.emulator.part("tiktok").revoked.add(
        values["refresh_token"]
    )  # expired, or access removed
    summary = creator.dispatcher().run_due()
    assert summary.paused == 1 and "invalid_grant" in summary.problems[0]
    with Session(creator.database.engine) as session:
        assert session.exec(select(Account)).one().needs_reauth
    kept = store.load("tiktok-ecpat", "tiktok")
    assert kept is not None and kept.get("refresh_token") == values["refresh_token"]  # not wiped
