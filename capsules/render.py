"""Rendering: one MP4 per (format × burned-in language), sidecar captions per language, a poster;
a render whose inputs have not changed is skipped.

Python draws each static stretch once (moviepy chains the pictures, at the lowest frame rate that
still changes picture on every boundary) and pipes them to ffmpeg, which composes the moving
sign-language inset (keyed when asked), repeats frames to 30 fps and encodes. What does not depend
on the language (backgrounds, logo, the signer's keying settings, the audio) is prepared once and
shared by every language's render; only the subtitle, title and end-card pictures differ.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import itertools
import json
import math
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from campaign.errors import ClickableError
from campaign.i18n import _
from capsules.frames import FramePainter, Segment, segments
from capsules.layout import Layout, layout_for
from capsules.media import (
    MediaError,
    VideoInfo,
    ffmpeg,
    media_duration,
    mixed_audio,
    silent_audio,
    video_info,
)
from capsules.presets import FPS, X264_PRESET, Preset, output_parameters
from capsules.script import LoadedScript
from capsules.selection import RenderKey

RENDERER_VERSION = "4"  # bump when the output of the same inputs changes
CHROMA_GREEN = "0x00b140"  # the usual chroma-key green; similarity wide enough for lit screens
CHROMA_SIMILARITY = 0.18
CHROMA_BLEND = 0.06
KEY_DISTANCE_SCALE = 510  # chroma distances 0-0.5 as 0-255 (similarity + blend is 0.24): 2/255 steps
Progress = Callable[[str, int, int], None]


class RenderError(ClickableError):
    pass


@dataclass(frozen=True)
class RenderedFile:
    format: str | None  # None: a sidecar, the same for every format
    language: str | None
    kind: str  # video, srt, vtt, poster
    path: Path
    size: int
    duration: float | None

    def as_dict(self) -> dict[str, object]:
        return {
            "format": self.format,
            "language": self.language,
            "kind": self.kind,
            "path": str(self.path),
            "size": self.size,
            "duration": self.duration,
        }

    @classmethod
    def from_dict(cls, item: dict[str, Any]) -> RenderedFile:
        return cls(
            item.get("format"),
            item.get("language"),
            str(item["kind"]),
            Path(item["path"]),
            int(item["size"]),
            item.get("duration"),
        )


@dataclass(frozen=True)
class RenderResult:
    key: RenderKey
    skipped: bool
    input_hash: str
    files: list[RenderedFile]

    @property
    def format(self) -> str:
        return self.key.format

    @property
    def language(self) -> str:
        return self.key.language


@dataclass(frozen=True)
class CaptionResult:
    language: str
    files: list[RenderedFile]


@dataclass(frozen=True)
class CapsuleRender:
    """Everything a render wrote: videos, sidecars per language, poster, and what to record."""

    capsule: str
    languages: list[str]
    renders: list[RenderResult]
    captions: list[CaptionResult]
    poster: RenderedFile | None
    alt_text: dict[str, str]

    @property
    def files(self) -> list[RenderedFile]:
        files = [file for result in self.renders for file in result.files]
        files += [file for caption in self.captions for file in caption.files]
        return files + ([self.poster] if self.poster else [])

    def outputs(self) -> dict[str, Any]:
        """What the database records (Capsule.outputs): renders by name, captions by language."""
        return {
            "languages": self.languages,
            "renders": {
                result.key.name: {
                    "format": result.format,
                    "language": result.language,
                    "hash": result.input_hash,
                    "files": [file.as_dict() for file in result.files],
                }
                for result in self.renders
            },
            "captions": {
                caption.language: {file.kind: str(file.path) for file in caption.files}
                for caption in self.captions
            },
            "alt_text": self.alt_text,
            "poster": str(self.poster.path) if self.poster else None,
        }


class _Digests:
    def __init__(self) -> None:
        self._known: dict[Path, str] = {}

    def __call__(self, path: Path) -> str:
        if path not in self._known:
            digest = hashlib.sha256()
            with path.open("rb") as handle:
                for chunk in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(chunk)
            self._known[path] = digest.hexdigest()
        return self._known[path]


def input_hash(
    loaded: LoadedScript, preset: Preset, language: str, font: Path, link_url: str | None, digest: _Digests
) -> str:
    """A hash of everything one render depends on: the script as drawn in ``language``, media
    bytes, font, preset, encoder settings, versions."""
    script = loaded.script
    assert script is not None
    media: list[str] = []
    for scene in script.scenes:
        for relative in (scene.background.image, scene.background.video):
            if relative:
                media.append(digest(loaded.resolve(relative)))
    if script.audio:
        for relative in (script.audio.voice, script.audio.music):
            if relative:
                media.append(digest(loaded.resolve(relative)))
    for relative in (script.style.logo, script.sign_language.video if script.sign_language else None):
        if relative:
            media.append(digest(loaded.resolve(relative)))
    drawn = script.model_dump(mode="json", exclude={"cues", "subtitles", "alt_text", "audience"})
    drawn["capsule"].pop("languages", None)
    drawn["capsule"].pop("formats", None)
    for scene, shown in zip(script.scenes, drawn["scenes"], strict=True):
        shown["title"] = loaded.localized(scene.title, language)
    if script.end_card is not None:
        drawn["end_card"]["text"] = loaded.localized(script.end_card.text, language)
    payload = {
        "renderer": RENDERER_VERSION,
        "moviepy": metadata.version("moviepy"),
        "script": drawn,
        "cues": [(cue.start, cue.end, cue.text(language), cue.kind) for cue in loaded.cues],
        "preset": preset.__dict__,
        "encoder": [X264_PRESET, *output_parameters()],
        "keying": (CHROMA_GREEN, CHROMA_SIMILARITY, CHROMA_BLEND),
        "font": digest(font),
        "media": media,
        "link": link_url,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def still_runs(parts: list[Segment], total: int) -> list[tuple[int, Segment]]:
    """The 30 fps frames of a capsule without moving background as runs of one still picture:
    (first frame, its segment). Each picture is sent to ffmpeg once (a 1080×1920 picture is 6 MB),
    and ffmpeg repeats it to the next run's first frame (timing_filter)."""
    runs: list[tuple[int, Segment]] = []
    index = 0
    for frame in range(total):
        moment = frame / FPS
        while index + 1 < len(parts) and parts[index + 1].start <= moment + 1e-9:
            index += 1
        if not runs or runs[-1][1] is not parts[index]:
            runs.append((frame, parts[index]))
    return runs


