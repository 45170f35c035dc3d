"""Reading profiles (CSA/Arcom charter, interpolated, capped per audience): a table of cues that
pass and cues that fail, checked through `clickable capsule check` with the numbers it states."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from capsules.reading import allowed_characters, table_characters
from cli import app


def test_the_charter_table_is_interpolated_and_capped_per_audience() -> None:
    assert [table_characters(seconds) for seconds in (1, 2, 3, 4)] == [12, 20, 36, 60]
    assert table_characters(2.5) == 28 and table_characters(0.5) == 6
    assert table_characters(5) == 84  # the last slope (24 a second) goes on
    # the ceilings: children 13, teens 15, adults 17 characters a second
    assert [allowed_characters(4.0, audience) for audience in ("children", "teens", "adults")] == [52, 60, 60]
    assert [allowed_characters(6.0, audience) for audience in ("children", "teens", "adults")] == [
        78,
        90,
        102,
    ]
    assert allowed_characters(2.2, "children") == 24  # 23.2, rounded up
    assert allowed_characters(4.0, "children", max_cps=10) == 40


A = "Quelqu'un menace de partager tes photos ?"  # 41 characters
TABLE = [
    # audience, start, end, text, expected problem (None: passes)
    ("children", 0.5, 2.7, A, "cue 1: 41 characters in 2.2 s, children allow 24"),
    ("children", 0.5, 4.0, A, None),  # 3.5 s: 48 allowed
    ("children", 0.5, 1.5, "Ne paie pas.", None),  # 12 in 1 s: the table's first point
    ("children", 0.5, 1.5, "Ne paie pas !!", "cue 1: 14 characters in 1 s, children allow 12"),
    (
        "children",
        0.5,
        4.5,
        "Parle à un adulte de confiance, ou appelle le 3018 maintenant.",
        "cue 1: 62 characters in 4 s, children allow 52",
    ),
    (
        "teens",
        0.5,
        4.5,
        "Parle à un adulte de confiance, ou appelle le 3018 maintenant.",
        "cue 1: 62 characters in 4 s, teens allow 60",
    ),
    ("teens", 0.5, 4.5, "Parle à un adulte de confiance, ou appelle le 3018 tout de suite"[:60], None),  # 60
    ("adults", 0.5, 6.5, "Parle à un adulte de confiance ou appelle le 3018 : gratuit, anonyme.", None),
    (
        "children",
        0.5,
        6.5,
        "Parle à un adulte de confiance, appelle le 3018 ou le 119, c'est gratuit et anonyme.",
        "cue 1: 84 characters in 6 s, children allow 78",
    ),
    (
        "adults",
        0.5,
        6.5,
        "Parle à un adulte de confiance, appelle le 3018 ou le 119, c'est gratuit et anonyme.",
        None,
    ),
]


@pytest.mark.parametrize(("audience", "start", "end", "text", "expected"), TABLE)
def test_reading_profiles_table(
    tmp_path: Path, audience: str, start: float, end: float, text: str, expected: str | None
) -> None:
    path = tmp_path / "lecture.yaml"
    path.write_text(
        f"capsule: {{id: lecture, title: Lecture, formats: [landscape]}}\naudience: {audience}\n"
        f'scenes:\n  - {{duration: 7, background: {{color: "#000000"}}}}\ncues:\n'
        f'  - {{start: {start}, end: {end}, text: "{text}"}}\n',
        "utf-8",
    )
    result = CliRunner().invoke(app, ["capsule", "check", str(path)])
    if expected is None:
        assert result.exit_code == 0, result.output
        return
    assert result.exit_code == 1
    assert result.stdout.startswith(f"{path}:6: {expected}: shorten it or show it longer"), result.stdout


def test_the_default_audience_is_children(tmp_path: Path) -> None:
    path = tmp_path / "lecture.yaml"
    path.write_text(
        'capsule: {id: lecture, title: Lecture, formats: [landscape]}\nscenes:\n  - {duration: 7, background: {color: "#000000"}}\n'
        f'cues:\n  - {{start: 0.5, end: 4.5, text: "{TABLE[5][3]}"}}\n',
        "utf-8",
    )
    result = CliRunner().invoke(app, ["capsule", "check", str(path)])
    assert result.exit_code == 1 and "children allow 52" in result.stdout


def test_a_line_holds_42_characters_at_most_even_where_pixels_allow_more() -> None:
    from capsules.presets import PRESETS
    from capsules.text import cue_lines, default_font_path

    text = "Parle à un adulte de confiance, appelle le 3018 ou le 119, gratuit."
    lines = cue_lines(text, PRESETS["landscape"], default_font_path())
    assert len(lines) == 2 and all(len(line) <= 42 for line in lines), lines
