"""Hostile files and environments: each is one clear line and exit 1, read with bounds, never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from campaign import yamlsource
from campaign.checks import check_file
from campaign.yamlsource import MAX_FILE_BYTES, UnreadableFile, parse_yaml, read_bounded_text
from cli import app
from networks.registry import registry

from .conftest import Cli
from .test_campaign_check import MINIMAL, write

NOT_FILES = {
    "device": lambda tmp: Path("/dev/zero"),
    "pipe": lambda tmp: _fifo(tmp / "campaign.fifo"),
    "folder": lambda tmp: tmp,
}


def _fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def run_installed(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The command as a user runs it (a process of its own, bounded in time)."""
    return subprocess.run(
        [sys.executable, "-c", "from cli import main; main()", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={"PATH": os.environ.get("PATH", ""), "CLICKABLE_HOME": str(cwd), **(env or {})},
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("kind", list(NOT_FILES))
@pytest.mark.parametrize("command", [["campaign", "check"], ["capsule", "check"]])
def test_anything_but_a_regular_file_is_refused_before_reading(
    tmp_path: Path, kind: str, command: list[str]
) -> None:
    target = NOT_FILES[kind](tmp_path)
    started = time.monotonic()
    result = CliRunner().invoke(app, [*command, str(target)], env={"CLICKABLE_HOME": str(tmp_path)})
    assert time.monotonic() - started < 10  # /dev/zero used to be read for ever
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)
    expected = {"device": "is a device", "pipe": "is a pipe", "folder": "is a folder"}[kind]
    assert f"{target}:1" in result.stdout and expected in result.stdout, result.stdout


def test_dev_zero_through_the_installed_command(tmp_path: Path) -> None:
    result = run_installed("campaign", "check", "/dev/zero", cwd=tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "/dev/zero:1:1: is a device, not a regular file" in result.stdout


def test_a_file_over_the_size_limit_is_refused_without_being_parsed(tmp_path: Path) -> None:
    path = tmp_path / "campaign.yaml"
    with path.open("wb") as stream:  # sparse: costs no disk
        stream.truncate(MAX_FILE_BYTES + 1)
    report = check_file(path, networks=registry())
    assert [problem.message for problem in report.problems] == [
        "the file is larger than 16 MB, the most this file may hold: check it is the right file"
    ]


def test_the_bounded_reader_reads_no_more_than_its_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_text("x" * 1000, "utf-8")
    assert read_bounded_text(path, limit=1000) == "x" * 1000
    with pytest.raises(UnreadableFile, match="larger than"):
        read_bounded_text(path, limit=999)


def test_too_many_values_names_the_limit_not_aliases(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A big campaign without aliases used to be told "remove aliases"."""
    monkeypatch.setattr(yamlsource, "MAX_VALUES", 100)
    posts = "".join(f"  - {{id: p{index}, text: t, accounts: [x-main]}}\n" for index in range(40))
    source = parse_yaml(MINIMAL.split("posts:")[0] + "posts:\n" + posts, "big.yaml")
    assert len(source.problems) == 1
    message = source.problems[0].message
    assert "the file holds more than 100 values" in message and "alias" not in message


def test_aliases_that_expand_too_far_are_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yamlsource, "MAX_VALUES", 100)
    source = parse_yaml("a: &a [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\nb: [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n", "b.yaml")
    assert "aliases make the file expand to more than 100 values: remove aliases" in source.problems[0].message


def test_a_lone_surrogate_is_a_problem_not_a_crash() -> None:
    source = parse_yaml("campaign:\n  name: a\ud800b\n", "s.yaml")
    assert source.problems and "U+D800" in source.problems[0].message
    assert (source.problems[0].line, source.problems[0].column) == (2, 10)


def test_a_control_character_in_the_file_names_its_code_point_and_position(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL.replace("name: Test", "name: Te\x07st"))
    problems = check_file(path, networks=registry()).problems
    assert [(p.line, p.column, p.message) for p in problems] == [
        (3, 11, "character U+0007 is not allowed in YAML: remove it")
    ]


@pytest.mark.parametrize(
    ("variable", "value", "fragment"),
    [
        ("CLICKABLE_BACKOFF_S", "abc", "CLICKABLE_BACKOFF_S='abc' is refused"),
        ("CLICKABLE_STALE_AFTER_S", "inf", "CLICKABLE_STALE_AFTER_S='inf' is refused"),
        ("CLICKABLE_MAX_SLEEP_S", "1e300", "CLICKABLE_MAX_SLEEP_S='1e300' is refused"),
    ],
)
def test_a_bad_setting_in_the_environment_is_one_line(
    tmp_path: Path, variable: str, value: str, fragment: str
) -> None:
    result = CliRunner().invoke(app, ["doctor"], env={"CLICKABLE_HOME": str(tmp_path), variable: value})
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)
    assert result.stderr.startswith("error: ") and fragment in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_commands_on_loaded_posts_survive_a_value_yaml_cannot_build(cli: Cli) -> None:
    """They read only campaign.id from the file: a 13th month in it was a ValueError traceback."""
    assert cli("campaign", "load").exit_code == 0
    posts = len(cli.campaign_data()["posts"])  # type: ignore[arg-type]
    path = cli.workspace / "campaign.yaml"
    path.write_text(path.read_text("utf-8") + "broken: 2026-13-45\n", "utf-8")
    result = cli("post", "list", "--json")
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.stdout)) == posts
