"""`/r/<code>` throughput of the landing page against nginx serving a static file, on this machine.

Every server gets the same number of processes (``--workers``, 1 by default; nginx with its access
log, as Debian configures it; uvicorn without: visitors are not logged) and the same load from wrk
(Debian), in interleaved rounds. A bare Starlette redirect with in-memory counting is measured too:
it is the reference the goal was set against (0.47 of nginx). Prints requests per second, the median
ratios, and whether every request that got its redirect was counted (counted == sent).

    python benchmarks/landing.py [--seconds 5] [--rounds 3] [--connections 32] [--workers 1]
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
import time
from pathlib import Path

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


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(port: int) -> None:
    for _ in range(200):
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


def total_count(database: object) -> int:
    from sqlalchemy import func, select

    from campaign.models import ClickCounter

    with database.engine.connect() as connection:  # type: ignore[attr-defined]
        return int(connection.execute(select(func.coalesce(func.sum(ClickCounter.count), 0))).scalar_one())


def exact_burst(url: str, *, threads: int, each: int) -> int:
    """A known number of requests (wrk stops mid-flight, so its count cannot be compared exactly)."""
    import threading

    import httpx

    answered = []

    def burst() -> None:
        with httpx.Client(headers={"User-Agent": "Mozilla/5.0 (bench)"}) as client:
            count = sum(1 for _ in range(each) if client.get(url).status_code == 302)
        answered.append(count)

    workers = [threading.Thread(target=burst) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return sum(answered)


def main() -> None:
    import yaml  # noqa: F401  (the campaign tooling is importable)
    from sqlalchemy import select
    from typer.testing import CliRunner

    from campaign.db import Database
    from campaign.example import write_example
    from campaign.models import Link
    from cli import app

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5, help="length of each wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (medians are printed)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--workers", type=int, default=1, help="landing page worker processes (nginx gets as many)"
    )
    arguments = parser.parse_args()
    for tool in ("nginx", "wrk"):
        if not shutil.which(tool):
            sys.exit(f"{tool} is missing: apt-get install -y nginx wrk")
    from datetime import date

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
        workspace = folder / "campaign"
        write_example(workspace, today=date.today())
        url = f"sqlite:///{workspace / 'bench.db'}"
        env = {**os.environ, "CLICKABLE_HOME": str(workspace), "CLICKABLE_DATABASE_URL": url}
        assert CliRunner().invoke(app, ["campaign", "load"], env=env).exit_code == 0
        database = Database(url)
        with database.engine.connect() as connection:
            code = connection.execute(select(Link.code).limit(1)).scalar_one()
        landing_port, bare_port = free_port(), free_port()
        nginx = subprocess.Popen(["nginx", "-p", str(folder), "-c", str(folder / "nginx.conf")])
        landing = subprocess.Popen(
            [sys.executable, "-c", "from cli import main; main()", "landing", "serve", "--port", str(landing_port), "--workers", str(arguments.workers)],
            env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
        )  # fmt: skip
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


if __name__ == "__main__":
    main()
