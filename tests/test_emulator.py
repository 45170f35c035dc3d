"""The emulator's admin API and request checks, over HTTP."""

from __future__ import annotations

import requests

from networks.emulator.server import EmulatorServer


def test_credentials_published_and_reset(emulator: EmulatorServer) -> None:
    credentials = requests.get(f"{emulator.url}/_emulator/credentials", timeout=5).json()
    assert set(credentials) == {"x", "facebook", "instagram"}
    assert set(credentials["x"]) == {
        "consumer_key",
        "consumer_secret",
        "access_token",
        "access_token_secret",
        "bearer_token",
    }
    assert set(credentials["facebook"]) == {"app_id", "page_id", "page_token"}
    assert set(credentials["instagram"]) == {"ig_user_id", "token"}
    page, token = credentials["facebook"]["page_id"], credentials["facebook"]["page_token"]
    posted = requests.post(
        f"{emulator.url}/v19.0/{page}/feed",
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
        f"{emulator.url}/v22.0/100000000001/feed",
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
            f"{emulator.url}/v22.0/100000000001", headers={"Host": "graph.facebook.com"}, timeout=5
        ).status_code
        for _ in range(3)
    ]
    assert statuses == [503, 503, 400]  # the third answer is the real one: no token


def test_x_rejects_unsigned_and_bearer_posts(emulator: EmulatorServer) -> None:
    bearer = requests.get(f"{emulator.url}/_emulator/credentials", timeout=5).json()["x"]["bearer_token"]
    response = requests.post(
        f"{emulator.url}/2/tweets",
        json={"text": "x"},
        headers={"Host": "api.x.com", "Authorization": f"Bearer {bearer}"},
        timeout=5,
    )
    assert response.status_code == 401 and response.json()["title"] == "Unauthorized"


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
