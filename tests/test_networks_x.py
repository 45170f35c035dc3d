"""X adapter: tweepy and our v2 chunked uploader, against the emulator over real HTTP."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import requests

from networks.base import (
    Content,
    NeedsReauth,
    RateLimited,
    Transient,
    Unconfirmed,
)
from networks.emulator.server import EmulatorServer
from networks.x.adapter import XAdapter

from .conftest import inject, make_adapter, no_sleep, published, requests_to, sandbox_credentials

LINK = "https://clickable.example.org/r/ab3dkf7q"


def test_post_with_link_counts_23_for_the_url(emulator: EmulatorServer) -> None:
    adapter = make_adapter(emulator, "x")
    content = Content(text=f"Signaler, c'est protéger : {LINK}", link=LINK)
    assert adapter.validate(content).length == len("Signaler, c'est protéger : ") + 23
    adapter.publish(content)
    assert published(emulator)[0]["text"] == content.text


def test_video_post_goes_through_the_chunked_upload(
    emulator: EmulatorServer, videos: dict[str, Path]
) -> None:
    adapter = make_adapter(emulator, "x", chunk_bytes=64 * 1024)
    size = videos["good"].stat().st_size
    result = adapter.publish(Content(text="Chantage aux photos ? Ne paie pas.", video=videos["good"]))
    record = published(emulator)[0]
    assert record["id"] == result.remote_id and len(record["media"]) == 1  # type: ignore[arg-type]
    upload = emulator.emulator.uploads[record["media"][0]]  # type: ignore[index]
    assert bytes(upload.data) == videos["good"].read_bytes()
    assert requests_to(emulator, "POST", "/append") == -(-size // (64 * 1024))
    assert requests_to(emulator, "GET", "/2/media/upload") >= 2  # STATUS polled until succeeded


def test_metrics_are_fetched_and_normalised(emulator: EmulatorServer) -> None:
    adapter = make_adapter(emulator, "x")
    result = adapter.publish(Content(text="Qui voit ce que tu publies ?"))
    emulator.emulator.clock_offset += 3 * 3600
    readings = {reading.remote_id: reading for reading in adapter.fetch_metrics([result.remote_id, "999"])}
    reading = readings[result.remote_id]
    assert set(reading.normalised) >= {
        "views",
        "impressions",
        "likes",
        "comments",
        "shares",
        "saves",
        "link_clicks",
    }
    assert reading.normalised["views"] > 0
    assert reading.raw["public_metrics.like_count"] == reading.normalised["likes"]
    assert readings["999"].missing


def test_wrong_secret_is_refused_by_signature(emulator: EmulatorServer) -> None:
    from pydantic import SecretStr

    credentials = sandbox_credentials(emulator, "x")
    wrong = type(credentials)(
        credentials.account,
        "x",
        {**credentials.values, "consumer_secret": SecretStr("not-the-secret")},
        "test",
    )
    with pytest.raises(NeedsReauth):
        XAdapter(wrong, emulator_url=emulator.url, sleep=no_sleep).check_credentials()


# --- the fault matrix ---------------------------------------------------------------------------


def test_24_hour_cap_is_respected(emulator: EmulatorServer) -> None:
    day = int(time.time()) + 86_000
    inject(
        emulator,
        "x",
        "POST /2/tweets",
        status=429,
        headers={
            "x-rate-limit-remaining": "250",
            "x-rate-limit-reset": str(int(time.time()) + 60),
            "x-user-limit-24hour-remaining": "0",
            "x-user-limit-24hour-reset": str(day),
        },
        body={"title": "Too Many Requests", "status": 429},
    )
    with pytest.raises(RateLimited) as caught:
        make_adapter(emulator, "x").publish(Content(text="Signaler."))
    assert caught.value.retry_after > 80_000


def test_5xx_html_during_upload_is_transient(emulator: EmulatorServer, videos: dict[str, Path]) -> None:
    inject(emulator, "x", "POST /2/media/upload/initialize", status=502, body="<html>Bad gateway</html>")
    with pytest.raises(Transient):
        make_adapter(emulator, "x").publish(Content(text="Vidéo", video=videos["good"]))
    assert published(emulator) == []


def test_200_without_id_is_unconfirmed(emulator: EmulatorServer) -> None:
    inject(emulator, "x", "POST /2/tweets", status=201, body={"data": {}})
    with pytest.raises(Unconfirmed):
        make_adapter(emulator, "x").publish(Content(text="Signaler."))


def test_both_hosts_are_served(emulator: EmulatorServer) -> None:
    for host in ("api.x.com", "api.twitter.com"):
        response = requests.get(f"{emulator.url}/2/users/me", headers={"Host": host}, timeout=5)
        assert response.status_code == 401 and response.json()["title"] == "Unauthorized"
