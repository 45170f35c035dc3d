"""What the capsules room needs to know of a network, as Protocols the networks' specs satisfy.

``capsules/`` names no network and imports no other room but ``campaign/``: `capsule check` and
`capsule render` receive the registered networks as a ``Mapping[str, CapsuleNetwork]`` (the root
``cli.py`` gives them to ``AppState.networks``; tests may pass any mapping), the way ``campaign/``
receives them as ``campaign.rules.NetworkRules``. ``networks.spec.NetworkSpec`` satisfies both.

From a network, a capsule takes: the formats it takes (preferred first), the length of the videos it
takes in each shape, the part of the frame its app covers with buttons and captions, and how long a
description (alt text) it takes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from campaign.rules import NetworkRules
from capsules.presets import PRESETS, Margins, Preset

SHAPE_TOLERANCE = 0.02  # 720×1280 and 1080×1920 are both 9:16; 4:5 is not


class VideoKindRules(Protocol):
    """One kind of video a network takes (Reels, Page videos…): its length and its shape."""

    @property
    def kind(self) -> str: ...

    @property
    def min_seconds(self) -> float: ...

    @property
    def max_seconds(self) -> float: ...

    @property
    def aspect(self) -> tuple[int, int] | None:
        """The one aspect ratio taken (width, height), or None."""
        ...

    @property
    def aspect_range(self) -> tuple[float, float] | None:
        """Or width/height from … to, or None."""
        ...

    @property
    def label(self) -> str:
        """How the network calls them (marked with N_(): translate it when shown)."""
        ...


class CapsuleMediaRules(Protocol):
    @property
    def formats(self) -> Sequence[str]:
        """Capsule formats the network takes, preferred first (the first one rendered is sent)."""
        ...

    @property
    def videos(self) -> Sequence[VideoKindRules]:
        """The kinds of video it takes; the first that takes a shape applies to it."""
        ...

    @property
    def safe_zone(self) -> Margins | None:
        """What its app covers of a video shown in its own frame, or None."""
        ...

    @property
    def alt_text(self) -> bool:
        """It takes a text description of the video."""
        ...

    @property
    def alt_text_max(self) -> int | None:
        """Of at most this many characters, or None."""
        ...


class CapsuleNetwork(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def label(self) -> str: ...

    @property
    def media(self) -> CapsuleMediaRules: ...


CapsuleNetworks = Mapping[str, CapsuleNetwork]


class CampaignNetwork(NetworkRules, CapsuleNetwork, Protocol):
    """A network as a capsule's campaign sees it: the campaign file is checked against its rules too."""


CampaignNetworks = Mapping[str, CampaignNetwork]


def _ratio(size: tuple[float, float]) -> float:
    return size[0] / size[1]


def _same_shape(first: float, second: float) -> bool:
    return abs(first - second) <= SHAPE_TOLERANCE * second


def takes_shape(rules: VideoKindRules, preset: Preset) -> bool:
    ratio = _ratio(preset.size)
    if rules.aspect is not None and not _same_shape(ratio, _ratio(rules.aspect)):
        return False
    return rules.aspect_range is None or rules.aspect_range[0] <= ratio <= rules.aspect_range[1]


def video_kind(network: CapsuleNetwork, preset: Preset) -> VideoKindRules | None:
    """The kind of video a render in ``preset`` is on ``network`` (the first that takes its shape)."""
    return next((rules for rules in network.media.videos if takes_shape(rules, preset)), None)


def frame_ratio(network: CapsuleNetwork) -> float | None:
    """The shape of the frame the network's app shows videos in: its first kind's aspect, else its
    preferred format's."""
    videos = network.media.videos
    if videos and videos[0].aspect is not None:
        return _ratio(videos[0].aspect)
    preferred = next((PRESETS[name] for name in network.media.formats if name in PRESETS), None)
    return _ratio(preferred.size) if preferred is not None else None


def zone_applies(network: CapsuleNetwork, preset: Preset) -> bool:
    """A network's safe zone covers the formats it shows in its frame (a 9:16 app over a 9:16 video;
    a square video in a vertical app is shown whole, its interface beside it)."""
    ratio = frame_ratio(network)
    return (
        network.media.safe_zone is not None and ratio is not None and _same_shape(_ratio(preset.size), ratio)
    )


def receiving_preset(preset: Preset, networks: Sequence[CapsuleNetwork]) -> Preset:
    """``preset`` with its safe zone narrowed to leave out what each of ``networks`` covers."""
    zones = [network.media.safe_zone for network in networks if zone_applies(network, preset)]
    return preset.narrowed([zone for zone in zones if zone is not None])
