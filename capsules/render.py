"""Rendering: one MP4 per format with moviepy, sidecar captions, a poster; skipped when nothing changed."""

from __future__ import annotations

import hashlib
import json
import math
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import proglog
import pysubs2
from moviepy import CompositeVideoClip, ImageClip, VideoClip, VideoFileClip, concatenate_videoclips, vfx
from moviepy.video.io.ffmpeg_writer import ffmpeg_write_video
from PIL import Image

from campaign.errors import ClickableError
from capsules.frames import FramePainter, Segment, segments
from capsules.media import MediaError, media_duration, mixed_audio, silent_audio
from capsules.presets import FPS, PRESETS, X264_PRESET, Preset, output_parameters
from capsules.script import LoadedScript

RENDERER_VERSION = "1"  # bump when the output of the same inputs changes
PIPE_RATES = (1, 2, 3, 5, 6, 10, 15, 30)  # frame rates that divide 30: ffmpeg repeats frames to 30 fps
Progress = Callable[[str, int, int], None]


class RenderError(ClickableError):
    pass


@dataclass(frozen=True)
class RenderedFile:
    format: str
    kind: str  # video, srt, vtt, poster
    path: Path
    size: int
    duration: float | None

    def as_dict(self) -> dict[str, object]:
        return {
            "format": self.format,
            "kind": self.kind,
            "path": str(self.path),
            "size": self.size,
            "duration": self.duration,
        }


@dataclass(frozen=True)
class FormatResult:
    format: str
    skipped: bool
    input_hash: str
    files: list[RenderedFile]


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def input_hash(loaded: LoadedScript, preset: Preset, font: Path, link_url: str | None) -> str:
    """A hash of everything a render depends on: script, cues, media bytes, font, preset, versions."""
    script = loaded.script
    assert script is not None
    media: list[str] = []
    for scene in script.scenes:
        for relative in (scene.background.image, scene.background.video):
            if relative:
                media.append(_file_digest(loaded.resolve(relative)))
    if script.audio:
        for relative in (script.audio.voice, script.audio.music):
            if relative:
                media.append(_file_digest(loaded.resolve(relative)))
    if script.style.logo:
        media.append(_file_digest(loaded.resolve(script.style.logo)))
    payload = {
        "renderer": RENDERER_VERSION,
        "moviepy": metadata.version("moviepy"),
        "script": script.model_dump(mode="json"),
        "cues": [(cue.start, cue.end, cue.text) for cue in loaded.cues],
        "preset": preset.__dict__,
        "encoder": output_parameters(),
        "font": _file_digest(font),
        "media": media,
        "link": link_url,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def pipe_rate(parts: list[Segment], *, moving: bool) -> int:
    """The lowest frame rate that still changes picture exactly on every segment boundary.

    Static pictures need not be sent 30 times a second: ffmpeg repeats them to a constant 30 fps.
    """
    if moving:
        return FPS
    for rate in PIPE_RATES:
        if all(
            abs(value * rate - round(value * rate)) < 1e-6
            for part in parts
            for value in (part.start, part.end)
        ):
            return rate
    return FPS


class _ProgressLogger(proglog.ProgressBarLogger):
    def __init__(self, name: str, progress: Progress | None, rate: int) -> None:
        super().__init__()
        self.name = name
        self.progress = progress
        self.scale = FPS // rate
        self.total = 0

    def bars_callback(self, bar: str, attr: str, value: Any, old_value: Any = None) -> None:
        if self.progress is None or bar != "frame_index":
            return
        if attr == "total":
            self.total = int(value) * self.scale
        elif attr == "index" and self.total:
            self.progress(self.name, min(self.total, (int(value) + 1) * self.scale), self.total)


def render_format(
    loaded: LoadedScript,
    preset: Preset,
    *,
    font: Path,
    out_dir: Path,
    audio_file: Path,
    link_url: str | None,
    progress: Progress | None = None,
) -> list[RenderedFile]:
    """Write ``<format>.mp4``, ``.srt``, ``.vtt`` into ``out_dir``; each file appears whole or not at all."""
    script = loaded.script
    assert script is not None
    painter = FramePainter(loaded, preset, font, link_url)
    parts = segments(loaded)
    moving = any(part.scene is not None and part.scene.background.video for part in parts)
    rate = pipe_rate(parts, moving=moving)
    target = out_dir / f"{preset.name}.mp4"
    partial = out_dir / f".{preset.name}.partial.mp4"
    try:
        with _timeline_clips(painter, parts) as timeline:
            ffmpeg_write_video(
                timeline,
                str(partial),
                rate,
                codec="libx264",
                preset=X264_PRESET,
                threads=os.cpu_count() or 2,
                ffmpeg_params=output_parameters(),
                logger=_ProgressLogger(preset.name, progress, rate),
                audiofile=str(audio_file),
                audio_codec="copy",
            )
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    files = [
        RenderedFile(preset.name, "video", target, target.stat().st_size, round(media_duration(target), 3))
    ]
    files.extend(write_captions(loaded, out_dir / preset.name))
    return files


@contextmanager
def _timeline_clips(painter: FramePainter, parts: list[Segment]) -> Iterator[VideoClip]:
    with ExitStack() as stack:
        pieces: list[Any] = []
        for part in parts:
            scene = part.scene
            if scene is not None and scene.background.video is not None:
                pieces.append(stack.enter_context(_moving_part(painter, part)))
            else:
                still = ImageClip(np.array(painter.still(part)), duration=part.duration)
                stack.callback(still.close)
                pieces.append(still)
        timeline = concatenate_videoclips(pieces, method="chain")
        stack.callback(timeline.close)
        yield timeline


@contextmanager
def _moving_part(painter: FramePainter, part: Segment) -> Iterator[VideoClip]:
    """A segment over a video background: the video, covered to the frame, under the overlay."""
    scene = part.scene
    assert scene is not None and scene.background.video is not None
    preset = painter.preset
    source = VideoFileClip(str(painter.loaded.resolve(scene.background.video)), audio=False)
    overlay = ImageClip(np.array(painter.overlay(part)), transparent=True, duration=part.duration)
    try:
        offset = part.start - part.scene_start
        looped = (
            source.with_effects([vfx.Loop(duration=offset + part.duration)])
            if source.duration < offset + part.duration
            else source
        )
        moving = looped.subclipped(offset, offset + part.duration)
        scale = max(preset.width / moving.w, preset.height / moving.h)
        moving = moving.resized((math.ceil(moving.w * scale), math.ceil(moving.h * scale)))
        moving = moving.cropped(
            x_center=moving.w / 2, y_center=moving.h / 2, width=preset.width, height=preset.height
        )
        composite = CompositeVideoClip([moving, overlay], size=preset.size, use_bgclip=True).with_duration(
            part.duration
        )
        yield composite
    finally:
        overlay.close()
        source.close()


def write_captions(loaded: LoadedScript, stem: Path) -> list[RenderedFile]:
    """Sidecar SRT and WebVTT with the cues, written to temporary names and renamed."""
    subtitles = pysubs2.SSAFile()
    for cue in loaded.cues:
        subtitles.append(
            pysubs2.SSAEvent(start=round(cue.start * 1000), end=round(cue.end * 1000), text=cue.text)
        )
    files = []
    for kind in ("srt", "vtt"):
        target = stem.with_suffix(f".{kind}")
        _atomic_write(target, subtitles.to_string(kind).encode("utf-8"))
        files.append(RenderedFile(stem.name, kind, target, target.stat().st_size, None))
    return files


def write_poster(
    loaded: LoadedScript, preset: Preset, font: Path, link_url: str | None, target: Path
) -> RenderedFile:
    """poster.png: the frame at ``poster.at`` (default: the middle of the first cue)."""
    script = loaded.script
    assert script is not None
    if script.poster is not None:
        moment = script.poster.at
    elif loaded.cues:
        moment = (loaded.cues[0].start + loaded.cues[0].end) / 2
    else:
        moment = min(1.0, script.duration / 2)
    painter = FramePainter(loaded, preset, font, link_url)
    part = next(part for part in segments(loaded) if part.start <= moment < part.end)
    with _timeline_clips(painter, [part]) as clip:
        frame = clip.get_frame(moment - part.start)
    handle, name = tempfile.mkstemp(dir=target.parent, prefix=".poster-", suffix=".png")
    os.close(handle)
    try:
        Image.fromarray(np.asarray(frame, dtype=np.uint8)).save(name)
        os.replace(name, target)
    finally:
        Path(name).unlink(missing_ok=True)
    return RenderedFile(preset.name, "poster", target, target.stat().st_size, None)


def _atomic_write(target: Path, content: bytes) -> None:
    handle, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}-")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(content)
        os.replace(name, target)
    finally:
        Path(name).unlink(missing_ok=True)


