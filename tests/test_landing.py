"""The landing page: territory pages, tracked links, channel clicks, privacy by construction."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import partial
from html.parser import HTMLParser
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
from engagement.landing import NUMBER_IN_TEXT, LandingSite, digits_of, is_phone_number
from engagement.links import LinksBusy, TrackedLinks
from networks.registry import registry

PAYLOADS = (Path(__file__).parent / "data" / "open-redirect-payloads.txt").read_text("utf-8").split("\n")
BROWSER = "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/126 Mobile Safari/537.36"


@pytest.fixture
def site(workspace: Path, database_url: str) -> Iterator[LandingSite]:
    env = {"CLICKABLE_HOME": str(workspace), "CLICKABLE_DATABASE_URL": database_url}
    assert CliRunner().invoke(app, ["campaign", "load"], env=env).exit_code == 0
    report = check_file(workspace / "campaign.yaml", networks=registry())
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


class Numbers(HTMLParser):
    """Each phone number in a page's text, with the tel:/sms: numbers within reach: the link it is
    in, or the buttons of the channel card it is in."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, set[str]]] = []  # (tag, dial digits of this element)
        self.cards: list[tuple[int, set[str], list[str]]] = []  # (depth, dials, numbers) of .channel
        self.found: list[tuple[str, bool]] = []  # (number, reachable)
        self.dials: set[str] = set()  # every tel:/sms: on the page

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        href = values.get("href") or ""
        dial = {href.split(":", 1)[1]} if href.startswith(("tel:", "sms:")) else set()
        self.dials |= dial
        if self.cards and dial:
            self.cards[-1][1].update(dial)
        if tag == "div" and "channel" in (values.get("class") or "").split():
            self.cards.append((len(self.stack), set(), []))
        self.stack.append((tag, dial))

    def handle_endtag(self, tag: str) -> None:
        while self.stack:
            name, _ = self.stack.pop()
            if self.cards and self.cards[-1][0] == len(self.stack):
                _, dials, numbers = self.cards.pop()
                self.found.extend((number, digits_of(number) in dials) for number in numbers)
            if name == tag:
                break

    def handle_data(self, data: str) -> None:
        if any(tag in ("script", "style", "title") for tag, _ in self.stack):
            return
        in_link = set().union(*(dial for _, dial in self.stack))
        for match in NUMBER_IN_TEXT.finditer(data):
            number = match.group()
            if not is_phone_number(number):
                continue
            if digits_of(number) in in_link:
                self.found.append((number, True))
            elif self.cards:
                self.cards[-1][2].append(number)  # decided when the card closes (buttons come last)
            else:
                self.found.append((number, False))


def numbers_of(html: str) -> Numbers:
    parser = Numbers()
    parser.feed(html)
    parser.close()
    return parser


def test_every_number_shown_is_a_link_and_only_where_the_campaign_lists_it(
    client: TestClient, site: LandingSite
) -> None:
    channels = site.campaign.landing.channels
    index = client.get("/").text
    found = numbers_of(index)
    assert [number for number, reachable in found.found if not reachable] == []
    everywhere = {
        digits_of(channel.phone or channel.sms or "")
        for channel in channels.values()
        if channel.territories is None or set(site.campaign.territories) <= set(channel.territories)
    }
    assert found.dials and found.dials <= everywhere  # the index offers only what is valid everywhere
    assert "tel:17" in index and "114" not in index and "112" not in index  # 114 and 112: not everywhere
    for key in site.campaign.territories:
        page = numbers_of(client.get(f"/t/{key}").text)
        assert [number for number, reachable in page.found if not reachable] == [], key
        listed = {
            digits_of(channel.phone or "") or digits_of(channel.sms or "")
            for channel in channels.values()
            if channel.territories is None or key in channel.territories
        }
        assert page.dials <= listed, key
    paris, noumea = client.get("/t/fr").text, client.get("/t/nc").text
    assert 'href="tel:112"' in paris and 'href="sms:114"' in paris
    assert "112" not in noumea and "114" not in noumea and "119" not in noumea  # none listed there
    assert '<a href="tel:17" data-count="/go/urgence-17?t=fr">17</a>' in paris  # Pharos: "appelle le 17"
    assert client.get("/go/sms-114?t=nc").status_code == 404  # not offered in Nouvelle-Calédonie
    status, headers = asgi_get(site, "/go/sms-114?t=fr")
    assert status == 302 and headers["location"] == "sms:114"
    assert site.unlinked_numbers() == []


