"""The landing page: territory pages, tracked links, channel clicks, privacy by construction."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import uvicorn
from sqlalchemy import create_engine, inspect, text
from starlette.testclient import TestClient
from typer.testing import CliRunner

from campaign.checks import check_file
from campaign.db import Database
from cli import app
from engagement.hours import opening
from engagement.landing import LandingSite

PAYLOADS = (Path(__file__).parent / "data" / "open-redirect-payloads.txt").read_text("utf-8").split("\n")
BROWSER = "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/126 Mobile Safari/537.36"


@pytest.fixture
def site(workspace: Path, database_url: str) -> Iterator[LandingSite]:
    env = {"CLICKABLE_HOME": str(workspace), "CLICKABLE_DATABASE_URL": database_url}
    assert CliRunner().invoke(app, ["campaign", "load"], env=env).exit_code == 0
    report = check_file(workspace / "campaign.yaml")
    assert report.campaign is not None
    database = Database(database_url)
    landing = LandingSite(report.campaign, database)
    yield landing
    database.dispose()


@pytest.fixture
def client(site: LandingSite) -> Iterator[TestClient]:
    with TestClient(site.app(), headers={"User-Agent": BROWSER}, follow_redirects=False) as test_client:
        yield test_client


def asgi_get(site: LandingSite, path: str) -> tuple[int, dict[str, str]]:
    """One GET straight through the ASGI app (for answers an HTTP client library will not parse)."""
    import asyncio

    messages: list[dict[str, object]] = []
    raw_path, _, query = path.partition("?")
    scope = {
        "type": "http",
        "method": "GET",
        "path": raw_path,
        "raw_path": raw_path.encode(),
        "query_string": query.encode(),
        "headers": [(b"user-agent", BROWSER.encode())],
        "http_version": "1.1",
        "scheme": "http",
        "server": ("test", 80),
        "client": None,
        "root_path": "",
    }

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, object]) -> None:
        messages.append(message)

    asyncio.run(site.app()(scope, receive, send))  # type: ignore[arg-type]
    start = messages[0]
    headers = {key.decode(): value.decode() for key, value in start["headers"]}  # type: ignore[attr-defined]
    return int(start["status"]), headers  # type: ignore[call-overload]


def codes(site: LandingSite) -> dict[str, object]:
    site.load_targets()
    return dict(site.targets)


def test_every_territory_page_renders_its_channels(client: TestClient, site: LandingSite) -> None:
    for key, territory in site.campaign.territories.items():
        page = client.get(f"/t/{key}")
        assert page.status_code == 200 and territory.name in page.text
        assert "Quitter vite ce site" in page.text and 'lang="fr"' in page.text
    noumea = client.get("/t/nc").text
    assert "05 44 44" in noumea and "Appeler le 119" not in noumea
    assert "Appeler le 17" in noumea and "sms:114" not in noumea  # 114 unconfirmed there: not offered
    paris = client.get("/t/fr").text
    assert "Appeler le 119" in paris and "Appeler le 3018" in paris and "Pharos" in paris
    assert 'href="sms:114"' in paris
    assert client.get("/t/atlantide").status_code == 404


def test_opening_hours_are_shown_in_local_time() -> None:
    hours = {"zone": "Europe/Paris", "daily": ["09:00-23:00"]}
    winter_evening = datetime(2026, 12, 1, 21, 0, tzinfo=UTC)  # 22:00 in Paris, 10:00 next day in Nouméa
    paris = opening(hours, "Europe/Paris", winter_evening)
    noumea = opening(hours, "Pacific/Noumea", winter_evening)
    assert paris.open_now and "9 h–23 h" in paris.text
    assert noumea.open_now and "19 h–9 h" in noumea.text  # the same hours, said in Nouméa's time
    assert not opening(hours, "Europe/Paris", datetime(2026, 12, 1, 23, 30, tzinfo=UTC)).open_now


def test_tracked_link_counts_and_redirects_with_utm(client: TestClient, site: LandingSite) -> None:
    code, target = next(iter(codes(site).items()))
    response = client.get(f"/r/{code}")
    assert response.status_code == 302
    location = urlsplit(response.headers["location"])
    assert location.path == f"/t/{target.territory}"  # type: ignore[attr-defined]
    query = parse_qs(location.query)
    assert query["utm_source"] == [target.network] and query["utm_medium"] == ["social"]  # type: ignore[attr-defined]
    assert query["utm_campaign"] == [site.campaign.campaign.id] and query["utm_content"] == [target.post]  # type: ignore[attr-defined]
    assert client.head(f"/r/{code}").status_code == 302  # a HEAD is no visit
    assert client.post(f"/r/{code}").status_code == 405
    site.counters.flush()
    assert site.counters.total("visit") == 1
    assert client.get("/r/unknown1").status_code == 404
    assert client.get(f"/r/{code}/more").status_code == 404


def test_made_up_codes_cannot_make_the_page_hit_the_database(site: LandingSite) -> None:
    """A flood of random codes reloads the links at most once a second; a link created later is found."""
    import secrets

    from sqlalchemy import event
    from sqlmodel import Session

    from campaign.models import Link

    instant = [datetime(2026, 12, 1, 12, 0, tzinfo=UTC)]
    clocked = LandingSite(site.campaign, site.database, clock=lambda: instant[0])
    loads: list[str] = []

    def count_link_queries(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        if "FROM link" in statement:
            loads.append(statement)

    event.listen(site.database.engine, "before_cursor_execute", count_link_queries)
    try:
        with TestClient(clocked.app(), headers={"User-Agent": BROWSER}, follow_redirects=False) as client:
            assert len(loads) == 1  # at start-up
            made_up = [secrets.token_hex(6) for _ in range(300)]
            assert {client.get(f"/r/{code}").status_code for code in made_up} == {404}
            assert len(loads) == 1
            with Session(site.database.engine) as session:
                session.add(Link(code="late0001", campaign_id=site.campaign.campaign.id, network="x",
                                 capsule_key="signaler", created_at=instant[0]))  # fmt: skip
                session.commit()
            assert client.get("/r/late0001").status_code == 404  # within the second of the last load
            instant[0] += timedelta(seconds=2)
            assert client.get("/r/late0001").status_code == 302 and len(loads) == 2
            instant[0] += timedelta(seconds=2)
            assert {client.get(f"/r/{code}").status_code for code in made_up} == {404}
            assert len(loads) == 3  # one reload for 300 made-up codes
    finally:
        event.remove(site.database.engine, "before_cursor_execute", count_link_queries)
    clocked.counters.flush()
    assert clocked.counters.total("visit") == 1


def test_counts_survive_a_database_that_fails_for_a_while(
    site: LandingSite, caplog: pytest.LogCaptureFixture
) -> None:
    """A failed periodic write keeps the counts in memory; a later round writes them, while serving."""
    code = next(iter(codes(site)))
    with TestClient(site.app(), headers={"User-Agent": BROWSER}, follow_redirects=False) as client:
        with site.database.engine.begin() as connection:
            connection.execute(text("ALTER TABLE clickcounter RENAME TO clickcounter_away"))
        try:
            for _ in range(7):
                assert client.get(f"/r/{code}").status_code == 302
            time.sleep(2.5)  # at least one periodic write fails
        finally:
            with site.database.engine.begin() as connection:
                connection.execute(text("ALTER TABLE clickcounter_away RENAME TO clickcounter"))
        assert "counts not written yet" in caplog.text
        deadline = time.time() + 10
        while site.counters.total("visit") < 7 and time.time() < deadline:
            time.sleep(0.2)
        assert site.counters.total("visit") == 7  # written by a later round, the page still up
        assert client.get(f"/r/{code}").status_code == 302
    assert site.counters.total("visit") == 8  # and the last one as it stopped


def test_channel_click_goes_only_to_listed_channels(client: TestClient, site: LandingSite) -> None:
    code = next(iter(codes(site)))
    pharos = client.get(f"/go/pharos?from={code}")
    assert (
        pharos.status_code == 302 and pharos.headers["location"] == "https://www.internet-signalement.gouv.fr"
    )
    assert (
        asgi_get(site, "/go/urgence-17")[1]["location"] == "tel:17"
    )  # httpx refuses to parse a tel: redirect
    assert client.get("/go/nowhere").status_code == 404
    site.counters.flush()
    assert site.counters.total("click:") == 2


def test_open_redirect_payloads_never_leave_the_allow_list(client: TestClient, site: LandingSite) -> None:
    allowed = {channel.url for channel in site.campaign.landing.channels.values() if channel.url}
    payloads = [payload for payload in PAYLOADS if payload.strip()]
    assert len(payloads) == 240
    redirects = 0
    for payload in payloads:
        for path in (
            f"/go/{payload}",
            f"/r/{payload}",
            f"/go/pharos?from={payload}&url={payload}&next={payload}",
            f"/t/{payload}",
        ):
            try:
                response = client.get(path)
            except (httpx.InvalidURL, UnicodeError):
                continue  # the client itself refuses to send it
            location = response.headers.get("location")
            if location is not None:
                redirects += 1
                assert location in allowed, (path, location)
    assert redirects == 240  # only /go/pharos answered with a redirect: to Pharos itself


def test_no_cookie_and_strict_headers_everywhere(client: TestClient, site: LandingSite) -> None:
    code = next(iter(codes(site)))
    for path in (
        "/",
        "/t/fr",
        f"/r/{code}",
        "/go/pharos",
        "/go/none",
        "/static/landing.css",
        "/static/landing.js",
        "/nothing",
    ):
        response = client.get(path)
        assert "set-cookie" not in response.headers, path
        assert response.headers["referrer-policy"] == "no-referrer", path
        assert response.headers["content-security-policy"].startswith("default-src 'self'"), path
        assert response.headers["cache-control"] == "no-store", path
    page = client.get("/t/fr").text
    assert "http://" not in page.replace(
        'href="https://www.google.fr', ""
    )  # no third-party resource is loaded
    assert "<script>" not in page  # scripts are files (the CSP forbids inline code)


@pytest.mark.parametrize(
    "headers",
    [
        {"User-Agent": "facebookexternalhit/1.1"},
        {"User-Agent": "Twitterbot/1.0"},
        {"Sec-Purpose": "prefetch"},
        {"Purpose": "prefetch"},
        {"DNT": "1"},
        {"Sec-GPC": "1"},
    ],
)
def test_bots_prefetches_and_opt_outs_are_not_counted(
    client: TestClient, site: LandingSite, headers: dict[str, str]
) -> None:
    code = next(iter(codes(site)))
    assert client.get(f"/r/{code}", headers=headers).status_code == 302
    site.counters.flush()
    assert site.counters.total() == 0


def test_load_on_a_real_server_counts_every_request_and_stores_no_visitor_data(
    site: LandingSite, database_url: str
) -> None:
    code = next(iter(codes(site)))
    config = uvicorn.Config(site.app(), host="127.0.0.1", port=0, access_log=False, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 10
    while not server.started and time.time() < deadline:
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    sent = 0
    user_agent = "Mozilla/5.0 clickable-load-test-ua/7.3"

    def burst(count: int) -> None:
        nonlocal sent
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"User-Agent": user_agent}) as session:
            for index in range(count):
                path = f"/r/{code}" if index % 2 == 0 else f"/go/tel-119?from={code}"
                assert session.get(path).status_code == 302
                sent += 1

    workers = [threading.Thread(target=burst, args=(250,)) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    server.should_exit = True
    thread.join(timeout=10)
    assert sent == 1000
    assert site.counters.total("visit") == 500 and site.counters.total("click:tel-119") == 500
    engine = create_engine(database_url)
    dump = []
    with engine.connect() as connection:
        for table in inspect(engine).get_table_names():
            dump.extend(
                json.dumps([str(value) for value in row])
                for row in connection.execute(text(f'SELECT * FROM "{table}"'))
            )
    engine.dispose()
    everything = "\n".join(dump)
    assert (
        "127.0.0.1" not in everything
        and "clickable-load-test-ua" not in everything
        and "Mozilla" not in everything
    )


def _children(pid: int) -> int:
    """How many processes have ``pid`` as parent (Linux /proc)."""
    count = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        count += fields[1] == str(pid)
    return count


@pytest.mark.parametrize("workers", [1, 2])
def test_landing_serve_command(workspace: Path, tmp_path: Path, workers: int) -> None:
    import os
    import socket
    import subprocess
    import sys

    url = f"sqlite:///{tmp_path / 'serve.db'}"
    env = {"CLICKABLE_HOME": str(workspace), "CLICKABLE_DATABASE_URL": url}
    assert CliRunner().invoke(app, ["campaign", "load"], env=env).exit_code == 0
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = ["landing", "serve", "--port", str(port), "--workers", str(workers)]
    process = subprocess.Popen(
        [sys.executable, "-c", "from cli import main; main()", *command],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    database = Database(url)
    try:
        deadline = time.time() + 30
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/t/re", timeout=2)
                break
            except httpx.TransportError:
                assert time.time() < deadline, process.stderr.read1().decode() if process.stderr else ""  # type: ignore[union-attr]
                time.sleep(0.2)
        assert response.status_code == 200 and "La Réunion" in response.text
        assert "server" not in response.headers  # no server banner either
        children = _children(process.pid)  # uvicorn's worker processes; one process serves alone
        assert children >= workers if workers > 1 else children == 0
        with database.engine.connect() as connection:
            code = connection.execute(text("SELECT code FROM link LIMIT 1")).scalar_one()
        sent = 0
        for _ in range(200):  # a new connection each time: the kernel spreads them over the workers
            sent += (
                httpx.get(f"http://127.0.0.1:{port}/r/{code}", headers={"User-Agent": BROWSER}).status_code
                == 302
            )
    finally:
        process.terminate()
        _, errors = process.communicate(timeout=30)
    assert b"127.0.0.1:" not in errors  # no access log line with a visitor's address
    with database.engine.connect() as connection:
        counted = connection.execute(
            text("SELECT SUM(count) FROM clickcounter WHERE event = 'visit'")
        ).scalar()
    database.dispose()
    assert sent == 200 and counted == 200, errors.decode()  # each worker wrote its counts as it stopped


def test_landing_serve_on_a_busy_port_is_a_one_line_error(workspace: Path, tmp_path: Path) -> None:
    import socket

    env = {"CLICKABLE_HOME": str(workspace), "CLICKABLE_DATABASE_URL": f"sqlite:///{tmp_path / 'busy.db'}"}
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(app, ["landing", "serve", "--port", str(port)], env=env)
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"error: cannot listen on 127.0.0.1:{port} (Address already in use): choose another --port or --host"
    )


def test_landing_serve_refuses_zero_workers(workspace: Path) -> None:
    result = CliRunner().invoke(
        app, ["landing", "serve", "--workers", "0"], env={"CLICKABLE_HOME": str(workspace)}
    )
    assert result.exit_code == 2
    assert "Invalid value for '--workers': Input should be greater than or equal to 1" in result.stderr