def timing_filter(firsts: list[int]) -> str:
    """setpts giving the N-th piped picture its first frame (in 1/30 s), as a flat sum (no nesting)."""
    terms = [f"{first - before}*gte(N,{number})" for number, (before, first) in enumerate(itertools.pairwise(firsts), 1)]
    return f"setpts='{'+'.join(terms) or '0'}'"


def key_chroma(color: str) -> tuple[float, float]:
    """The key colour's U and V as ffmpeg's chromakey computes them (full-range BT.601)."""
    value = int(color.removeprefix("0x").removeprefix("#"), 16)
    red, green, blue = value >> 16 & 0xFF, value >> 8 & 0xFF, value & 0xFF
    return (
        128 - 0.16874 * red - 0.33126 * green + 0.5 * blue,
        128 + 0.5 * red - 0.41869 * green - 0.08131 * blue,
    )


def chroma_key(source: str, out: str, *, color: str = CHROMA_GREEN) -> str:
    """A filter_complex fragment keying ``source`` into ``out`` (yuva444p) by the formula of ffmpeg's
    chromakey: alpha = (mean chroma distance to the key over 3×3 pixels - similarity) / blend.

    chromakey itself took 18 ms a frame for a 360×640 inset (it computes nine square roots per
    pixel): here the distance is a table of the 256×256 (U, V) pairs (lut2), averaged by a 3×3
    convolution, then turned into alpha by a 256-entry table; 6 times cheaper, and within 1 level of
    alpha on average of chromakey's (tests/test_capsules_render.py)."""
    u, v = key_chroma(color)
    distance = f"sqrt(((x-{u:.3f})*(x-{u:.3f})+(y-{v:.3f})*(y-{v:.3f}))/130050)"  # 130050 = 2 * 255²
    alpha = f"(val/{KEY_DISTANCE_SCALE}-{CHROMA_SIMILARITY})/{CHROMA_BLEND}*255"
    return (
        f"{source}format=yuv444p,split[keyed_picture][keyed_chroma];"
        f"[keyed_chroma]extractplanes=u+v[keyed_u][keyed_v];"
        f"[keyed_u][keyed_v]lut2=c0='clip({distance}*{KEY_DISTANCE_SCALE},0,255)',"
        f"convolution=0m='1 1 1 1 1 1 1 1 1':0rdiv=1/9,lut=c0='clip({alpha},0,255)'[keyed_alpha];"
        f"[keyed_picture][keyed_alpha]alphamerge{out}"
    )


