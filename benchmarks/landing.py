"""`/r/<code>` throughput of the landing page against nginx serving a static file, on this machine;
and its latency under a flood of made-up codes.

Throughput: every server gets the same number of processes (``--workers``, 1 by default; nginx
with its access log, as Debian configures it; uvicorn without: visitors are not logged) and the
same load from wrk (Debian), in interleaved rounds. A bare Starlette redirect with in-memory
counting is measured too: it is the reference the goal was set against (0.47 of nginx). Prints
requests per second, the median ratios, and whether every request that got its redirect was
counted (counted == sent).

Flood: the landing page with 20,000 tracked links serves steady traffic on valid codes (wrk with a
pause between requests, about 450 a second), alone and then with a flood of made-up codes alongside
(another wrk, each request a new random code, about ``--flood-rate`` a second), in interleaved rounds; prints the p99
latency of the valid requests in both and their ratio (goal <= 2), and checks that an exact burst
of valid requests sent during a flood is counted exactly, the made-up codes not at all.

    python benchmarks/landing.py [--case both|throughput|flood] [--seconds 5] [--rounds 3]
                                 [--connections 32] [--workers 1] [--flood-rate 1000]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

NGINX_CONF = """
worker_processes {workers};
daemon off;
pid {folder}/nginx.pid;
error_log stderr error;
events {{ worker_connections 1024; }}
http {{
    access_log {folder}/access.log;  # as in Debian's default configuration
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    server {{
        listen 127.0.0.1:{port};
        location / {{ root {folder}/www; }}
    }}
}}
"""


BARE_STARLETTE = """
from collections import Counter

from starlette.applications import Starlette
from starlette.responses import RedirectResponse
from starlette.routing import Route

counts = Counter()


async def tracked(request):
    counts[request.path_params["code"]] += 1
    return RedirectResponse("/t/paris?ref=abcd", status_code=302)


app = Starlette(routes=[Route("/r/{code}", tracked)])
"""


VALID_LUA = """
codes = {{{codes}}}
counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", "/r/" .. codes[(counter % #codes) + 1])
end
delay = function() return {pause_ms} end
"""

FLOOD_LUA = """
math.randomseed(os.time() + {seed})
request = function()
  return wrk.format("GET", string.format("/r/%06x%06x", math.random(0, 16777215), math.random(0, 16777215)))
end
delay = function() return {pause_ms} end
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(port: int) -> None:
    for _ in range(1200):  # a minute: the page reads its 20,000 links before it listens
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


def wrk(url: str, seconds: int, connections: int) -> tuple[float, int, int]:
    """Requests per second, requests completed, and non-2xx/3xx answers."""
    result = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "-H", "User-Agent: Mozilla/5.0 (bench)", url],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", result.stdout).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", result.stdout).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", result.stdout)
    return rate, total, int(errors.group(1)) if errors else 0


def wrk_script(url: str, seconds: int, connections: int, script: Path) -> dict[str, float]:
    """wrk with a Lua script: requests completed, errors (non-2xx/3xx), and the p99 latency in ms."""
    result = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script),
         "-H", "User-Agent: Mozilla/5.0 (bench)", url],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    total = int(re.search(r"(\d+) requests in", result.stdout).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", result.stdout)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", result.stdout)
    assert p99 is not None, result.stdout
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    timeouts = re.search(r"timeout (\d+)", result.stdout)
    return {
        "requests": total,
        "rate": total / seconds,
        "errors": (int(errors.group(1)) if errors else 0) + (int(timeouts.group(1)) if timeouts else 0),
        "p99_ms": float(p99.group(1)) * scale if total else float("inf"),  # none answered: frozen
    }


def total_count(database: object) -> int:
    from sqlalchemy import func, select

    from campaign.models import ClickCounter

    with database.engine.connect() as connection:
        return int(connection.execute(select(func.coalesce(func.sum(ClickCounter.count), 0))).scalar_one())


