"""Facebook Page adapter: our Graph client against the emulator over real HTTP."""

from __future__ import annotations

from pathlib import Path

import pytest

from networks.base import (
    Content,
    Transient,
    Unconfirmed,
)
from networks.emulator.server import EmulatorServer
from networks.facebook.adapter import FacebookAdapter

from .conftest import inject, make_adapter, published, requests_to

LINK = "https://clickable.example.org/r/fb3dkf7q"
EXPIRED = {
    "error": {
        "message": "Error validating access token: Session has expired.",
        "type": "OAuthException",
        "code": 190,
        "error_subcode": 463,
    }
}


def test_text_and_link_post(emulator: EmulatorServer) -> None:
    adapter = make_adapter(emulator, "facebook")
    result = adapter.publish(Content(text=f"Parents : parlez-en tôt, sans juger. {LINK}", link=LINK))
    record = published(emulator)[0]
    assert (record["network"], record["id"], record["text"]) == (
        "facebook",
        result.remote_id,
        f"Parents : parlez-en tôt, sans juger. {LINK}",
    )
    assert "_" in result.remote_id


def test_token_is_never_in_a_url(emulator: EmulatorServer, videos: dict[str, Path]) -> None:
    adapter = make_adapter(emulator, "facebook")
    adapter.publish(Content(text="Texte"))
    adapter.publish(Content(text="Reel", video=videos["good"]))
    adapter.fetch_metrics([item["id"] for item in published(emulator)])  # type: ignore[misc]
    assert all("access_token" not in item["query_keys"] for item in emulator.emulator.requests)


def test_reel_start_rupload_finish(emulator: EmulatorServer, videos: dict[str, Path]) -> None:
    adapter = make_adapter(emulator, "facebook")
    result = adapter.publish(Content(text="Chantage aux photos ? Ne paie pas. #3018", video=videos["good"]))
    record = published(emulator)[0]
    assert record["id"] == result.remote_id and record["media"] == [result.remote_id]
    assert bytes(emulator.emulator.uploads[result.remote_id].data) == videos["good"].read_bytes()
    assert requests_to(emulator, "POST", "/video-upload/") == 1


def test_resumable_video_with_captions(emulator: EmulatorServer, videos: dict[str, Path]) -> None:
    adapter = make_adapter(emulator, "facebook", reels=False)
    result = adapter.publish(
        Content(
            text="Capsule",
            title="Signaler, c'est protéger",
            video=videos["good"],
            captions=videos["captions"],
        )
    )
    video = emulator.emulator.objects[result.remote_id]
    assert "Tu peux en parler." in video["captions"]
    assert bytes(video["upload"].data) == videos["good"].read_bytes()


def test_upload_resumes_from_the_server_offset(emulator: EmulatorServer, videos: dict[str, Path]) -> None:
    adapter = make_adapter(emulator, "facebook", reels=False)
    assert isinstance(adapter, FacebookAdapter)
    inject(emulator, "facebook", "POST /upload:{upload-id}", status=503, body="<html>busy</html>")
    content = Content(text="Reprise", video=videos["good"])
    with pytest.raises(Transient):
        adapter.upload_media(content)
    session = next(key for key in emulator.emulator.uploads if key.startswith("upload:"))
    from networks.base import MediaHandle

    handle = adapter.upload_media(content, MediaHandle("facebook", session, 0, 0, {"kind": "video"}))
    assert handle is not None and handle.uploaded_bytes == videos["good"].stat().st_size


def test_posts_and_reels_are_measured_on_their_own_edges(
    emulator: EmulatorServer, videos: dict[str, Path]
) -> None:
    adapter = make_adapter(emulator, "facebook")
    post = adapter.publish(Content(text="Mesure"))
    reel = adapter.publish(Content(text="Mesure vidéo", video=videos["good"]))
    emulator.emulator.clock_offset += 6 * 3600
    readings = {
        reading.remote_id: reading for reading in adapter.fetch_metrics([post.remote_id, reel.remote_id])
    }
    assert readings[post.remote_id].normalised["views"] > 0  # /{post-id}/insights
    assert (  # /{video-id}/video_insights
        readings[reel.remote_id].normalised["video_views"] > 0
        and readings[reel.remote_id].normalised["watch_time"] > 0
    )


def test_find_published_finds_a_reel_by_its_description(
    emulator: EmulatorServer, videos: dict[str, Path]
) -> None:
    adapter = make_adapter(emulator, "facebook")
    adapter.publish(Content(text=f"Le 119 répond 24 h/24. {LINK}"))
    reel = adapter.publish(Content(text="Reel à retrouver", video=videos["good"]))
    found = adapter.find_published(Content(text="Reel à retrouver").fingerprint)
    assert found is not None and found.remote_id == reel.remote_id


def test_any_graph_version_is_accepted(emulator: EmulatorServer) -> None:
    adapter = make_adapter(emulator, "facebook")
    assert isinstance(adapter, FacebookAdapter)
    adapter.client.version = "v25.0"
    assert "sandbox" in adapter.check_credentials()


# --- the fault matrix ---------------------------------------------------------------------------


def test_5xx_json_without_error_during_read_is_transient(emulator: EmulatorServer) -> None:
    inject(emulator, "facebook", "GET /{id}", status=502, body={"unexpected": True})
    with pytest.raises(Transient):
        make_adapter(emulator, "facebook").check_credentials()


def test_200_without_id_is_unconfirmed(emulator: EmulatorServer) -> None:
    inject(emulator, "facebook", "POST /{page-id}/feed", status=200, body={"success": True})
    with pytest.raises(Unconfirmed):
        make_adapter(emulator, "facebook").publish(Content(text="Texte"))
