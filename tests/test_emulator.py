"""The emulator's admin API and request checks, over HTTP."""

from __future__ import annotations

import pytest
import requests

from networks.emulator.server import EmulatorServer
from networks.registry import registry


def test_credentials_published_and_reset(emulator: EmulatorServer) -> None:
    credentials = requests.get(f"{emulator.url}/_emulator/credentials", timeout=5).json()
    assert set(credentials) == {spec.name for spec, _part in registry().emulator_parts()}
    assert set(credentials["x"]) == {
        "consumer_key",
        "consumer_secret",
        "access_token",
        "access_token_secret",
        "bearer_token",
    }
    assert set(credentials["facebook"]) == {"page_id", "page_token"}
    assert set(credentials["instagram"]) == {"ig_user_id", "token"}
    page, token = credentials["facebook"]["page_id"], credentials["facebook"]["page_token"]
    posted = requests.post(
        f"{emulator.url}/v25.0/{page}/feed",
        data={"message": "Bonjour"},
        headers={"Host": "graph.facebook.com", "Authorization": f"OAuth {token}"},
        timeout=5,
    )
    assert posted.status_code == 200 and "X-App-Usage" in posted.headers
    records = requests.get(f"{emulator.url}/_emulator/published", timeout=5).json()
    assert [(item["network"], item["account"], item["text"], item["media"]) for item in records] == [
        ("facebook", page, "Bonjour", [])
    ]
    assert set(records[0]) == {"network", "account", "id", "text", "media", "created_at"}
    assert requests.post(f"{emulator.url}/_emulator/reset", timeout=5).json() == {"ok": True}
    assert requests.get(f"{emulator.url}/_emulator/published", timeout=5).json() == []


def test_bad_token_gets_code_190_and_www_authenticate(emulator: EmulatorServer) -> None:
    response = requests.post(
        f"{emulator.url}/v25.0/100000000001/feed",
        data={"message": "x"},
        headers={"Host": "graph.facebook.com", "Authorization": "OAuth nope"},
        timeout=5,
    )
    assert response.status_code == 400 and response.json()["error"]["code"] == 190
    assert "WWW-Authenticate" in response.headers


def test_a_fault_fires_the_given_number_of_times(emulator: EmulatorServer) -> None:
    bad = requests.post(f"{emulator.url}/_emulator/faults", json={"endpoint": "POST /2/tweets"}, timeout=5)
    assert bad.status_code == 400
    made = requests.post(
        f"{emulator.url}/_emulator/faults",
        json={
            "network": "facebook",
            "endpoint": "GET /{id}",
            "status": 503,
            "body": "<html>down</html>",
            "times": 2,
        },
        timeout=5,
    )
    assert made.status_code == 201
    statuses = [
        requests.get(
            f"{emulator.url}/v25.0/100000000001", headers={"Host": "graph.facebook.com"}, timeout=5
        ).status_code
        for _ in range(3)
    ]
    assert statuses == [503, 503, 400]  # the third answer is the real one: no token