def exact_burst(url: str, *, threads: int, each: int) -> int:
    """A known number of requests (wrk stops mid-flight, so its count cannot be compared exactly);
    returns how many got their redirect (a request not answered within 5 s is not sent again)."""
    import httpx

    answered = []

    def redirected(client: httpx.Client) -> bool:
        try:
            return client.get(url).status_code == 302
        except httpx.TimeoutException:
            return False

    def burst() -> None:
        with httpx.Client(headers={"User-Agent": "Mozilla/5.0 (bench)"}) as client:
            count = sum(1 for _ in range(each) if redirected(client))
        answered.append(count)

    workers = [threading.Thread(target=burst) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return sum(answered)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", choices=("both", "throughput", "flood"), default="both")
    parser.add_argument("--seconds", type=int, default=5, help="length of each wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (medians are printed)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--workers", type=int, default=1, help="landing page worker processes (nginx gets as many)"
    )
    parser.add_argument(
        "--flood-rate", type=int, default=1000,
        help="made-up codes a second in the flood case, about (0: as fast as 32 connections get answers)",
    )  # fmt: skip
    arguments = parser.parse_args()
    for tool in ("nginx", "wrk"):
        if not shutil.which(tool):
            sys.exit(f"{tool} is missing: apt-get install -y nginx wrk")
    if arguments.case in ("both", "throughput"):
        throughput(arguments)
    if arguments.case in ("both", "flood"):
        flood(arguments)


def example_workspace(folder: Path) -> tuple[dict[str, str], Any]:
    """The example campaign, loaded: the environment of its commands, and its database."""
    from datetime import date

    from typer.testing import CliRunner

    from campaign.db import Database
    from campaign.example import write_example
    from cli import app

    workspace = folder / "campaign"
    write_example(workspace, today=date.today())
    url = f"sqlite:///{workspace / 'bench.db'}"
    env = {**os.environ, "CLICKABLE_HOME": str(workspace), "CLICKABLE_DATABASE_URL": url}
    assert CliRunner().invoke(app, ["campaign", "load"], env=env).exit_code == 0
    return env, Database(url)


def serve_landing(env: dict[str, str], port: int, workers: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", "from cli import main; main()", "landing", "serve", "--port", str(port), "--workers", str(workers)],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
    )  # fmt: skip


def throughput(arguments: argparse.Namespace) -> None:
    from sqlalchemy import select

    from campaign.models import Link

    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        folder.chmod(0o755)  # nginx's worker runs as www-data: it must read the file it serves
        (folder / "www").mkdir()
        (folder / "www" / "index.html").write_text("<!doctype html><title>ok</title>ok\n", "utf-8")
        (folder / "bare.py").write_text(BARE_STARLETTE, "utf-8")
        nginx_port = free_port()
        (folder / "nginx.conf").write_text(
            NGINX_CONF.format(folder=folder, port=nginx_port, workers=arguments.workers), "utf-8"
        )
        env, database = example_workspace(folder)
        with database.engine.connect() as connection:
            code = connection.execute(select(Link.code).limit(1)).scalar_one()
        landing_port, bare_port = free_port(), free_port()
        nginx = subprocess.Popen(["nginx", "-p", str(folder), "-c", str(folder / "nginx.conf")])
        landing = serve_landing(env, landing_port, arguments.workers)
        bare = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "bare:app", "--app-dir", str(folder), "--port", str(bare_port), "--workers", str(arguments.workers), "--no-access-log", "--no-server-header", "--no-date-header", "--log-level", "warning"],
        )  # fmt: skip
        urls = {
            "nginx": f"http://127.0.0.1:{nginx_port}/index.html",
            "landing": f"http://127.0.0.1:{landing_port}/r/{code}",
            "bare": f"http://127.0.0.1:{bare_port}/r/abcd",
        }
        rates: dict[str, list[float]] = {name: [] for name in urls}
        try:
            for port in (nginx_port, landing_port, bare_port):
                wait_for(port)
            for url_ in urls.values():
                wrk(url_, 1, arguments.connections)  # warm-up
            for _ in range(arguments.rounds):
                for name, url_ in urls.items():
                    rate, _, errors = wrk(url_, arguments.seconds, arguments.connections)
                    if errors:
                        sys.exit(f"{name}: {errors} answers were errors")
                    rates[name].append(rate)
            time.sleep(1.5)  # the counts of the throughput run are written
            before = total_count(database)
            sent = exact_burst(f"http://127.0.0.1:{landing_port}/r/{code}", threads=4, each=1250)
        finally:
            landing.terminate()  # the landing page writes its last counts as it stops
            landing.wait(timeout=30)
            for process in (nginx, bare):
                process.terminate()
                process.wait(timeout=10)
        counted = total_count(database) - before
        database.dispose()
    ratios = {
        name: statistics.median(r / n for r, n in zip(rates[name], rates["nginx"], strict=True))
        for name in rates
    }
    print(
        f"{arguments.rounds} rounds of {arguments.seconds} s, wrk -t2 -c{arguments.connections}, {arguments.workers} process(es) each; medians:"
    )
    print(f"nginx, static file:                        {statistics.median(rates['nginx']):8.0f} requests/s")
    print(f"landing page, /r/<code> 302:               {statistics.median(rates['landing']):8.0f} requests/s")
    print(f"bare Starlette redirect, counts in memory: {statistics.median(rates['bare']):8.0f} requests/s")
    print(f"ratio landing/nginx: {ratios['landing']:.2f} (goal >= 0.4)")
    print(f"ratio bare Starlette/nginx: {ratios['bare']:.2f} (the goal's reference: 0.47)")
    print(
        f"exact burst: sent {sent} requests from 4 threads, counted {counted}: {'counted == sent' if counted == sent else 'MISMATCH'}"
    )


