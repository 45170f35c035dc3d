"""A video is measured before upload from ffmpeg's reading of its header (networks/media.py),
judged here by an independent tool, Debian's ffprobe; and it is measured once per content."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from capsules.media import ffmpeg
from networks import media

from .mediatools import ffprobe


def make_video(target: Path, size: str, seconds: float) -> Path:
    subprocess.run(
        [ffmpeg(), "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc=size={size}:rate=30",
         "-t", f"{seconds}", "-c:v", "libx264", "-pix_fmt", "yuv420p", str(target)],
        check=True,
    )  # fmt: skip
    return target


@pytest.mark.parametrize(("size", "seconds"), [("1080x1920", 2.5), ("720x1280", 1.0), ("1280x720", 3.2)])
def test_the_measure_agrees_with_ffprobe(tmp_path: Path, size: str, seconds: float) -> None:
    video = make_video(tmp_path / "capsule.mp4", size, seconds)
    info = media.probe(video)
    stream = next(stream for stream in ffprobe(video)["streams"] if stream["codec_type"] == "video")
    assert info is not None
    assert (info.width, info.height) == (stream["width"], stream["height"])
    assert info.seconds == pytest.approx(float(ffprobe(video)["format"]["duration"]), abs=0.02)
    assert info.size == video.stat().st_size and info.vertical == (stream["height"] > stream["width"])


def test_what_ffmpeg_cannot_read_is_left_to_the_network(tmp_path: Path) -> None:
    text = tmp_path / "capsule.mp4"
    text.write_text("not a video", "utf-8")
    assert media.probe(text) is None
    assert media.probe(tmp_path / "missing.mp4") is None


def test_a_file_is_measured_once_until_it_changes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    video = make_video(tmp_path / "capsule.mp4", "720x1280", 1.0)
    reads: list[Path] = []
    read_header = media._read_header
    monkeypatch.setattr(media, "_read_header", lambda path, size: reads.append(path) or read_header(path, size))
    first = media.probe(video)
    assert media.probe(video) == first and len(reads) == 1  # a second delivery of the same file
    make_video(video, "1080x1920", 2.0)  # re-rendered in place: a new size and time
    os.utime(video, ns=(video.stat().st_atime_ns, video.stat().st_mtime_ns + 1_000_000))
    second = media.probe(video)
    assert len(reads) == 2 and second is not None and (second.width, second.height) == (1080, 1920)
