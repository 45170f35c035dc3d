"""`campaign check` + `campaign load` of a large campaign (20,000 posts), against PyYAML reading it.

Each command runs as a new process, as a user runs it, on a generated campaign of 20,000 posts
(2 territories, an X and a Facebook account, a year of times: 40,000 variants, 80,000 tracked
links, 2.7 MB),
loaded into a new SQLite database. Its wall time, CPU time and peak memory (maximum resident set
size) are printed with ratios against the floors measured in the same run: PyYAML's own
`yaml.safe_load` of the same file (pure Python), and with libyaml (`CSafeLoader`).
Goal on 2 cores: check + load <= 15 s, each <= 500 MB.

    python benchmarks/campaign_load.py [--posts 20000] [--rounds 1] [--large 50000]

`--large N` also checks and loads a campaign of N posts and prints what each command said.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

GOAL_SECONDS = 15.0
GOAL_MEGABYTES = 500.0
HEADER = """\
campaign: {{id: bench-load, name: "Bench", language: fr, author: "Camille"}}
approval: {{required: true, two_person: true}}
territories:
  fr: {{name: "France", timezone: Europe/Paris}}
  re: {{name: "La Réunion", timezone: Indian/Reunion}}
accounts:
  x-ecpat: {{network: x, sandbox: true}}
  facebook-ecpat: {{network: facebook, sandbox: true}}
landing:
  base_url: "https://clickable.example.org"
  channels:
    tel-119: {{name: "119", phone: "119"}}
posts:
"""
POST = """\
  - id: p{index:05d}
    accounts: [x-ecpat, facebook-ecpat]
    at: "{day} {time}"
    text: "Message {index} : parles-en au 3018. {{link}}"
"""
TIMES = ("09:00", "12:30", "18:30", "20:15")  # posts spread over a year, four a day


@dataclass
class Run:
    wall: float
    cpu: float
    megabytes: float
    status: int
    output: str


def write_campaign(folder: Path, posts: int) -> Path:
    first = date.today() + timedelta(days=30)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "campaign.yaml"
    with path.open("w", encoding="utf-8") as stream:
        stream.write(HEADER.format())
        for index in range(posts):
            day = (first + timedelta(days=index // len(TIMES) % 365)).isoformat()
            stream.write(POST.format(index=index, day=day, time=TIMES[index % len(TIMES)]))
    return path


def measure(command: list[str], cwd: Path, env: dict[str, str]) -> Run:
    """Wall time, CPU time and peak memory of one process (os.wait4 gives that child's own usage)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert process.stdout is not None
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, process.returncode, output)


def median_run(runs: list[Run]) -> Run:
    return Run(
        statistics.median(run.wall for run in runs),
        statistics.median(run.cpu for run in runs),
        max(run.megabytes for run in runs),
        max(run.status for run in runs),
        runs[-1].output,
    )


def cases(python: str, path: Path) -> dict[str, list[str]]:
    clickable = [python, "-c", "import sys; sys.path.insert(0, sys.argv.pop(1)); import cli; cli.main()", str(ROOT)]
    read = "import sys, yaml; yaml.load(open(sys.argv[1], encoding='utf-8'), Loader=getattr(yaml, sys.argv[2]))"
    return {
        "floor: yaml.safe_load (pure Python)": [python, "-c", read, str(path), "SafeLoader"],
        "floor: yaml.load, CSafeLoader (libyaml)": [python, "-c", read, str(path), "CSafeLoader"],
        "clickable campaign check": [*clickable, "campaign", "check"],
        "clickable campaign load": [*clickable, "campaign", "load"],
    }


def run_case(folder: Path, posts: int, rounds: int) -> dict[str, Run]:
    path = write_campaign(folder, posts)
    env = {**os.environ, "CLICKABLE_HOME": str(folder)}
    runs: dict[str, list[Run]] = {}
    for round_ in range(rounds):
        env["CLICKABLE_DATABASE_URL"] = f"sqlite:///{folder / f'round{round_}.db'}"
        for name, command in cases(sys.executable, path).items():
            runs.setdefault(name, []).append(measure(command, folder, env))
    return {name: median_run(items) for name, items in runs.items()}


def last_line(output: str) -> str:
    lines = [line for line in output.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--large", type=int, default=0, help="also check and load a campaign of this many posts")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        results = run_case(Path(scratch) / "main", arguments.posts, arguments.rounds)
        size = (Path(scratch) / "main" / "campaign.yaml").stat().st_size / 1e6
        floor = results["floor: yaml.safe_load (pure Python)"]
        print(
            f"campaign of {arguments.posts:,} posts ({size:.1f} MB), each command a new process, "
            f"median of {arguments.rounds} round(s); CPU time is the process's own (the machine may be shared)"
        )
        for name, run in results.items():
            print(
                f"  {name:<42} {run.wall:6.2f} s wall  {run.cpu:6.2f} s CPU  x{run.cpu / floor.cpu:4.2f} safe_load CPU"
                f"  {run.megabytes:6.0f} MB peak  (exit {run.status})"
            )
        check, load = results["clickable campaign check"], results["clickable campaign load"]
        for run, name in ((check, "check"), (load, "load")):
            if run.status != 0:
                print(f"  {name} failed: {last_line(run.output)}")
        total_wall, total_cpu = check.wall + load.wall, check.cpu + load.cpu
        peak = max(check.megabytes, load.megabytes)
        met = total_cpu <= GOAL_SECONDS and peak <= GOAL_MEGABYTES
        print(
            f"  check + load: {total_wall:.2f} s wall, {total_cpu:.2f} s CPU (x{total_cpu / floor.cpu:.2f} safe_load), "
            f"{peak:.0f} MB peak; goal <= {GOAL_SECONDS:.0f} s and <= {GOAL_MEGABYTES:.0f} MB: "
            f"{'met' if met else 'NOT met'}"
        )
        if arguments.large:
            large = run_case(Path(scratch) / "large", arguments.large, 1)
            size = (Path(scratch) / "large" / "campaign.yaml").stat().st_size / 1e6
            print(f"campaign of {arguments.large:,} posts ({size:.1f} MB)")
            for name in ("floor: yaml.safe_load (pure Python)", "clickable campaign check", "clickable campaign load"):
                run = large[name]
                said = f": {last_line(run.output)}" if name.startswith("clickable") else ""
                print(f"  {name:<42} {run.wall:6.2f} s wall  {run.cpu:6.2f} s CPU  {run.megabytes:6.0f} MB{said}")


if __name__ == "__main__":
    main()