def test_emulator_serve_command(tmp_path: object) -> None:
    import socket
    import subprocess
    import sys
    import time

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-c", "from cli import main; main()", "emulator", "serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                response = requests.get(f"http://127.0.0.1:{port}/_emulator/published", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.2)
        assert response.status_code == 200 and response.json() == []
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.refused_requests("x")
def test_parts_validators_and_recorders_see_every_exchange() -> None:
    """The hooks the spec validators plug into: a refused request gets the part's refusal, and every
    exchange reaches the recorders with both validation outcomes (parts without a validator: not checked)."""
    import dataclasses

    from networks.emulator.messages import Reply, Request
    from networks.emulator.part import Exchange, Route, Validation
    from networks.emulator.server import EmulatorServer as Server
    from networks.emulator.server import start
    from networks.registry import Registry, registry
    from networks.x.emulator import XPart

    class StrictX(XPart):
        def validate_request(self, request: Request, route: Route | None) -> Validation:
            if route is None:
                return Validation.invalid("no such operation")
            if "forbidden" in request.json():
                return Validation.invalid("request body: additional property 'forbidden'")
            return Validation.valid()

        def validate_response(self, request: Request, route: Route, reply: Reply) -> Validation:
            return Validation.valid() if isinstance(reply.body, dict) else Validation.invalid("not JSON")

        def refuse(self, request: Request, route: Route | None, validation: Validation) -> Reply:
            return Reply(
                400, {"title": "Invalid Request", "detail": "; ".join(validation.errors), "status": 400}
            )

    networks = Registry(
        [dataclasses.replace(registry()["x"], emulator=lambda: StrictX), registry()["facebook"]]
    )
    seen: list[Exchange] = []
    server: Server = start(networks=networks)
    server.emulator.add_recorder(seen.append)
    try:
        refused = requests.post(
            f"{server.url}/2/tweets",
            json={"text": "x", "forbidden": 1},
            headers={"Host": "api.x.com"},
            timeout=5,
        )
        unknown = requests.get(f"{server.url}/2/nowhere", headers={"Host": "api.x.com"}, timeout=5)
        unsigned = requests.get(f"{server.url}/2/users/me", headers={"Host": "api.x.com"}, timeout=5)
        graph = requests.get(
            f"{server.url}/v25.0/100000000001", headers={"Host": "graph.facebook.com"}, timeout=5
        )
        recorded = requests.get(f"{server.url}/_emulator/requests", timeout=5).json()
    finally:
        server.stop()
    assert refused.status_code == 400 and "additional property 'forbidden'" in refused.json()["detail"]
    assert unknown.status_code == 400 and unknown.json()["detail"] == "no such operation"
    assert unsigned.status_code == 401 and graph.status_code == 400
    assert [(item.network, item.template, item.request.ok, item.response.checked) for item in seen[:4]] == [
        ("x", "/2/tweets", False, True),  # refused before the handler; the refusal is judged too
        ("x", None, False, False),
        ("x", "/2/users/me", True, True),
        ("facebook", "/{id}", True, True),  # judged by Meta's node specs (its answer: Graph's error shape)
    ]
    assert seen[2].response.ok and seen[3].request.checked and seen[3].response.ok
    assert recorded[0]["request"] == {
        "checked": True,
        "ok": False,
        "errors": ["request body: additional property 'forbidden'"],
    }


def test_a_part_may_serve_each_account_s_own_host() -> None:
    """Networks with instances (Mastodon): routing asks the part, it is not a fixed host list; the
    sandbox transport sends any https host to the emulator."""
    import dataclasses

    from networks.emulator.messages import Reply, Request
    from networks.emulator.part import EmulatorPart, Route
    from networks.emulator.server import start
    from networks.registry import Registry, registry
    from networks.transport import prepare_session

    class InstancesPart(EmulatorPart):
        @classmethod
        def sandbox_credentials(cls, seed: int) -> dict[str, str]:
            return {"instance": "social.sandbox.example", "token": "t"}

        def serves(self, host: str) -> bool:
            return host.endswith(".sandbox.example")

        def routes(self) -> list[Route]:
            return [Route("GET", r"/api/v2/instance", "/api/v2/instance", self.instance)]

        def instance(self, request: Request) -> Reply:
            return Reply(200, {"domain": request.hostname})

    spec = dataclasses.replace(registry()["x"], name="instances", hosts=(), emulator=lambda: InstancesPart)
    server = start(networks=Registry([spec]))
    try:
        session = prepare_session(requests.Session(), emulator_url=server.url)
        domains = [
            session.get(f"https://{host}/api/v2/instance", timeout=5).json()["domain"]
            for host in ("social.sandbox.example", "eu.sandbox.example")
        ]
        elsewhere = session.get("https://api.x.com/api/v2/instance", timeout=5)
    finally:
        server.stop()
    assert domains == ["social.sandbox.example", "eu.sandbox.example"]
    assert elsewhere.status_code == 404  # no part serves that host in this emulator


def test_a_request_cut_off_before_its_body_ends_is_never_handled(emulator: EmulatorServer) -> None:
    """A client killed while it sends (tests/test_daemon.py's SIGKILLs) leaves headers and part of a
    body: like any HTTP server (RFC 9112 §6.3: an incomplete message), the emulator handles nothing."""
    import socket
    from urllib.parse import urlsplit

    address = urlsplit(emulator.url)
    before = len(emulator.emulator.requests)
    body = b'{"text": "Tu peux en parler'
    with socket.create_connection((address.hostname, address.port), timeout=5) as connection:
        connection.sendall(
            b"POST /2/tweets HTTP/1.1\r\nHost: api.x.com\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {len(body) + 40}\r\n\r\n".encode()
            + body
        )
        connection.shutdown(socket.SHUT_WR)
        assert connection.recv(1024) == b""  # closed without an answer
    assert len(emulator.emulator.requests) == before
    published = requests.get(f"{emulator.url}/_emulator/published", timeout=5)  # and it still serves
    assert published.status_code == 200 and "Tu peux en parler" not in published.text
