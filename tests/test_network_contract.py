"""The contract every registered network keeps, proved for each one against its emulator part.

Parametrised over the registry: a network added by a package (entry point ``clickable.networks``) runs
the same suite. What differs between networks comes from their spec (text or video, media rules,
metric names) and their emulator part (the create call, the network's own fault shapes); what is
particular to one network stays in its own test file (tests/test_networks_<name>.py).
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from campaign.i18n import _
from networks.base import (
    DEFAULT_BACKOFF_S,
    Adapter,
    Content,
    NeedsReauth,
    RateLimited,
    Rejected,
    Unconfirmed,
)
from networks.emulator.server import EmulatorServer
from networks.registry import registry
from networks.spec import NetworkSpec

from .conftest import inject, make_adapter, published

NETWORKS = list(registry())
LINK = "https://clickable.example.org/r/ct3dkf7q"
# The account settings (campaign.yaml) the suite runs a network's account with, where the default
# account would publish nothing the contract can see. TikTok: an account not marked audited sends each
# video to the creator's inbox as a draft, and no post exists until the creator finishes it in the app.
ACCOUNT_SETTINGS: dict[str, dict[str, object]] = {"tiktok": {"audited": True}}


@pytest.fixture(params=NETWORKS)
def spec(request: pytest.FixtureRequest) -> NetworkSpec:
    return registry()[request.param]


@pytest.fixture
def network(spec: NetworkSpec, emulator: EmulatorServer) -> Iterator[Network]:
    yield Network(spec, emulator)


class Network:
    """One network under contract: its spec, its emulator part, and posts it accepts."""

    def __init__(self, spec: NetworkSpec, server: EmulatorServer) -> None:
        self.spec = spec
        self.server = server
        self.part = server.emulator.part(spec.name)
        self.create = self.part.create_endpoint()

    def adapter(self, **options: object) -> Adapter:
        options.setdefault("settings", ACCOUNT_SETTINGS.get(self.spec.name, {}))
        return make_adapter(self.server, self.spec.name, **options)

    def content(self, text: str, video: Path | None = None) -> Content:
        """A post with the choices the network requires made (its spec's first option; false)."""
        choices: dict[str, str | bool] = {
            choice.name: (False if choice.boolean else choice.options[0]) for choice in self.spec.choices
        }
        return Content(text=text, video=video, choices=choices)

    def post(self, text: str, videos: dict[str, Path]) -> Content:
        """A post this network publishes: text alone, or a video where it publishes only videos."""
        video = videos["good"] if self.spec.media.video_required else None
        return self.content(text, video)

    def fault(self, kind: str | None = None, **fields: object) -> None:
        inject(self.server, self.spec.name, self.create, **({"kind": kind} if kind else {}), **fields)

    def records(self) -> list[dict[str, object]]:
        return [item for item in published(self.server) if item["network"] == self.spec.name]

    def calls(self, endpoint: str | None = None) -> int:
        """Requests this network's part received (to ``endpoint``, "METHOD /template", when given)."""
        return sum(
            1
            for item in self.server.emulator.requests
            if item["network"] == self.spec.name
            and (endpoint is None or f"{item['method']} {item['template']}" == endpoint)
        )


def test_text_post(network: Network) -> None:
    if network.spec.media.video_required:
        pytest.skip(_(network.spec.media.video_required))
    text = f"Ce n'est jamais ta faute. Parles-en. {LINK}"
    result = network.adapter().publish(dataclasses.replace(network.content(text), link=LINK))
    assert [(item["id"], item["text"], item["media"]) for item in network.records()] == [
        (result.remote_id, text, [])
    ]
    assert result.network == network.spec.name and result.url and not result.processing


def test_text_without_a_video_is_refused_before_any_call_where_a_video_is_required(
    network: Network,
) -> None:
    if not network.spec.media.video_required:
        pytest.skip(f"{network.spec.label} publishes text")
    adapter = network.adapter()
    length = adapter.validate(Content(text="Pas de vidéo"))
    assert not length.ok and length.reason and "video is required" in length.reason
    with pytest.raises(Rejected, match="video is required"):
        adapter.publish(Content(text="Pas de vidéo"))
    assert network.calls() == 0


def test_video_post(network: Network, videos: dict[str, Path]) -> None:
    result = network.adapter().publish(network.content("Chantage aux photos ? Ne paie pas.", videos["good"]))
    [record] = network.records()
    assert record["text"] == "Chantage aux photos ? Ne paie pas." and len(record["media"]) == 1  # type: ignore[arg-type]
    assert result.remote_id == record["id"] and not result.processing  # processing was polled to the end
    uploads = [upload for upload in network.server.emulator.uploads.values() if upload.data]
    assert [bytes(upload.data) for upload in uploads] == [videos["good"].read_bytes()]


def test_video_whose_processing_fails_is_rejected(network: Network, videos: dict[str, Path]) -> None:
    with pytest.raises(Rejected):  # the network's processing judges a file ffmpeg could not read
        network.adapter().publish(network.content("Vidéo abîmée", videos["broken"]))


def test_find_published_finds_only_that_post(network: Network, videos: dict[str, Path]) -> None:
    adapter = network.adapter()
    first = adapter.publish(network.post(f"Parle au 3018 {LINK}", videos))
    adapter.publish(network.post("Parle au 3018 https://clickable.example.org/r/zz9yy8xx", videos))
    found = adapter.find_published(Content(text=f"Parle au 3018 {LINK}").fingerprint)
    assert found is not None and found.remote_id == first.remote_id
    assert adapter.find_published(Content(text="jamais publié").fingerprint) is None


def test_timeout_on_create_is_unconfirmed_then_reconciled_without_a_duplicate(
    network: Network, videos: dict[str, Path]
) -> None:
    network.fault(delay_s=2.5)
    adapter = network.adapter(timeout=1.0)
    content = network.post(f"Un adulte te demande un secret ? Parles-en. {LINK}", videos)
    with pytest.raises(Unconfirmed):
        adapter.publish(content)
    deadline = time.time() + 5
    while not network.records() and time.time() < deadline:
        time.sleep(0.1)
    found = adapter.find_published(content.fingerprint)
    [record] = network.records()  # the post landed once; reconciliation found it, nothing was sent again
    assert found is not None and found.remote_id == record["id"]
    assert network.calls(network.create) == 1


def test_429_with_a_reset_waits_until_the_reset(network: Network, videos: dict[str, Path]) -> None:
    network.fault("rate_limited", reset_in_s=120)
    with pytest.raises(RateLimited) as caught:
        network.adapter().publish(network.post("Signaler, c'est protéger.", videos))
    assert 100 <= caught.value.retry_after <= 121
    assert network.records() == []


def test_429_without_a_reset_backs_off_and_does_not_spin(network: Network, videos: dict[str, Path]) -> None:
    network.fault("rate_limited", times=50)
    with pytest.raises(RateLimited) as caught:
        network.adapter().publish(network.post("Signaler, c'est protéger.", videos))
    assert DEFAULT_BACKOFF_S <= caught.value.retry_after <= 5 * DEFAULT_BACKOFF_S
    assert network.calls(network.create) == 1


def test_5xx_with_an_html_body_on_create_is_unconfirmed(network: Network, videos: dict[str, Path]) -> None:
    network.fault("server_error")
    with pytest.raises(Unconfirmed):
        network.adapter().publish(network.post("Signaler.", videos))


def test_expired_token_needs_reauthentication(network: Network, videos: dict[str, Path]) -> None:
    network.fault("expired_token")
    with pytest.raises(NeedsReauth):
        network.adapter().publish(network.post("Signaler.", videos))


def test_duplicate_content_is_rejected_as_a_duplicate(network: Network, videos: dict[str, Path]) -> None:
    adapter = network.adapter()
    content = network.post("Deux fois le même texte.", videos)
    if network.spec.idempotency_window_s and not network.part.refuses_duplicates:
        # The network publishes the same text twice (Mastodon); what keeps one delivery from becoming two
        # posts is its idempotency key: sent again with the same key, the create answers with the first post.
        keyed = dataclasses.replace(content, idempotency_key="contract-same-delivery")
        first, again = adapter.publish(keyed), adapter.publish(keyed)
        assert again.remote_id == first.remote_id
        assert [item["id"] for item in network.records()] == [first.remote_id]
        assert network.calls(network.create) == 2
        return
    adapter.publish(content)
    if not network.part.refuses_duplicates:  # the network documents no check: its answer when it has one
        network.fault("duplicate")
    with pytest.raises(Rejected) as caught:
        adapter.publish(content)
    assert caught.value.duplicate
    assert len(network.records()) == 1


@pytest.mark.refused_requests  # the retired name, asked on purpose
def test_metrics_are_normalised_and_a_retired_metric_is_dropped(
    network: Network, videos: dict[str, Path]
) -> None:
    adapter = network.adapter()
    result = adapter.publish(network.post("Mesure", videos))
    network.server.emulator.clock_offset += 24 * 3600
    retired = network.spec.metrics.retired[0] if network.spec.metrics.retired else "contract_retired_metric"
    for names in adapter.metric_names.values():
        names[retired] = "views"  # configured, but the network no longer answers it
    [reading] = adapter.fetch_metrics([result.remote_id])
    assert not reading.missing and retired not in reading.raw
    if network.part.refuses_unknown_metrics:  # retired for this adapter, for the collector to store
        assert retired in set().union(*adapter.retired_metrics.values())
    assert set(reading.normalised) <= set(_normalised_names())
    assert reading.normalised and max(reading.normalised.values()) > 0


def test_a_deleted_post_comes_back_missing(network: Network, videos: dict[str, Path]) -> None:
    adapter = network.adapter()
    kept = adapter.publish(network.post("Gardé", videos))
    deleted = adapter.publish(network.post("Supprimé par une modération", videos))
    answer = requests.post(
        f"{network.server.url}/_emulator/delete", json={"id": deleted.remote_id}, timeout=5
    )
    assert answer.status_code == 200
    readings = {
        reading.remote_id: reading for reading in adapter.fetch_metrics([kept.remote_id, deleted.remote_id])
    }
    assert readings[deleted.remote_id].missing and not readings[kept.remote_id].missing
    assert adapter.find_published(Content(text="Supprimé par une modération").fingerprint) is None


def test_out_of_spec_media_is_refused_before_any_upload(network: Network, tmp_path: Path) -> None:
    rules = network.spec.media.video()
    if rules.min_seconds >= 1 or math.isfinite(rules.max_seconds):
        seconds = rules.min_seconds / 2 if rules.min_seconds >= 1 else rules.max_seconds + 1
        video, refused = _video(tmp_path / "out-of-spec.mp4", seconds), "lasts"
    elif rules.max_pixels is not None:  # no duration limit (Mastodon): a frame too large
        height = 2160
        width = 2 * (rules.max_pixels // height // 2 + 1)
        video, refused = _video(tmp_path / "out-of-spec.mp4", 0.5, size=f"{width}x{height}"), "pixels"
    else:
        pytest.skip(f"{network.spec.label} documents no limit of duration or frame size")
    with pytest.raises(Rejected, match=refused):
        network.adapter().publish(network.content("Trop court ou trop long", video))
    assert network.calls() == 0  # not a byte sent


def _normalised_names() -> tuple[str, ...]:
    from networks.base import NORMALISED_METRICS

    return NORMALISED_METRICS


def _video(path: Path, seconds: float, *, size: str = "108x192") -> Path:
    """A small MP4 of ``seconds`` (9:16 unless ``size`` says otherwise; two frames a second: quick to
    encode even when long)."""
    from capsules.media import run_ffmpeg

    made = run_ffmpeg(
        [
            "-y",
            "-f",
            "lavfi",
            "-i",
            f"testsrc=size={size}:rate=2:duration={seconds:g}",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
            str(path),
        ]
    )
    assert made.returncode == 0, made.stderr
    return path
