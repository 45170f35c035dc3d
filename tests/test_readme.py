"""The README, run as a user would: every command of its code blocks, in order, in one workspace."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app
from networks.emulator.server import EmulatorServer

from .test_docs import readme_commands

# commands that serve until stopped, or that other tests run whole (named there)
NOT_RUN_HERE = {
    "demo": "tests/test_demo.py",
    "emulator serve": "tests/test_emulator.py::test_emulator_serve_command",
    "schedule run": "tests/test_daemon.py (a daemon killed, restarted and stopped with SIGTERM)",
    "landing serve": "tests/test_landing.py::test_landing_serve_command",
}
MAY_ASK_FOR_A_HUMAN = {"doctor": {0, 1}}  # exit 1 means "something needs a human", as documented
SECRETS = "ck-readme\ncs-readme-secret\nat-readme\nats-readme-secret\n"


def test_readme_walkthrough(
    tmp_path: Path, emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    walk_through("README.md", tmp_path, emulator, monkeypatch, {"LANG": "C", "CLICKABLE_LANG": None})


def test_french_guide_walkthrough_speaks_french(
    tmp_path: Path, emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """docs/guide.fr.md run as a French user would: every command, on a French system, in French."""
    from .test_i18n_french import english_left

    outputs = walk_through(
        "docs/guide.fr.md", tmp_path, emulator, monkeypatch, {"LANG": "fr_FR.UTF-8", "CLICKABLE_LANG": None}
    )
    left = {command: found for command, output in outputs.items() if (found := english_left(output))}
    assert left == {}, "English left in the French interface"
    assert "ok —" in outputs["campaign check"] and "publications" in outputs["campaign check"]


def walk_through(
    document: str,
    tmp_path: Path,
    emulator: EmulatorServer,
    monkeypatch: pytest.MonkeyPatch,
    language: dict[str, str | None],
) -> dict[str, str]:
    """Run every command of a document's sh blocks in order, in one workspace; their outputs."""
    from campaign import i18n

    monkeypatch.chdir(tmp_path)
    for variable in i18n.LANGUAGE_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    for variable, value in language.items():
        if value is None:
            monkeypatch.delenv(variable, raising=False)
        else:
            monkeypatch.setenv(variable, value)
    i18n.reset()
    env = {
        "CLICKABLE_EMULATOR_URL": emulator.url,
        "CLICKABLE_KEYRING": "0",
        "CLICKABLE_DATABASE_URL": None,
        "CLICKABLE_HOME": None,
    }
    runner = CliRunner()
    ran = 0
    outputs: dict[str, str] = {}
    for arguments in readme_commands(document):
        line = " ".join(arguments[:2])
        if (
            line in NOT_RUN_HERE
            or (arguments[:2] == ["schedule", "run"] and len(arguments) == 2)
            or arguments[0] == "demo"
        ):
            continue
        if arguments[0] == "init":
            result = runner.invoke(app, arguments, env=env)
            monkeypatch.chdir(tmp_path / "click2026")  # the README's `cd click2026`
        else:
            result = runner.invoke(
                app, arguments, env=env, input=SECRETS if arguments[:2] == ["accounts", "add"] else None
            )
        allowed = MAY_ASK_FOR_A_HUMAN.get(arguments[0], {0})
        assert result.exit_code in allowed, (shlex.join(arguments), result.output)
        assert result.exception is None or isinstance(result.exception, SystemExit), shlex.join(arguments)
        outputs[shlex.join(arguments)] = result.output
        ran += 1
    assert ran >= 25  # every command of the README but the four that serve until stopped
    assert (tmp_path / "click2026" / "out" / "dire-non" / "vertical.rcf.mp4").is_file()
    assert (tmp_path / "click2026" / "out" / "sextorsion" / "x.fr.mp4").is_file()
    assert (tmp_path / "click2026" / "report.html").is_file() and (
        tmp_path / "click2026" / "stats.xlsx"
    ).is_file()
    assert (tmp_path / "click2026" / "plan.ics").is_file()
    i18n.reset()
    return outputs