def inset_filter(layout: Layout, *, key: bool, duration: float, source: str, out: str) -> str:
    """The signer's video as its inset shows it (a filter_complex fragment from ``source`` to
    ``out``): cut to the capsule, 30 fps, scaled, and keyed when its background is green."""
    assert layout.inset is not None
    picture = (
        f"trim=end={duration:.3f},setpts=PTS-STARTPTS,fps=30,"
        f"scale={layout.inset.width}:{layout.inset.height}:flags=bicubic"
    )
    if not key:
        return f"{source}{picture}{out}"
    return chroma_key(f"{source}{picture}[scaled_signer];[scaled_signer]", out)


def filter_graph(
    layout: Layout, *, signer: bool, key: bool, duration: float, prepared: bool = False, timing: str | None = None
) -> str:
    """The ffmpeg graph: the piped pictures to 30 fps, the signer scaled (and keyed) into its inset;
    ``prepared``: the signer input is already the inset (prepare_inset), laid over as it is;
    ``timing``: the setpts placing each piped still picture at its first frame (timing_filter)."""
    # pictures are converted once, then repeated by reference: converting after fps=30 would
    # convert (and queue) every repeated full-size RGB frame
    base = f"[0:v]{timing + ',' if timing else ''}format=yuv420p,fps=30"
    if not signer or layout.inset is None:
        return f"{base}[v]"
    inset = layout.inset
    source = "" if prepared else inset_filter(layout, key=key, duration=duration, source="[1:v]", out="[signer]") + ";"
    over = "[1:v]" if prepared else "[signer]"
    return (
        f"{source}{base}[base];"
        f"[base]{over}overlay={inset.left}:{inset.top}:eof_action=pass:format=yuv420[v]"
    )


