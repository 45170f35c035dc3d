"""YouTube Shorts: google-api-python-client, built from its shipped discovery document, against the emulator.

The emulator's YouTube routes are judged by that document (googleapiclient/discovery_cache/documents/
youtube.v3.json) and by Google's published protocol and errors; the cases relied on:

- resumable upload: https://developers.google.com/youtube/v3/guides/using_resumable_upload_protocol
  (initial POST with X-Upload-Content-Length/-Type → 200 + Location; PUT chunks with Content-Range;
  308 Resume Incomplete with Range: bytes=0-N; "bytes */total" asks the status; chunks but the last
  are multiples of 256 KiB);
- errors: https://developers.google.com/youtube/v3/docs/errors (unknownPart, quotaExceeded,
  invalidTitle, authError) and https://developers.google.com/youtube/v3/docs/captions/insert#errors
  (invalidMetadata, nameTooLong, videoNotFound, captionExists);
- captions.insert's `sync` was removed on 2024-04-12: https://developers.google.com/youtube/v3/revision_history;
- quota: https://developers.google.com/youtube/v3/determine_quota_cost (videos.insert bucket of 100,
  10,000 units, captions.insert 400, videos.list 1, reset at midnight Pacific time);
- unaudited projects' uploads are private: https://support.google.com/youtube/answer/7300965
  ("videos uploaded via the API from unverified projects created after 28 July 2020 will be restricted
  to private viewing mode").
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests

from networks.base import CaptionTrack, Content, NeedsReauth, RateLimited, Rejected
from networks.emulator.server import EmulatorServer
from networks.transport import prepare_session
from networks.youtube import discovery
from networks.youtube.adapter import until_reset
from networks.youtube.captions import Track, fallbacks, tracks
from networks.youtube.text import measure, tags, title

from .conftest import inject, make_adapter, published

CHOICES: dict[str, str | bool] = {"privacy_status": "public", "made_for_kids": False}
API = "https://youtube.googleapis.com"
SRT = "1\n00:00:00,500 --> 00:00:02,000\n{text}\n"


def client(server: EmulatorServer) -> tuple[requests.Session, dict[str, str]]:
    """A raw HTTP client of the real hosts (through our loopback transport) and a Bearer header."""
    session = prepare_session(requests.Session(), emulator_url=server.url, timeout=10)
    values = server.emulator.credentials()["youtube"]
    answer = session.post(
        "https://oauth2.googleapis.com/token",
        data={
            **{key: values[key] for key in ("client_id", "client_secret", "refresh_token")},
            "grant_type": "refresh_token",
        },
    )
    assert answer.status_code == 200, answer.text
    return session, {"Authorization": f"Bearer {answer.json()['access_token']}"}


def error_of(answer: requests.Response) -> tuple[int, str]:
    body = answer.json()["error"]
    assert set(body) >= {"code", "message", "errors", "status"}  # Google's error shape
    return body["code"], body["errors"][0]["reason"]


def sidecars(
    folder: Path, video: Path, tags: tuple[str, ...], text: str = "Parles-en.", **fields: object
) -> Content:
    """A post of ``video`` with one SubRip and WebVTT sidecar per language, as capsules write them."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "vertical.mp4"
    target.write_bytes(video.read_bytes())
    captions = []
    for language in tags:
        srt, vtt = folder / f"vertical.{language}.srt", folder / f"vertical.{language}.vtt"
        srt.write_text(SRT.format(text=f"[{language}] Parles-en."), "utf-8")
        vtt.write_text(f"WEBVTT\nLanguage: {language}\n\n", "utf-8")
        captions.append(CaptionTrack(language, srt, vtt))
    return Content(text=text, video=target, captions=tuple(captions), choices=CHOICES, **fields)  # type: ignore[arg-type]


def youtube_exchanges(server: EmulatorServer) -> list[dict[str, object]]:
    return [item for item in server.emulator.requests if item["network"] == "youtube"]


# -- the discovery document is the judge ----------------------------------------------------------


def test_the_document_is_the_one_the_client_ships() -> None:
    import googleapiclient

    shipped = Path(googleapiclient.__file__).parent / "discovery_cache" / "documents" / "youtube.v3.json"
    assert discovery.document() == json.loads(shipped.read_text("utf-8"))
    insert = discovery.method("youtube.videos.insert")
    assert insert.http_method == "POST" and "/upload/youtube/v3/videos" in insert.upload_paths
    assert insert.parameters["part"]["required"] is True


