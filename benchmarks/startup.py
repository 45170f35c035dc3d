"""Start-up time of the CLI: `clickable --help` and `clickable campaign check` on the example.

Floors measured in the same run: `python -c pass`, and a bare Typer app with as many commands as
clickable (its `--help`, with Typer's default Rich help and with Click's plain help, which clickable
uses: Rich's help alone costs more than the goal). Each command runs as a new process, interleaved rounds, medians printed.
Goals on 2 cores: `clickable --help` <= 0.3 s, `campaign check` of the example <= 1 s.

    python benchmarks/startup.py [--rounds 15]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

GOALS = {"clickable --help": 0.3, "clickable campaign check": 1.0}


def _count_commands() -> int:
    import typer

    import cli

    def walk(command: object) -> int:
        children = getattr(command, "commands", {})
        return len(children) + sum(walk(child) for child in children.values())

    return walk(typer.main.get_command(cli.app))


def _bare_typer_app(folder: Path, commands: int, markup: str | None) -> Path:
    """A Typer app with the same number of commands, each with one option and a docstring."""
    lines = ["import typer", f"app = typer.Typer(rich_markup_mode={markup!r})"]
    for index in range(commands):
        lines += [
            f"@app.command('command-{index}')",
            f"def command_{index}(value: str = typer.Option('x', help='An option.')) -> None:",
            f"    '''Command number {index}.'''",
        ]
    lines.append("app()")
    path = folder / f"bare_typer_{markup}.py"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


def _time(command: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


def main() -> None:
    from campaign.example import write_example

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    arguments = parser.parse_args()
    python = sys.executable
    clickable = [python, "-c", "import sys; sys.path.insert(0, sys.argv.pop(1)); import cli; cli.main()", str(ROOT)]
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        write_example(folder / "campaign", today=date.today())
        commands = _count_commands()
        rich_help = _bare_typer_app(folder, commands, "rich")
        plain_help = _bare_typer_app(folder, commands, None)
        cases = {
            "python -c pass": [python, "-c", "pass"],
            f"bare Typer app, {commands} commands, Rich --help": [python, str(rich_help), "--help"],
            f"bare Typer app, {commands} commands, plain --help": [python, str(plain_help), "--help"],
            "clickable --help": [*clickable, "--help"],
            "clickable campaign check": [*clickable, "campaign", "check"],
        }
        times: dict[str, list[float]] = {name: [] for name in cases}
        for command in cases.values():  # warm the file cache once
            _time(command, folder / "campaign")
        for _ in range(arguments.rounds):
            for name, command in cases.items():
                times[name].append(_time(command, folder / "campaign"))
    medians = {name: statistics.median(values) for name, values in times.items()}
    floor = medians["python -c pass"]
    bare_help = medians[f"bare Typer app, {commands} commands, plain --help"]
    print(f"start-up, medians of {arguments.rounds} interleaved rounds (each a new process)")
    for name, median in medians.items():
        goal = GOALS.get(name)
        verdict = f"  goal <= {goal:.1f} s: {'met' if median <= goal else 'NOT met'}" if goal else ""
        print(
            f"  {name:<44} {median:6.3f} s  x{median / floor:5.1f} python  x{median / bare_help:4.2f} bare plain Typer{verdict}"
        )


if __name__ == "__main__":
    main()
