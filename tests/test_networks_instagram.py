"""Instagram adapter: Reels through resumable containers, against the emulator over real HTTP."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from networks.base import DEFAULT_BACKOFF_S, Content, NeedsReauth, RateLimited, Rejected, Unconfirmed
from networks.emulator.server import EmulatorServer

from .conftest import inject, make_adapter, published, requests_to

EXPIRED = {"error": {"message": "Error validating access token", "type": "OAuthException", "code": 190}}


def reel(text: str, videos: dict[str, Path], kind: str = "good") -> Content:
    return Content(text=text, video=videos[kind])


def test_reel_container_flow(emulator: EmulatorServer, videos: dict[str, Path]) -> None:
    adapter = make_adapter(emulator, "instagram")
    result = adapter.publish(reel("Quelqu'un menace de partager tes photos ? #3018 #Clickable", videos))
    record = published(emulator)[0]
    assert (record["network"], record["id"]) == ("instagram", result.remote_id)
    container = record["media"][0]  # type: ignore[index]
    assert bytes(emulator.emulator.uploads[container].data) == videos["good"].read_bytes()
    assert requests_to(emulator, "GET", f"/{container}") >= 2  # polled until FINISHED


def test_text_without_video_is_refused_before_any_call(emulator: EmulatorServer) -> None:
    adapter = make_adapter(emulator, "instagram")
    assert not adapter.validate(Content(text="Pas de vidéo")).ok
    with pytest.raises(Rejected, match="video is required"):
        adapter.publish(Content(text="Pas de vidéo"))
    assert published(emulator) == []


def test_metrics_are_normalised(emulator: EmulatorServer, videos: dict[str, Path]) -> None:
    adapter = make_adapter(emulator, "instagram")
    result = adapter.publish(reel("Mesure", videos))
    emulator.emulator.clock_offset += 24 * 3600
    reading = adapter.fetch_metrics([result.remote_id, "123"])
    assert reading[0].normalised["views"] > 0 and reading[0].raw["saved"] == reading[0].normalised["saves"]
    assert reading[1].missing


def test_find_published_finds_only_that_post(emulator: EmulatorServer, videos: dict[str, Path]) -> None:
    adapter = make_adapter(emulator, "instagram")
    first = adapter.publish(reel("Premier reel", videos))
    adapter.publish(reel("Second reel", videos))
    assert adapter.find_published(Content(text="Premier reel").fingerprint).remote_id == first.remote_id  # type: ignore[union-attr]
    assert adapter.find_published(Content(text="Troisième").fingerprint) is None


def test_daily_publishing_limit(emulator: EmulatorServer, videos: dict[str, Path]) -> None:
    inject(
        emulator,
        "instagram",
        "GET /{ig-user-id}/content_publishing_limit",
        status=200,
        body={"data": [{"quota_usage": 50, "config": {"quota_total": 50, "quota_duration": 86400}}]},
    )
    with pytest.raises(RateLimited):
        make_adapter(emulator, "instagram").publish(reel("Au-delà de 50", videos))
    assert published(emulator) == []


# --- the fault matrix ---------------------------------------------------------------------------


def test_throttling_with_regain_time(emulator: EmulatorServer, videos: dict[str, Path]) -> None:
    usage = '{"17840000000001":[{"type":"instagram","call_count":100,"estimated_time_to_regain_access":3}]}'
    inject(
        emulator,
        "instagram",
        "POST /{ig-user-id}/media_publish",
        status=429,
        headers={"X-Business-Use-Case-Usage": usage},
        body={"error": {"message": "Application request limit reached", "code": 80002}},
    )
    with pytest.raises(RateLimited) as caught:
        make_adapter(emulator, "instagram").publish(reel("Trop", videos))
    assert caught.value.retry_after == 180


def test_throttling_without_headers_does_not_spin(emulator: EmulatorServer, videos: dict[str, Path]) -> None:
    inject(
        emulator,
        "instagram",
        "POST /{ig-user-id}/media_publish",
        status=429,
        times=50,
        body={"error": {"message": "limit", "code": 17}},
    )
    with pytest.raises(RateLimited) as caught:
        make_adapter(emulator, "instagram").publish(reel("Trop", videos))
    assert DEFAULT_BACKOFF_S <= caught.value.retry_after <= 5 * DEFAULT_BACKOFF_S
    assert requests_to(emulator, "POST", "/media_publish") == 1


def test_5xx_html_on_publish_is_unconfirmed(emulator: EmulatorServer, videos: dict[str, Path]) -> None:
    inject(
        emulator,
        "instagram",
        "POST /{ig-user-id}/media_publish",
        status=500,
        body="<html>Internal error</html>",
    )
    with pytest.raises(Unconfirmed):
        make_adapter(emulator, "instagram").publish(reel("Texte", videos))


def test_200_without_id_is_unconfirmed(emulator: EmulatorServer, videos: dict[str, Path]) -> None:
    inject(emulator, "instagram", "POST /{ig-user-id}/media_publish", status=200, body={})
    with pytest.raises(Unconfirmed):
        make_adapter(emulator, "instagram").publish(reel("Texte", videos))


def test_timeout_on_publish_is_unconfirmed_and_reconciled(
    emulator: EmulatorServer, videos: dict[str, Path]
) -> None:
    inject(emulator, "instagram", "POST /{ig-user-id}/media_publish", delay_s=2.5)
    adapter = make_adapter(emulator, "instagram", timeout=1.0)
    content = reel("Reel en retard", videos)
    with pytest.raises(Unconfirmed):
        adapter.publish(content)
    deadline = time.time() + 5
    while not published(emulator) and time.time() < deadline:
        time.sleep(0.1)
    found = adapter.find_published(content.fingerprint)
    assert found is not None and found.remote_id == published(emulator)[0]["id"]


def test_expired_token_needs_reauth(emulator: EmulatorServer, videos: dict[str, Path]) -> None:
    inject(emulator, "instagram", "POST /{ig-user-id}/media", status=400, body=EXPIRED)
    with pytest.raises(NeedsReauth):
        make_adapter(emulator, "instagram").publish(reel("Texte", videos))


def test_duplicate_content_is_rejected(emulator: EmulatorServer, videos: dict[str, Path]) -> None:
    # Instagram documents no duplicate check; when Meta answers with its duplicate code, it is a rejection
    inject(
        emulator,
        "instagram",
        "POST /{ig-user-id}/media_publish",
        status=400,
        body={"error": {"message": "Duplicate status message", "type": "OAuthException", "code": 506}},
    )
    with pytest.raises(Rejected) as caught:
        make_adapter(emulator, "instagram").publish(reel("Même légende", videos))
    assert caught.value.duplicate


def test_video_whose_processing_fails_is_rejected(emulator: EmulatorServer, videos: dict[str, Path]) -> None:
    with pytest.raises(Rejected, match="ERROR"):
        make_adapter(emulator, "instagram").publish(reel("Vidéo abîmée", videos, "broken"))
    assert published(emulator) == []