def test_every_request_a_publication_sends_validates(
    emulator: EmulatorServer, videos: dict[str, Path], tmp_path: Path
) -> None:
    content = sidecars(tmp_path / "out", videos["good"], ("fr", "en"), "Ne paie pas. #ECPAT")
    adapter = make_adapter(emulator, "youtube")
    result = adapter.publish(content)
    adapter.fetch_metrics([result.remote_id])
    adapter.find_published(Content(text="Ne paie pas. #ECPAT").fingerprint)
    api = [item for item in youtube_exchanges(emulator) if item["host"] == "youtube.googleapis.com"]
    templates = {f"{item['method']} {item['template']}" for item in api}
    assert templates >= {
        "POST /upload/youtube/v3/videos",
        "PUT /upload/youtube/v3/videos",
        "GET /youtube/v3/videos",
        "POST /upload/youtube/v3/captions",
        "GET /youtube/v3/channels",
        "GET /youtube/v3/playlistItems",
    }
    assert all(item["request"]["checked"] and item["request"]["ok"] for item in api), api  # type: ignore[index]
    answered = [item for item in api if item["response"]["checked"]]  # type: ignore[index]
    assert len(answered) >= 6 and all(item["response"]["ok"] for item in answered)  # type: ignore[index]


@pytest.mark.refused_requests
def test_an_unknown_parameter_part_or_field_gets_googles_error(emulator: EmulatorServer) -> None:
    session, auth = client(emulator)
    answer = session.get(
        f"{API}/youtube/v3/videos", params={"part": "statistics", "id": "x", "bogus": "1"}, headers=auth
    )
    assert answer.status_code == 400 and error_of(answer) == (400, "invalidParameter")
    answer = session.get(
        f"{API}/youtube/v3/videos", params={"part": "statistics,shorts", "id": "x"}, headers=auth
    )
    assert answer.status_code == 400 and error_of(answer) == (400, "unknownPart")
    assert answer.json()["error"]["errors"][0]["domain"] == "youtube.part"
    answer = session.get(f"{API}/youtube/v3/videos", params={"id": "x"}, headers=auth)  # part is required
    assert error_of(answer) == (400, "required")
    answer = session.post(
        f"{API}/upload/youtube/v3/videos",
        params={"part": "snippet,status", "uploadType": "resumable"},
        json={"snippet": {"title": "t", "shorts": True}, "status": {"privacyStatus": "public"}},
        headers={**auth, "X-Upload-Content-Length": "10", "X-Upload-Content-Type": "video/mp4"},
    )
    assert (
        error_of(answer) == (400, "invalid") and 'Unknown name "shorts"' in answer.json()["error"]["message"]
    )
    answer = session.post(
        f"{API}/upload/youtube/v3/videos",
        params={"part": "status", "uploadType": "resumable"},
        json={"status": {"privacyStatus": "secret"}},  # not in the enum
        headers={**auth, "X-Upload-Content-Length": "10", "X-Upload-Content-Type": "video/mp4"},
    )
    assert error_of(answer) == (400, "invalid")


@pytest.mark.refused_requests
def test_captions_need_language_name_and_video_and_sync_is_gone(emulator: EmulatorServer) -> None:
    session, auth = client(emulator)
    boundary = "clickable"

    def related(metadata: dict[str, object]) -> bytes:
        return (
            f"--{boundary}\r\nContent-Type: application/json\r\n\r\n{json.dumps(metadata)}\r\n"
            f"--{boundary}\r\nContent-Type: application/octet-stream\r\n\r\n{SRT.format(text='x')}\r\n--{boundary}--\r\n"
        ).encode()

    headers = {**auth, "Content-Type": f'multipart/related; boundary="{boundary}"'}
    answer = session.post(
        f"{API}/upload/youtube/v3/captions",
        params={"part": "snippet", "uploadType": "multipart"},
        data=related({"snippet": {"videoId": "v"}}),
        headers=headers,
    )
    assert error_of(answer) == (
        400,
        "required",
    )  # annotations.required: language and name for captions.insert
    answer = session.post(
        f"{API}/upload/youtube/v3/captions",
        params={"part": "snippet", "uploadType": "multipart", "sync": "true"},
        data=related({"snippet": {"videoId": "v", "language": "fr", "name": "Français"}}),
        headers=headers,
    )
    assert error_of(answer) == (400, "invalidParameter")
    answer = session.post(
        f"{API}/upload/youtube/v3/captions",
        params={"part": "snippet", "uploadType": "multipart"},
        data=related({"snippet": {"videoId": "nope", "language": "fr", "name": "Français"}}),
        headers=headers,
    )
    assert error_of(answer) == (404, "videoNotFound")


