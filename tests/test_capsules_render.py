"""Rendered capsules, measured with ffprobe, ebur128 and tesseract: what the platforms will receive."""

from __future__ import annotations

import itertools
import json
import math
import os
import signal
import struct
import subprocess
import sys
import time
import wave
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pysubs2
import pytest
from PIL import Image
from typer.testing import CliRunner

from campaign.example import write_example
from capsules.layout import Layout
from capsules.presets import DEFAULT_FORMATS, PRESETS, Box
from capsules.script import load_script
from cli import app
from networks.emulator.server import EmulatorServer
from networks.registry import registry

from .mediatools import (
    bounding_box,
    ffprobe,
    frame_at,
    has_edit_list,
    keyframe_times,
    loudness,
    match_ratio,
    normalise,
    ocr_band,
    ocr_box,
    top_level_atoms,
)

SIGNED = "dire-non"
SIGNED_LANGUAGES = ("fr", "rcf", "swb")
OCR_MIN_RATIO = 0.8


@dataclass
class Rendered:
    workspace: Path
    outputs: dict[str, dict]  # type: ignore[type-arg]
    env: dict[str, str]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rendered]:
    """The example campaign's three capsules, rendered as the campaign needs, once for this module."""
    workspace = tmp_path_factory.mktemp("capsules") / "campaign"
    write_example(workspace, today=date.today())
    env = {"CLICKABLE_HOME": str(workspace), "CLICKABLE_DATABASE_URL": f"sqlite:///{workspace / 'test.db'}"}
    runner = CliRunner()
    assert runner.invoke(app, ["campaign", "load"], env=env).exit_code == 0
    outputs = {}
    for name in ("signaler", "sextorsion", SIGNED):
        result = runner.invoke(
            app, ["capsule", "render", str(workspace / "capsules" / f"{name}.yaml"), "--json"], env=env
        )
        assert result.exit_code == 0, result.output
        outputs[name] = json.loads(result.stdout)
    yield Rendered(workspace, outputs, env)


RENDERS = [
    (capsule, f"{name}.fr", 19.0) for capsule in ("signaler", "sextorsion") for name in DEFAULT_FORMATS
]
RENDERS += [(SIGNED, f"vertical.{language}", 21.0) for language in SIGNED_LANGUAGES]


@pytest.mark.parametrize(("capsule", "render", "seconds"), RENDERS)
def test_each_render_meets_the_delivery_spec(
    rendered: Rendered, capsule: str, render: str, seconds: float
) -> None:
    video = rendered.workspace / "out" / capsule / f"{render}.mp4"
    info = ffprobe(video)
    streams = {stream["codec_type"]: stream for stream in info["streams"]}
    picture, sound = streams["video"], streams["audio"]
    preset = PRESETS[render.split(".")[0]]
    assert (picture["codec_name"], picture["profile"], picture["pix_fmt"]) == ("h264", "High", "yuv420p")
    assert (picture["width"], picture["height"]) == preset.size
    assert picture["r_frame_rate"] == "30/1" and picture["avg_frame_rate"] == "30/1"
    assert (sound["codec_name"], sound["profile"], sound["sample_rate"], sound["channels"]) == (
        "aac",
        "LC",
        "48000",
        2,
    )
    assert abs(float(picture["duration"]) - seconds) < 0.05
    assert abs(float(info["format"]["duration"]) - seconds) < 0.1
    atoms = top_level_atoms(video)
    assert atoms.index("moov") < atoms.index("mdat")
    assert not has_edit_list(video)
    keys = keyframe_times(video)
    assert keys[0] == 0.0
    marks = [*keys, float(picture["duration"])]
    assert max(later - earlier for earlier, later in itertools.pairwise(marks)) <= 2.0 + 1e-6