def add_links(database: Any, total: int) -> list[str]:
    """Tracked links up to ``total`` (the example has 124), spread over its posts and territories."""
    import secrets
    from datetime import UTC, datetime

    from sqlalchemy import insert, select

    from campaign.models import Link, Post, Territory

    with database.engine.begin() as connection:
        posts = connection.execute(select(Post.id)).scalars().all()
        territories = connection.execute(select(Territory.id)).scalars().all()
        campaign_id = connection.execute(select(Link.campaign_id)).scalars().first()
        existing = len(connection.execute(select(Link.id)).scalars().all())
        rows = [
            {"code": secrets.token_hex(6), "campaign_id": campaign_id, "post_id": posts[index % len(posts)],
             "territory_id": territories[index % len(territories)], "network": "x", "created_at": datetime.now(UTC)}
            for index in range(total - existing)
        ]  # fmt: skip
        connection.execute(insert(Link), rows)
        return list(connection.execute(select(Link.code)).scalars())


def in_background(
    base: str, seconds: int, connections: int, script: Path
) -> tuple[threading.Thread, list[dict[str, float]]]:
    """A wrk run in a thread (not started yet), and the list its result goes to."""
    result: list[dict[str, float]] = []
    thread = threading.Thread(target=lambda: result.append(wrk_script(base, seconds, connections, script)))
    return thread, result


def flood(arguments: argparse.Namespace) -> None:
    import random

    valid_connections, valid_pause_ms = 4, 8  # about 450 valid requests a second, well below saturation
    # each flood connection waits between two requests: below saturation, so that the figure shows
    # what a made-up code costs, not what any extra load on two shared cores costs
    flood_connections = 64 if arguments.flood_rate else 32
    flood_pause_ms = (
        max(0, round(flood_connections * 1000 / arguments.flood_rate) - 1) if arguments.flood_rate else 0
    )
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        env, database = example_workspace(folder)
        codes = add_links(database, 20_000)
        sample = random.Random(7).sample(codes, 1000)
        valid = folder / "valid.lua"
        valid.write_text(
            VALID_LUA.format(codes=", ".join(f'"{code}"' for code in sample), pause_ms=valid_pause_ms),
            "utf-8",
        )
        made_up = folder / "flood.lua"
        made_up.write_text(FLOOD_LUA.format(seed=os.getpid(), pause_ms=flood_pause_ms), "utf-8")
        port = free_port()
        landing = serve_landing(env, port, arguments.workers)
        base = f"http://127.0.0.1:{port}"
        runs: dict[str, list[dict[str, float]]] = {"alone": [], "flood": [], "made-up": []}
        try:
            wait_for(port)
            wrk_script(base, 1, valid_connections, valid)  # warm-up
            for _ in range(arguments.rounds):
                runs["alone"].append(wrk_script(base, arguments.seconds, valid_connections, valid))
                flooder, flooding = in_background(base, arguments.seconds + 2, flood_connections, made_up)
                flooder.start()
                time.sleep(1)  # the flood is on before the valid traffic starts, and lasts after it
                runs["flood"].append(wrk_script(base, arguments.seconds, valid_connections, valid))
                flooder.join()
                runs["made-up"].extend(flooding)
            for run in runs["alone"] + runs["flood"]:
                if run["errors"] or not run["requests"]:
                    print(f"{run['errors']} valid requests were not answered with their redirect in time")
            time.sleep(1.5)  # the counts of the runs are written
            before = total_count(database)
            flooder, flooding = in_background(base, 6, flood_connections, made_up)
            flooder.start()
            time.sleep(1)
            sent = exact_burst(f"{base}/r/{sample[0]}", threads=4, each=500)
            flooder.join()
        finally:
            landing.terminate()  # the landing page writes its last counts as it stops
            try:
                landing.wait(timeout=30)
            except subprocess.TimeoutExpired:
                print("the landing page did not stop within 30 s: killed, its last counts are lost")
                landing.kill()
                landing.wait()
        counted = total_count(database) - before
        database.dispose()
    alone = statistics.median(run["p99_ms"] for run in runs["alone"])
    flooded = statistics.median(run["p99_ms"] for run in runs["flood"])
    ratio = statistics.median(
        f["p99_ms"] / a["p99_ms"] for a, f in zip(runs["alone"], runs["flood"], strict=True)
    )
    print(
        f"flood: 20,000 links, {arguments.rounds} rounds of {arguments.seconds} s, {arguments.workers} process(es); medians:"
    )
    print(
        f"valid /r/ alone:            {statistics.median(r['rate'] for r in runs['alone']):6.0f} requests/s, p99 {alone:7.2f} ms"
    )
    print(
        f"valid /r/ during the flood: {statistics.median(r['rate'] for r in runs['flood']):6.0f} requests/s, p99 {flooded:7.2f} ms"
    )
    print(
        f"made-up codes:              {statistics.median(r['rate'] for r in runs['made-up']):6.0f} requests/s "
        f"(asked: {arguments.flood_rate or 'as fast as answered'}), answered {'404' if all(r['errors'] == r['requests'] for r in runs['made-up']) else 'not all 404/503'}"
    )
    print(f"ratio p99 during the flood / alone: {ratio:.2f} (goal <= 2)")
    print(
        f"exact burst during a flood: sent {sent}, counted {counted}: {'counted == sent' if counted == sent else 'MISMATCH'}"
    )


if __name__ == "__main__":
    main()