@pytest.mark.refused_requests
def test_resumable_protocol_308_range_status_query_and_granule(emulator: EmulatorServer) -> None:
    session, auth = client(emulator)
    total = 256 * 1024 + 100
    start = session.post(
        f"{API}/upload/youtube/v3/videos",
        params={"part": "snippet,status", "uploadType": "resumable"},
        json={
            "snippet": {"title": "Protocole"},
            "status": {"privacyStatus": "private", "selfDeclaredMadeForKids": False},
        },
        headers={**auth, "X-Upload-Content-Length": str(total), "X-Upload-Content-Type": "video/mp4"},
    )
    assert start.status_code == 200 and "upload_id=" in start.headers["Location"]
    session_uri = start.headers["Location"]
    data = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * (total - 12)
    odd = session.put(
        session_uri, data=data[:1000], headers={**auth, "Content-Range": f"bytes 0-999/{total}"}
    )
    assert odd.status_code == 400  # not a multiple of 256 KiB and not the last chunk
    first = session.put(
        session_uri,
        data=data[: 256 * 1024],
        headers={**auth, "Content-Range": f"bytes 0-{256 * 1024 - 1}/{total}"},
    )
    assert first.status_code == 308 and first.headers["Range"] == f"bytes=0-{256 * 1024 - 1}"
    status = session.put(session_uri, headers={**auth, "Content-Range": f"bytes */{total}"})
    assert status.status_code == 308 and status.headers["Range"] == f"bytes=0-{256 * 1024 - 1}"
    bad = session.put(session_uri, data=data[10:20], headers={**auth, "Content-Range": "bytes 10-19"})
    assert bad.status_code == 400  # a Content-Range the protocol does not have
    last = session.put(
        session_uri,
        data=data[256 * 1024 :],
        headers={**auth, "Content-Range": f"bytes {256 * 1024}-{total - 1}/{total}"},
    )
    assert last.status_code == 200 and last.json()["kind"] == "youtube#video"
    assert last.json()["status"]["privacyStatus"] == "private"