def test_renders_are_what_the_campaign_needs(rendered: Rendered) -> None:
    signed = rendered.outputs[SIGNED]
    assert [item["name"] for item in signed["renders"]] == ["vertical.fr", "vertical.rcf", "vertical.swb"]
    assert {item["name"]: item["needed_by"] for item in signed["renders"]} == {
        "vertical.fr": [
            "post p10-dire-non on facebook-ecpat in fr",
            "post p10-dire-non on instagram-ecpat in fr",
            "post p10-dire-non on bluesky-ecpat in fr",
            "post p10-dire-non on youtube-ecpat in fr",
        ],
        "vertical.rcf": ["post p10-dire-non on facebook-ecpat in re"],
        "vertical.swb": ["post p10-dire-non on facebook-ecpat in yt"],
    }
    videos = sorted(path.name for path in (rendered.workspace / "out" / SIGNED).glob("*.mp4"))
    assert videos == ["vertical.fr.mp4", "vertical.rcf.mp4", "vertical.swb.mp4"]  # no other format
    # French-only capsules going everywhere: French burned in (gp lists gcf first, the capsule has none)
    assert [item["name"] for item in rendered.outputs["signaler"]["renders"]] == [
        f"{name}.fr" for name in DEFAULT_FORMATS
    ]


@pytest.mark.parametrize("capsule", ["signaler", "sextorsion", SIGNED])
def test_sidecars_per_language_poster_and_json(rendered: Rendered, capsule: str) -> None:
    folder = rendered.workspace / "out" / capsule
    script = load_script(rendered.workspace / "capsules" / f"{capsule}.yaml")
    languages = list(SIGNED_LANGUAGES) if capsule == SIGNED else ["fr"]
    assert script.languages == languages
    data = rendered.outputs[capsule]
    assert data["languages"] == languages
    for language in languages:
        for kind in ("srt", "vtt"):
            path = folder / f"{capsule}.{language}.{kind}"
            subtitles = pysubs2.load(str(path))
            assert [event.plaintext for event in subtitles.events] == [
                cue.text(language) for cue in script.cues
            ]
            assert [(event.start, event.end) for event in subtitles.events] == [
                (round(cue.start * 1000), round(cue.end * 1000)) for cue in script.cues
            ]
        assert (
            (folder / f"{capsule}.{language}.vtt")
            .read_text("utf-8")
            .startswith(f"WEBVTT\nLanguage: {language}\n\n")
        )
    assert data["captions"] == [
        {
            "language": tag,
            "srt": str(folder / f"{capsule}.{tag}.srt"),
            "vtt": str(folder / f"{capsule}.{tag}.vtt"),
        }
        for tag in languages
    ]
    sidecars = [item for item in data["files"] if item["kind"] in ("srt", "vtt")]
    assert sorted((item["language"], item["kind"]) for item in sidecars) == sorted(
        (tag, kind) for tag in languages for kind in ("srt", "vtt")
    )
    with Image.open(folder / "poster.png") as poster:
        assert poster.size == PRESETS[data["renders"][0]["format"]].size
    assert data["recorded"] is True
    videos = [item for item in data["files"] if item["kind"] == "video"]
    assert all(item["size"] > 10_000 and item["language"] in languages for item in videos)
    manifest = json.loads((folder / "renders.json").read_text("utf-8"))
    assert sorted(manifest["renders"]) == sorted(item["name"] for item in data["renders"])
    assert manifest["languages"] == languages
    if capsule == SIGNED:
        assert set(data["alt_text"]) == set(SIGNED_LANGUAGES)
        assert data["alt_text"]["fr"].startswith("Vidéo pour les enfants.")


def test_burned_in_subtitles_read_back_with_accents(rendered: Rendered, tmp_path: Path) -> None:
    script = load_script(rendered.workspace / "capsules" / "signaler.yaml")
    video = rendered.workspace / "out" / "signaler" / "vertical.fr.mp4"
    preset = PRESETS["vertical"]
    band = (preset.safe_top + 0.2, 1 - preset.safe_bottom)
    for cue in script.cues:
        image = frame_at(video, (cue.start + cue.end) / 2, tmp_path / "frame.png")
        assert normalise(ocr_band(image, *band, tmp_path)) == normalise(cue.text("fr"))
    between = frame_at(video, 3.6, tmp_path / "gap.png")  # cue 1 ends at 3.5, cue 2 starts at 3.7
    assert ocr_band(between, *band, tmp_path) == ""


