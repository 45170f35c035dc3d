"""`clickable capsule check` and bad scripts: FILE:LINE errors, exit 1, and no output left behind."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from capsules.check import check_script
from cli import app
from networks.registry import registry

GOOD = """\
capsule: {id: essai, title: "Essai", formats: [vertical, x]}
scenes:
  - duration: 3
    background: {color: "#204060"}
  - duration: 3
    background: {image: fond.png}
cues:
  - {start: 0.5, end: 2.9, text: "Ça va ? Tu peux en parler."}
  - {start: 3.0, end: 5.5, text: "Ce n'est jamais ta faute."}
end_card: {text: "Appelle le 3018", link: "https://clickable.example.org/r/abc", qr: true}
"""


def write(folder: Path, content: str) -> Path:
    Image.new("RGB", (64, 64), "#336699").save(folder / "fond.png")
    (folder / "abime.png").write_bytes(b"\x89PNG\r\n\x1a\n not really a png")
    (folder / "abime.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42 broken video")
    path = folder / "essai.yaml"
    path.write_text(content, "utf-8")
    return path


def line_of(content: str, marker: str) -> int:
    return content[: content.index(marker)].count("\n") + 1


def test_good_script_is_clean(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["capsule", "check", str(write(tmp_path, GOOD))])
    assert result.exit_code == 0, result.output
    assert "2 cues, 9 s" in result.stdout


CASES = [
    (
        "missing image",
        "{image: fond.png}",
        "{image: absent.png}",
        "image 'absent.png' not found",
        "absent.png",
    ),
    ("corrupt image", "{image: fond.png}", "{image: abime.png}", "is not a readable image", "abime.png"),
    (
        "corrupt video",
        "{image: fond.png}",
        "{video: abime.mp4}",
        "video 'abime.mp4' cannot be read",
        "abime.mp4",
    ),
    (
        "missing voice",
        "end_card:",
        "audio: {voice: voix.wav}\nend_card:",
        "voice 'voix.wav' not found",
        "voix.wav",
    ),
    (
        "negative duration",
        "  - duration: 3\n    background: {color",
        "  - duration: -3\n    background: {color",
        "greater than 0",
        "duration: -3",
    ),
    (
        "unknown format",
        "[vertical, x]",
        "[vertical, reels]",
        "expected 'vertical', 'portrait', 'square', 'landscape', 'x' or 'tiktok'",
        "reels",
    ),
    (
        "overlapping cues",
        "start: 3.0, end: 5.5",
        "start: 2.0, end: 4.5",
        "before the previous cue ends",
        "start: 2.0",
    ),
    (
        "cue too short",
        'start: 3.0, end: 5.5, text: "Ce n\'est jamais ta faute."',
        'start: 3.0, end: 3.6, text: "Non."',
        "lasts 0.60 s",
        "end: 3.6",
    ),
    ("cue too long", "start: 3.0, end: 5.5", "start: 3.0, end: 5.99", None, None),
    (
        "reading speed",
        "Ce n'est jamais ta faute.",
        "Ce n'est jamais ta faute, ni maintenant ni plus tard.",
        "cue 2: 53 characters in 2.5 s, children allow 28: shorten it or show it longer",
        "ni plus tard",
    ),
    (
        "too many lines",
        'start: 3.0, end: 5.5, text: "Ce n\'est jamais ta faute."',
        'start: 1.0, end: 6.9, text: "Ce n\'est jamais ta faute, ni maintenant, ni plus tard, ni jamais, jamais."',
        "lines in the vertical format (2 at most, 42 characters a line)",
        "jamais, jamais",
    ),
    (
        "glyph missing",
        "Ce n'est jamais ta faute.",
        "Ce n'est pas ta faute 猫.",
        "no glyph for '猫' (U+732B)",
        "猫",
    ),
    (
        "cue after the scenes",
        "start: 3.0, end: 5.5",
        "start: 4.5, end: 6.5",
        "after the last scene",
        "start: 4.5",
    ),
    (
        "two backgrounds",
        '{color: "#204060"}',
        '{color: "#204060", image: fond.png}',
        "exactly one of color, image or video",
        '"#204060", image',
    ),
    ("bad colour", '"#204060"', '"bleu"', "must be a colour written #rrggbb", '"bleu"'),
    (
        "qr without link",
        '{text: "Appelle le 3018", link: "https://clickable.example.org/r/abc", qr: true}',
        '{text: "Appelle le 3018", qr: true}',
        "end_card.qr needs a link",
        "qr: true",
    ),
    (
        "too short for the networks it goes to",
        "end_card:",
        "end_card:",
        "the capsule lasts 2 s: Facebook Reels take 3 to 90 s (vertical format)",
        "- duration: 2",
    ),
    ("bad yaml", "scenes:\n", "scenes: [\n", "YAML syntax error", None),
    (
        "two frames between cues",
        "start: 3.0, end: 5.5",
        "start: 2.93, end: 5.5",
        "cue 2 starts 0.03 s (1 frame(s)) after the previous cue ends: leave at least 2 frames",
        "start: 2.93",
    ),
    (
        "zero-length cue",
        "start: 3.0, end: 5.5",
        "start: 3.0, end: 3.0",
        "cue 2 starts and ends at 3 s: show each cue at least 1 s",
        "end: 3.0",
    ),
    (
        "cue ends before it starts",
        "start: 3.0, end: 5.5",
        "start: 3.0, end: 2.95",
        "ends before it starts",
        "end: 2.95",
    ),
    (
        "unknown top-level key names the capsule's keys",
        "end_card:",
        "musique: fond.mp3\nend_card:",
        "unknown key 'musique' in the file: expected one of capsule, audience, style, scenes, audio, cues, subtitles, sign_language, alt_text, end_card, poster",
        "musique",
    ),
    (
        "unknown key in a cue",
        'start: 3.0, end: 5.5, text: "Ce n',
        'start: 3.0, end: 5.5, couleur: rouge, text: "Ce n',
        "unknown key 'couleur' in cues[1]: expected one of start, end, text, kind",
        "couleur",
    ),
    (
        "unknown audience",
        "end_card:",
        "audience: bebes\nend_card:",
        "expected 'children', 'teens' or 'adults'",
        "bebes",
    ),
    (
        "unknown cue kind",
        'end: 5.5, text: "Ce n',
        'end: 5.5, kind: cri, text: "Ce n',
        "expected 'speaker', 'offscreen', 'sound', 'music' or 'narrator'",
        "kind: cri",
    ),
    (
        "media is a device",
        "{image: fond.png}",
        "{image: /dev/zero}",
        "image '/dev/zero' is a device, not a file",
        "/dev/zero",
    ),
    (
        "media is a folder",
        "{image: fond.png}",
        "{image: .}",
        "image '.' is a folder, not a file",
        "{image: .}",
    ),
    (
        "font that is not a font",
        "end_card:",
        "style: {font: fond.png}\nend_card:",
        "font 'fond.png': not a TrueType or OpenType font",
        "font: fond.png",
    ),
    (
        "font that is a device",
        "end_card:",
        "style: {font: /dev/zero}\nend_card:",
        "font '/dev/zero' is a device",
        "font: /dev/zero",
    ),
    (
        "unknown language tag",
        'text: "Ce n\'est jamais ta faute."}',
        'text: {fr: "Ce n\'est jamais ta faute.", xx: "Pa out fot."}}',
        "'xx' is not a language tag (BCP 47)",
        "xx:",
    ),
    (
        "language tag not in its canonical form",
        'text: "Ce n\'est jamais ta faute."}',
        'text: {fra: "Ce n\'est jamais ta faute."}}',
        "write the language tag 'fra' as 'fr' (French)",
        "fra:",
    ),
    (
        "cue missing a language",
        'text: "Ça va ? Tu peux en parler."}',
        'text: {fr: "Ça va ? Tu peux en parler.", rcf: "Ou pé koz."}}',
        "cue 2 has no rcf (Réunion Creole French) text",
        "start: 3.0",
    ),
    (
        "undeclared language",
        "formats: [vertical, x]}",
        "formats: [vertical, x], languages: [fr]}",
        None,
        None,
    ),
    (
        "alt text too long",
        "end_card:",
        f'alt_text: {{fr: "{"a" * 1001}"}}\nend_card:',
        "the alt text has 1001 characters: Bluesky, X take 1000 at most",  # every network at the limit
        "alt_text",
    ),
    (
        "bad language in capsule.languages",
        "formats: [vertical, x]}",
        'formats: [vertical, x], languages: [fr, "creole"]}',
        "'creole' is not a language tag",
        "creole",
    ),
    (
        "missing subtitle file",
        'cues:\n  - {start: 0.5, end: 2.9, text: "Ça va ? Tu peux en parler."}\n  - {start: 3.0, end: 5.5, text: "Ce n\'est jamais ta faute."}\n',
        "subtitles: absent.srt\n",
        "subtitle file 'absent.srt' not found",
        "absent.srt",
    ),
]


@pytest.mark.parametrize(("name", "old", "new", "fragment", "marker"), CASES, ids=[case[0] for case in CASES])
def test_bad_scripts(
    tmp_path: Path, name: str, old: str, new: str, fragment: str | None, marker: str | None
) -> None:
    assert old in GOOD, name
    content = GOOD.replace(old, new, 1)
    if name == "cue too long":
        content = content.replace(
            "  - duration: 3\n    background: {image", "  - duration: 9\n    background: {image"
        ).replace("end: 5.99", "end: 11.5")
        fragment, marker = "lasts 8.50 s", "end: 11.5"
    if name == "undeclared language":
        content = content.replace(
            'text: "Ce n\'est jamais ta faute."}',
            'text: {fr: "Ce n\'est jamais ta faute.", rcf: "Pa out fot."}}',
        )
        fragment, marker = (
            "'rcf' is not one of the capsule's languages (fr): add it to capsule.languages",
            "rcf:",
        )
    if name == "too short for the networks it goes to":
        content = 'capsule: {id: essai, title: "Essai"}\nscenes:\n  - duration: 2\n    background: {color: "#204060"}\n'
    path = write(tmp_path, content)
    result = CliRunner().invoke(app, ["capsule", "check", str(path)])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.stdout.splitlines() if fragment in line]  # type: ignore[operator]
    assert lines, result.stdout
    file, line, _ = lines[0].split(":", 2)
    assert file == str(path)
    if marker is not None:
        assert int(line) == line_of(content, marker), lines[0]


def test_render_of_a_bad_script_writes_nothing(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("{image: fond.png}", "{image: abime.png}"))
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["capsule", "render", str(path), "--out", str(out)])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ") and "is not a readable image" in result.stderr
    assert not out.exists()


def test_unknown_format_option(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "capsule",
            "render",
            str(write(tmp_path, GOOD)),
            "--format",
            "portrait",
            "--out",
            str(tmp_path / "o"),
        ],
    )
    assert result.exit_code == 1 and "unknown format 'portrait'" in result.stderr


def test_reading_speed_limit_is_configurable(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    assert check_script(path, registry()).ok
    assert not check_script(path, registry(), max_cps=10).ok


# --- languages, sign language, reading profiles, hostile files --------------------------------------

SIGNED = """\
capsule: {id: signe, title: "Signé", formats: [vertical, x]}
sign_language: {video: SIGNER, side: right, key: green}
scenes:
  - {duration: 6, background: {color: "#204060"}}
