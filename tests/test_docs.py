"""The CLI reference is up to date, and every command line in the README is a valid command."""

from __future__ import annotations

import re
import shlex
import sys
from pathlib import Path

import typer

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "docs"))


def test_cli_reference_is_up_to_date() -> None:
    from generate_cli import render

    assert (ROOT / "docs" / "cli.md").read_text("utf-8") == render(), (
        "run `python docs/generate_cli.py` and commit docs/cli.md"
    )


def readme_commands() -> list[list[str]]:
    text = (ROOT / "README.md").read_text("utf-8")
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", text, flags=re.S):
        for line in block.splitlines():
            for part in line.split("&&"):
                part = part.split("  #")[0].strip()
                if part.startswith("clickable "):
                    commands.append(shlex.split(part)[1:])
    return commands


def test_every_readme_command_parses() -> None:
    from cli import app

    root = typer.main.get_command(app)
    commands = readme_commands()
    assert len(commands) >= 30
    for arguments in commands:
        command, context_args = root, list(arguments)
        path = []
        while context_args and hasattr(command, "commands") and context_args[0] in command.commands:  # type: ignore[attr-defined]
            path.append(context_args[0])
            command = command.commands[context_args.pop(0)]  # type: ignore[attr-defined]
        assert not hasattr(command, "commands") or not context_args or context_args[0].startswith("-"), (
            arguments,
            "unknown command",
        )
        command.make_context(
            " ".join(["clickable", *path]), context_args
        )  # raises on unknown options or missing arguments