def signed_layout(rendered: Rendered) -> Layout:
    """The vertical layout of the signed capsule, as `capsule check` lays it out in its campaign."""
    from capsules.check import check_script
    from capsules.selection import find_campaign

    script = rendered.workspace / "capsules" / f"{SIGNED}.yaml"
    context = find_campaign(script, registry(), rendered.workspace)
    checked = check_script(script, registry(), context=context)
    assert checked.ok and checked.selection is not None, checked.problems
    assert sorted(checked.selection.receivers["vertical"]) == ["bluesky", "facebook", "instagram", "youtube"]
    return checked.layouts["vertical"]


def receivers_zone(*networks: str) -> Box:
    """The part of a 1080×1920 frame that none of ``networks``' apps covers, from their specs."""
    zones = [zone for name in networks if (zone := registry()[name].media.safe_zone) is not None]
    return Box(
        max(round(1080 * zone.left) for zone in zones),
        max(round(1920 * zone.top) for zone in zones),
        min(1080 - round(1080 * zone.right) for zone in zones),
        min(1920 - round(1920 * zone.bottom) for zone in zones),
    )


def cyan_text(frame: Image.Image) -> tuple[int, int, int, int] | None:
    """Where the narrator's cyan subtitle text is (the charter's colour for a narrator)."""
    pixels = np.asarray(frame.convert("RGB")).astype(int)
    return bounding_box((pixels[..., 0] < 90) & (pixels[..., 1] > 180) & (pixels[..., 2] > 180))


def test_each_burned_in_language_reads_back_beside_the_inset(rendered: Rendered, tmp_path: Path) -> None:
    """One frame per cue and per burned-in language: OCR (tesseract fra) reads the cue, and the
    subtitle never enters the inset."""
    script = load_script(rendered.workspace / "capsules" / f"{SIGNED}.yaml")
    layout = signed_layout(rendered)
    assert layout.inset is not None
    inset = layout.inset
    box = layout.subtitles
    ratios: dict[str, list[float]] = {}
    for language in SIGNED_LANGUAGES:
        video = rendered.workspace / "out" / SIGNED / f"vertical.{language}.mp4"
        for cue in script.cues:
            frame = frame_at(video, (cue.start + cue.end) / 2, tmp_path / "frame.png")
            read = ocr_box(frame, (box.left, box.top, box.right, box.bottom), tmp_path)
            ratios.setdefault(language, []).append(round(match_ratio(read, cue.text(language)), 3))
            text = cyan_text(frame)
            assert text is not None, (language, cue.text(language))
            _, top, right, _ = text
            assert top >= inset.bottom or right <= inset.left, (text, inset)  # below or beside, never on it
    print("OCR match ratios per language (one per cue):", json.dumps(ratios))
    for language, values in ratios.items():
        assert min(values) >= OCR_MIN_RATIO, (language, values)


def test_the_signer_is_there_keyed_a_third_of_the_height_in_the_safe_zone(
    rendered: Rendered, tmp_path: Path
) -> None:
    layout = signed_layout(rendered)
    assert layout.inset is not None
    inset = layout.inset
    assert inset.height >= math.ceil(1920 / 3)
    assert PRESETS["vertical"].safe.contains(inset)  # the format's own zone
    assert receivers_zone("facebook", "instagram", "youtube", "bluesky").contains(inset)  # and that of the apps it goes to
    for language in SIGNED_LANGUAGES:
        frame = frame_at(
            rendered.workspace / "out" / SIGNED / f"vertical.{language}.mp4", 8.0, tmp_path / "f.png"
        )
        pixels = np.asarray(frame.convert("RGB")).astype(int)
        background = np.array([0x46, 0x8F, 0xAF])  # scene 2
        figure = np.abs(pixels - background).sum(axis=2) > 60
        region = figure[inset.top : inset.bottom, inset.left : inset.right]
        found = bounding_box(region)
        assert found is not None
        left, top, right, bottom = found
        assert bottom - top >= 0.85 * inset.height  # the interpreter, from the head to mid-thigh
        assert (right - left) >= 0.5 * inset.width
        chroma = (pixels[..., 1] > 140) & (pixels[..., 0] < 60) & (pixels[..., 2] < 110)
        assert chroma.sum() < 0.002 * chroma.size  # the green background is keyed out
        # the end card keeps the interpreter beside it
        end = frame_at(
            rendered.workspace / "out" / SIGNED / f"vertical.{language}.mp4", 19.5, tmp_path / "e.png"
        )
        end_pixels = np.asarray(end.convert("RGB")).astype(int)
        card = np.array([0x1D, 0x35, 0x57])
        on_inset = (np.abs(end_pixels - card).sum(axis=2) > 60)[
            inset.top : inset.bottom, inset.left : inset.right
        ]
        assert on_inset.mean() > 0.15


