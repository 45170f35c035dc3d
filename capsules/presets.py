"""Delivery presets: one table of formats, and the encoder settings every format shares."""

from __future__ import annotations

from dataclasses import dataclass

FPS = 30
KEYFRAME_SECONDS = 2
AUDIO_RATE = 48_000
AUDIO_BITRATE = "128k"
X264_PRESET = "veryfast"
X264_CRF = 21
LOUDNESS_TARGET_LUFS = -14.0
TRUE_PEAK_DBTP = -1.0
MIN_DURATION_S = 3.0  # Facebook Reels range, the strictest of our networks
MAX_DURATION_S = 90.0
DEFAULT_MAX_CPS = 15.0  # reading speed, characters a second


@dataclass(frozen=True)
class Preset:
    """A video format: size, subtitle font size and the band where subtitles stay readable."""

    name: str
    width: int
    height: int
    font_size: int
    title_size: int
    # safe zone as fractions of the frame (Meta's Reels zone for 9:16: 14 % top, 35 % bottom, 6 % sides)
    safe_top: float
    safe_bottom: float
    safe_side: float
    subtitle_center: float  # vertical centre of the subtitle band, as a fraction of the height
    platforms: tuple[str, ...]

    @property
    def size(self) -> tuple[int, int]:
        return (self.width, self.height)

    @property
    def text_width(self) -> int:
        """Widest a subtitle line may be, in pixels (inside the side margins, box padding included)."""
        return int(self.width * (1 - 2 * self.safe_side)) - 2 * self.padding

    @property
    def padding(self) -> int:
        return self.font_size // 2


PRESETS: dict[str, Preset] = {
    "vertical": Preset("vertical", 1080, 1920, 64, 96, 0.14, 0.35, 0.06, 0.56, ("instagram", "facebook")),
    "square": Preset("square", 1080, 1080, 56, 84, 0.08, 0.10, 0.06, 0.78, ("facebook",)),
    "landscape": Preset("landscape", 1920, 1080, 56, 96, 0.08, 0.10, 0.08, 0.82, ("facebook",)),
    # X documents 1280×1024 at most: a 720×1280 copy of the vertical master
    "x": Preset("x", 720, 1280, 43, 64, 0.14, 0.35, 0.06, 0.56, ("x",)),
}
FORMAT_NAMES = tuple(PRESETS)


def output_parameters(*, gop_frames: int = FPS * KEYFRAME_SECONDS) -> list[str]:
    """Output options shared by every render and by the benchmark's ffmpeg baseline."""
    return [
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
