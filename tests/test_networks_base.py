"""The shared error layer: "certainly not sent" against "may have reached the network", over real sockets."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
import requests

from networks.base import NotSent, Transient, Unconfirmed, certainly_not_sent, connection_failure


def failure(url: str, timeout: float = 1.0) -> requests.RequestException:
    try:
        requests.post(url, data="x", timeout=timeout)
    except requests.RequestException as error:
        return error
    raise AssertionError("the request did not fail")


@pytest.fixture
def swallowing_server() -> Iterator[tuple[str, threading.Event]]:
    """Accepts, reads the request, then closes without a word (or, when told, answers too late)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    slow = threading.Event()

    def serve() -> None:
        while True:
            try:
                connection, _address = listener.accept()
            except OSError:
                return
            connection.recv(65536)
            if slow.is_set():
                time.sleep(1.5)
            connection.close()

    threading.Thread(target=serve, daemon=True).start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/", slow
    listener.close()


def closed_port() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}/"


@pytest.mark.parametrize("url", [closed_port(), "http://no-such-host.invalid/"], ids=["refused", "no DNS"])
def test_a_connection_never_made_is_certainly_not_sent(url: str) -> None:
    error = failure(url)
    assert certainly_not_sent(error)
    for creating in (True, False):
        assert isinstance(connection_failure("x", error, creating=creating, what="X"), NotSent)
    try:  # as the adapters do: their own error, raised while handling the library's
        try:
            raise error
        except requests.RequestException:
            raise Unconfirmed("x", "no answer to the create call") from None
    except Unconfirmed as wrapped:
        assert certainly_not_sent(wrapped)


def test_a_request_that_left_may_have_arrived(swallowing_server: tuple[str, threading.Event]) -> None:
    url, slow = swallowing_server
    dropped = failure(url)
    slow.set()
    late = failure(url, timeout=0.5)
    assert isinstance(late, requests.ReadTimeout)
    for error in (dropped, late):
        assert not certainly_not_sent(error)
        assert isinstance(connection_failure("x", error, creating=True, what="X"), Unconfirmed)
        kept = connection_failure("x", error, creating=False, what="X")
        assert isinstance(kept, Transient) and not isinstance(kept, NotSent)