def test_an_unkeyed_inset_measured_in_a_frame(tmp_path: Path, signers: dict[str, Path]) -> None:
    """key: none shows the signer's own (green) background: the whole inset is measurable."""
    (tmp_path / "signer.mp4").write_bytes(signers["good"].read_bytes())
    path = tmp_path / "essai.yaml"
    path.write_text(
        "capsule: {id: essai, title: Essai, formats: [x]}\nsign_language: {video: signer.mp4, side: left}\n"
        'scenes:\n  - {duration: 4, background: {color: "#204060"}, title: "Tu peux en parler"}\n'
        'cues:\n  - {start: 0.5, end: 3.5, kind: offscreen, text: "Ça va ? Tu peux en parler."}\n',
        "utf-8",
    )
    data = render(path, tmp_path / "out")
    video = Path(data["renders"][0]["path"])
    assert video.name == "x.fr.mp4"
    frame = frame_at(video, 2.0, tmp_path / "f.png")
    pixels = np.asarray(frame.convert("RGB")).astype(int)
    green = (pixels[..., 1] > 140) & (pixels[..., 0] < 60) & (pixels[..., 2] < 110)
    found = bounding_box(green)
    assert found is not None
    left, top, right, bottom = found
    preset = PRESETS["x"]
    safe = preset.safe
    assert bottom - top >= preset.height / 3 - 1
    assert safe.left <= left and right <= safe.right and safe.top <= top and bottom <= safe.bottom
    assert left - safe.left <= 1  # side: left (on an even pixel)
    yellow = (pixels[..., 0] > 180) & (pixels[..., 1] > 180) & (pixels[..., 2] < 90)  # off-screen speaker
    text = bounding_box(yellow)
    assert text is not None and text[1] >= bottom  # the subtitle is below the inset
    # the title is drawn pure white; the drawn signer's edges reach (228, 208, 201) once encoded
    white = (pixels > 235).all(axis=2)
    title = bounding_box(white[:bottom, :])
    assert title is not None and title[0] >= right  # the title is beside it