def prepare_inset(signer: Path, layout: Layout, *, key: bool, duration: float, target: Path) -> Path:
    """The signer's inset made once for every language of a format (decoded, scaled and keyed once),
    kept lossless with its transparency (QuickTime Animation, ARGB) so that each
    render only lays it over."""
    result = subprocess.run(
        [ffmpeg(), "-hide_banner", "-nostdin", "-v", "error", "-y", "-i", str(signer),
         "-filter_complex", inset_filter(layout, key=key, duration=duration, source="[0:v]", out="[inset]"),
         "-map", "[inset]", "-an",
         "-c:v", "qtrle", "-pix_fmt", "argb", str(target)],
        capture_output=True, text=True, errors="replace", timeout=1800, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        raise RenderError(
            _("ffmpeg could not prepare the signer's inset from {name}: {reason}").format(
                name=signer.name, reason=lines[-1][:200] if lines else result.returncode
            )
        )
    return target


def render_video(
    painter: FramePainter,
    language: str,
    *,
    target: Path,
    audio_file: Path,
    signer: Path | None,
    key: bool,
    progress: Progress | None = None,
    label: str = "",
    prepared: bool = False,
) -> None:
    """Write one video to ``target``: it appears whole or not at all."""
    loaded = painter.loaded
    script = painter.script
    preset = painter.preset
    parts = segments(loaded)
    moving = any(part.scene is not None and part.scene.background.video for part in parts)
    total = round(script.duration * FPS)
    runs = [] if moving else still_runs(parts, total)
    # a last copy of the last picture just past the end (-t cuts it): ffmpeg's fps filter repeats a
    # picture only up to the next one
    firsts = [first for first, _part in runs] + ([total] if runs else [])
    partial = target.with_name(f".{target.stem}.partial.mp4")
    inputs = [
        "-f",
        "rawvideo",
        "-pix_fmt",
        "rgb24",
        "-s",
        f"{preset.width}x{preset.height}",
        "-r",
        str(FPS),
        "-i",
        "-",
    ]
    audio_index = 1
    if signer is not None:
        inputs += ["-i", str(signer)]
        audio_index = 2
    inputs += ["-i", str(audio_file)]
    command = [
        ffmpeg(), "-hide_banner", "-nostdin", "-v", "error", "-y", *inputs,
        "-filter_complex", filter_graph(painter.layout, signer=signer is not None, key=key, duration=script.duration, prepared=prepared, timing=timing_filter(firsts) if runs else None),
        "-map", "[v]", "-map", f"{audio_index}:a",
        "-c:v", "libx264", "-preset", X264_PRESET, "-threads", str(os.cpu_count() or 2),
        *output_parameters(), "-c:a", "copy", "-t", f"{script.duration:.3f}", str(partial),
    ]  # fmt: skip
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(command, stdin=subprocess.PIPE, stderr=errors)
        assert process.stdin is not None
        try:
            try:
                if runs:
                    _send_stills(process.stdin, painter, language, runs, firsts, total, progress, label)
                else:
                    with _timeline_clips(painter, parts, language) as timeline:
                        for index, frame in enumerate(timeline.iter_frames(fps=FPS, dtype="uint8")):
                            process.stdin.write(frame.tobytes())
                            if progress is not None:
                                progress(label, min(total, index + 1), total)
                process.stdin.close()
            except BrokenPipeError:  # ffmpeg stopped reading: its own message says why
                pass
            code = process.wait()
        except BaseException:
            process.kill()
            process.wait()
            partial.unlink(missing_ok=True)
            raise
        if code != 0:
            partial.unlink(missing_ok=True)
            errors.seek(0)
            lines = [line for line in errors.read().decode("utf-8", "replace").splitlines() if line.strip()]
            raise RenderError(
                _("ffmpeg failed while rendering {name}: {reason}").format(
                    name=target.name, reason=lines[-1][:200] if lines else code
                )
            )
    _settle(partial)
    os.replace(partial, target)


def _send_stills(
    pipe: Any,
    painter: FramePainter,
    language: str,
    runs: list[tuple[int, Segment]],
    firsts: list[int],
    total: int,
    progress: Progress | None,
    label: str,
) -> None:
    """Each still picture once, the last one twice (timing_filter places them)."""
    picture = b""
    for number in range(len(firsts)):
        if number < len(runs):
            picture = painter.still(runs[number][1], language).convert("RGB").tobytes()
        pipe.write(picture)
        if progress is not None:
            following = firsts[number + 1] if number + 1 < len(firsts) else total
            progress(label, following, total)


@contextmanager
def _timeline_clips(painter: FramePainter, parts: list[Segment], language: str) -> Iterator[Any]:
    import numpy as np
    from moviepy import ImageClip, concatenate_videoclips

    with ExitStack() as stack:
        pieces: list[Any] = []
        for part in parts:
            scene = part.scene
            if scene is not None and scene.background.video is not None:
                pieces.append(stack.enter_context(_moving_part(painter, part, language)))
            else:
                still = ImageClip(np.array(painter.still(part, language)), duration=part.duration)
                stack.callback(still.close)
                pieces.append(still)
        timeline = concatenate_videoclips(pieces, method="chain")
        stack.callback(timeline.close)
        yield timeline


@contextmanager
def _moving_part(painter: FramePainter, part: Segment, language: str) -> Iterator[Any]:
    """A segment over a video background: the video, covered to the frame, under the overlay."""
    import numpy as np
    from moviepy import CompositeVideoClip, ImageClip, VideoFileClip, vfx

    scene = part.scene
    assert scene is not None and scene.background.video is not None
    preset = painter.preset
    source = VideoFileClip(str(painter.loaded.resolve(scene.background.video)), audio=False)
    overlay = ImageClip(np.array(painter.overlay(part, language)), transparent=True, duration=part.duration)
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


def write_captions(loaded: LoadedScript, out_dir: Path, language: str) -> list[RenderedFile]:
    """Sidecar SRT and WebVTT of one language, named ``<capsule>.<language>.srt|vtt``; the WebVTT
    header names the language."""
    import pysubs2

    script = loaded.script
    assert script is not None
    subtitles = pysubs2.SSAFile()
    for cue in loaded.cues:
        subtitles.append(
            pysubs2.SSAEvent(
                start=round(cue.start * 1000), end=round(cue.end * 1000), text=cue.text(language)
            )
        )
    files = []
    for kind in ("srt", "vtt"):
        target = out_dir / f"{script.capsule.id}.{language}.{kind}"
        content = subtitles.to_string(kind)
        if kind == "vtt":
            content = content.replace("WEBVTT\n", f"WEBVTT\nLanguage: {language}\n", 1)
        data = content.encode("utf-8")
        if not (target.is_file() and target.read_bytes() == data):
            atomic_write(target, data)
        files.append(RenderedFile(None, language, kind, target, target.stat().st_size, None))
    return files


def write_poster(video: Path, moment: float, target: Path) -> RenderedFile:
    """poster.png: the frame of ``video`` at ``moment``, as published (inset included)."""
    handle, name = tempfile.mkstemp(dir=target.parent, prefix=".poster-", suffix=".png")
    os.close(handle)
    try:
        result = subprocess.run(
            [ffmpeg(), "-hide_banner", "-nostdin", "-v", "error", "-y", "-ss", f"{moment:.3f}", "-i", str(video),
             "-frames:v", "1", name],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        if result.returncode != 0:
            raise RenderError(
                _("ffmpeg could not take the poster from {name}: {reason}").format(
                    name=video.name, reason=result.stderr.strip()[-200:]
                )
            )
        _settle(Path(name))
        os.replace(name, target)
    finally:
        Path(name).unlink(missing_ok=True)
    return RenderedFile(None, None, "poster", target, target.stat().st_size, None)


def _settle(path: Path) -> None:
    """Give an output the mode every file the user creates gets (umask applied), whoever wrote it."""
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(path, 0o666 & ~mask)


def atomic_write(target: Path, content: bytes) -> None:
    handle, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}-")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(content)
        _settle(Path(name))
        os.replace(name, target)
    finally:
        Path(name).unlink(missing_ok=True)


@contextmanager
def _exclusive(out_dir: Path) -> Iterator[None]:
    """One render of a capsule at a time; leftovers of a render that was killed are removed."""
    descriptor = os.open(out_dir, os.O_RDONLY)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            if error.errno in (errno.EWOULDBLOCK, errno.EACCES):
                raise RenderError(
                    _(
                        "another render of this capsule is running (into {folder}): wait for it to finish"
                    ).format(folder=out_dir)
                ) from None
            raise
        for leftover in out_dir.iterdir():  # every dot-name in the folder is a temporary of ours
            if leftover.name.startswith(".audio-") and leftover.is_dir():
                shutil.rmtree(leftover, ignore_errors=True)
            elif leftover.name.startswith(".") and leftover.is_file():
                leftover.unlink(missing_ok=True)
        yield
    finally:
        os.close(descriptor)


def _kept_files(manifest: dict[str, Any], name: str, hashed: str) -> list[RenderedFile] | None:
    """The files of render ``name`` when the manifest says they were made from these inputs and they
    are all there, else None (render again: also when renders.json was edited by hand)."""
    previous = manifest["renders"].get(name)
    if not isinstance(previous, dict) or previous.get("hash") != hashed:
        return None
    old_files = previous.get("files")
    if not isinstance(old_files, list) or not old_files:
        return None
    try:
        files = [RenderedFile.from_dict(item) for item in old_files]
    except (AttributeError, KeyError, TypeError, ValueError):
        return None
    return files if all(file.path.is_file() for file in files) else None


def _read_manifest(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) and isinstance(data.get("renders"), dict) else {}


def signer_of(loaded: LoadedScript) -> tuple[Path, VideoInfo] | None:
    script = loaded.script
    assert script is not None
    if script.sign_language is None:
        return None
    path = loaded.resolve(script.sign_language.video)
    info = video_info(path)
    if isinstance(info, str):
        raise RenderError(
            _("signer video '{name}' cannot be read ({reason})").format(
                name=script.sign_language.video, reason=info
            )
        )
    return path, info


def render_capsule(
    loaded: LoadedScript,
    renders: Sequence[RenderKey],
    *,
    presets: Mapping[str, Preset],
    font: Path,
    out_root: Path,
    link_url: str | None,
    progress: Progress | None = None,
    force: bool = False,
) -> CapsuleRender:
    """Render ``renders`` of a checked script into ``out_root/<capsule-id>/``, with every
    language's sidecars and the poster; ``presets`` are the formats as the check narrowed them for
    the networks receiving them (ScriptCheck.presets)."""
    try:
        return _render_capsule(
            loaded,
            renders,
            presets=presets,
            font=font,
            out_root=out_root,
            link_url=link_url,
            progress=progress,
            force=force,
        )
    except OSError as error:  # a folder that is a file, a full disk, no permission, a medium gone
        where = error.filename or out_root
        raise RenderError(
            _(
                "cannot render into {folder}: {reason} ({where}): choose another --out, or free some space"
            ).format(folder=out_root, reason=error.strerror or type(error).__name__, where=where)
        ) from None


def _render_capsule(
    loaded: LoadedScript,
    renders: Sequence[RenderKey],
    *,
    presets: Mapping[str, Preset],
    font: Path,
    out_root: Path,
    link_url: str | None,
    progress: Progress | None,
    force: bool,
) -> CapsuleRender:
    script = loaded.script
    assert script is not None
    out_dir = out_root / script.capsule.id
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest_path = out_dir / "renders.json"
    signer = signer_of(loaded)
    digest = _Digests()
    results: list[RenderResult] = []
    with _exclusive(out_dir):
        manifest = _read_manifest(manifest_path) or {"renders": {}}
        captions = [CaptionResult(tag, write_captions(loaded, out_dir, tag)) for tag in loaded.languages]
        painters: dict[str, FramePainter] = {}
        poster: RenderedFile | None = None
        keyed = bool(script.sign_language and script.sign_language.key == "green")
        with tempfile.TemporaryDirectory(dir=out_dir, prefix=".audio-") as scratch:
            audio_file = Path(scratch) / "audio.m4a"
            pending: list[tuple[RenderKey, str]] = []
            for key in renders:
                hashed = input_hash(loaded, presets[key.format], key.language, font, link_url, digest)
                if not force and (kept := _kept_files(manifest, key.name, hashed)) is not None:
                    results.append(RenderResult(key, True, hashed, kept))
                else:
                    pending.append((key, hashed))
            insets: dict[str, Path] = {}  # format → its signer inset, when several languages share it
            for key, hashed in pending:
                preset = presets[key.format]
                if not audio_file.exists():
                    _make_audio(loaded, audio_file)
                if key.format not in painters:
                    layout = layout_for(
                        preset,
                        font,
                        signer_size=(signer[1].width, signer[1].height) if signer else None,
                        side=script.sign_language.side if script.sign_language else "right",
                        logo=script.style.logo is not None,
                    )
                    painters[key.format] = FramePainter(loaded, preset, font, link_url, layout)
                    shared = sum(1 for other, _hash in pending if other.format == key.format)
                    if signer is not None and layout.inset is not None and shared > 1:
                        insets[key.format] = prepare_inset(
                            signer[0], layout, key=keyed, duration=script.duration,
                            target=Path(scratch) / f"signer.{key.format}.mov",
                        )  # fmt: skip
                target = out_dir / f"{key.name}.mp4"
                render_video(
                    painters[key.format],
                    key.language,
                    target=target,
                    audio_file=audio_file,
                    signer=insets.get(key.format, signer[0] if signer else None),
                    key=keyed,
                    progress=progress,
                    label=key.name,
                    prepared=key.format in insets,
                )
                files = [
                    RenderedFile(
                        key.format, key.language, "video", target, target.stat().st_size,
                        round(media_duration(target), 3),
                    )
                ]  # fmt: skip
                results.append(RenderResult(key, False, hashed, files))
                manifest["renders"][key.name] = {
                    "format": key.format,
                    "language": key.language,
                    "hash": hashed,
                    "files": [item.as_dict() for item in files],
                }
                atomic_write(
                    manifest_path, json.dumps(manifest, indent=2, ensure_ascii=False).encode("utf-8")
                )
        order = {key: index for index, key in enumerate(renders)}
        results.sort(key=lambda result: order[result.key])  # as asked: the first gives the poster
        poster_path = out_dir / "poster.png"
        if results:
            first = results[0]
            if not first.skipped or not poster_path.is_file():
                poster = write_poster(first.files[0].path, _poster_moment(loaded), poster_path)
            else:
                poster = RenderedFile(None, None, "poster", poster_path, poster_path.stat().st_size, None)
        alt = {tag: text for tag in loaded.languages if (text := loaded.alt_text(tag))}
        result = CapsuleRender(script.capsule.id, list(loaded.languages), results, captions, poster, alt)
        manifest["languages"] = result.languages
        manifest["captions"] = result.outputs()["captions"]
        manifest["alt_text"] = alt
        manifest["poster"] = str(poster.path) if poster else None
        atomic_write(manifest_path, json.dumps(manifest, indent=2, ensure_ascii=False).encode("utf-8"))
    return result


def _poster_moment(loaded: LoadedScript) -> float:
    script = loaded.script
    assert script is not None
    if script.poster is not None:
        return script.poster.at
    if loaded.cues:
        return (loaded.cues[0].start + loaded.cues[0].end) / 2
    return min(1.0, script.duration / 2)


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
