"""The CLI answers at once: importing it, and every command's --help, load no heavy library.

Heavy libraries are imported inside the commands that use them (issue: `clickable --help` took 2.1 s
because importing `cli` imported everything). The figures are in benchmarks/startup.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEAVY = (
    "moviepy",
    "matplotlib",
    "sqlmodel",
    "sqlalchemy",
    "alembic",
    "numpy",
    "PIL",
    "twitter_text",
    "tweepy",
    "requests",
    "starlette",
    "uvicorn",
    "apscheduler",
    "openpyxl",
    "pydantic",
    "pydantic_settings",
    "jinja2",
    "yaml",
)


def _loaded_after(code: str) -> dict[str, object]:
    probe = (
        "import json, sys\n"
        f"{code}\n"
        f"print(json.dumps({{'heavy': [name for name in {HEAVY!r} if name in sys.modules]}}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_import_cli_loads_no_heavy_library() -> None:
    assert _loaded_after("import cli") == {"heavy": []}


def test_help_of_every_command_loads_no_heavy_library() -> None:
    # Typer (>= 0.29) itself builds its parameter coercion on pydantic: that one is Typer's cost.
    code = """
import contextlib, io
import click, typer
import cli

root = typer.main.get_command(cli.app)
paths = [[]]
def walk(command, path):
    for name, sub in getattr(command, "commands", {}).items():
        paths.append([*path, name])
        walk(sub, [*path, name])
walk(root, [])
for path in paths:
    with contextlib.redirect_stdout(io.StringIO()):
        try:
            root.main([*path, "--help"], prog_name="clickable", standalone_mode=False)
        except SystemExit:
            pass
assert len(paths) > 30, paths
"""
    assert _loaded_after(code) in ({"heavy": []}, {"heavy": ["pydantic"]})