def test_the_signer_is_keyed_once_for_every_language_of_a_format(
    tmp_path: Path, signers: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Keying is the costly part of a signed render: made once per format, shared by its languages,
    and each language's video shows the same keyed interpreter where the single render shows it."""
    import capsules.render as render_module

    (tmp_path / "signer.mp4").write_bytes(signers["good"].read_bytes())
    path = tmp_path / "essai.yaml"
    path.write_text(
        "capsule: {id: essai, title: Essai, formats: [x], languages: [fr, rcf]}\n"
        "sign_language: {video: signer.mp4, side: left, key: green}\n"
        'scenes:\n  - {duration: 3, background: {color: "#204060"}}\n'
        'cues:\n  - {start: 0.5, end: 2.5, text: {fr: "Tu peux en parler.", rcf: "Ou pé koz ek nou."}}\n',
        "utf-8",
    )
    prepared: list[Path] = []
    real = render_module.prepare_inset
    monkeypatch.setattr(
        render_module, "prepare_inset", lambda *args, **kwargs: prepared.append(real(*args, **kwargs)) or prepared[-1]
    )
    render(path, tmp_path / "out", "--language", "fr", "--language", "rcf")
    assert len(prepared) == 1 and not prepared[0].exists()  # once, and removed with the render's scratch
    render(path, tmp_path / "alone", "--language", "fr")  # one language: keyed in the render itself
    assert len(prepared) == 1
    background = np.array([0x20, 0x40, 0x60])
    figures = []
    for video in (tmp_path / "out/essai/x.fr.mp4", tmp_path / "out/essai/x.rcf.mp4", tmp_path / "alone/essai/x.fr.mp4"):
        pixels = np.asarray(frame_at(video, 1.5, tmp_path / "f.png").convert("RGB")).astype(int)
        chroma = (pixels[..., 1] > 140) & (pixels[..., 0] < 60) & (pixels[..., 2] < 110)
        assert chroma.sum() < 0.002 * chroma.size, video.name  # the green background is keyed out
        figure = np.abs(pixels - background).sum(axis=2) > 60
        figures.append(bounding_box(figure[: pixels.shape[0] // 2, : pixels.shape[1] // 2]))
    assert figures[0] is not None and all(
        found is not None and max(abs(a - b) for a, b in zip(found, figures[0], strict=True)) <= 2 for found in figures
    ), figures


def test_the_key_matches_ffmpegs_own_chromakey(tmp_path: Path, signers: dict[str, Path]) -> None:
    """Ground truth: ffmpeg's chromakey filter (https://ffmpeg.org/ffmpeg-filters.html#chromakey),
    with the same colour, similarity and blend. Our keyer computes its formula from tables, 6 times
    cheaper; its alpha must agree on the drawn signer and on an unevenly lit, noisy green screen
    (a shadow across it: chroma keying ignores brightness, as chromakey does)."""
    from capsules.media import ffmpeg
    from capsules.render import CHROMA_BLEND, CHROMA_GREEN, CHROMA_SIMILARITY, chroma_key

    uneven = tmp_path / "uneven.mp4"
    figure = "lt(hypot(X-W/2,Y-H/2),H/4)"  # a skin-coloured disc in the middle
    lit = "(0.45+0.55*X/W)"  # from a deep shadow on the left to full light on the right
    made = subprocess.run(
        [ffmpeg(), "-v", "error", "-y", "-f", "lavfi", "-i", "color=c=black:s=320x320:r=30:d=1",
         "-vf", f"format=rgb24,geq=r='if({figure},224,0)':g='if({figure},172,177*{lit})':"
                f"b='if({figure},140,64*{lit})',noise=alls=8:allf=t,format=yuv420p",
         str(uneven)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr

    def alphas(source: Path, graph: str, size: tuple[int, int]) -> Any:
        out = subprocess.run(
            [ffmpeg(), "-v", "error", "-i", str(source), "-filter_complex", graph, "-map", "[o]",
             "-frames:v", "30", "-f", "rawvideo", "-pix_fmt", "rgba", "-"],
            capture_output=True, check=True,
        ).stdout  # fmt: skip
        return np.frombuffer(out, np.uint8).reshape(-1, size[1], size[0], 4)[..., 3].astype(int)

    for source, size in ((signers["good"], (180, 320)), (uneven, (320, 320))):
        theirs = alphas(
            source,
            f"[0:v]format=yuv444p,chromakey={CHROMA_GREEN}:{CHROMA_SIMILARITY}:{CHROMA_BLEND},format=rgba[o]",
            size,
        )
        ours = alphas(source, chroma_key("[0:v]", "[keyed];[keyed]format=rgba[o]"), size)
        transparent = (theirs < 128).mean()
        assert 0.3 < transparent < 0.9, (source.name, transparent)  # there is a background to key, and a figure
        disagree = ((theirs < 128) != (ours < 128)).mean()
        difference = np.abs(theirs - ours)
        print(source.name, f"transparent {transparent:.3f}, disagree {disagree:.4%}, mean |Δα| {difference.mean():.2f}")
        assert disagree < 0.005, (source.name, disagree)
        assert difference.mean() < 2.0, (source.name, difference.mean())


def test_silence_stays_silent(rendered: Rendered) -> None:
    integrated, _ = loudness(rendered.workspace / "out" / "signaler" / "x.fr.mp4")
    assert integrated <= -70


def test_every_output_has_the_same_mode(rendered: Rendered) -> None:
    mask = os.umask(0)
    os.umask(mask)
    for capsule in ("signaler", SIGNED):
        modes = {
            path.name: path.stat().st_mode & 0o777
            for path in (rendered.workspace / "out" / capsule).iterdir()
        }
        assert set(modes.values()) == {0o666 & ~mask}, modes


def test_unchanged_capsule_is_not_rendered_again(rendered: Rendered) -> None:
    video = rendered.workspace / "out" / SIGNED / "vertical.rcf.mp4"
    before = video.stat().st_mtime_ns
    result = CliRunner().invoke(
        app,
        ["capsule", "render", str(rendered.workspace / "capsules" / f"{SIGNED}.yaml"), "--json"],
        env=rendered.env,
    )
    data = json.loads(result.stdout)
    assert [item["skipped"] for item in data["renders"]] == [True, True, True]
    assert video.stat().st_mtime_ns == before


def test_render_is_recorded_with_a_tracked_end_card_link(rendered: Rendered) -> None:
    from sqlmodel import Session, create_engine, select

    from campaign.models import Capsule, Link

    engine = create_engine(rendered.env["CLICKABLE_DATABASE_URL"])
    with Session(engine) as session:
        capsule = session.exec(select(Capsule).where(Capsule.key == "signaler")).one()
        assert capsule.render_hash and set(capsule.outputs["renders"]) == {
            f"{name}.fr" for name in DEFAULT_FORMATS
        }
        signed = session.exec(select(Capsule).where(Capsule.key == SIGNED)).one()
        assert set(signed.outputs["renders"]) == {f"vertical.{tag}" for tag in SIGNED_LANGUAGES}
        assert signed.outputs["languages"] == list(SIGNED_LANGUAGES)
        links = session.exec(select(Link).where(Link.capsule_key == "signaler")).all()
        assert len(links) == 1 and links[0].post_id is None
    engine.dispose()


def test_posts_to_a_territory_use_the_matching_render(rendered: Rendered, emulator: EmulatorServer) -> None:
    """p10 goes to fr, re and yt on Facebook: each delivery sends the video with its language burned
    in, every language's caption track (the territory's first) and the alt text; Facebook takes the
    French track, and the reasons the others stay out are recorded with the publication."""
    from datetime import UTC, datetime

    from sqlmodel import select

    from campaign.db import Database
    from campaign.models import Delivery, DeliveryEvent, Territory
    from campaign.store import approve_post, get_campaign
    from networks.accounts import build_adapter
    from networks.credentials import CredentialStore
    from schedules.dispatch import Dispatcher
    from schedules.plan import plan

    database = Database(rendered.env["CLICKABLE_DATABASE_URL"])
    store = CredentialStore(rendered.workspace, use_keyring=False)
    try:
        with database.session() as session:
            campaign = get_campaign(session, None)
            approve_post(session, campaign, "p10-dire-non", by="Relecture (test)", now=datetime.now(UTC))
            plan(session, campaign, now=datetime.now(UTC))
        dispatcher = Dispatcher(
            database,
            lambda account: build_adapter(
                account, store=store, emulator_url=emulator.url, sleep=lambda _: None
            ),
            worker="test",
        )
        with database.session() as session:
            territories = {row.id: row.key for row in session.exec(select(Territory))}
            deliveries = session.exec(select(Delivery)).all()
            jobs = dispatcher.jobs(session, [row.id for row in deliveries if row.id is not None])
            by_place = {
                (job.account.name, territories[delivery.territory_id]): (job, delivery.id)
                for job, delivery in zip(jobs, deliveries, strict=True)
                if job.content.video is not None and SIGNED in str(job.content.video)
            }
        assert {key: job.content.video.name for key, (job, _) in by_place.items() if job.content.video} == {
            ("facebook-ecpat", "fr"): "vertical.fr.mp4",
            ("facebook-ecpat", "re"): "vertical.rcf.mp4",
            ("facebook-ecpat", "yt"): "vertical.swb.mp4",
            ("instagram-ecpat", "fr"): "vertical.fr.mp4",
            ("bluesky-ecpat", "fr"): "vertical.fr.mp4",
            ("youtube-ecpat", "fr"): "vertical.fr.mp4",
        }
        job, delivery_id = by_place[("facebook-ecpat", "re")]
        assert job.problem is None
        content = job.content
        assert [(track.language, track.burned_in) for track in content.captions] == [
            ("rcf", True), ("fr", False), ("swb", False),
        ]  # fmt: skip
        assert all(
            track.srt and track.vtt and track.srt.name == f"{SIGNED}.{track.language}.srt"
            for track in content.captions
        )
        assert content.languages == ("rcf", "fr")
        assert (
            content.alt_text_language == "rcf"
            and content.alt_text
            and content.alt_text.startswith("Vidéo pou bann zanfan")
        )
        assert dispatcher.deliver(delivery_id, job=job) == "published"
        with database.session() as session:
            delivery = session.get(Delivery, delivery_id)
            assert delivery is not None and delivery.remote_id
            reasons = [
                event.reason
                for event in session.exec(
                    select(DeliveryEvent).where(DeliveryEvent.delivery_id == delivery_id)
                )
            ]
        video = emulator.emulator.objects[delivery.remote_id]
        assert set(video["captions"]) == {"fr_FR"} and video["default_locale"] == "fr_FR"
        assert any(
            "caption track rcf (Réunion Creole French) not uploaded: Facebook has no caption locale for it"
            in reason
            and "caption track swb (Comorian) not uploaded" in reason
            for reason in reasons
            if reason
        ), reasons
    finally:
        database.dispose()


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
  - {{start: 0.5, end: 2.9, text: "Ça va ? Tu peux en parler."}}
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


def test_each_frame_shows_the_picture_of_its_moment_even_off_the_frame_grid(tmp_path: Path) -> None:
    """Still pictures are sent to ffmpeg once each and repeated there: frame n (at n/30 s) still shows
    what is on screen at that moment, for boundaries on the 1/30 s grid and off it (1.05 s lies
    between frames 31 and 32), and the video has every frame of its duration."""
    from capsules.media import ffmpeg

    path = write_script(
        tmp_path,
        scenes='  - {duration: 1.05, background: {color: "#c02020"}}\n'
        '  - {duration: 0.5, background: {color: "#2020c0"}}\n'
        '  - {duration: 1.45, background: {color: "#20c020"}}',
    )
    data = render(path, tmp_path / "out")
    video = Path(data["renders"][0]["path"])
    width = PRESETS["x"].width
    raw = subprocess.run(
        [ffmpeg(), "-v", "error", "-i", str(video), "-vf", f"crop=8:8:{width // 2 - 4}:8", "-f", "rawvideo",
         "-pix_fmt", "rgb24", "-"],
        capture_output=True, check=True,
    ).stdout  # fmt: skip
    corners = np.frombuffer(raw, np.uint8).reshape(-1, 8, 8, 3).astype(int).mean(axis=(1, 2))
    assert len(corners) == 90  # 3 s at 30 fps
    shown = ["red" if c[0] > 150 else "blue" if c[2] > 150 else "green" if c[1] > 150 else "?" for c in corners]
    # frame n shows the scene on screen at n/30 s: red until 1.05 s, blue until 1.55 s, then green
    expected = ["red" if n / 30 < 1.05 else "blue" if n / 30 < 1.55 else "green" for n in range(90)]
    assert shown == expected, [n for n, (a, b) in enumerate(zip(shown, expected, strict=True)) if a != b]


def test_voice_and_music_are_normalised_to_minus_14_lufs(tmp_path: Path) -> None:
    write_tone(tmp_path / "voice.wav", 3.0, amplitude=0.03)
    write_tone(tmp_path / "music.wav", 2.0, amplitude=0.2, frequency=220)
    path = write_script(tmp_path, extra="audio: {voice: voice.wav, music: music.wav}")
    render(path, tmp_path / "out")
    integrated, peak = loudness(tmp_path / "out" / "essai" / "x.fr.mp4")
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
    assert [cue.text("fr") for cue in loaded.cues] == ["Première ligne", "Dernière réplique"]


def test_an_interrupted_render_leaves_nothing_behind(tmp_path: Path) -> None:
    from capsules.check import check_script
    from capsules.render import render_capsule
    from capsules.selection import RenderKey

    path = write_script(tmp_path)
    checked = check_script(path, registry())

    def interrupt(name: str, done: int, total: int) -> None:
        if done > 30:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        render_capsule(
            checked.loaded,
            [RenderKey("x", "fr")],
            presets=checked.presets,
            font=checked.font,
            out_root=tmp_path / "out",
            link_url=None,
            progress=interrupt,
        )
    leftovers = sorted(path.name for path in (tmp_path / "out" / "essai").iterdir())
    assert leftovers == ["essai.fr.srt", "essai.fr.vtt"]  # sidecars are whole files, written first


def test_a_killed_render_leaves_leftovers_that_the_next_render_removes(tmp_path: Path) -> None:
    """SIGKILL mid-render: the partial video and the audio folder stay; the next render cleans them."""
    path = write_script(tmp_path, scenes='  - {duration: 12, background: {color: "#204060"}}')
    out = tmp_path / "out"
    folder = out / "essai"
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from cli import main; main()",
            "--home",
            str(tmp_path),
            "capsule",
            "render",
            str(path),
            "--out",
            str(out),
            "--json",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not list(folder.glob(".*.partial.mp4")):
            time.sleep(0.05)
    finally:
        os.killpg(process.pid, signal.SIGKILL)  # the render and its ffmpeg, as a crash would
        process.wait()
    leftovers = sorted(item.name for item in folder.iterdir() if item.name.startswith("."))
    assert any(name.endswith(".partial.mp4") for name in leftovers), leftovers
    assert any(name.startswith(".audio-") for name in leftovers), leftovers
    data = render(path, out)
    assert data["renders"][0]["skipped"] is False
    assert sorted(item.name for item in folder.iterdir()) == [
        "essai.fr.srt", "essai.fr.vtt", "poster.png", "renders.json", "x.fr.mp4",
    ]  # fmt: skip


def test_two_renders_of_one_capsule_at_once_are_refused(tmp_path: Path) -> None:
    import fcntl

    path = write_script(tmp_path)
    folder = tmp_path / "out" / "essai"
    folder.mkdir(parents=True)
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        result = CliRunner().invoke(app, ["capsule", "render", str(path), "--out", str(tmp_path / "out")])
    finally:
        os.close(descriptor)
    assert result.exit_code == 1
    assert "another render of this capsule is running" in result.stderr


@pytest.mark.parametrize(
    "edit",
    [
        lambda entry: "not a render",
        lambda entry: {**entry, "files": "not a list"},
        lambda entry: {**entry, "files": [{**entry["files"][0], "size": "big"}]},
        lambda entry: {**entry, "files": [{"kind": "video"}]},
        lambda entry: {**entry, "files": [{**entry["files"][0], "path": 7}]},
    ],
    ids=["string", "files-not-a-list", "size-not-a-number", "fields-missing", "path-not-text"],
)
def test_a_hand_edited_manifest_is_rendered_again(tmp_path: Path, edit: Any) -> None:
    """renders.json is ours but lies in the user's folder: an entry edited by hand (hash kept) makes
    the render run again instead of a traceback."""
    path = write_script(tmp_path)
    render(path, tmp_path / "out")
    manifest_path = tmp_path / "out" / "essai" / "renders.json"
    manifest = json.loads(manifest_path.read_text("utf-8"))
    manifest["renders"]["x.fr"] = edit(manifest["renders"]["x.fr"])
    manifest_path.write_text(json.dumps(manifest), "utf-8")
    data = render(path, tmp_path / "out")
    assert [item["skipped"] for item in data["renders"]] == [False]
    assert json.loads(manifest_path.read_text("utf-8"))["renders"]["x.fr"]["files"][0]["size"] > 10_000
