"""Delivery presets: one table of formats, each with the safe zone of the kind of player it is made
for, and the encoder settings every format shares.

Which networks take which format, how long their videos may be and what their apps cover are the
networks' own declarations (capsules.rules): a format's zone is narrowed by those of the networks
that receive it (:meth:`Preset.narrowed`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Protocol

FPS = 30
KEYFRAME_SECONDS = 2
AUDIO_RATE = 48_000
AUDIO_BITRATE = "128k"
# x264 is what a render waits for (Python sends each static picture once). ultrafast, with the tools
# of the High profile the master needs put back (CABAC, the 8x8 transform, intra 8x8/4x4 partitions)
# and the deblocking filter: its encoding took about 30 % less CPU than superfast's at the same CRF
# for the same SSIM (0.99938 against 0.99939 on a signed capsule), in files about 1.7 times larger
# (about 0.8 MB for 20 s of 1080x1920): sizes far below every network's limit
X264_PRESET = "ultrafast"
X264_PARAMETERS = "cabac=1:8x8dct=1:partitions=i8x8,i4x4:deblock=0,0"
X264_CRF = 21
LOUDNESS_TARGET_LUFS = -14.0
TRUE_PEAK_DBTP = -1.0


@dataclass(frozen=True)
class Box:
    """A rectangle in pixels: left, top (inclusive), right, bottom (exclusive)."""

    left: int
    top: int
    right: int
    bottom: int

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def height(self) -> int:
        return self.bottom - self.top

    def contains(self, other: Box) -> bool:
        return (
            self.left <= other.left
            and self.top <= other.top
            and other.right <= self.right
            and other.bottom <= self.bottom
        )

    def overlaps(self, other: Box) -> bool:
        return (
            self.left < other.right
            and other.left < self.right
            and self.top < other.bottom
            and other.top < self.bottom
        )


class Margins(Protocol):
    """Fractions of the frame's height (top, bottom) and width (left, right)."""

    @property
    def top(self) -> float: ...

    @property
    def bottom(self) -> float: ...

    @property
    def left(self) -> float: ...

    @property
    def right(self) -> float: ...


@dataclass(frozen=True)
class Preset:
    """A video format: size, text sizes, and the safe zone of the player it is made for.

    The safe zone is given as fractions of the frame kept free of the player's own interface
    (buttons, captions, progress bar): nothing we draw that must be read goes there.
    """

    name: str
    width: int
    height: int
    font_size: int
    title_size: int
    safe_top: float
    safe_bottom: float
    safe_left: float
    safe_right: float
    subtitle_center: float  # vertical centre of the subtitle band, as a fraction of the height
    source: str  # where the safe zone comes from

    @property
    def size(self) -> tuple[int, int]:
        return (self.width, self.height)

    @property
    def safe(self) -> Box:
        """The safe zone in pixels."""
        return Box(
            round(self.width * self.safe_left),
            round(self.height * self.safe_top),
            self.width - round(self.width * self.safe_right),
            self.height - round(self.height * self.safe_bottom),
        )

    def narrowed(self, zones: Sequence[Margins]) -> Preset:
        """This format with its safe zone narrowed to leave out every one of ``zones``'s margins too."""
        if not zones:
            return self
        return replace(
            self,
            safe_top=max([self.safe_top, *(zone.top for zone in zones)]),
            safe_bottom=max([self.safe_bottom, *(zone.bottom for zone in zones)]),
            safe_left=max([self.safe_left, *(zone.left for zone in zones)]),
            safe_right=max([self.safe_right, *(zone.right for zone in zones)]),
        )

    @property
    def padding(self) -> int:
        return self.font_size // 2

    @property
    def text_width(self) -> int:
        """Widest a subtitle line may be, in pixels (inside the safe zone, box padding included)."""
        return self.safe.width - 2 * self.padding


# The one table of formats. Meta unified the Reels and Stories safe zone in March 2026 (14 % top,
# 35 % bottom, 6 % each side); TikTok keeps ~250 px at the top, ~420 px at the bottom and ~170 px on
# the right free for its button rail (TikTok Creative Center); feed and landscape players only
# overlay their controls, kept clear with small margins.
PRESETS: dict[str, Preset] = {
    preset.name: preset
    for preset in (
        Preset(
            "vertical", 1080, 1920, 64, 96, 0.14, 0.35, 0.06, 0.06, 0.56,
            "Meta Reels/Stories safe zone (2026)",
        ),
        Preset(
            "portrait", 1080, 1350, 56, 84, 0.06, 0.12, 0.06, 0.06, 0.76,
            "Meta feed 4:5 (recommended over 1:1 in 2026): player controls kept clear",
        ),
        Preset(
            "square", 1080, 1080, 56, 84, 0.08, 0.10, 0.06, 0.06, 0.78,
            "feed player: controls kept clear",
        ),
        Preset(
            "landscape", 1920, 1080, 56, 96, 0.08, 0.10, 0.08, 0.08, 0.82,
            "16:9 player (YouTube, presentations): controls kept clear",
        ),
        # X documents 1280×1024 at most: a 720×1280 copy of the vertical master, with its zone
        Preset(
            "x", 720, 1280, 43, 64, 0.14, 0.35, 0.06, 0.06, 0.56,
            "X: no published zone, the Reels zone is kept",
        ),
        Preset(
            "tiktok", 1080, 1920, 64, 96, 250 / 1920, 420 / 1920, 0.06, 170 / 1080, 0.56,
            "TikTok: ~250 px top, ~420 px bottom, ~170 px right (button rail)",
        ),
    )
}  # fmt: skip
FORMAT_NAMES = tuple(PRESETS)
DEFAULT_FORMATS = ("vertical", "square", "landscape", "x")


def output_parameters(*, gop_frames: int = FPS * KEYFRAME_SECONDS) -> list[str]:
    """Output options shared by every render and by the benchmark's ffmpeg baseline."""
    return [
        "-x264-params",
        X264_PARAMETERS,
        "-r",
        str(FPS),
        "-pix_fmt",
        "yuv420p",
        "-profile:v",
        "high",
        "-crf",
        str(X264_CRF),
        "-g",
        str(gop_frames),
        "-keyint_min",
        str(gop_frames),
        "-sc_threshold",
        "0",
        "-bf",
        "0",  # no B-frames: without an edit list, B-frame delay would start the video at 0.067 s
        "-movflags",
        "+faststart",
        "-use_editlist",
        "0",
        "-avoid_negative_ts",
        "disabled",  # keep video timestamps on the 1/30 s grid (no shift for AAC priming)
    ]