def test_a_large_video_goes_in_chunks_and_only_the_last_one_is_the_create(
    emulator: EmulatorServer, tmp_path: Path
) -> None:
    from capsules.media import run_ffmpeg

    video = tmp_path / "big.mp4"
    made = run_ffmpeg(["-y", "-f", "lavfi", "-i", "testsrc=size=540x960:rate=30:duration=3", "-c:v", "libx264",
                       "-preset", "ultrafast", "-qp", "0", "-pix_fmt", "yuv420p", str(video)])  # fmt: skip
    assert made.returncode == 0, made.stderr
    size = video.stat().st_size
    assert size > 2 * 256 * 1024
    adapter = make_adapter(emulator, "youtube", chunk_bytes=256 * 1024)
    content = Content(text="En morceaux.", video=video, choices=CHOICES)
    handle = adapter.upload_media(content)
    assert (
        handle is not None and 0 < handle.uploaded_bytes < size and not published(emulator)
    )  # not created yet
    created = adapter.create(content, handle)
    [record] = published(emulator)
    assert record["id"] == created.remote_id
    assert bytes(emulator.emulator.uploads[record["media"][0]].data) == video.read_bytes()  # type: ignore[index]
    puts = [item for item in youtube_exchanges(emulator) if item["method"] == "PUT"]
    assert len(puts) == -(-size // (256 * 1024))


# -- Shorts: choices, privacy, captions ----------------------------------------------------------------


def test_both_choices_are_required_before_any_call(emulator: EmulatorServer, videos: dict[str, Path]) -> None:
    adapter = make_adapter(emulator, "youtube")
    for choices in ({}, {"privacy_status": "public"}, {"made_for_kids": True}):
        with pytest.raises(Rejected, match="choice"):
            adapter.publish(Content(text="Sans choix", video=videos["good"], choices=choices))
    assert youtube_exchanges(emulator) == []


def test_the_choices_reach_youtube_and_an_unaudited_upload_is_reported_private(
    emulator: EmulatorServer, videos: dict[str, Path]
) -> None:
    adapter = make_adapter(emulator, "youtube")
    result = adapter.publish(
        Content(
            text="Pour les enfants. #Parlesen",
            video=videos["good"],
            choices={"privacy_status": "public", "made_for_kids": True},
        )
    )
    video = emulator.emulator.objects[result.remote_id]
    assert video["asked_privacy"] == "public" and video["status"]["selfDeclaredMadeForKids"] is True
    assert (
        video["snippet"]["tags"] == ["Parlesen"]
        and video["snippet"]["title"] == "Pour les enfants. #Parlesen"
    )
    assert result.visibility == "private" and any("not audited" in note for note in result.notes)


def test_a_capsule_with_two_subtitle_languages_gets_both_caption_tracks(
    emulator: EmulatorServer, videos: dict[str, Path], tmp_path: Path
) -> None:
    content = sidecars(tmp_path / "out" / "dire-non", videos["good"], ("fr", "en-GB"), "Deux langues.")
    result = make_adapter(emulator, "youtube").publish(content)
    found = emulator.emulator.part("youtube").tracks(result.remote_id)  # type: ignore[attr-defined]
    assert sorted((track["snippet"]["language"], track["snippet"]["name"]) for track in found) == [
        ("en-GB", "English (United Kingdom)"),
        ("fr", "Français"),
    ]
    files = {track["snippet"]["language"]: track["file"].decode() for track in found}
    assert "[fr] Parles-en." in files["fr"] and "[en-GB] Parles-en." in files["en-GB"]
    assert not any("caption" in note for note in result.notes)


def test_a_refused_language_tag_falls_back_and_says_why(
    emulator: EmulatorServer, videos: dict[str, Path], tmp_path: Path
) -> None:
    content = sidecars(tmp_path / "out", videos["good"], ("fr-RE", "rcf"), "Créole.")
    result = make_adapter(emulator, "youtube").publish(content)
    found = emulator.emulator.part("youtube").tracks(result.remote_id)  # type: ignore[attr-defined]
    assert sorted(track["snippet"]["language"] for track in found) == ["fr-RE", "und"]
    assert [track["snippet"]["name"] for track in found if track["snippet"]["language"] == "und"] == ["rcf"]
    assert "caption track rcf refused by YouTube (invalidMetadata): uploaded as und" in result.notes
    # the audience's first language without a track of its own comes before und
    content = sidecars(tmp_path / "out2", videos["good"], ("rcf",), "Kréol.", languages=("rcf", "fr"))
    result = make_adapter(emulator, "youtube").publish(content)
    [track] = emulator.emulator.part("youtube").tracks(result.remote_id)  # type: ignore[attr-defined]
    assert track["snippet"]["language"] == "fr" and track["snippet"]["name"] == "rcf"
    assert "caption track rcf refused by YouTube (invalidMetadata): uploaded as fr" in result.notes
    assert fallbacks("fr-Latn-RE") == ["fr-Latn-RE", "fr-Latn", "fr", "und"]


def test_the_quota_reserved_covers_every_fallback_of_every_track(
    emulator: EmulatorServer, videos: dict[str, Path], tmp_path: Path
) -> None:
    """A refused captions.insert costs its 400 units too: the dispatcher reserves the worst case."""
    from networks.youtube.spec import SPEC

    assert SPEC.quota is not None
    content = sidecars(tmp_path / "out", videos["good"], ("fr-RE", "rcf"), "Créole.")
    adapter = make_adapter(emulator, "youtube")
    planned = SPEC.quota.cost(adapter.planned_calls(content))  # type: ignore[attr-defined]
    assert planned == {"videos.insert": 1, "units": 3 + 400 * 5}  # fr-RE, fr, und; rcf, und; 3 polls
    adapter.publish(content)  # type: ignore[attr-defined]
    used = SPEC.quota.cost(adapter.used_calls())  # type: ignore[attr-defined]
    assert used["videos.insert"] == 1 and 400 * 3 < used["units"] <= planned["units"]  # rcf: refused, then und


def test_tracks_are_the_deliverys_srt_else_vtt(tmp_path: Path) -> None:
    srt, vtt = tmp_path / "vertical.fr.srt", tmp_path / "vertical.en.vtt"
    srt.write_text(SRT.format(text="x"), "utf-8")
    vtt.write_text("WEBVTT\nLanguage: en\n\n", "utf-8")
    content = Content(
        text="t",
        captions=(
            CaptionTrack("fr", srt, None),
            CaptionTrack("en", tmp_path / "gone.srt", vtt),
            CaptionTrack("de", None, None),
        ),
    )
    assert tracks(content) == [Track("fr", srt), Track("en", vtt)]
    assert Track("fr", srt).name("fr") == "Français" and len(Track("x" * 3, srt).name("und")) <= 150


def test_texts_are_measured_as_youtube_counts_them() -> None:
    assert measure("é" * 2500).ok and not measure("é" * 2501).ok  # 5,000 bytes of UTF-8, not characters
    assert not measure("a < b").ok
    assert len(title("mot " * 60)) <= 100 and title("https://x.org/r/1\nBonjour <3") == "Bonjour 3"
    assert tags("#Un #deux #Un") == ["Un", "deux"]


# -- errors, quota, credentials ---------------------------------------------------------------------------


def test_a_refused_refresh_token_needs_reauthentication(emulator: EmulatorServer) -> None:
    emulator.emulator.part("youtube").revoked.add(emulator.emulator.credentials()["youtube"]["refresh_token"])  # type: ignore[attr-defined]
    with pytest.raises(NeedsReauth, match="invalid_grant"):
        make_adapter(emulator, "youtube").check_credentials()


def test_quota_exceeded_waits_for_midnight_pacific(emulator: EmulatorServer, videos: dict[str, Path]) -> None:
    part = emulator.emulator.part("youtube")
    part.usage[(part.day(), "videos.insert")] = 100  # type: ignore[attr-defined]
    with pytest.raises(RateLimited) as caught:
        make_adapter(emulator, "youtube").publish(Content(text="Trop", video=videos["good"], choices=CHOICES))
    assert caught.value.retry_after == pytest.approx(until_reset(emulator.emulator.now()), abs=5)
    assert published(emulator) == []
    now = datetime(2026, 12, 1, 23, 30, tzinfo=ZoneInfo("America/Los_Angeles")).timestamp()
    assert until_reset(now) == pytest.approx(30 * 60)


def test_the_emulator_counts_units_as_the_spec_declares(
    emulator: EmulatorServer, videos: dict[str, Path], tmp_path: Path
) -> None:
    adapter = make_adapter(emulator, "youtube")
    adapter.publish(sidecars(tmp_path / "out", videos["good"], ("fr", "en"), "Compte."))
    part = emulator.emulator.part("youtube")
    calls = adapter.used_calls()
    assert calls.count("videos.insert") == 1 and calls.count("captions.insert") == 2
    assert part.used("videos.insert") == 1  # type: ignore[attr-defined]
    assert part.used("units") == 2 * 400 + calls.count("videos.list")  # type: ignore[attr-defined]
    assert adapter.used_calls() == []  # asked once, then forgotten


def test_a_rate_limit_on_the_upload_is_a_wait(emulator: EmulatorServer, videos: dict[str, Path]) -> None:
    inject(emulator, "youtube", "POST /upload/youtube/v3/videos", kind="rate_limited", reset_in_s=30)
    with pytest.raises(RateLimited) as caught:
        make_adapter(emulator, "youtube").publish(Content(text="Vite", video=videos["good"], choices=CHOICES))
    assert caught.value.retry_after == 30


# -- connecting a channel: the installed-app flow on a loopback redirect, for real -------------------------


def connect(
    server: EmulatorServer, *, previous: dict[str, str] | None = None, **fields: object
) -> dict[str, str]:
    from networks.oauth import ConnectRequest
    from networks.youtube.oauth import GoogleConnector

    from .play_browser import browser

    opener = fields.pop("open_browser", None) or browser(server.url)
    request = ConnectRequest(
        account="yt-ecpat",
        network="youtube",
        previous=previous,
        emulator_url=server.url,
        open_browser=opener,  # type: ignore[arg-type]
        wait_s=10,
        **fields,  # type: ignore[arg-type]
    )
    return GoogleConnector().connect(request)


def test_the_flow_gets_a_refresh_token_that_the_api_accepts(emulator: EmulatorServer) -> None:
    from pydantic import SecretStr

    from networks.credentials import Credentials as Stored
    from networks.youtube.adapter import YouTubeAdapter

    values = connect(emulator)
    sandbox = emulator.emulator.credentials()["youtube"]
    assert values["client_id"] == sandbox["client_id"] and values["refresh_token"].startswith("1//sbx")
    assert values["refresh_token"] != sandbox["refresh_token"]  # a new grant, from the consent
    stored = Stored("yt-ecpat", "youtube", {key: SecretStr(value) for key, value in values.items()}, "file")
    assert YouTubeAdapter(stored, emulator_url=emulator.url).check_credentials() == "@ecpat-sandbox"
    [consent] = [item for item in youtube_exchanges(emulator) if item["template"] == "/o/oauth2/auth"]
    assert consent["status"] == 302 and {
        "code_challenge",
        "code_challenge_method",
        "state",
        "access_type",
    } <= set(consent["query_keys"])  # type: ignore[arg-type]


def test_a_reconnect_without_a_new_refresh_token_keeps_the_stored_one(emulator: EmulatorServer) -> None:
    first = connect(emulator)
    again = connect(emulator, previous=first)  # Google sends no refresh token on a second consent
    assert again == first
    fresh = connect(emulator, previous=first, consent=True)  # prompt=consent: a new one
    assert fresh["refresh_token"] != first["refresh_token"]


def test_a_forged_state_or_a_refusal_stores_nothing(emulator: EmulatorServer) -> None:
    from networks.oauth import LoopbackRedirect, OAuthError, keep_refresh_token

    from .play_browser import browser

    with pytest.raises(OAuthError, match="state"):
        connect(emulator, open_browser=browser(emulator.url, tamper_state=True))
    with LoopbackRedirect() as redirect:
        requests.get(f"{redirect.redirect_uri}?error=access_denied&state={redirect.state}", timeout=5)
        with pytest.raises(OAuthError, match="access_denied"):
            redirect.wait("YouTube", 5)
    with LoopbackRedirect() as redirect, pytest.raises(OAuthError, match="no answer"):
        redirect.wait("YouTube", 0.2)
    with pytest.raises(OAuthError, match="no refresh token"):
        keep_refresh_token({"client_id": "c", "refresh_token": ""}, None, network="YouTube")


def test_accounts_add_runs_the_flow_in_the_browser_and_keeps_the_token(
    cli: object, emulator: EmulatorServer
) -> None:
    import os
    import subprocess
    import sys

    from networks.credentials import CredentialStore

    workspace: Path = cli.workspace  # type: ignore[attr-defined]
    cli.edit(  # type: ignore[attr-defined]
        "accounts:\n",
        "accounts:\n  yt-ecpat: {network: youtube, sandbox: true, audited: false, privacy_status: private, made_for_kids: false}\n",
    )
    play = Path(__file__).with_name("play_browser.py")
    env = {
        **os.environ,
        "CLICKABLE_HOME": str(workspace),
        "CLICKABLE_DATABASE_URL": cli.database_url,  # type: ignore[attr-defined]
        "CLICKABLE_EMULATOR_URL": emulator.url,
        "CLICKABLE_KEYRING": "0",
        "BROWSER": f"{sys.executable} {play} %s &",  # how webbrowser runs the browser the environment names
        "PYTHONPATH": str(play.parent.parent),
    }
    command = [sys.executable, "-c", "from cli import main; main()", "accounts", "add", "yt-ecpat"]
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "accounts.google.com/o/oauth2/auth" in result.stdout and "Traceback" not in result.stderr
    stored = CredentialStore(workspace, use_keyring=False).load("yt-ecpat", "youtube")
    assert stored is not None and stored.source == "file"
    token = stored.get("refresh_token")
    assert token not in result.stdout + result.stderr  # never printed
    again = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60, check=False)
    assert again.returncode == 0, again.stdout + again.stderr
    kept = CredentialStore(workspace, use_keyring=False).load("yt-ecpat", "youtube")
    assert kept is not None and kept.get("refresh_token") == token  # the reconnect kept it
    check = subprocess.run(
        [sys.executable, "-c", "from cli import main; main()", "accounts", "check", "yt-ecpat"],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )  # fmt: skip
    assert check.returncode == 0 and "@ecpat-sandbox" in check.stdout, check.stdout + check.stderr


