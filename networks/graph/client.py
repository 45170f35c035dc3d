"""A thin client for Meta's Graph API on requests (facebook-sdk stops at Graph 3.1: see the README)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import requests

from networks.base import (
    DEFAULT_BACKOFF_S,
    REQUEST_TIMEOUT_S,
    NeedsReauth,
    RateLimited,
    Rejected,
    Transient,
    Unconfirmed,
)
from networks.transport import prepare_session

GRAPH_VERSION = "v22.0"
BASE_URLS = {
    "graph": "https://graph.facebook.com",
    "video": "https://graph-video.facebook.com",
    "rupload": "https://rupload.facebook.com",
}
RATE_LIMIT_CODES = {4, 17, 32, 613, 80001, 80002}
EXPIRED_TOKEN = 190
DUPLICATE_CODES = {506}
METRIC_UNKNOWN = 100
OBJECT_MISSING = 33  # error_subcode with code 100: the object does not exist (any more)


class GraphError(Rejected):
    """A Graph refusal, with its structured code, for callers that act on particular codes."""

    def __init__(
        self, network: str, reason: str, *, code: int | None, subcode: int | None, duplicate: bool = False
    ) -> None:
        self.code = code
        self.subcode = subcode
        super().__init__(network, reason, duplicate=duplicate)


class GraphClient:
    """Calls one Graph host family with a token sent in the Authorization header, never in the URL."""

    def __init__(
        self,
        network: str,
        token: str,
        *,
        emulator_url: str | None = None,
        timeout: float = REQUEST_TIMEOUT_S,
        version: str = GRAPH_VERSION,
        base_urls: dict[str, str] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.network = network
        self._token = token
        self.version = version
        self.base_urls = {**BASE_URLS, **(base_urls or {})}
        self.session = prepare_session(requests.Session(), emulator_url=emulator_url, timeout=timeout)
        self.clock = clock
        self.usage: dict[str, Any] = {}

    def __repr__(self) -> str:
        return f"GraphClient(network={self.network!r}, version={self.version!r}, token='**********')"

    def url(self, path: str, host: str = "graph", *, versioned: bool = True) -> str:
        version = f"/{self.version}" if versioned else ""
        return f"{self.base_urls[host]}{version}/{path.lstrip('/')}"

    def request(
        self,
        method: str,
        path: str,
        *,
        host: str = "graph",
        params: dict[str, Any] | None = None,
        data: dict[str, Any] | bytes | None = None,
        files: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        creating: bool = False,
        url: str | None = None,
    ) -> dict[str, Any]:
        """One call; failures are classified (a create call that may have landed is Unconfirmed)."""
        all_headers = {"Authorization": f"OAuth {self._token}", **(headers or {})}
        try:
            response = self.session.request(
                method,
                url or self.url(path, host),
                params=params,
                data=data,
                files=files,
                headers=all_headers,
            )
        except (requests.Timeout, requests.ConnectionError) as error:
            if creating:
                raise Unconfirmed(
                    self.network,
                    f"no answer to the create call ({type(error).__name__}): reconcile before retrying",
                ) from None
            raise Transient(self.network, f"{type(error).__name__} while talking to the Graph API") from None
        self._read_usage(response)
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and isinstance(body.get("error"), dict):
            raise self.classify(response, body["error"])
        if response.status_code >= 500 or not isinstance(body, dict):
            message = (
                f"HTTP {response.status_code} {'without JSON' if body is None else 'without an error object'}"
            )
            if creating:
                raise Unconfirmed(self.network, f"{message} on create: reconcile before retrying")
            raise Transient(self.network, message)
        if response.status_code >= 400:
            raise Transient(self.network, f"HTTP {response.status_code} without an error object")
        return body

    def classify(self, response: requests.Response, error: dict[str, Any]) -> Exception:
        code = _as_int(error.get("code"))
        subcode = _as_int(error.get("error_subcode"))
        message = str(error.get("error_user_msg") or error.get("message") or "refused")
        if code == EXPIRED_TOKEN:
            return NeedsReauth(
                self.network, "token expired or revoked (code 190): run `clickable accounts add` again"
            )
        if code in RATE_LIMIT_CODES:
            return RateLimited(self.network, f"throttled (code {code})", retry_after=self.retry_after())
        if error.get("is_transient") or response.status_code >= 500:
            return Transient(self.network, f"{message} (code {code})")
        return GraphError(
            self.network,
            f"{message} (code {code}{f'/{subcode}' if subcode else ''})",
            code=code,
            subcode=subcode,
            duplicate=code in DUPLICATE_CODES,
        )

    def retry_after(self) -> float:
        """From X-Business-Use-Case-Usage's estimated_time_to_regain_access (minutes), else backoff."""
        minutes = [
            float(entry.get("estimated_time_to_regain_access", 0))
            for entries in (self.usage.get("business") or {}).values()
            for entry in (entries if isinstance(entries, list) else [])
        ]
        if minutes and max(minutes) > 0:
            return max(minutes) * 60
        app = self.usage.get("app") or {}
        busiest = max(
            [float(app.get(key, 0)) for key in ("call_count", "total_cputime", "total_time")] or [0]
        )
        return DEFAULT_BACKOFF_S * (1 + busiest / 25)

    def _read_usage(self, response: requests.Response) -> None:
        for header, key in (("X-App-Usage", "app"), ("X-Business-Use-Case-Usage", "business")):
            value = response.headers.get(header)
            if value:
                try:
                    self.usage[key] = json.loads(value)
                except ValueError:
                    continue


def _as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
