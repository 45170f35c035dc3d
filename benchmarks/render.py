"""Render a 30 s vertical capsule with 8 cues, and the same video with pure ffmpeg; print the ratio.

Both runs use the same background colours, the same cue images (drawn by our code), the same
encoder settings (capsules.presets.output_parameters) and the same silent AAC track. Each run is a
separate child process so that its peak memory (Python + ffmpeg) is measured on its own.

    python benchmarks/render.py [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SCENES = ["#1d3557", "#264653", "#2a9d8f"]  # 3 scenes of 10 s
CUES = [
    (0.5, 3.5, "Sur Internet, tout n'est pas normal."),
    (4.0, 7.0, "Si ça te gêne, tu as le droit d'en parler."),
    (7.5, 9.8, "Ce n'est jamais ta faute."),
    (10.5, 13.7, "Parle à un adulte, au 3018 ou au 119."),
    (14.2, 17.2, "Quelqu'un menace de partager tes photos ?"),
    (17.8, 20.6, "Ne paie pas. Ne réponds plus."),
    (21.2, 24.4, "Bloque le compte et signale-le."),
    (25.0, 28.0, "Signaler, c'est protéger."),
]


def write_script(folder: Path) -> Path:
    lines = ["capsule: {id: bench, title: Bench, formats: [vertical]}", "scenes:"]
    lines += [f'  - {{duration: 10, background: {{color: "{colour}"}}}}' for colour in SCENES]
    lines.append("cues:")
    lines += [f'  - {{start: {start}, end: {end}, text: "{text}"}}' for start, end, text in CUES]
    path = folder / "bench.yaml"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


def child_clickable(script: Path, out: Path) -> None:
    from capsules.check import check_script
    from capsules.render import render_capsule

    checked = check_script(script)
    assert checked.ok, checked.problems
    render_capsule(checked.loaded, ["vertical"], font=checked.font, out_root=out, link_url=None, force=True)


def child_ffmpeg(script: Path, out: Path) -> None:
    from capsules.check import check_script
    from capsules.media import ffmpeg, silent_audio
    from capsules.presets import PRESETS, X264_PRESET, output_parameters
    from capsules.text import cue_image

    preset = PRESETS["vertical"]
    checked = check_script(script)
    style = checked.loaded.script.style  # type: ignore[union-attr]
    inputs: list[str] = []
    for colour in SCENES:
        inputs += [
            "-f",
            "lavfi",
            "-i",
            f"color=c={colour.replace('#', '0x')}:s={preset.width}x{preset.height}:r=30:d=10",
        ]
    graph = "".join(f"[{index}:v]" for index in range(len(SCENES))) + f"concat=n={len(SCENES)}:v=1:a=0[v0];"
    for number, (start, end, text) in enumerate(CUES):
        image = cue_image(
            text,
            preset,
            checked.font,
            color=style.text_color,
            box_color=style.box_color,
            box_opacity=style.box_opacity,
        )
        path = out / f"cue{number}.png"
        image.save(path)
        inputs += ["-i", str(path)]
        top = int(preset.height * preset.subtitle_center) - image.height // 2
        left = (preset.width - image.width) // 2
        graph += (
            f"[v{number}][{len(SCENES) + number}:v]overlay={left}:{top}:eof_action=repeat:"
            f"enable='between(t,{start},{end})'[v{number + 1}];"
        )
    audio = out / "silence.m4a"
    silent_audio(audio, 30.0)
    inputs += ["-i", str(audio)]
    command = [
        ffmpeg(),
        "-v",
        "error",
        "-y",
        *inputs,
        "-filter_complex",
        graph.rstrip(";"),
        "-map",
        f"[v{len(CUES)}]",
        "-map",
        f"{len(SCENES) + len(CUES)}:a",
        "-t",
        "30",
        "-c:v",
        "libx264",
        "-preset",
        X264_PRESET,
        "-threads",
        "2",
        *output_parameters(),
        "-c:a",
        "copy",
        str(out / "ffmpeg.mp4"),
    ]
    subprocess.run(command, check=True)


def measure(kind: str, script: Path) -> tuple[float, float]:
    """Wall time (s) and peak memory (MB: the child's peak plus its largest ffmpeg's peak)."""
    with tempfile.TemporaryDirectory() as out:
        probe = (
            "import json, resource, sys, time; sys.path.insert(0, sys.argv[1]); "
            "from benchmarks.render import child_clickable, child_ffmpeg; from pathlib import Path; "
            "start = time.perf_counter(); "
            f"child_{kind}(Path(sys.argv[2]), Path(sys.argv[3])); "
            "elapsed = time.perf_counter() - start; "
            "print(json.dumps({'seconds': elapsed, 'self_kb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "
            "'children_kb': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))"
        )
        result = subprocess.run(
            [sys.executable, "-c", probe, str(ROOT), str(script), out],
            capture_output=True,
            text=True,
            check=True,
        )
    data = json.loads(result.stdout.strip().splitlines()[-1])
    return data["seconds"], (data["self_kb"] + data["children_kb"]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each pipeline (median reported)")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        script = write_script(Path(folder))
        ours, theirs, memory = [], [], []
        for _ in range(arguments.repeat):  # interleaved, so that machine noise hits both alike
            seconds, peak = measure("clickable", script)
            ours.append(seconds)
            memory.append(peak)
            theirs.append(measure("ffmpeg", script)[0])
    ours_median, theirs_median = statistics.median(ours), statistics.median(theirs)
    print(f"clickable render (moviepy): {ours_median:.2f} s median of {ours}")
    print(f"pure ffmpeg, same inputs:   {theirs_median:.2f} s median of {theirs}")
    print(f"ratio render/ffmpeg: {ours_median / theirs_median:.2f} (goal <= 1.3)")
    print(f"peak memory of the render (Python + ffmpeg): {max(memory):.0f} MB (goal <= 800 MB)")


if __name__ == "__main__":
    main()