# -- through the dispatcher: quota, private uploads, re-authentication -------------------------------------


@pytest.fixture
def channel(
    tmp_path: Path, emulator: EmulatorServer, database_url: str, videos: dict[str, Path]
) -> Iterator[Any]:
    """A campaign with one unaudited sandbox YouTube account and a Short with two caption languages, due now."""
    from sqlmodel import Session, select

    from campaign.models import Capsule

    from .conftest import small_campaign
    from .test_dispatch import make_env

    campaign = small_campaign(posts=0, territories={"fr": ("France", "Europe/Paris")})
    campaign["accounts"] = {
        "yt-ecpat": {"network": "youtube", "sandbox": True, "audited": False, "made_for_kids": False}
    }
    campaign["capsules"] = {"short": {"script": "short.yaml"}}
    campaign["posts"] = [
        {
            "id": "short",
            "text": "Chantage aux photos ? Ne paie pas. Parles-en. #ECPAT",
            "accounts": ["yt-ecpat"],
            "capsule": "short",
            "choices": {"youtube": {"privacy_status": "private"}},
        }
    ]
    (tmp_path / "short.yaml").write_text("title: short\n", "utf-8")
    captions = {}
    for language in ("fr", "en"):
        srt, vtt = tmp_path / f"vertical.{language}.srt", tmp_path / f"vertical.{language}.vtt"
        srt.write_text(SRT.format(text=f"[{language}] Parles-en."), "utf-8")
        vtt.write_text(f"WEBVTT\nLanguage: {language}\n\n", "utf-8")
        captions[language] = {"srt": str(srt), "vtt": str(vtt)}
    env = next(make_env(tmp_path, emulator, database_url, campaign))
    with Session(env.database.engine) as session:
        capsule = session.exec(select(Capsule)).one()
        capsule.outputs = {  # as `capsule render` records it
            "languages": ["fr", "en"],
            "renders": {"vertical.fr": {"files": [{"kind": "video", "path": str(videos["good"])}]}},
            "captions": captions,
        }
        session.add(capsule)
        session.commit()
    yield env
    env.database.dispose()


