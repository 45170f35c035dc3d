"""`clickable campaign check`: every kind of bad input gives FILE:LINE:COL errors and exit 1."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from campaign.checks import check_file
from campaign.rules import one_of
from cli import app
from networks.registry import registry

MINIMAL = """\
campaign:
  id: test-campaign
  name: Test
  language: fr
  author: Camille
approval:
  required: true
  two_person: true
territories:
  fr: {name: France, timezone: Europe/Paris}
  nc: {name: Nouvelle-Calédonie, timezone: Pacific/Noumea}
accounts:
  x-main: {network: x, sandbox: true}
  fb-main: {network: facebook, sandbox: true}
  ig-main: {network: instagram, sandbox: true}
capsules:
  clip: {script: clip.yaml}
landing:
  base_url: https://signaler.example.org
  channels:
    tel-119: {name: "119", phone: "119", territories: [fr]}
posts:
  - id: p1
    text: "Bonjour {link}"
    accounts: [x-main, fb-main]
    at: "2099-06-01 18:30"
  - id: p2
    text: "Reel"
    accounts: [ig-main]
    capsule: clip
"""


def last_sunday(year: int, month: int) -> date:
    day = date(year, month + 1, 1) - timedelta(days=1)
    return day - timedelta(days=(day.weekday() - 6) % 7)


NEXT_YEAR = date.today().year + 1
SPRING_GAP = f"{last_sunday(NEXT_YEAR, 3)} 02:30"
AUTUMN_FOLD = f"{last_sunday(NEXT_YEAR, 10)} 02:30"


def write(tmp_path: Path, content: str | bytes) -> Path:
    (tmp_path / "clip.yaml").write_text("capsule: {id: clip}\n", "utf-8")
    path = tmp_path / "campaign.yaml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, "utf-8")
    return path


@pytest.mark.parametrize("content", [MINIMAL, MINIMAL.replace("posts:", "posts: [", 1), "a: *nowhere\n"])
def test_the_garbage_collector_is_given_back_as_it_was_after_a_check(tmp_path: Path, content: str) -> None:
    """check_file pauses the cyclic collector while it works (it walked the file's millions of
    values again at each full collection): afterwards it runs again, after a good or a bad file, and
    stays off for a caller that had turned it off."""
    import gc

    path = write(tmp_path, content)
    assert gc.isenabled()
    check_file(path, networks=registry())
    assert gc.isenabled()
    gc.disable()
    try:
        check_file(path, networks=registry())
        assert not gc.isenabled()
    finally:
        gc.enable()


def line_of(content: str, marker: str) -> int:
    return content[: content.index(marker)].count("\n") + 1


def test_minimal_campaign_is_valid(tmp_path: Path) -> None:
    report = check_file(write(tmp_path, MINIMAL), networks=registry())
    assert report.problems == []
    assert [(v.post, v.network) for v in report.variants] == [
        ("p1", "x"),
        ("p1", "facebook"),
        ("p2", "instagram"),
    ]


# (name, text to replace, replacement, expected message fragment, marker whose line the error names)
CASES = [
    ("unclosed quote", '"Bonjour {link}"', '"Bonjour {link}', "YAML syntax error", None),
    ("tab indentation", "  name: Test\n", "\tname: Test\n", "YAML syntax error", None),
    (
        "unknown key",
        "    capsule: clip\n",
        "    capsule: clip\n    acounts: [x-main]\n",
        "unknown key 'acounts'",
        "acounts",
    ),
    (
        "missing required key",
        "  id: test-campaign\n",
        "",
        "missing required key 'id' in campaign",
        "campaign:",
    ),
    ("wrong boolean", "two_person: true", "two_person: maybe", "must be true or false", "two_person"),
    ("number instead of text", "- id: p1", "- id: 12", "must be text", "- id: 12"),
    (
        "unknown network",
        "{network: x, sandbox",
        "{network: myspace, sandbox",
        "expected " + one_of(sorted(registry()), quote=True),  # the registered networks, in name order
        "myspace",
    ),
    (
        "unknown account",
        "[x-main, fb-main]",
        "[x-main, fb-typo]",
        "unknown account 'fb-typo'",
        "[x-main, fb-typo]",
    ),
    (
        "unknown territory",
        "    accounts: [ig-main]\n",
        "    accounts: [ig-main]\n    territories: [xx]\n",
        "unknown territory 'xx'",
        "territories: [xx]",
    ),
    ("unknown capsule", "capsule: clip\n", "capsule: clap\n", "unknown capsule 'clap'", "capsule: clap"),
    (
        "missing capsule script",
        "{script: clip.yaml}",
        "{script: nowhere.yaml}",
        "capsule script 'nowhere.yaml' not found",
        "nowhere.yaml",
    ),
    (
        "invalid time zone",
        "timezone: Europe/Paris}",
        "timezone: Europe/Pariss}",
        "unknown time zone 'Europe/Pariss'",
        "Europe/Pariss",
    ),
    ("nonexistent local time", "2099-06-01 18:30", SPRING_GAP, "does not exist in Europe/Paris", SPRING_GAP),
    ("ambiguous local time", "2099-06-01 18:30", AUTUMN_FOLD, "happens twice in Europe/Paris", AUTUMN_FOLD),
    ("time in the past", "2099-06-01 18:30", "2020-01-06 18:30", "is in the past", "2020-01-06"),
    ("malformed time", '"2099-06-01 18:30"', '"demain 18h"', "is not a local time", "demain"),
    ("impossible date", "2099-06-01 18:30", "2099-02-30 18:30", "is not a real date", "2099-02-30"),
    (
        "x text too long",
        '"Bonjour {link}"',
        '"' + "é" * 281 + '"',
        "on x: 281 weighted characters, X allows 280",
        "ééé",
    ),
    (
        "x emoji weights",
        '"Bonjour {link}"',
        '"' + "\U0001f431" * 141 + '"',
        "on x: 282 weighted characters",
        "\U0001f431",
    ),
    (
        "instagram without capsule",
        "    capsule: clip\n",
        "\n",
        "Instagram publishes Reels, not text",
        "[ig-main]",
    ),
    (
        "instagram hashtags",
        '"Reel"',
        '"' + " ".join(f"#tag{i}" for i in range(31)) + '"',
        "31 hashtags, Instagram allows 30",
        "#tag0",
    ),
    ("instagram caption", '"Reel"', '"' + "a" * 2201 + '"', "2201 characters, instagram allows 2200", "aaaa"),
    (
        "facebook length",
        "    accounts: [x-main, fb-main]\n",
        "    accounts: [fb-main]\n    variants: {facebook: {text: '" + "b" * 63207 + "'}}\n",
        "63207 characters, facebook allows 63206",
        "bbbb",
    ),
    ("duplicate post id", "- id: p2", "- id: p1", "duplicate post id 'p1'", '- id: p1\n    text: "Reel'),
    (
        "duplicate mapping key",
        "  name: Test\n",
        "  name: Test\n  name: Other\n",
        "duplicate key 'name'",
        "name: Other",
    ),
    (
        "bad base url",
        "https://signaler.example.org",
        "signaler.example.org",
        "must be an http(s) address",
        "signaler.example.org",
    ),
    (
        "channel without contact",
        '{name: "119", phone: "119", territories: [fr]}',
        '{name: "119", territories: [fr]}',
        "needs a url, a phone or an sms number",
        'name: "119"',
    ),
    (
        "two-person without author",
        "  author: Camille\n",
        "",
        "two-person approval needs an author",
        "- id: p1",
    ),
    ("empty account list", "[x-main, fb-main]", "[]", "posts[0].accounts must not be empty", "accounts: []"),
    (
        "variant for unused network",
        "    accounts: [x-main, fb-main]\n",
        "    accounts: [x-main, fb-main]\n    variants: {instagram: {text: hi}}\n",
        "variant for instagram but none",
        "instagram: {text",
    ),
    (
        "link placeholder with link false",
        "    accounts: [x-main, fb-main]\n",
        "    accounts: [x-main, fb-main]\n    link: false\n",
        "has {link} but link is false",
        "Bonjour",
    ),
    (
        "account outside territories",
        "ig-main: {network: instagram, sandbox: true}",
        "ig-main: {network: instagram, sandbox: true, territories: [nc]}\n  fr-only: {network: x, territories: [fr]}",
        "serves none",
        "[ig-main]",
    ),
    ("top-level list", None, "- just\n- a list\n", "the file must be a mapping", None),
    (
        "bad opening hours",
        "territories: [fr]}",
        "territories: [fr], hours: {zone: Europe/Paris, daily: ['9h-23h']}}",
        "is not an opening range",
        "9h-23h",
    ),
]


@pytest.mark.parametrize(("name", "old", "new", "fragment", "marker"), CASES, ids=[case[0] for case in CASES])
def test_bad_input_is_reported_with_position(
    tmp_path: Path, name: str, old: str | None, new: str, fragment: str, marker: str | None
) -> None:
    if old is None:
        content = new
    else:
        assert old in MINIMAL, name
        content = MINIMAL.replace(old, new, 1)
    if name == "account outside territories":
        content = content.replace(
            "[ig-main]\n    capsule", "[ig-main, fr-only]\n    territories: [nc]\n    capsule"
        )
        fragment, marker = "account 'fr-only' serves none", "fr-only]"
    if name == "top-level list":
        fragment = "must be a mapping"
    path = write(tmp_path, content)
    result = CliRunner().invoke(app, ["campaign", "check", str(path)])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.stdout.splitlines() if line.startswith(str(path))]
    matching = [line for line in lines if fragment in line]
    assert matching, f"{fragment!r} not in {lines}"
    file_part, line_number, column, _ = matching[0].split(":", 3)
    assert file_part == str(path)
    assert int(column) >= 1
    if marker is not None:
        assert int(line_number) == line_of(content, marker), matching[0]


def test_several_problems_are_reported_at_once_most_useful_first(tmp_path: Path) -> None:
    content = (
        MINIMAL.replace("[x-main, fb-main]", "[x-main, nobody]")
        .replace("timezone: Pacific/Noumea", "timezone: Mars/Olympus")
        .replace('"Bonjour {link}"', '"' + "x" * 300 + '"')
    )
    path = write(tmp_path, content)
    report = check_file(path, networks=registry())
    messages = [problem.message for problem in report.problems]
    assert len(messages) == 3
    assert "unknown time zone" in messages[0] or "unknown account" in messages[0]
    assert "weighted characters" in messages[-1]


def test_json_output_shape(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL.replace('"Bonjour {link}"', '"' + "x" * 300 + '"'))
    result = CliRunner().invoke(app, ["campaign", "check", str(path), "--json"])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["ok"] is False
    assert set(data["errors"][0]) == {"file", "line", "column", "message"}
    assert data["errors"][0]["line"] == line_of(MINIMAL, '"Bonjour')
    x_variant = next(variant for variant in data["variants"] if variant["network"] == "x")
    assert x_variant == {
        "post": "p1",
        "account": "x-main",
        "network": "x",
        "length": 300,
        "limit": 280,
        "ok": False,
    }


def test_counted_length_includes_the_tracked_link(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["campaign", "check", str(write(tmp_path, MINIMAL)), "--json"])
    data = json.loads(result.stdout)
    lengths = {variant["network"]: variant["length"] for variant in data["variants"]}
    assert lengths["x"] == len("Bonjour ") + 23  # every URL counts 23 on X
    assert lengths["facebook"] == len("Bonjour https://signaler.example.org/r/XXXXXXXX")


def test_not_utf8_and_missing_file(tmp_path: Path) -> None:
    path = write(tmp_path, "campaign:\n  name: caf\xe9\n".encode("latin-1"))
    result = CliRunner().invoke(app, ["campaign", "check", str(path)])
    assert result.exit_code == 1 and "not UTF-8" in result.stdout
    result = CliRunner().invoke(app, ["campaign", "check", str(tmp_path / "missing.yaml")])
    assert result.exit_code == 1 and "file not found" in result.stdout


def test_past_time_is_judged_against_now_in_each_territory(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL)
    # 18:30 in Nouméa (UTC+11) is 07:30 UTC; 18:30 in Paris (summer, UTC+2) is 16:30 UTC
    assert check_file(path, networks=registry(), now=datetime.fromisoformat("2099-06-01T07:29+00:00")).ok
    late = check_file(path, networks=registry(), now=datetime.fromisoformat("2099-06-01T07:31+00:00"))
    assert [problem.message for problem in late.problems] == [
        "post 'p1': 2099-06-01 18:30 Pacific/Noumea is in the past: choose a later time "
        "or remove 'at' to use the next free slot"
    ]
    later = check_file(path, networks=registry(), now=datetime.fromisoformat("2099-06-01T16:31+00:00"))
    assert len(later.problems) == 2


def test_installed_command_prints_one_line_and_no_traceback(tmp_path: Path) -> None:
    path = write(tmp_path, "campaign: [\n")
    command = [sys.executable, "-c", "from cli import main; main()", "campaign", "load", str(path)]
    result = subprocess.run(
        command,
        capture_output=True,
        text=True,
        env={"CLICKABLE_HOME": str(tmp_path), "PATH": ""},
        check=False,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().startswith("error: ")
    assert len(result.stderr.strip().splitlines()) == 1
    assert f"{path}:2:1: YAML syntax error" in result.stderr


# --- hostile values -------------------------------------------------------------------------------

HOSTILE = [
    ("far future", '"2099-06-01 18:30"', '"9999-12-31 23:59"', "'9999-12-31 23:59' is out of range", "2099"),
    ("year one", '"2099-06-01 18:30"', '"0001-01-01 00:00"', "'0001-01-01 00:00' is out of range", "2099"),
    ("yaml timestamp", '"2099-06-01 18:30"', "9999-12-31 23:59:00", "is out of range", "2099"),
    (
        "neutral url javascript",
        "  channels:\n",
        '  neutral_url: "javascript:alert(1)"\n  channels:\n',
        "landing.neutral_url 'javascript:alert(1)' must start with https://",
        "neutral_url",
    ),
    ("neutral url data", "  channels:\n", '  neutral_url: "data:text/html,x"\n  channels:\n', "neutral_url", "neutral_url"),
    ("neutral url http", "  channels:\n", '  neutral_url: "http://meteo.example"\n  channels:\n', "neutral_url", "neutral_url"),
    ("neutral url no scheme", "  channels:\n", '  neutral_url: "//evil.example"\n  channels:\n', "neutral_url", "neutral_url"),
    (
        "opening hours past midnight",
        "territories: [fr]}",
        "territories: [fr], hours: {zone: Europe/Paris, daily: ['20:00-24:30']}}",
        "a day runs from 00:00 to 24:00",
        "20:00-24:30",
    ),
    ("opening at 24", "territories: [fr]}", "territories: [fr], hours: {zone: Europe/Paris, daily: ['24:00-02:00']}}", "a day runs from", "24:00-02:00"),
    ("lead minutes overflow", "posts:\n", "schedule: {lead_minutes: 100000000000000}\nposts:\n", "schedule.lead_minutes", "lead_minutes"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "old", "new", "fragment", "marker"), HOSTILE, ids=[case[0] for case in HOSTILE])
def test_hostile_values_are_one_line_each_in_check_and_load(
    tmp_path: Path, name: str, old: str, new: str, fragment: str, marker: str
) -> None:
    assert old in MINIMAL, name
    content = MINIMAL.replace(old, new, 1)
    path = write(tmp_path, content)
    env = {"CLICKABLE_HOME": str(tmp_path), "CLICKABLE_DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}"}
    checked = CliRunner().invoke(app, ["campaign", "check", str(path)], env=env)
    assert checked.exit_code == 1, checked.output
    assert isinstance(checked.exception, SystemExit), checked.exception  # not a traceback
    matching = [line for line in checked.stdout.splitlines() if fragment in line]
    assert matching, checked.output
    assert int(matching[0].split(":")[1]) == line_of(content, new.strip('"') if marker == "2099" else marker)
    loaded = CliRunner().invoke(app, ["campaign", "load", str(path)], env=env)
    assert loaded.exit_code == 1, loaded.output
    assert isinstance(loaded.exception, SystemExit), loaded.exception
    assert fragment in loaded.stderr and len(loaded.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("text", "fragment", "column"),
    [
        # written as they are in the file: the column is the character's own
        ('"Bonjour \u202e{link}"', "bidirectional control U+202E RIGHT-TO-LEFT OVERRIDE at column 9", 20),
        ('"Bon\u200bjour {link}"', "invisible character U+200B ZERO WIDTH SPACE at column 4", 15),
        ('"A\u2066B\u2069 {link}"', "bidirectional control U+2066 LEFT-TO-RIGHT ISOLATE at column 2 of the text (and 1 more)", 13),
        ("Bon\u00adjour {link}", "invisible character U+00AD SOFT HYPHEN at column 4", 14),
        # written as YAML escapes: the problem points at the text, the message at the column
        ('"Bonjour \\u202e{link}"', "U+202E RIGHT-TO-LEFT OVERRIDE at column 9", 11),
        ('"Bonjour \\e[2J {link}"', "control character U+001B ESCAPE at column 9", 11),
    ],
    ids=["rlo", "zwsp", "isolates", "soft-hyphen", "escaped-rlo", "escape"],
)
def test_hidden_characters_in_post_texts_are_errors_with_code_point_and_column(
    tmp_path: Path, text: str, fragment: str, column: int
) -> None:
    content = MINIMAL.replace('"Bonjour {link}"', text, 1)
    path = write(tmp_path, content)
    report = check_file(path, networks=registry())
    matching = [problem for problem in report.problems if fragment in problem.message]
    assert matching, [problem.message for problem in report.problems]
    assert (matching[0].line, matching[0].column) == (line_of(content, text), column)
    assert not report.ok


def test_hidden_characters_in_a_block_text_point_at_the_character(tmp_path: Path) -> None:
    content = MINIMAL.replace('text: "Bonjour {link}"', "text: |-\n      Bonjour\n      à tous\u200b {link}", 1)
    path = write(tmp_path, content)
    problems = [problem for problem in check_file(path, networks=registry()).problems if "U+200B" in problem.message]
    assert len(problems) == 1
    assert "at line 2, column 7 of the text" in problems[0].message
    assert (problems[0].line, problems[0].column) == (line_of(content, "à tous"), 13)


def test_emoji_sequences_are_not_hidden_characters(tmp_path: Path) -> None:
    text = '"Famille 👨\u200d👩\u200d👧, drapeau 🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f, cœur ❤\ufe0f {link}"'
    report = check_file(write(tmp_path, MINIMAL.replace('"Bonjour {link}"', text, 1)), networks=registry())
    assert report.ok, report.problems


def test_hidden_characters_in_names_shown_on_the_landing_page(tmp_path: Path) -> None:
    content = MINIMAL.replace('tel-119: {name: "119"', 'tel-119: {name: "1\u202e19"', 1)
    report = check_file(write(tmp_path, content), networks=registry())
    assert any(
        "channel 'tel-119' name holds the bidirectional control U+202E" in problem.message
        for problem in report.problems
    ), report.problems
