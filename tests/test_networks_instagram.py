"""Instagram adapter: Reels through resumable containers, against the emulator over real HTTP."""

from __future__ import annotations

from pathlib import Path

import pytest

from networks.base import Content, RateLimited, Unconfirmed
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


def test_200_without_id_is_unconfirmed(emulator: EmulatorServer, videos: dict[str, Path]) -> None:
    inject(emulator, "instagram", "POST /{ig-user-id}/media_publish", status=200, body={})
    with pytest.raises(Unconfirmed):
        make_adapter(emulator, "instagram").publish(reel("Texte", videos))
