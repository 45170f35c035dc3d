"""ffmpeg, as bundled by imageio-ffmpeg: probing inputs, measuring and normalising loudness."""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import imageio_ffmpeg

from capsules.presets import AUDIO_BITRATE, AUDIO_RATE, LOUDNESS_TARGET_LUFS, TRUE_PEAK_DBTP

FFMPEG_TIMEOUT_S = 600


def ffmpeg() -> str:
    return str(imageio_ffmpeg.get_ffmpeg_exe())


def run_ffmpeg(
    arguments: list[str], *, timeout: float = FFMPEG_TIMEOUT_S
) -> subprocess.CompletedProcess[str]:
    """Run the bundled ffmpeg and wait for it; its stderr comes back for parsing."""
    return subprocess.run(
        [ffmpeg(), "-hide_banner", "-nostdin", *arguments],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def probe_video(path: Path, *, audio: bool = False) -> str | None:
    """None when ffmpeg can decode the file's first second, else the reason it cannot."""
    stream = "a:0" if audio else "v:0"
    result = run_ffmpeg(
        ["-v", "error", "-t", "1", "-i", str(path), "-map", stream, "-f", "null", "-"], timeout=60
    )
    if result.returncode == 0:
        return None
    lines = [line for line in result.stderr.strip().splitlines() if line]
    return lines[-1][:160] if lines else f"ffmpeg exit {result.returncode}"


@dataclass(frozen=True)
class VideoInfo:
    width: int  # as displayed (a rotated phone video has its sides swapped)
    height: int
    fps: float
    duration: float


def video_info(path: Path) -> VideoInfo | str:
    """Size, frame rate and duration of a video, or the reason it cannot be read."""
    reason = probe_video(path)
    if reason:
        return reason
    from moviepy.video.io.ffmpeg_reader import ffmpeg_parse_infos

    try:
        infos = ffmpeg_parse_infos(str(path))
    except (OSError, ValueError, IndexError, KeyError) as error:
        return str(error).strip().splitlines()[-1][:160] if str(error).strip() else type(error).__name__
    if not infos.get("video_found"):
        return "no video stream"
    width, height = infos["video_size"]
    if int(infos.get("video_rotation") or 0) % 180 == 90:
        width, height = height, width
    duration = float(infos.get("video_duration") or infos.get("duration") or 0.0)
    return VideoInfo(int(width), int(height), float(infos.get("video_fps") or 0.0), duration)


def media_duration(path: Path) -> float:
    result = run_ffmpeg(["-i", str(path)], timeout=60)
    match = re.search(r"Duration: (\d+):(\d+):(\d+\.\d+)", result.stderr)
    if not match:
        return 0.0
    hours, minutes, seconds = match.groups()
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def silent_audio(target: Path, duration: float) -> None:
    """An AAC-LC 48 kHz stereo track of digital silence: silence stays silent, never normalised."""
    _checked(
        run_ffmpeg(
            [
                "-y",
                "-f",
                "lavfi",
                "-i",
                f"anullsrc=r={AUDIO_RATE}:cl=stereo",
                "-t",
                f"{duration:.3f}",
                "-c:a",
                "aac",
                "-b:a",
                AUDIO_BITRATE,
                str(target),
            ]
        ),
        "silent audio",
    )


def mixed_audio(target: Path, duration: float, *, voice: Path | None, music: Path | None) -> None:
    """Voice and music mixed (music ducked under the voice), normalised to −14 LUFS, −1 dBTP, in AAC.

    Two-pass loudnorm: measure the mix, then apply the measured values linearly.
    """
    inputs: list[str] = []
    if voice is not None:
        inputs += ["-i", str(voice)]
    if music is not None:
        inputs += ["-stream_loop", "-1", "-i", str(music)]
    pad = f"apad=whole_dur={duration:.3f},atrim=0:{duration:.3f},aresample={AUDIO_RATE},aformat=channel_layouts=stereo"
    if voice is not None and music is not None:
        graph = (
            f"[0:a]aresample={AUDIO_RATE},aformat=channel_layouts=stereo,asplit=2[voice][key];"
            f"[1:a]aresample={AUDIO_RATE},aformat=channel_layouts=stereo,volume=0.5[music];"
            "[music][key]sidechaincompress=threshold=0.03:ratio=8:attack=20:release=500[ducked];"
            f"[voice][ducked]amix=inputs=2:duration=first:normalize=0,{pad}[mix]"
        )
    else:
        graph = f"[0:a]{pad}[mix]"
    measure = run_ffmpeg(
        [
            *inputs,
            "-filter_complex",
            f"{graph};[mix]loudnorm=I={LOUDNESS_TARGET_LUFS}:TP={TRUE_PEAK_DBTP}:LRA=11:print_format=json[out]",
            "-map",
            "[out]",
            "-f",
            "null",
            "-",
        ]
    )
    _checked(measure, "loudness measurement")
    stats = json.loads(measure.stderr[measure.stderr.rindex("{") : measure.stderr.rindex("}") + 1])
    if float(stats["input_i"]) < -70:  # silence: nothing to normalise
        silent_audio(target, duration)
        return
    apply = (
        f"loudnorm=I={LOUDNESS_TARGET_LUFS}:TP={TRUE_PEAK_DBTP}:LRA=11:measured_I={stats['input_i']}:"
        f"measured_TP={stats['input_tp']}:measured_LRA={stats['input_lra']}:measured_thresh={stats['input_thresh']}:"
        f"offset={stats['target_offset']}:linear=true,aresample={AUDIO_RATE}"
    )
    _checked(
        run_ffmpeg(
            [
                "-y",
                *inputs,
                "-filter_complex",
                f"{graph};[mix]{apply}[out]",
                "-map",
                "[out]",
                "-t",
                f"{duration:.3f}",
                "-c:a",
                "aac",
                "-b:a",
                AUDIO_BITRATE,
                "-ar",
                str(AUDIO_RATE),
                str(target),
            ]
        ),
        "audio mix",
    )


class MediaError(RuntimeError):
    pass


def _checked(result: subprocess.CompletedProcess[str], what: str) -> None:
    if result.returncode != 0:
        lines = [line for line in result.stderr.strip().splitlines() if line]
        raise MediaError(f"ffmpeg failed during {what}: {lines[-1] if lines else result.returncode}")
