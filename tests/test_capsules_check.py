"""`clickable capsule check` and bad scripts: FILE:LINE errors, exit 1, and no output left behind."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from capsules.check import check_script
from cli import app

GOOD = """\
capsule: {id: essai, title: "Essai", formats: [vertical, x]}
scenes:
  - duration: 3
    background: {color: "#204060"}
  - duration: 3
    background: {image: fond.png}
cues:
  - {start: 0.5, end: 2.5, text: "Ça va ? Tu peux en parler."}
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
        "[vertical, tiktok]",
        "expected 'vertical', 'square', 'landscape' or 'x'",
        "tiktok",
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
        "characters a second to read (limit 15)",
        "ni plus tard",
    ),
    (
        "too many lines",
        'start: 3.0, end: 5.5, text: "Ce n\'est jamais ta faute."',
        'start: 1.0, end: 6.9, text: "Ce n\'est jamais ta faute, ni maintenant, ni plus tard, ni jamais, jamais."',
        "takes 3 lines in the vertical format",
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
    ("too short for reels", "end_card:", "end_card:", "Reels take 3 to 90 s", "- duration: 2"),
    ("bad yaml", "scenes:\n", "scenes: [\n", "YAML syntax error", None),
    (
        "missing subtitle file",
        'cues:\n  - {start: 0.5, end: 2.5, text: "Ça va ? Tu peux en parler."}\n  - {start: 3.0, end: 5.5, text: "Ce n\'est jamais ta faute."}\n',
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
    if name == "too short for reels":
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
    assert check_script(path).ok
    assert not check_script(path, max_cps=10).ok