def usage_rows(env: Any) -> dict[str, int]:
    from sqlmodel import Session, select

    from campaign.models import QuotaUsage

    with Session(env.database.engine) as session:
        return {row.bucket: row.used for row in session.exec(select(QuotaUsage))}


def test_a_short_goes_out_private_with_both_tracks_and_its_quota_counted(channel: Any) -> None:
    from sqlmodel import Session, select

    from campaign.models import DeliveryEvent

    summary = channel.dispatcher().run_due()
    assert summary.published == 1, summary.problems
    [delivery] = channel.deliveries()
    assert delivery.visibility == "private"
    part = channel.emulator.emulator.part("youtube")
    assert sorted(track["snippet"]["language"] for track in part.tracks(delivery.remote_id)) == ["en", "fr"]
    rows = usage_rows(channel)
    assert (
        rows["videos.insert"] == 1 and rows["units"] == part.used("units") >= 800
    )  # as the emulator counted
    listed = channel.cli("schedule", "list")
    assert "(private)" in listed.stdout  # the state column says it (the table may wrap it)
    listed = json.loads(channel.cli("schedule", "list", "--json").stdout)
    assert listed[0]["visibility"] == "private"
    doctor = channel.cli("doctor", "--json")
    quota = {row["bucket"]: row for row in json.loads(doctor.stdout)["quota"]}
    assert quota["videos.insert"]["used"] == 1 and quota["videos.insert"]["left"] == 99
    assert quota["units"]["left"] == 10_000 - rows["units"]
    assert (
        datetime.fromisoformat(quota["units"]["resets_at"]).astimezone(ZoneInfo("America/Los_Angeles")).hour
        == 0
    )
    text = channel.cli("doctor").stdout
    assert "quota of yt-ecpat today" in text and "online as private videos" in text
    with Session(channel.database.engine) as session:
        reasons = [
            event.reason for event in session.exec(select(DeliveryEvent)) if event.to_state == "published"
        ]
    assert reasons and reasons[0].startswith(f"published as {delivery.remote_id}")