cues:
  - start: 0.5
    end: 2.9
    text: {fr: "Tu peux en parler.", rcf: "Ou pé koz."}
  - start: 3.0
    end: 5.5
    text: {fr: "Ce n'est pas ta faute.", rcf: "Lé pa out fot."}
"""


def check_lines(path: Path) -> tuple[int, list[str]]:
    result = CliRunner().invoke(app, ["capsule", "check", str(path)])
    assert "Traceback" not in result.output
    return result.exit_code, result.stdout.splitlines()


@pytest.mark.parametrize(
    ("signer", "fragment"),
    [
        ("absent.mp4", "signer video 'absent.mp4' not found"),
        ("corrupt", "signer video 'corrupt.mp4' cannot be read"),
        (
            "short",
            "the signer video 'short.mp4' lasts 2 s, the capsule 6 s: the interpreter must sign until the end",
        ),
        ("fps25", "the signer video 'fps25.mp4' is 25 fps: the capsule is 30 fps"),
        (
            "landscape",
            "the signer video 'landscape.mp4' is 320×180 (landscape or square): frame the interpreter in portrait",
        ),
    ],
)
def test_bad_signer_videos(tmp_path: Path, signers: dict[str, Path], signer: str, fragment: str) -> None:
    if signer in signers:
        (tmp_path / signers[signer].name).write_bytes(signers[signer].read_bytes())
        signer = signers[signer].name
    content = SIGNED.replace("SIGNER", signer)
    path = write(tmp_path, content)
    code, lines = check_lines(path)
    assert code == 1
    matching = [line for line in lines if fragment in line]
    assert matching, lines
    assert matching[0].startswith(f"{path}:{line_of(content, 'sign_language')}:")


def test_a_good_signer_passes_and_the_campaign_free_renders_are_listed(
    tmp_path: Path, signers: dict[str, Path]
) -> None:
    (tmp_path / "signer.mp4").write_bytes(signers["good"].read_bytes())
    code, lines = check_lines(write(tmp_path, SIGNED.replace("SIGNER", "signer.mp4")))
    assert code == 0, lines
    assert "languages fr, rcf" in lines[0]
    assert lines[1] == "renders: vertical.fr, x.fr"


def test_an_inset_that_cannot_fit_a_format_is_reported_for_that_format(tmp_path: Path) -> None:
    from capsules.media import run_ffmpeg

    made = run_ffmpeg(
        [
            "-y",
            "-f",
            "lavfi",
            "-i",
            "color=c=0x00b140:size=288x320:rate=30:duration=7",
            "-pix_fmt",
            "yuv420p",
            str(tmp_path / "wide.mp4"),
        ]
    )
    assert made.returncode == 0
    content = SIGNED.replace("SIGNER", "wide.mp4").replace("[vertical, x]", "[x, tiktok]")
    code, lines = check_lines(write(tmp_path, content))
    assert code == 1
    assert (
        len(lines) == 1 and "in the tiktok format a sign-language inset of 576×640 px leaves only" in lines[0]
    ), lines


def test_subtitle_files_per_language_share_one_set_of_timings(tmp_path: Path) -> None:
    (tmp_path / "fr.srt").write_text(
        "1\n00:00:00,500 --> 00:00:02,900\nTu peux en parler.\n\n2\n00:00:03,000 --> 00:00:05,500\nPas ta faute.\n",
        "utf-8",
    )
    (tmp_path / "rcf.vtt").write_text(
        "WEBVTT\n\n00:00:00.500 --> 00:00:02.900\nOu pé koz.\n\n00:00:03.100 --> 00:00:05.500\nLé pa out fot.\n",
        "utf-8",
    )
    content = SIGNED.split("cues:")[0].replace(
        "sign_language: {video: SIGNER, side: right, key: green}\n", ""
    )
    path = write(tmp_path, content + "subtitles: {fr: fr.srt, rcf: rcf.vtt}\n")
    code, lines = check_lines(path)
    assert code == 1
    assert lines == [
        f"{tmp_path / 'rcf.vtt'}:7: cue 2 is timed 3.1 s → 5.5 s here but 3 s → 5.5 s in {tmp_path / 'fr.srt'}: "
        "one set of timings for every language"
    ]
    (tmp_path / "rcf.vtt").write_text(
        (tmp_path / "rcf.vtt").read_text("utf-8").replace("03.100", "03.000"), "utf-8"
    )
    code, lines = check_lines(path)
    assert code == 0, lines
    from capsules.script import load_script

    loaded = load_script(path)
    assert loaded.languages == ["fr", "rcf"]
    assert [cue.texts for cue in loaded.cues] == [
        {"fr": "Tu peux en parler.", "rcf": "Ou pé koz."},
        {"fr": "Pas ta faute.", "rcf": "Lé pa out fot."},
    ]
    assert loaded.cues[1].place("rcf") == (str(tmp_path / "rcf.vtt"), 7)


@pytest.mark.parametrize(
    ("subtitles", "fragment"),
    [
        ("{fr: /dev/zero}", "subtitle file '/dev/zero' is a device, not a file"),
        ("{fr: absent.srt}", "subtitle file 'absent.srt' not found"),
        ("{xx: fr.srt}", "'xx' is not a language tag"),
        ("fond.png", "subtitle file 'fond.png' is not UTF-8 text"),
    ],
)
def test_bad_subtitle_files(tmp_path: Path, subtitles: str, fragment: str) -> None:
    (tmp_path / "fr.srt").write_text("1\n00:00:00,500 --> 00:00:02,900\nTu peux en parler.\n", "utf-8")
    content = SIGNED.split("cues:")[0].replace(
        "sign_language: {video: SIGNER, side: right, key: green}\n", ""
    )
    code, lines = check_lines(write(tmp_path, content + f"subtitles: {subtitles}\n"))
    assert code == 1
    assert any(
        fragment in line and line.startswith(str(tmp_path / "essai.yaml") + ":4:") for line in lines
    ), lines


def huge_png(path: Path, side: int) -> Path:
    """A black-and-white PNG of side×side pixels that weighs a few kilobytes (rows of zeros)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    packer = zlib.compressobj(9)
    row = b"\x00" * (1 + (side + 7) // 8)
    body = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")
    )
    return path


