"""The CLI reference is up to date, and every command line in the README is a valid command."""

from __future__ import annotations

import re
import shlex
import sys
from pathlib import Path

import pytest
import typer

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "docs"))


@pytest.mark.parametrize("language", ["en", "fr"])
def test_cli_reference_is_up_to_date(language: str) -> None:
    """docs/cli.md (English) and docs/cli.fr.md (French) are the --help of every command, today."""
    from generate_cli import TARGETS, render

    name = TARGETS[language]
    assert (ROOT / "docs" / name).read_text("utf-8") == render(language), (
        f"run `python docs/generate_cli.py` and commit docs/{name}"
    )


def readme_commands(document: str = "README.md") -> list[list[str]]:
    """The `clickable` command lines of a document's sh blocks, in order (README.md, docs/guide.fr.md)."""
    text = (ROOT / document).read_text("utf-8")
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", text, flags=re.S):
        for line in block.splitlines():
            for part in line.split("&&"):
                part = part.split("  #")[0].strip()
                if part.startswith("clickable "):
                    commands.append(shlex.split(part)[1:])
    return commands


@pytest.mark.parametrize("document", ["README.md", "docs/guide.fr.md"])
def test_every_readme_command_parses(document: str) -> None:
    from cli import app

    root = typer.main.get_command(app)
    commands = readme_commands(document)
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


def test_the_french_guide_is_linked_from_the_readme_and_has_each_persons_section() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    guide = (ROOT / "docs" / "guide.fr.md").read_text("utf-8")
    assert "docs/guide.fr.md" in readme and "docs/cli.fr.md" in readme
    for person in ("Responsable de la communication", "Monteur", "Analyste"):
        assert f"## {person}" in guide, person
    # the same commands as the README's per-person sections, none forgotten
    english = {" ".join(command) for command in readme_commands("README.md")}
    french = {" ".join(command) for command in readme_commands("docs/guide.fr.md")}
    assert english - french <= {"demo"} and french - english <= {"demo"}
