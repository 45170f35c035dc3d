"""A video measured before it is uploaded, and checked against the network's rules (VideoRules)."""

from __future__ import annotations

import logging
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from campaign.i18n import _
from networks.spec import ASPECT_TOLERANCE, VideoRules

log = logging.getLogger("clickable.media")


@dataclass(frozen=True)
class VideoInfo:
    """What ffmpeg reads from a video file's header."""

    seconds: float
    width: int
    height: int
    size: int  # bytes

    @property
    def vertical(self) -> bool:
        return self.height > self.width


_PROBED: dict[tuple[str, int, int], VideoInfo | None] = {}
_DURATION = re.compile(r"Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)")
_FRAME = re.compile(r"Stream #[^\n]*?: Video: [^\n]*?, (\d{2,5})x(\d{2,5})[,\s]")


def probe(path: Path) -> VideoInfo | None:
    """The video's duration and frame size as ffmpeg reads its header (imageio-ffmpeg's bundled
    ffmpeg, ``ffmpeg -i``: nothing is decoded), None if it cannot be read. Measured once per file
    content (path, size and modification time), however many deliveries post it.

    A file ffmpeg cannot read is not refused here: the network's own processing judges it.
    """
    try:
        stat = path.stat()
    except OSError:
        return None
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _PROBED:
        _PROBED[key] = _read_header(path, stat.st_size)
    return _PROBED[key]


def _read_header(path: Path, size: int) -> VideoInfo | None:
    import imageio_ffmpeg

    try:
        result = subprocess.run(
            [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path)],
            capture_output=True, text=True, errors="replace", timeout=60, check=False,
        )  # fmt: skip
    except (OSError, RuntimeError, subprocess.SubprocessError):
        result = None
    header = result.stderr if result is not None else ""
    duration, frame = _DURATION.search(header), _FRAME.search(header)
    if duration is None or frame is None:  # ffmpeg -i always "fails": no output was asked for
        log.debug("%s cannot be read by ffmpeg: the network will judge it", path.name)
        return None
    hours, minutes, seconds = duration.groups()
    width, height = int(frame.group(1)), int(frame.group(2))
    return VideoInfo(int(hours) * 3600 + int(minutes) * 60 + float(seconds), width, height, size)


def video_problem(rules: VideoRules, info: VideoInfo | None, size: int) -> str | None:
    """Why the network would refuse this video (its documented limits), or None."""
    label = _(rules.label)
    if size > rules.max_bytes:
        return _("the video weighs {size} MB, {label} take at most {limit} MB").format(
            size=_megabytes(size), label=label, limit=_megabytes(rules.max_bytes)
        )
    if info is None:
        return None
    if info.seconds and not (rules.min_seconds <= info.seconds <= rules.max_seconds):  # max may be inf
        return _("the video lasts {seconds:g} s, {label} take {low:g} to {high:g} s").format(
            seconds=round(info.seconds, 2), label=label, low=rules.min_seconds, high=rules.max_seconds
        )
    ratio = info.width / info.height if info.height else 0.0
    if rules.aspect is not None:
        wanted = rules.aspect[0] / rules.aspect[1]
        if abs(ratio - wanted) > wanted * ASPECT_TOLERANCE:
            return _("the video is {width}×{height}, {label} take {aspect_w}:{aspect_h}").format(
                width=info.width,
                height=info.height,
                label=label,
                aspect_w=rules.aspect[0],
                aspect_h=rules.aspect[1],
            )
    if rules.aspect_range is not None and not (rules.aspect_range[0] <= ratio <= rules.aspect_range[1]):
        return _(
            "the video is {width}×{height}, {label} take a width/height ratio of {low:g} to {high:g}"
        ).format(
            width=info.width,
            height=info.height,
            label=label,
            low=rules.aspect_range[0],
            high=rules.aspect_range[1],
        )
    if rules.min_size is not None and (info.width < rules.min_size[0] or info.height < rules.min_size[1]):
        return _("the video is {width}×{height}, {label} take at least {min_w}×{min_h}").format(
            width=info.width,
            height=info.height,
            label=label,
            min_w=rules.min_size[0],
            min_h=rules.min_size[1],
        )
    if rules.max_pixels is not None and info.width * info.height > rules.max_pixels:
        return _("the video is {width}×{height}, {label} take at most {limit} pixels a frame").format(
            width=info.width, height=info.height, label=label, limit=f"{rules.max_pixels:,}"
        )
    return None


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.0f}"  # networks write MB for MiB (X: 512 MB = 536,870,912 bytes)
