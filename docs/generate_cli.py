"""Write docs/cli.md from the commands' own --help (tests check that it is up to date).

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


def render() -> str:
    import os

    import typer
    from typer.testing import CliRunner

    from cli import app

    os.environ["COLUMNS"] = "100"
    os.environ["TERM"] = "dumb"
    root = typer.main.get_command(app)
    runner = CliRunner()
    parts = [
        "# clickable command reference",
        "",
        "Generated from `--help` by `python docs/generate_cli.py`; do not edit by hand.",
        "",
    ]
    for path, _command in walk(root, []):
        result = runner.invoke(
            app, [*path, "--help"], env={"COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb"}
        )
        title = " ".join(["clickable", *path])
        text = "\n".join(line.rstrip() for line in result.stdout.strip("\n").splitlines())
        parts += [f"## {title}", "", "```text", text, "```", ""]
    return "\n".join(parts)


if __name__ == "__main__":
    target = ROOT / "docs" / "cli.md"
    target.write_text(render(), "utf-8")
    print(f"wrote {target}")
