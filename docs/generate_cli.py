"""Write docs/cli.md (English) and docs/cli.fr.md (French) from the commands' own --help, in each
interface language (tests check that both are up to date).

python docs/generate_cli.py
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def walk(command: object, path: list[str]) -> list[tuple[list[str], object]]:
    found = [(path, command)]
    commands = getattr(command, "commands", None)  # a group (typer ships its own click)
    if isinstance(commands, dict):
        for name in sorted(commands):
            found.extend(walk(commands[name], [*path, name]))
    return found


TARGETS = {"en": "cli.md", "fr": "cli.fr.md"}
HEADERS = {
    "en": (
        "# clickable command reference",
        "Generated from `--help` by `python docs/generate_cli.py`; do not edit by hand."
        " [En français](cli.fr.md).",
    ),
    "fr": (
        "# Référence des commandes de clickable",
        "Produit à partir de `--help` par `python docs/generate_cli.py` ; ne pas modifier à la main."
        " [In English](cli.md).",
    ),
}


def render(language: str = "en") -> str:
    import os

    from campaign import i18n

    saved = {name: os.environ.pop(name, None) for name in (*i18n.LANGUAGE_VARIABLES, "CLICKABLE_LANG")}
    os.environ["CLICKABLE_LANG"] = language
    i18n.reset()
    try:
        return _render(language)
    finally:
        os.environ.pop("CLICKABLE_LANG", None)
        os.environ.update({name: value for name, value in saved.items() if value is not None})
        i18n.reset()


def _render(language: str) -> str:
    import os

    import typer
    from typer.testing import CliRunner

    from cli import app

    os.environ["COLUMNS"] = "100"
    os.environ["TERM"] = "dumb"
    root = typer.main.get_command(app)
    runner = CliRunner()
    title_line, note = HEADERS[language]
    parts = [title_line, "", note, ""]
    for path, _command in walk(root, []):
        result = runner.invoke(
            app,
            [*path, "--help"],
            env={"COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb", "CLICKABLE_LANG": language},
        )
        title = " ".join(["clickable", *path])
        text = "\n".join(line.rstrip() for line in result.stdout.strip("\n").splitlines())
        parts += [f"## {title}", "", "```text", text, "```", ""]
    return "\n".join(parts)


if __name__ == "__main__":
    for language, name in TARGETS.items():
        target = ROOT / "docs" / name
        target.write_text(render(language), "utf-8")
        print(f"wrote {target}")