@pytest.mark.parametrize("side", [20_000, 12_000])
@pytest.mark.parametrize("where", ["background", "logo"])
def test_images_are_bounded_in_pixels(tmp_path: Path, side: int, where: str) -> None:
    huge_png(tmp_path / "huge.png", side)
    assert (tmp_path / "huge.png").stat().st_size < 100_000
    content = (
        GOOD.replace("{image: fond.png}", "{image: huge.png}")
        if where == "background"
        else GOOD.replace("end_card:", "style: {logo: huge.png}\nend_card:")
    )
    path = write(tmp_path, content)
    result = CliRunner().invoke(app, ["capsule", "check", str(path)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output and "DecompressionBomb" not in result.output
    kind = "image" if where == "background" else "logo"
    size = f"is {side}×{side} pixels" if side == 12_000 else f"has {side * side // 1_000_000} million pixels"
    assert f"{kind} 'huge.png' {size}: 40 million pixels at most" in result.stdout
    assert result.stdout.count("\n") == 1  # one line, no warning from Pillow


def test_render_into_a_file_is_one_line_and_writes_nothing(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    (tmp_path / "out").write_text("a file, not a folder", "utf-8")
    result = CliRunner().invoke(app, ["capsule", "render", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.stderr.startswith(f"error: cannot render into {tmp_path / 'out'}: Not a directory")
    assert result.stderr.count("\n") == 1
    assert (tmp_path / "out").read_text("utf-8") == "a file, not a folder"


# --- what capsules take from the networks: formats, video lengths, safe zones ---------------------


@dataclass(frozen=True)
class Kind:
    kind: str
    min_seconds: float
    max_seconds: float
    aspect: tuple[int, int] | None = None
    aspect_range: tuple[float, float] | None = None
    label: str = "clips"


@dataclass(frozen=True)
class Zone:
    top: float
    bottom: float
    left: float
    right: float


@dataclass(frozen=True)
class Media:
    formats: tuple[str, ...]
    videos: tuple[Kind, ...]
    safe_zone: Zone | None = None
    alt_text: bool = False
    alt_text_max: int | None = None


@dataclass(frozen=True)
class Network:
    name: str
    label: str
    media: Media


def test_lengths_and_safe_zones_come_from_the_networks_given(tmp_path: Path, signers: dict[str, Path]) -> None:
    """capsules/ knows no network: a network it has never heard of, passed in, decides the length of
    the videos it takes and narrows the safe zone of the format it takes in its own frame's shape."""
    from capsules.presets import PRESETS

    (tmp_path / "signer.mp4").write_bytes(signers["good"].read_bytes())
    script = SIGNED.replace("SIGNER", "signer.mp4").replace("[vertical, x]", "[tiktok, square]")
    path = write(tmp_path, script)
    tok = Network(
        "tok",
        "Tok",
        Media(
            ("tiktok", "square"),
            (Kind("clip", 8.0, 60.0, aspect=(9, 16)), Kind("post", 1.0, 600.0, label="posts")),
            Zone(top=0.2, bottom=0.3, left=0.05, right=0.25),
        ),
    )
    alone = check_script(path, {})
    assert alone.ok, alone.problems
    assert alone.presets["tiktok"] == PRESETS["tiktok"]
    checked = check_script(path, {"tok": tok})
    messages = [problem.message for problem in checked.problems]
    assert messages == ["the capsule lasts 6 s: Tok clips take 8 to 60 s (tiktok format)"]
    assert checked.problems[0].line == line_of(script, "  - {duration: 6")
    zone = checked.presets["tiktok"].safe
    assert (zone.left, zone.top, zone.right, zone.bottom) == (
        round(1080 * 0.06),  # the preset's own left margin is wider
        round(1920 * 0.2),
        1080 - round(1080 * 0.25),
        1920 - round(1920 * 0.3),
    )
    inset = checked.layouts["tiktok"].inset
    assert inset is not None and zone.contains(inset) and inset.right > zone.right - 2
    assert inset.height >= 1920 / 3
    # Tok shows square videos whole (its frame is 9:16): its zone does not apply, its length does
    # (the second kind takes any shape)
    assert checked.presets["square"] == PRESETS["square"]
    with_posts = check_script(path, {"tok": Network("tok", "Tok", Media(("square",), tok.media.videos))})
    assert with_posts.ok, with_posts.problems


def test_a_network_taking_no_video_of_a_format_shape_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    wide = Network("wide", "Wide", Media(("x",), (Kind("film", 1.0, 60.0, aspect=(16, 9)),)))
    result = check_script(path, {"wide": wide})
    assert [problem.message for problem in result.problems] == [
        "Wide takes no video of the x format's shape (720×1280): remove x from capsule.formats"
    ]
    assert result.problems[0].line == 1


def test_the_capsules_room_imports_no_network() -> None:
    """capsules/ receives the networks (capsules.rules' Protocols) from the CLI: it imports none."""
    import ast

    import capsules

    room = Path(capsules.__file__).parent
    for module in sorted(room.glob("*.py")):
        for node in ast.walk(ast.parse(module.read_text("utf-8"))):
            names = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            assert not any(name == "networks" or name.startswith("networks.") for name in names), module


def test_the_alt_text_is_bounded_by_the_networks_receiving_it(tmp_path: Path) -> None:
    """The shortest limit among the networks that receive the capsule and take a description; none
    when no receiving network takes one."""
    content = GOOD.replace("end_card:", 'alt_text: {fr: "Une interprète signe, à droite."}\nend_card:')
    path = write(tmp_path, content)
    videos = (Kind("clip", 1.0, 600.0),)
    short = Network("short", "Short", Media(("x",), videos, alt_text=True, alt_text_max=20))
    blind = Network("blind", "Blind", Media(("vertical",), videos, alt_text=False, alt_text_max=5))
    long = Network("long", "Long", Media(("vertical",), videos, alt_text=True, alt_text_max=500))
    assert check_script(path, {"blind": blind, "long": long}).ok
    result = check_script(path, {"short": short, "long": long})
    assert [problem.message for problem in result.problems] == [
        "the alt text has 31 characters: Short takes 20 at most"
    ]
    assert result.problems[0].line == line_of(content, "alt_text")


def test_every_language_is_checked_against_the_font(tmp_path: Path) -> None:
    """A glyph the font lacks in the second language's cue, title or end card is reported where it is."""
    content = SIGNED.replace("sign_language: {video: SIGNER, side: right, key: green}\n", "")
    content = content.replace('rcf: "Lé pa out fot."', 'rcf: "Lé pa out fot 猫."')
    content = content.replace(
        '  - {duration: 6, background: {color: "#204060"}}',
        '  - {duration: 6, background: {color: "#204060"}, title: {fr: "Parle", rcf: "Koz 犬"}}',
    )
    path = write(tmp_path, content)
    code, lines = check_lines(path)
    assert code == 1
    cue = [line for line in lines if "no glyph for '猫' (U+732B)" in line]
    assert cue and cue[0].startswith(f"{path}:{line_of(content, 'Lé pa out fot 猫')}:"), lines
    title = [line for line in lines if "no glyph for '犬' (U+72AC)" in line]
    assert title and title[0].startswith(f"{path}:{line_of(content, 'Koz 犬')}:"), lines
    assert len(cue) == 1 and len(title) == 1  # the French texts draw


@pytest.mark.parametrize("where", ["background", "signer"])
def test_videos_are_bounded_in_pixels(tmp_path: Path, where: str) -> None:
    """A video whose frames are larger than 4K is refused in one line (each frame is decoded whole)."""
    import subprocess

    from capsules.media import ffmpeg

    made = subprocess.run(
        [
            ffmpeg(), "-v", "error", "-f", "lavfi", "-i", "color=c=green:s=2400x4000:r=30:d=7",
            "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(tmp_path / "huge.mp4"),
        ],
        check=False,
    )  # fmt: skip
    assert made.returncode == 0
    if where == "background":
        content = GOOD.replace("{image: fond.png}", "{video: huge.mp4}")
        kind, marker = "video", "huge.mp4"
    else:
        content = SIGNED.replace("SIGNER", "huge.mp4")
        kind, marker = "signer video", "sign_language"
    path = write(tmp_path, content)
    code, lines = check_lines(path)
    assert code == 1
    assert lines == [
        f"{path}:{line_of(content, marker)}: {kind} 'huge.mp4' is 2400×4000 pixels: videos of 3840×2160 (4K) "
        "at most, export it smaller (1080×1920 is plenty)"
    ]