def test_a_channel_for_adults_only_is_offered_to_adults_only(workspace: Path, database_url: str) -> None:
    path = workspace / "campaign.yaml"
    path.write_text(
        path.read_text("utf-8").replace(
            "    pharos:\n",
            '    dsfe-pf:\n      name: "Cellule DSFE (professionnels)"\n      phone: "40 46 59 17"\n'
            "      territories: [pf]\n      audiences: [pro]\n    pharos:\n",
            1,
        ),
        "utf-8",
    )
    report = check_file(path, networks=registry())
    assert report.campaign is not None, report.problems
    database = Database(database_url)
    database.ensure_schema()
    site = LandingSite(report.campaign, database)
    with TestClient(site.app(), headers={"User-Agent": BROWSER}) as client:
        tahiti, paris, index = client.get("/t/pf").text, client.get("/t/fr").text, client.get("/").text
    cards, adults = tahiti.split('id="adultes"')
    assert "Cellule DSFE" not in cards  # not among what the page offers a child
    assert '<a href="tel:40465917" data-count="/go/dsfe-pf?t=pf">Cellule DSFE (professionnels)</a>' in adults
    assert "Cellule DSFE" not in paris and "Cellule DSFE" not in index
    site.database.dispose()


def test_which_numbers_in_a_text_are_phone_numbers() -> None:
    def phones(text: str) -> list[str]:
        return [m.group() for m in NUMBER_IN_TEXT.finditer(text) if is_phone_number(m.group())]

    assert phones("Appelle le 17 (ou le 112), le 3018, le 05 44 44 ou le 40 46 59 17.") == [
        "17", "112", "3018", "05 44 44", "40 46 59 17"
    ]  # fmt: skip
    assert (
        phones("aujourd'hui, 10 h 15–18 h 30 (heure locale) ; 24 h/24, 7 j/7 ; à 10:15 ; 2026 ; 43,0 % ; 1.5")
        == []
    )


def test_a_number_in_a_text_without_its_channel_is_reported(workspace: Path, tmp_path: Path) -> None:
    """The 17's card saying "(ou le 112)" where no 112 is listed: said when the page starts."""
    import socket

    path = workspace / "campaign.yaml"
    path.write_text(path.read_text("utf-8").replace("Appelle le 17.", "Appelle le 17 (ou le 112)."), "utf-8")
    report = check_file(path, networks=registry())
    assert report.campaign is not None
    site = LandingSite(report.campaign, Database(f"sqlite:///{tmp_path / 'n.db'}"))
    assert {(item.territory, item.number) for item in site.unlinked_numbers()} == {
        ("nc", "112"),
        ("pf", "112"),
    }
    env = {"CLICKABLE_HOME": str(workspace), "CLICKABLE_DATABASE_URL": f"sqlite:///{tmp_path / 'n.db'}"}
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        result = CliRunner().invoke(app, ["landing", "serve", "--port", str(busy.getsockname()[1])], env=env)
    assert (
        "warning: the text of channel 'urgence-17' shows 112 where no channel calls it (nc, pf): it has "
        "no link there; list that number's channel there, or take the number out of the text"
    ) in result.stderr


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


