"""A video measured before it is uploaded, and checked against the network's rules (VideoRules)."""

from __future__ import annotations

import logging
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


def probe(path: Path) -> VideoInfo | None:
    """The video's duration and frame size (imageio-ffmpeg's bundled ffmpeg), None if it cannot be read.

    A file ffmpeg cannot read is not refused here: the network's own processing judges it.
    """
    import imageio_ffmpeg

    try:
        frames = imageio_ffmpeg.read_frames(str(path))
        try:
            meta = next(frames)
        finally:
            frames.close()
        width, height = (int(value) for value in meta["size"])
        return VideoInfo(float(meta.get("duration") or 0.0), width, height, path.stat().st_size)
    except (OSError, RuntimeError, StopIteration, KeyError, TypeError, ValueError):
        log.debug("%s cannot be read by ffmpeg: the network will judge it", path.name)
        return None


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
