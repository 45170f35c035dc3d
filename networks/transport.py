"""HTTP transport for the adapters: default timeouts, and the loopback route to the emulator."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

from networks.base import REQUEST_TIMEOUT_S


class TimeoutAdapter(HTTPAdapter):
    """Every request gets a timeout (tweepy.Client sends none: a hung server would hang a worker)."""

    def __init__(self, default_timeout: float = REQUEST_TIMEOUT_S, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.default_timeout = default_timeout

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.default_timeout
        return super().send(request, **kwargs)


class LoopbackAdapter(TimeoutAdapter):
    """Send requests for a real https host to the plain-HTTP emulator; the client signs the real URL."""

    def __init__(self, target: str, default_timeout: float = REQUEST_TIMEOUT_S, **kwargs: Any) -> None:
        super().__init__(default_timeout, **kwargs)
        self.target = target.rstrip("/")

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        parts = urlsplit(request.url or "")
        request.headers["Host"] = parts.netloc  # the emulator routes, and verifies signatures, on it
        request.url = f"{self.target}{parts.path}" + (f"?{parts.query}" if parts.query else "")
        kwargs["proxies"] = {}  # never hand emulator traffic to a configured proxy
        return super().send(request, **kwargs)


def prepare_session(
    session: requests.Session, *, emulator_url: str | None, timeout: float = REQUEST_TIMEOUT_S
) -> requests.Session:
    """Mount the timeout adapter, or the loopback adapter when the account is a sandbox.

    Every https address goes through it, whatever the host: a network with instances (each account on
    its own host) needs no host list, and a sandbox session never reaches a real network.
    """
    adapter: HTTPAdapter = LoopbackAdapter(emulator_url, timeout) if emulator_url else TimeoutAdapter(timeout)
    session.mount("https://", adapter)
    if emulator_url:
        session.trust_env = False  # no proxy or CA bundle from the environment on the loopback route
    return session


def httpx_options(*, emulator_url: str | None, timeout: float = REQUEST_TIMEOUT_S) -> dict[str, Any]:
    """Keyword arguments for an ``httpx.Client`` (atproto's transport): a timeout, and for a sandbox
    account a transport that sends every https request to the emulator, with the real host in ``Host``
    and no proxy from the environment."""
    options: dict[str, Any] = {"timeout": timeout}
    if emulator_url:
        options |= {"transport": _httpx_loopback(emulator_url), "trust_env": False}
    return options


def _httpx_loopback(emulator_url: str) -> Any:
    import httpx

    target = httpx.URL(emulator_url.rstrip("/"))

    class LoopbackTransport(httpx.HTTPTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            original = request.url
            request.headers["Host"] = original.netloc.decode("ascii")
            request.url = original.copy_with(scheme=target.scheme, host=target.host, port=target.port)
            return super().handle_request(request)

    return LoopbackTransport()
