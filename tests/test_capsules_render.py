"""Rendered capsules, measured with ffprobe, ebur128 and tesseract: what the platforms will receive."""

from __future__ import annotations

import itertools
import json
import math
import struct
import wave
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pysubs2
import pytest
from PIL import Image
from typer.testing import CliRunner

from campaign.example import write_example
from capsules.presets import PRESETS
from capsules.script import load_script
from cli import app

from .mediatools import (
    ffprobe,
    frame_at,
    has_edit_list,
    keyframe_times,
    loudness,
    normalise,
    ocr_band,
    top_level_atoms,
)


@dataclass
class Rendered:
    workspace: Path
    outputs: dict[str, dict]  # type: ignore[type-arg]
    env: dict[str, str]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rendered]:
    """The example campaign's two capsules, rendered in every format, once for this module."""
    workspace = tmp_path_factory.mktemp("capsules") / "campaign"
    write_example(workspace, today=date.today())
    env = {"CLICKABLE_HOME": str(workspace), "CLICKABLE_DATABASE_URL": f"sqlite:///{workspace / 'test.db'}"}
    runner = CliRunner()
    assert runner.invoke(app, ["campaign", "load"], env=env).exit_code == 0
    outputs = {}
    for name in ("signaler", "sextorsion"):
        result = runner.invoke(
            app, ["capsule", "render", str(workspace / "capsules" / f"{name}.yaml"), "--json"], env=env
        )
        assert result.exit_code == 0, result.output
        outputs[name] = json.loads(result.stdout)
    yield Rendered(workspace, outputs, env)


@pytest.mark.parametrize("capsule", ["signaler", "sextorsion"])
@pytest.mark.parametrize("format_name", list(PRESETS))
def test_each_format_meets_the_delivery_spec(rendered: Rendered, capsule: str, format_name: str) -> None:
    video = rendered.workspace / "out" / capsule / f"{format_name}.mp4"
    info = ffprobe(video)
    streams = {stream["codec_type"]: stream for stream in info["streams"]}
    picture, sound = streams["video"], streams["audio"]
    preset = PRESETS[format_name]
    assert (picture["codec_name"], picture["profile"], picture["pix_fmt"]) == ("h264", "High", "yuv420p")
    assert (picture["width"], picture["height"]) == preset.size
    assert picture["r_frame_rate"] == "30/1" and picture["avg_frame_rate"] == "30/1"
    assert (sound["codec_name"], sound["profile"], sound["sample_rate"], sound["channels"]) == (
        "aac",
        "LC",
        "48000",
        2,
    )
    assert abs(float(picture["duration"]) - 19.0) < 0.05
    assert abs(float(info["format"]["duration"]) - 19.0) < 0.1
    atoms = top_level_atoms(video)
    assert atoms.index("moov") < atoms.index("mdat")
    assert not has_edit_list(video)
    keys = keyframe_times(video)
    assert keys[0] == 0.0
    marks = [*keys, float(picture["duration"])]
    assert max(later - earlier for earlier, later in itertools.pairwise(marks)) <= 2.0 + 1e-6


@pytest.mark.parametrize("capsule", ["signaler", "sextorsion"])
def test_sidecars_poster_and_json(rendered: Rendered, capsule: str) -> None:
    folder = rendered.workspace / "out" / capsule
    script = load_script(rendered.workspace / "capsules" / f"{capsule}.yaml")
    for format_name in PRESETS:
        for kind in ("srt", "vtt"):
            subtitles = pysubs2.load(str(folder / f"{format_name}.{kind}"))
            assert [event.plaintext for event in subtitles.events] == [cue.text for cue in script.cues]
            assert [(event.start, event.end) for event in subtitles.events] == [
                (round(cue.start * 1000), round(cue.end * 1000)) for cue in script.cues
            ]
    with Image.open(folder / "poster.png") as poster:
        assert poster.size == (1080, 1920)
    data = rendered.outputs[capsule]
    assert data["recorded"] is True
    videos = [item for item in data["files"] if item["kind"] == "video"]
    assert sorted(item["format"] for item in videos) == sorted(PRESETS)
    assert all(item["size"] > 10_000 and abs(item["duration"] - 19.0) < 0.1 for item in videos)


def test_burned_in_subtitles_read_back_with_accents(rendered: Rendered, tmp_path: Path) -> None:
    script = load_script(rendered.workspace / "capsules" / "signaler.yaml")
    video = rendered.workspace / "out" / "signaler" / "vertical.mp4"
    preset = PRESETS["vertical"]
    band = (preset.safe_top + 0.2, 1 - preset.safe_bottom)
    for cue in script.cues:
        image = frame_at(video, (cue.start + cue.end) / 2, tmp_path / "frame.png")
        assert normalise(ocr_band(image, *band, tmp_path)) == normalise(cue.text)
    between = frame_at(video, 3.6, tmp_path / "gap.png")  # cue 1 ends at 3.5, cue 2 starts at 3.7
    assert ocr_band(between, *band, tmp_path) == ""


def test_silence_stays_silent(rendered: Rendered) -> None:
    integrated, _ = loudness(rendered.workspace / "out" / "signaler" / "x.mp4")
    assert integrated <= -70


def test_unchanged_capsule_is_not_rendered_again(rendered: Rendered) -> None:
    video = rendered.workspace / "out" / "signaler" / "vertical.mp4"
    before = video.stat().st_mtime_ns
    result = CliRunner().invoke(
        app,
        ["capsule", "render", str(rendered.workspace / "capsules" / "signaler.yaml"), "--json"],
        env=rendered.env,
    )
    data = json.loads(result.stdout)
    assert all(item["skipped"] for item in data["formats"])
    assert video.stat().st_mtime_ns == before


