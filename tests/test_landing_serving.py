"""`clickable landing serve` over raw sockets: every answer carries the security headers, also those
uvicorn writes itself, and what a visitor can make the server hold is bounded."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from sqlalchemy import text
from starlette.testclient import TestClient
from typer.testing import CliRunner

from campaign.checks import check_file
from campaign.db import Database
from cli import app
from engagement import serving
from engagement.landing import SECURITY_HEADERS, LandingSite
from engagement.serving import uvicorn_options
from networks.registry import registry

WEBSOCKET = (
    b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
)

CHUNKED = b"POST /go/pharos HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def exchange(port: int, data: bytes, *, timeout: float = 10) -> bytes:
    """Send ``data`` as it is, read the answer until the server closes or a full answer came."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as connection:
        connection.sendall(data)
        answer = b""
        while True:
            try:
                chunk = connection.recv(65536)
            except (ConnectionResetError, TimeoutError):
                break
            if not chunk:
                break
            answer += chunk
            head, _, body = answer.partition(b"\r\n\r\n")
            length = next(
                (
                    int(line.split(b":")[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                ),
                None,
            )
            if length is not None and len(body) >= length:
                break
        return answer


def status_and_headers(answer: bytes) -> tuple[int, list[tuple[str, str]]]:
    head = answer.partition(b"\r\n\r\n")[0].decode("latin-1").split("\r\n")
    assert head[0].startswith("HTTP/1.1 "), answer[:200]
    headers = [
        (name.strip().lower(), value.strip()) for name, _, value in (line.partition(":") for line in head[1:])
    ]
    return int(head[0].split()[1]), headers


def assert_secure(answer: bytes, expected: int, what: str) -> None:
    status, headers = status_and_headers(answer)
    assert status == expected, (what, answer[:300])
    names = [name for name, _ in headers]
    for name, value in SECURITY_HEADERS.items():
        assert names.count(name.lower()) == 1, (what, name)  # present, and only once
        assert dict(headers)[name.lower()] == value, (what, name)
    assert "set-cookie" not in names and "server" not in names and "date" not in names, what


@pytest.fixture(scope="module", params=[1, 2], ids=["1 process", "2 workers"])
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[int, str]]:
    """A real `clickable landing serve` process; yields its port and a known tracked code."""
    from datetime import date

    from campaign.example import write_example

    folder = tmp_path_factory.mktemp("serve")
    write_example(folder / "campaign", today=date.today())
    env = {
        "CLICKABLE_HOME": str(folder / "campaign"),
        "CLICKABLE_DATABASE_URL": f"sqlite:///{folder / 's.db'}",
    }
    assert CliRunner().invoke(app, ["campaign", "load"], env=env).exit_code == 0
    database = Database(env["CLICKABLE_DATABASE_URL"])
    with database.engine.connect() as connection:
        code = connection.execute(text("SELECT code FROM link LIMIT 1")).scalar_one()
    database.dispose()
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-c", "from cli import main; main()", "landing", "serve", "--port", str(port),
         "--workers", str(request.param)],
        env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        deadline = time.time() + 30
        while True:
            try:
                if status_and_headers(exchange(port, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"))[0] == 200:
                    break
            except (OSError, AssertionError):
                assert time.time() < deadline and process.poll() is None, "landing serve did not start"
                time.sleep(0.2)
        yield port, code
    finally:
        process.terminate()
        _, errors = process.communicate(timeout=30)
    assert b"Traceback" not in errors, errors.decode()


def test_every_answer_carries_the_security_headers(served: tuple[int, str]) -> None:
    port, code = served
    cases = [
        (b"GARBAGE\r\n\r\n", 400, "not HTTP"),
        (b"GET / HTTP/9.9\r\n\r\n", 400, "unknown HTTP version"),
        (b"GET / HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n", 400, "space in a header name"),
        (CHUNKED + b"zz\r\n", 400, "bad chunk"),
        (b"GET / HTTP/1.1\r\nHost: x\r\nX-Long: " + b"a" * 200_000 + b"\r\n\r\n", 431, "a 200 KB header"),
        (b"GET /r/" + b"a" * 40_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 431, "a 40 KB address"),
        (b"GET / HTTP/1.1\r\nHost: x\r\n" + b"X-A: b\r\n" * 3_000 + b"\r\n", 431, "3,000 headers"),
        (b"POST /go/pharos HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n", 413, "a 100 MB body"),
        (CHUNKED + (b"4000\r\n" + b"a" * 0x4000 + b"\r\n") * 3, 413, "a long chunked body"),
        (b"GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n", 404, "Starlette's 404"),
        (b"DELETE /t/fr HTTP/1.1\r\nHost: x\r\n\r\n", 405, "Starlette's 405"),
        (b"POST /r/abcd1234 HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", 405, "405 on /r/"),
        (b"GET /r/zzzz9999 HTTP/1.1\r\nHost: x\r\n\r\n", 404, "unknown code"),
        (
            f"GET /r/{code} HTTP/1.1\r\nHost: x\r\nUser-Agent: Mozilla/5.0\r\n\r\n".encode(),
            302,
            "tracked link",
        ),
        (b"GET /t/fr HTTP/1.1\r\nHost: x\r\n\r\n", 200, "a territory page"),
        (b"GET /static/landing.css HTTP/1.1\r\nHost: x\r\n\r\n", 200, "a static file"),
        (b"GET /go/sms-114?t=nc HTTP/1.1\r\nHost: x\r\n\r\n", 404, "a channel not offered there"),
        (WEBSOCKET, 200, "a WebSocket upgrade (none here: a plain answer)"),
    ]
    for data, expected, what in cases:
        assert_secure(exchange(port, data), expected, what)


@pytest.fixture
def site(workspace: Path, database_url: str) -> Iterator[LandingSite]:
    env = {"CLICKABLE_HOME": str(workspace), "CLICKABLE_DATABASE_URL": database_url}
    assert CliRunner().invoke(app, ["campaign", "load"], env=env).exit_code == 0
    report = check_file(workspace / "campaign.yaml", networks=registry())
    assert report.campaign is not None
    database = Database(database_url)
    yield LandingSite(report.campaign, database, server_headers=True)
    database.dispose()


def serve(site: LandingSite) -> tuple[uvicorn.Server, threading.Thread, int]:
    server = uvicorn.Server(uvicorn.Config(site.app(), **uvicorn_options("127.0.0.1", 0)))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 10
    while not server.started and time.time() < deadline:
        time.sleep(0.05)
    return server, thread, server.servers[0].sockets[0].getsockname()[1]


def test_failures_inside_the_application_are_answered_with_the_headers(
    site: LandingSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failing page (Starlette's 500) and a failing /r/ both carry them, served by `landing serve`'s
    uvicorn or by any other server (the /r/ path is outside Starlette: its 500 was the server's own,
    without the headers); both show the choice of territory and its numbers."""
    site.load_targets()
    code = next(iter(site.targets))

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("broken on purpose")

    monkeypatch.setattr(site, "channels_for", broken)
    monkeypatch.setattr(site.counters, "count", broken)
    server, thread, port = serve(site)
    try:
        page = exchange(port, b"GET /t/fr HTTP/1.1\r\nHost: x\r\n\r\n")
        assert_secure(page, 500, "Starlette's 500")
        request = f"GET /r/{code} HTTP/1.1\r\nHost: x\r\nUser-Agent: Mozilla/5.0\r\n\r\n".encode()
        tracked = exchange(port, request)
        assert_secure(tracked, 500, "a failing /r/")
        for answer in (page, tracked):
            assert b"Choisis ton territoire" in answer and b'href="tel:17"' in answer
    finally:
        server.should_exit = True
        thread.join(timeout=15)
    plain = LandingSite(site.campaign, site.database)  # served by anything else: the app adds them
    monkeypatch.setattr(plain, "channels_for", broken)
    monkeypatch.setattr(plain.counters, "count", broken)
    with TestClient(plain.app(), raise_server_exceptions=False, follow_redirects=False) as client:
        answers = [client.get("/t/fr"), client.get(f"/r/{code}", headers={"User-Agent": "Mozilla/5.0"})]
    for response in answers:
        assert response.status_code == 500 and "Choisis ton territoire" in response.text
        assert all(response.headers[name] == value for name, value in SECURITY_HEADERS.items())


def test_silent_and_slow_connections_are_closed(site: LandingSite, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(serving, "REQUEST_TIMEOUT_S", 0.5)
    server, thread, port = serve(site)
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as silent:
            began = time.perf_counter()
            assert silent.recv(100) == b""  # closed: nothing was asked
            assert time.perf_counter() - began < 3
        with socket.create_connection(("127.0.0.1", port), timeout=5) as slow:
            slow.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")  # and the rest never comes
            for _ in range(3):
                time.sleep(0.2)
                slow.sendall(b"X-Drip: 1\r\n")  # a byte now and then does not keep it open
            assert_secure(slow.recv(65536), 408, "a request too slow to come")
        with socket.create_connection(("127.0.0.1", port), timeout=5) as trickle:
            trickle.sendall(b"POST /go/pharos HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nab")
            answer = b""
            while chunk := trickle.recv(65536):  # the page answers at once, then the body never ends
                answer += chunk
            assert status_and_headers(answer)[0] == 204
    finally:
        server.should_exit = True
        thread.join(timeout=15)