def test_a_delivery_that_would_pass_the_quota_waits_for_midnight_pacific(channel: Any) -> None:
    from sqlmodel import Session, select

    from campaign.models import Account, QuotaUsage
    from campaign.quota import day_of, next_reset
    from networks.youtube.spec import SPEC

    now = datetime.now(ZoneInfo("UTC"))
    with Session(channel.database.engine) as session:
        account = session.exec(select(Account)).one()
        session.add(
            QuotaUsage(
                account_id=account.id, bucket="units", day=day_of(SPEC.quota, now), used=9_500, updated_at=now
            )
        )
        session.commit()
    summary = channel.dispatcher().run_due()
    assert (
        summary.retrying == 1
        and "quota units" in summary.problems[0]
        and "America/Los_Angeles" in summary.problems[0]
    )
    [delivery] = channel.deliveries()
    reset = next_reset(SPEC.quota, now)
    assert delivery.state == "retrying" and delivery.attempts == 0  # a wait, not a failed attempt
    assert abs((delivery.due_utc - reset).total_seconds()) < 5
    assert youtube_exchanges(channel.emulator) == []  # no call was made
    assert usage_rows(channel) == {"units": 9_500}  # nothing reserved


def test_a_refused_refresh_token_pauses_the_account_and_keeps_the_token(channel: Any) -> None:
    from sqlmodel import Session, select

    from campaign.models import Account
    from networks.credentials import CredentialStore

    store = CredentialStore(channel.workspace, use_keyring=False)
    values = connect(channel.emulator)  # accounts add, as the flow stores it
    store.save("yt-ecpat", "youtube", values, None)
    channel.emulator.emulator.part("youtube").revoked.add(values["refresh_token"])  # expired, or revoked
    summary = channel.dispatcher().run_due()
    assert summary.paused == 1 and "invalid_grant" in summary.problems[0]
    with Session(channel.database.engine) as session:
        assert session.exec(select(Account)).one().needs_reauth
    kept = store.load("yt-ecpat", "youtube")
    assert kept is not None and kept.get("refresh_token") == values["refresh_token"]  # not wiped
    doctor = channel.cli("doctor")
    assert (
        "account yt-ecpat needs re-authentication" in doctor.stdout
        and "accounts add yt-ecpat" in doctor.stdout
    )
    assert published(channel.emulator) == []


