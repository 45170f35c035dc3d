"""Render a 30 s vertical capsule with 8 cues, and the same video with pure ffmpeg; print the ratio.
Then the same capsule with a sign-language inset (keyed green) and 3 burned-in languages, against
three pure ffmpeg commands producing the same three videos.

Both sides use the same background colours, the same cue images (drawn by our code, at the same
places), the same signer video and keying, the same encoder settings
(capsules.presets.output_parameters) and the same silent AAC track. Each run is a separate child
process so that its peak memory (Python + its largest ffmpeg) is measured on its own.

    python benchmarks/render.py [--repeat N] [--case plain|signed|all]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SCENES = ["#1d3557", "#264653", "#2a9d8f"]  # 3 scenes of 10 s
CUES = [  # timed for the children's reading profile, boundaries on a 0.5 s grid
    (0.5, 3.5, "Sur Internet, tout n'est pas normal."),
    (4.0, 7.5, "Si ça te gêne, tu as le droit d'en parler."),
    (8.0, 10.5, "Ce n'est jamais ta faute."),
    (11.0, 14.5, "Parle à un adulte, au 3018 ou au 119."),
    (15.0, 18.5, "Quelqu'un menace de partager tes photos ?"),
    (19.0, 22.0, "Ne paie pas. Ne réponds plus."),
    (22.5, 25.5, "Bloque le compte et signale-le."),
    (26.0, 28.5, "Signaler, c'est protéger."),
]


LANGUAGES = ("fr", "rcf", "swb")
# the cues in three languages (Réunion Creole and Shimaore: drafts, see the example campaign)
TRANSLATED = [
    (
        "Sur Internet, tout n'est pas normal.",
        "Si internet, tout lé pa normal.",
        "Internet, kula hindru tsi sawa.",
    ),
    (
        "Si ça te gêne, tu as le droit d'en parler.",
        "Si sa i jèn aou, ou na le droi koz.",
        "Ukisikia mbovu, una haki ya urongowa.",
    ),
    ("Ce n'est jamais ta faute.", "Lé pa out fot.", "Tsi kosa laho."),
    (
        "Parle à un adulte, au 3018 ou au 119.",
        "Koz ek in gran moun, 3018 ou 119.",
        "Rongowa na mtru mdzima, 3018 na 119.",
    ),
    (
        "Quelqu'un menace de partager tes photos ?",
        "In moun i menas parta out foto ?",
        "Mtru ukuhofisha na picha zaho?",
    ),
    ("Ne paie pas. Ne réponds plus.", "Pa pèy. Pa réponn.", "Usilipe. Usidjibu."),
    ("Bloque le compte et signale-le.", "Bloke le kont é sinyal ali.", "Bloke compte na usignale."),
    ("Signaler, c'est protéger.", "Sinyalé, sé protézé.", "Usignale, ni uhifadhi."),
]
SIGNER = {"side": "right", "key": "green"}


def reels() -> dict[str, Any]:
    """The networks a vertical capsule goes to here: Facebook and Instagram Reels (their safe zones
    and lengths apply; outside a campaign every registered network taking the format would)."""
    from networks.registry import registry

    networks = registry()
    return {name: networks[name] for name in ("facebook", "instagram")}


def write_script(folder: Path) -> Path:
    lines = ["capsule: {id: bench, title: Bench, formats: [vertical]}", "scenes:"]
    lines += [f'  - {{duration: 10, background: {{color: "{colour}"}}}}' for colour in SCENES]
    lines.append("cues:")
    lines += [f'  - {{start: {start}, end: {end}, text: "{text}"}}' for start, end, text in CUES]
    path = folder / "bench.yaml"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


def write_signed_script(folder: Path) -> Path:
    from capsules.signer_sample import write_signer_sample

    write_signer_sample(folder / "signer.mp4", 30.0)
    lines = [
        "capsule: {id: bench, title: Bench, formats: [vertical], languages: [fr, rcf, swb]}",
        f"sign_language: {{video: signer.mp4, side: {SIGNER['side']}, key: {SIGNER['key']}}}",
        "scenes:",
    ]
    lines += [f'  - {{duration: 10, background: {{color: "{colour}"}}}}' for colour in SCENES]
    lines.append("cues:")
    for (start, end, _), texts in zip(CUES, TRANSLATED, strict=True):
        shown = ", ".join(f'{tag}: "{text}"' for tag, text in zip(LANGUAGES, texts, strict=True))
        lines.append(f"  - {{start: {start}, end: {end}, text: {{{shown}}}}}")
    path = folder / "signed.yaml"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


def child_clickable(script: Path, out: Path) -> None:
    from capsules.check import check_script
    from capsules.render import render_capsule
    from capsules.selection import RenderKey

    checked = check_script(script, reels())
    assert checked.ok, checked.problems
    render_capsule(
        checked.loaded,
        [RenderKey("vertical", "fr")],
        presets=checked.presets,
        font=checked.font,
        out_root=out,
        link_url=None,
        force=True,
    )


def child_ffmpeg(script: Path, out: Path) -> None:
    from capsules.check import check_script
    from capsules.media import ffmpeg, silent_audio
    from capsules.presets import X264_PRESET, output_parameters
    from capsules.text import cue_image

    checked = check_script(script, reels())
    preset = checked.presets["vertical"]  # its safe zone narrowed by the networks that take it
    band = checked.layouts["vertical"].subtitles
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
            width=checked.layouts["vertical"].text_width,
        )
        path = out / f"cue{number}.png"
        image.save(path)
        inputs += ["-i", str(path)]
        center = int(preset.height * preset.subtitle_center)
        top = max(band.top, min(center - image.height // 2, band.bottom - image.height))
        left = band.left + (band.width - image.width) // 2
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


def child_clickable_signed(script: Path, out: Path) -> None:
    from capsules.check import check_script
    from capsules.render import render_capsule
    from capsules.selection import RenderKey

    checked = check_script(script, reels())
    assert checked.ok, checked.problems
    renders = [RenderKey("vertical", language) for language in LANGUAGES]
    render_capsule(
        checked.loaded,
        renders,
        presets=checked.presets,
        font=checked.font,
        out_root=out,
        link_url=None,
        force=True,
    )


def child_ffmpeg_signed(script: Path, out: Path) -> None:
    """Three ffmpeg commands, one per language: colours, the keyed signer in its inset, 8 cue images."""
    from capsules.check import check_script
    from capsules.media import ffmpeg, silent_audio
    from capsules.presets import X264_PRESET, output_parameters
    from capsules.render import inset_filter
    from capsules.text import cue_image

    checked = check_script(script, reels())
    preset = checked.presets["vertical"]
    assert checked.ok, checked.problems
    layout = checked.layouts["vertical"]
    inset, band = layout.inset, layout.subtitles
    assert inset is not None
    style = checked.loaded.script.style  # type: ignore[union-attr]
    audio = out / "silence.m4a"
    silent_audio(audio, 30.0)
    for language in LANGUAGES:
        inputs: list[str] = []
        for colour in SCENES:
            inputs += [
                "-f",
                "lavfi",
                "-i",
                f"color=c={colour.replace('#', '0x')}:s={preset.width}x{preset.height}:r=30:d=10",
            ]
        inputs += ["-i", str(script.parent / "signer.mp4")]
        signer = len(SCENES)
        graph = (
            "".join(f"[{index}:v]" for index in range(len(SCENES))) + f"concat=n={len(SCENES)}:v=1:a=0[bg];"
        )
        graph += (
            inset_filter(layout, key=True, duration=30.0, source=f"[{signer}:v]", out="[sg]") + ";"
            f"[bg][sg]overlay={inset.left}:{inset.top}[v0];"
        )
        for number, cue in enumerate(checked.loaded.cues):
            image = cue_image(
                cue.text(language), preset, checked.font, color=style.text_color, box_color=style.box_color,
                box_opacity=style.box_opacity, width=layout.text_width,
            )  # fmt: skip
            path = out / f"cue-{language}-{number}.png"
            image.save(path)
            inputs += ["-i", str(path)]
            center = int(preset.height * preset.subtitle_center)
            top = max(band.top, min(center - image.height // 2, band.bottom - image.height))
            left = band.left + (band.width - image.width) // 2
            graph += (
                f"[v{number}][{signer + 1 + number}:v]overlay={left}:{top}:eof_action=repeat:"
                f"enable='between(t,{cue.start},{cue.end})'[v{number + 1}];"
            )
        inputs += ["-i", str(audio)]
        count = len(checked.loaded.cues)
        command = [
            ffmpeg(), "-v", "error", "-y", *inputs, "-filter_complex", graph.rstrip(";"),
            "-map", f"[v{count}]", "-map", f"{signer + 1 + count}:a", "-t", "30",
            "-c:v", "libx264", "-preset", X264_PRESET, "-threads", "2", *output_parameters(),
            "-c:a", "copy", str(out / f"ffmpeg.{language}.mp4"),
        ]  # fmt: skip
        subprocess.run(command, check=True)


def measure(kind: str, script: Path) -> tuple[float, float]:
    """Wall time (s) and peak memory (MB: the child's peak plus its largest ffmpeg's peak)."""
    with tempfile.TemporaryDirectory() as out:
        probe = (
            "import json, resource, sys, time; sys.path.insert(0, sys.argv[1]); "
            "import benchmarks.render as bench; from pathlib import Path; "
            "start = time.perf_counter(); "
            f"bench.child_{kind}(Path(sys.argv[2]), Path(sys.argv[3])); "
            "elapsed = time.perf_counter() - start; "
            "print(json.dumps({'seconds': elapsed, 'self_kb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "
            "'children_kb': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))"
        )
        result = subprocess.run(
            [sys.executable, "-c", probe, str(ROOT), str(script), out],
            capture_output=True,
            text=True,
            check=False,
        )
    if result.returncode != 0:  # say why (a check that fails, ffmpeg's error), not only the exit code
        raise SystemExit(f"{kind} failed (exit {result.returncode}):\n{result.stderr.strip()}")
    data = json.loads(result.stdout.strip().splitlines()[-1])
    return data["seconds"], (data["self_kb"] + data["children_kb"]) / 1024


@dataclass
class Case:
    ours: list[float]
    theirs: list[float]
    memory: list[float]

    @property
    def ratio(self) -> float:
        return statistics.median(self.ours) / statistics.median(self.theirs)


def run_case(name: str, script: Path, repeat: int) -> Case:
    case = Case([], [], [])
    for _ in range(repeat):  # interleaved, so that machine noise hits both alike
        seconds, peak = measure(f"clickable{name}", script)
        case.ours.append(round(seconds, 2))
        case.memory.append(peak)
        case.theirs.append(round(measure(f"ffmpeg{name}", script)[0], 2))
    return case


def report(title: str, case: Case, ours: str, theirs: str) -> None:
    print(title)
    print(f"  {ours}: {statistics.median(case.ours):.2f} s median of {case.ours}")
    print(f"  {theirs}: {statistics.median(case.theirs):.2f} s median of {case.theirs}")
    print(f"  ratio render/ffmpeg: {case.ratio:.2f} (goal <= 1.3)")
    print(f"  peak memory of the render (Python + ffmpeg): {max(case.memory):.0f} MB (goal <= 800 MB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each pipeline (median reported)")
    parser.add_argument("--case", choices=("plain", "signed", "all"), default="all")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        if arguments.case in ("plain", "all"):
            case = run_case("", write_script(Path(folder)), arguments.repeat)
            report(
                "case 1: 30 s vertical, 8 cues, one language",
                case,
                "clickable render",
                "pure ffmpeg, same inputs",
            )
        if arguments.case in ("signed", "all"):
            case = run_case("_signed", write_signed_script(Path(folder)), arguments.repeat)
            report(
                "case 2: 30 s vertical, 8 cues, signer inset keyed green, 3 burned-in languages (fr, rcf, swb)",
                case,
                "clickable render, 3 videos",
                "3 pure ffmpeg commands, same 3 videos",
            )


if __name__ == "__main__":
    main()