def test_render_is_recorded_with_a_tracked_end_card_link(rendered: Rendered) -> None:
    from sqlmodel import Session, create_engine, select

    from campaign.models import Capsule, Link

    engine = create_engine(rendered.env["CLICKABLE_DATABASE_URL"])
    with Session(engine) as session:
        capsule = session.exec(select(Capsule).where(Capsule.key == "signaler")).one()
        assert capsule.render_hash and set(capsule.outputs) == set(PRESETS)
        links = session.exec(select(Link).where(Link.capsule_key == "signaler")).all()
        assert len(links) == 1 and links[0].post_id is None
    engine.dispose()


# --- scripts written for one behaviour each ---------------------------------------------------------


def write_tone(path: Path, seconds: float, *, amplitude: float = 0.05, frequency: float = 440.0) -> None:
    rate = 48_000
    with wave.open(str(path), "wb") as output:
        output.setnchannels(1)
        output.setsampwidth(2)
        output.setframerate(rate)
        samples = (
            int(
                32767
                * amplitude
                * math.sin(2 * math.pi * frequency * index / rate)
                * (0.6 + 0.4 * math.sin(2 * math.pi * 2 * index / rate))
            )
            for index in range(int(seconds * rate))
        )
        output.writeframes(b"".join(struct.pack("<h", sample) for sample in samples))


SCRIPT = """\
capsule: {{id: essai, title: "Essai", formats: [x]}}
scenes:
{scenes}
{extra}
cues:
  - {{start: 0.5, end: 2.5, text: "Ça va ? Tu peux en parler."}}
"""


def write_script(
    folder: Path, *, scenes: str = '  - {duration: 4, background: {color: "#204060"}}', extra: str = ""
) -> Path:
    path = folder / "essai.yaml"
    path.write_text(SCRIPT.format(scenes=scenes, extra=extra), "utf-8")
    return path


def render(path: Path, out: Path, *args: str) -> dict:  # type: ignore[type-arg]
    result = CliRunner().invoke(
        app, ["--home", str(path.parent), "capsule", "render", str(path), "--out", str(out), "--json", *args]
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_voice_and_music_are_normalised_to_minus_14_lufs(tmp_path: Path) -> None:
    write_tone(tmp_path / "voice.wav", 3.0, amplitude=0.03)
    write_tone(tmp_path / "music.wav", 2.0, amplitude=0.2, frequency=220)
    path = write_script(tmp_path, extra="audio: {voice: voice.wav, music: music.wav}")
    render(path, tmp_path / "out")
    integrated, peak = loudness(tmp_path / "out" / "essai" / "x.mp4")
    assert abs(integrated - -14.0) <= 1.0
    assert peak <= -1.0 + 0.3  # AAC encoding moves the true peak a little


def test_image_and_video_backgrounds(tmp_path: Path) -> None:
    Image.new("RGB", (400, 300), "#884422").save(tmp_path / "fond.png")
    Image.new("RGBA", (100, 100), (0, 255, 0, 255)).save(tmp_path / "logo.png")
    from capsules.media import run_ffmpeg

    made = run_ffmpeg(
        [
            "-y",
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=320x240:rate=25:duration=1.5",
            "-pix_fmt",
            "yuv420p",
            str(tmp_path / "fond.mp4"),
        ]
    )
    assert made.returncode == 0
    scenes = (
        "  - {duration: 2, background: {image: fond.png}}\n  - {duration: 2.5, background: {video: fond.mp4}}"
    )
    data = render(write_script(tmp_path, scenes=scenes, extra="style: {logo: logo.png}"), tmp_path / "out")
    video = next(item for item in data["files"] if item["kind"] == "video")
    assert abs(video["duration"] - 4.5) < 0.1
    info = ffprobe(Path(video["path"]))
    picture = next(stream for stream in info["streams"] if stream["codec_type"] == "video")
    assert (picture["width"], picture["height"], picture["avg_frame_rate"]) == (720, 1280, "30/1")
    with Image.open(frame_at(Path(video["path"]), 1.0, tmp_path / "f.png").filename) as frame:  # type: ignore[attr-defined]
        assert frame.getpixel((20, 20))[0] > 100  # the image background, covered to the frame
        logo = frame.getpixel((720 - 43 - 20, int(1280 * 0.14) + 20))  # top right, inside the safe zone
        assert logo[1] > 200 and logo[0] < 80


def test_subtitles_from_an_srt_without_trailing_blank_line(tmp_path: Path) -> None:
    (tmp_path / "sous-titres.srt").write_text(
        "1\n00:00:00,500 --> 00:00:02,000\nPremière ligne\n\n2\n00:00:02,200 --> 00:00:03,800\nDernière réplique",
        "utf-8",
    )
    path = tmp_path / "essai.yaml"
    path.write_text(
        'capsule: {id: essai, title: Essai, formats: [x]}\nscenes:\n  - {duration: 4, background: {color: "#000000"}}\nsubtitles: sous-titres.srt\n',
        "utf-8",
    )
    loaded = load_script(path)
    assert [cue.text for cue in loaded.cues] == ["Première ligne", "Dernière réplique"]


def test_an_interrupted_render_leaves_nothing_behind(tmp_path: Path) -> None:
    from capsules.check import check_script
    from capsules.render import render_capsule

    path = write_script(tmp_path)
    checked = check_script(path)

    def interrupt(name: str, done: int, total: int) -> None:
        if done > 30:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        render_capsule(
            checked.loaded,
            ["x"],
            font=checked.font,
            out_root=tmp_path / "out",
            link_url=None,
            progress=interrupt,
        )
    leftovers = sorted(path.name for path in (tmp_path / "out" / "essai").iterdir())
    assert leftovers == []