@contextmanager
def link_queries(database: Database) -> Iterator[list[tuple[str, bool]]]:
    """Every query of the link table while the block runs: (SQL, whether it ran on an event loop)."""
    from sqlalchemy import event

    seen: list[tuple[str, bool]] = []

    def record(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        if "FROM link" in statement:
            try:
                asyncio.get_running_loop()
                on_loop = True
            except RuntimeError:
                on_loop = False
            seen.append((statement, on_loop))

    event.listen(database.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(database.engine, "before_cursor_execute", record)


def add_link(site: LandingSite, code: str) -> None:
    from sqlmodel import Session

    from campaign.models import Link

    with Session(site.database.engine) as session:
        session.add(Link(code=code, campaign_id=site.campaign.campaign.id, network="x",
                         capsule_key="signaler", created_at=datetime.now(UTC)))  # fmt: skip
        session.commit()


def test_unknown_codes_cost_one_indexed_query_each_at_most_off_the_event_loop(site: LandingSite) -> None:
    """Made-up codes are looked up by their index in a thread (never by reading the whole table on
    the event loop); a link created after start is found; codes found missing are remembered a while."""
    import secrets

    fast = LandingSite(site.campaign, site.database, links=partial(TrackedLinks, missing_for_s=1.0))
    with (
        link_queries(site.database) as queries,
        TestClient(fast.app(), headers={"User-Agent": BROWSER}, follow_redirects=False) as client,
    ):
        assert len(queries) == 1 and not queries[0][1]  # every link, once, at start-up, in a thread
        made_up = [secrets.token_hex(6) for _ in range(300)]
        assert {client.get(f"/r/{code}").status_code for code in made_up} == {404}
        assert client.get(f"/t/fr?ref={made_up[-1]}").status_code == 200  # just found missing
        assert client.get(f"/go/pharos?from={made_up[-2]}").status_code == 302
        after = queries[1:]
        assert 1 <= len(after) <= 300  # one query per unknown code at most; the two repeated: none
        assert all("link.code IN" in sql and not on_loop for sql, on_loop in after)
        add_link(site, "late0001")  # created after start, never asked before: found at once
        assert client.get("/r/late0001").status_code == 302
        assert client.get("/r/early001").status_code == 404
        add_link(site, "early001")  # asked before it existed: found once its miss is forgotten
        assert client.get("/r/early001").status_code == 404
        time.sleep(1.1)
        assert client.get("/r/early001").status_code == 302
    fast.counters.flush()
    assert fast.counters.total("visit") == 2


def test_an_unknown_code_is_looked_up_by_the_code_index(site: LandingSite) -> None:
    """Not by the campaign's index (SQLite chose it when the campaign was in the WHERE clause too:
    each lookup then read every link of the campaign, 15 ms with 20,000)."""
    if site.database.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's query plan")
    compiled = site.links._select_some.compile(site.database.engine)
    expanded = compiled.construct_expanded_state({"codes": [f"code{index:04d}" for index in range(100)]})
    parameters = tuple(expanded.parameters[name] for name in expanded.positiontup or ())
    with site.database.engine.connect() as connection:
        plan = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {expanded.statement}", parameters).all()
    link_steps = [row[-1] for row in plan if " link " in f" {row[-1]} "]
    assert link_steps and all("ix_link_code" in step for step in link_steps), plan


def test_a_flood_of_unknown_codes_is_looked_up_in_few_queries_and_bounded_memory(site: LandingSite) -> None:
    import secrets

    links = TrackedLinks(site.database, site.campaign.campaign.id, max_missing=1_000, max_waiting=5_000)
    links.load_all()
    made_up = [secrets.token_hex(6) for _ in range(3_000)]
    known = next(iter(links.known))

    async def flood() -> list[object]:
        try:
            return await asyncio.gather(*(links.find(code) for code in [*made_up, known]))
        finally:
            await links.close()

    found = asyncio.run(flood())
    assert found[:-1] == [None] * 3_000 and found[-1] == links.known[known]
    assert links.queries == 6  # 3,000 codes asked at once: looked up 500 at a time
    assert len(links.missing) == 1_000  # the oldest misses are forgotten
    assert list(links.missing)[-1] == made_up[-1]
    waiting = TrackedLinks(site.database, site.campaign.campaign.id, max_waiting=10)

    async def too_many() -> list[object]:
        try:
            return await asyncio.gather(
                *(waiting.find(code) for code in made_up[:11]), return_exceptions=True
            )
        finally:
            await waiting.close()

    answers = asyncio.run(too_many())
    assert answers[:10] == [None] * 10 and isinstance(answers[10], LinksBusy)  # not queued: busy at once


@pytest.fixture
def slow_links(site: LandingSite) -> Iterator[LandingSite]:
    """A landing page whose database takes 2 s to answer any link query made after start-up."""
    from sqlalchemy import event

    started = threading.Event()

    def slow(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        if started.is_set() and "FROM link" in statement:
            time.sleep(2)

    slowed = LandingSite(
        site.campaign, site.database, links=partial(TrackedLinks, max_waiting=3, answer_within_s=1.0)
    )
    slowed.load_targets()
    event.listen(site.database.engine, "before_cursor_execute", slow)
    started.set()
    yield slowed
    event.remove(site.database.engine, "before_cursor_execute", slow)


def test_a_slow_lookup_never_delays_other_requests(slow_links: LandingSite) -> None:
    """While unknown codes wait for a slow database, known links and pages answer at once; beyond
    the bound of waiting codes the page says at once that it is busy (503, the choice of territory),
    and a code waits a second at most for its lookup."""
    import secrets

    code = next(iter(slow_links.targets))
    with running(slow_links) as base, httpx.Client(base_url=base, headers={"User-Agent": BROWSER}) as client:
        stuck = [secrets.token_hex(6) for _ in range(3)]
        stuck_answers: list[tuple[int, float]] = []

        def ask(made_up: str) -> None:
            began = time.perf_counter()
            status = httpx.get(f"{base}/r/{made_up}", timeout=10).status_code
            stuck_answers.append((status, time.perf_counter() - began))

        waiting = [threading.Thread(target=ask, args=(made_up,)) for made_up in stuck]
        for thread in waiting:
            thread.start()
        deadline = time.time() + 5
        while (lookups := slow_links.links._lookups) is None or len(lookups.waiting) < 3:
            assert time.time() < deadline, "the three made-up codes did not reach the page"
            time.sleep(0.02)
        answers = {}
        for path in (f"/r/{secrets.token_hex(6)}", f"/r/{code}", "/t/fr", "/", "/go/pharos?t=fr"):
            began = time.perf_counter()
            answers[path] = client.get(path)
            assert time.perf_counter() - began < 0.5, path
        busy, *others = answers.values()
        assert [answer.status_code for answer in others] == [302, 200, 200, 302]
        assert busy.status_code == 503 and busy.headers["retry-after"] == "1"  # a 4th code: not queued
        assert "Choisis ton territoire" in busy.text and "/t/fr" in busy.text
        for thread in waiting:
            thread.join()
    assert [status for status, _ in stuck_answers] == [503] * 3  # waited for no longer than a second
    assert all(took < 1.8 for _, took in stuck_answers)


def test_a_database_away_makes_unknown_codes_busy_not_unknown(site: LandingSite) -> None:
    code = next(iter(codes(site)))
    with TestClient(site.app(), headers={"User-Agent": BROWSER}, follow_redirects=False) as client:
        with site.database.engine.begin() as connection:
            connection.execute(text("ALTER TABLE link RENAME TO link_away"))
        try:
            assert client.get("/r/nolink01").status_code == 503  # not a 404: it may well exist
            assert client.get(f"/r/{code}").status_code == 302  # known links still work
        finally:
            with site.database.engine.begin() as connection:
                connection.execute(text("ALTER TABLE link_away RENAME TO link"))
        assert client.get("/r/nolink01").status_code == 404


@contextmanager
def running(site: LandingSite) -> Iterator[str]:
    """The site on a real uvicorn server in a thread; yields its base URL."""
    server = uvicorn.Server(
        uvicorn.Config(site.app(), host="127.0.0.1", port=0, access_log=False, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 10
    while not server.started and time.time() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


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


def test_counts_of_thousands_of_links_are_written_however_many_wait(database_url: str) -> None:
    """12,000 different (code, event) counts in one flush (a second of visits to that many links, or
    counts kept while the database was away): one statement of 72,000 parameters was refused by
    PostgreSQL (65,535 at most) at that flush and every later one, and the counts lost as the page
    stopped. Every statement keeps under SQLite's default limit of 32,766 parameters."""
    from sqlalchemy import event

    from engagement.counting import Counters

    database = Database(database_url)
    database.ensure_schema()
    counters = Counters(database, "big")
    now = datetime.now(UTC)
    for index in range(6_000):
        counters.count(code=f"c{index:05d}", territory="", event="visit", now=now)
        counters.count(code=f"c{index:05d}", territory="", event="click:pharos", now=now)
    counters.count(code="c00000", territory="", event="visit", now=now)
    widest: list[int] = []

    def record(_conn: object, _cursor: object, statement: str, parameters: object, *_rest: object) -> None:
        if "INSERT INTO clickcounter" in statement:
            widest.append(len(parameters))  # type: ignore[arg-type]

    event.listen(database.engine, "before_cursor_execute", record)
    try:
        assert counters.flush() == 12_001
    finally:
        event.remove(database.engine, "before_cursor_execute", record)
    assert widest and max(widest) <= 32_766
    assert counters.total("visit") == 6_001 and counters.total("click:") == 6_000 and not counters.pending
    database.dispose()


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
        deadline = time.time() + 60  # a loaded machine starts two workers slowly
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/t/re", timeout=2)
                break
            except httpx.TransportError:
                # not reading its stderr here: a server that says nothing would block the test for ever
                assert process.poll() is None, "landing serve stopped before listening"
                assert time.time() < deadline, "landing serve did not listen within 60 s"
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
    assert "Invalid value for '--workers'" in result.stderr and "1" in result.stderr