def render_capsule(
    loaded: LoadedScript,
    formats: list[str],
    *,
    font: Path,
    out_root: Path,
    link_url: str | None,
    progress: Progress | None = None,
    force: bool = False,
) -> list[FormatResult]:
    """Render ``formats`` of a checked script into ``out_root/<capsule-id>/``."""
    script = loaded.script
    assert script is not None
    out_dir = out_root / script.capsule.id
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest_path = out_dir / "renders.json"
    manifest: dict[str, Any] = json.loads(manifest_path.read_text("utf-8")) if manifest_path.is_file() else {}
    results = []
    with tempfile.TemporaryDirectory(dir=out_dir, prefix=".audio-") as scratch:
        audio_file = Path(scratch) / "audio.m4a"
        for name in formats:
            preset = PRESETS[name]
            digest = input_hash(loaded, preset, font, link_url)
            previous = manifest.get(name, {})
            files_present = all(
                Path(item["path"]).is_file() for item in previous.get("files", [])
            ) and previous.get("files")
            if not force and previous.get("hash") == digest and files_present:
                files = [RenderedFile(**{**item, "path": Path(item["path"])}) for item in previous["files"]]
                results.append(FormatResult(name, True, digest, files))
                continue
            if not audio_file.exists():
                _make_audio(loaded, audio_file)
            files = render_format(
                loaded,
                preset,
                font=font,
                out_dir=out_dir,
                audio_file=audio_file,
                link_url=link_url,
                progress=progress,
            )
            if name == formats[0] or not (out_dir / "poster.png").exists():
                files.append(write_poster(loaded, preset, font, link_url, out_dir / "poster.png"))
            manifest[name] = {"hash": digest, "files": [{**item.as_dict()} for item in files]}
            _atomic_write(manifest_path, json.dumps(manifest, indent=2).encode("utf-8"))
            results.append(FormatResult(name, False, digest, files))
    return results


def _make_audio(loaded: LoadedScript, target: Path) -> None:
    script = loaded.script
    assert script is not None
    voice = loaded.resolve(script.audio.voice) if script.audio and script.audio.voice else None
    music = loaded.resolve(script.audio.music) if script.audio and script.audio.music else None
    try:
        if voice is None and music is None:
            silent_audio(target, script.duration)
        else:
            mixed_audio(target, script.duration, voice=voice, music=music)
    except MediaError as error:
        raise RenderError(f"{loaded.path}: {error}") from None