def test_a_public_short_on_an_unaudited_project_is_a_campaign_check_error(channel: Any) -> None:
    path = channel.workspace / "campaign.yaml"
    text = path.read_text("utf-8")
    path.write_text(text.replace("privacy_status: private", "privacy_status: public"), "utf-8")
    result = channel.cli("campaign", "check")
    assert result.exit_code == 1
    line = next(
        number
        for number, row in enumerate(path.read_text("utf-8").splitlines(), 1)
        if "privacy_status" in row
    )
    assert (
        f"campaign.yaml:{line}:" in result.stdout
        and "needs audited: true on account 'yt-ecpat'" in result.stdout
    )
    path.write_text(
        text.replace("audited: false", "audited: true").replace(
            "privacy_status: private", "privacy_status: public"
        ),
        "utf-8",
    )
    assert channel.cli("campaign", "check").exit_code == 0
    path.write_text(
        text.replace("  - accounts", "  - accounts").replace("made_for_kids: false", "audited: false"),
        "utf-8",
    )
    missing = channel.cli("campaign", "check")
    assert missing.exit_code == 1 and "choose made_for_kids (true or false)" in missing.stdout


def test_metric_reads_count_against_the_quota_and_wait_when_it_is_used_up(channel: Any) -> None:
    from sqlmodel import Session, select

    from campaign.models import QuotaUsage

    assert channel.dispatcher().run_due().published == 1
    before = usage_rows(channel)["units"]
    read = channel.cli("stats", "collect", "--all")
    assert read.exit_code == 0, read.output
    assert usage_rows(channel)["units"] == before + 1  # one videos.list (1 unit) for up to 50 videos
    with Session(channel.database.engine) as session:  # the rest of today's units used elsewhere
        row = session.exec(select(QuotaUsage).where(QuotaUsage.bucket == "units")).one()
        row.used = 10_000
        session.add(row)
        session.commit()
    calls = len(youtube_exchanges(channel.emulator))
    waiting = channel.cli("stats", "collect", "--all")
    assert waiting.exit_code == 3 and "quota of the day used up (quota units)" in waiting.output
    assert "America/Los_Angeles" in waiting.output
    assert len(youtube_exchanges(channel.emulator)) == calls  # no call past the quota
    assert usage_rows(channel)["units"] == 10_000
