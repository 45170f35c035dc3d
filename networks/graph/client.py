"""A thin client for Meta's Graph API on requests (facebook-sdk stops at Graph 3.1: see the README).

Errors are classified from Graph's structured codes, never from their messages
(developers.facebook.com/docs/graph-api/guides/error-handling, and Instagram's own table:
developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/error-codes):

| code / subcode | what it means | raised as |
|---|---|---|
| 190, 102 | the token expired or was revoked | NeedsReauth |
| 10, 200–299 | the token lacks a permission | NeedsReauth (which permission, in the message) |
| 4, 17, 32, 613, 80001…, 9 | too many calls (9/2207042: Instagram's 50 posts a day) | RateLimited |
| 4 / 2207051, 368 | the action was blocked (as spam, by policy): a person must look | AccountPaused |
| 1, 2, -1, -2, ``is_transient``, HTTP 5xx | try again | Transient (Unconfirmed on a create call) |
| anything else | refused | GraphError (Rejected) with its code and subcode |
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import requests

from campaign.i18n import _
from networks.base import (
    DEFAULT_BACKOFF_S,
    REQUEST_TIMEOUT_S,
    AccountPaused,
    NeedsReauth,
    RateLimited,
    Rejected,
    Transient,
    Unconfirmed,
    connection_failure,
)
from networks.graph.versions import CURRENT
from networks.transport import prepare_session

GRAPH_VERSION = CURRENT  # v25.0: lives until 2028-07-29 (networks/graph/versions.py)
BASE_URLS = {
    "graph": "https://graph.facebook.com",
    "video": "https://graph-video.facebook.com",
    "rupload": "https://rupload.facebook.com",
}
RATE_LIMIT_CODES = {4, 9, 17, 32, 613, 80001, 80002, 80003, 80004, 80005, 80006, 80008, 80014}
EXPIRED_TOKEN = 190
SESSION_CODES = {EXPIRED_TOKEN, 102}
PERMISSION_CODES = {10, *range(200, 300)}
TRANSIENT_CODES = {1, 2, -1, -2}
BLOCKED = {(4, 2207051), (368, None)}  # (code, subcode): a person must look at the account
DUPLICATE_CODES = {506}
METRIC_UNKNOWN = 100
# error_subcode with code 100: "Object with ID … does not exist, cannot be loaded due to missing
# permissions, or does not support this operation" — missing, or not readable with this token
OBJECT_MISSING = 33


class GraphError(Rejected):
    """A Graph refusal, with its structured code, for callers that act on particular codes."""

    def __init__(
        self,
        network: str,
        reason: str,
        *,
        code: int | None,
        subcode: int | None,
        duplicate: bool = False,
        data: dict[str, Any] | None = None,
    ) -> None:
        self.code = code
        self.subcode = subcode
        self.data = data or {}  # Graph's error_data (e.g. the offsets an upload must resume from)
        super().__init__(network, reason, duplicate=duplicate)


class GraphRateLimited(RateLimited):
    """A Graph throttle, with its code and subcode (Instagram's daily publishing limit is 9/2207042)."""

    def __init__(
        self, network: str, message: str, *, retry_after: float, code: int | None, subcode: int | None
    ) -> None:
        self.code = code
        self.subcode = subcode
        super().__init__(network, message, retry_after=retry_after)


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
        except requests.RequestException as error:  # no answer: never sent, or may have landed
            raise connection_failure(
                self.network, error, creating=creating, what=_("the Graph API")
            ) from None
        self._read_usage(response)
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and isinstance(body.get("error"), dict):
            raise self.classify(response, body["error"], creating=creating)
        if response.status_code >= 500 or not isinstance(body, dict):
            message = (
                _("HTTP {status} without JSON")
                if body is None
                else _("HTTP {status} without an error object")
            ).format(status=response.status_code)
            if creating:
                raise Unconfirmed(
                    self.network, _("{message} on create: reconcile before retrying").format(message=message)
                )
            raise Transient(self.network, message)
        if response.status_code >= 400:
            raise Transient(
                self.network,
                _("HTTP {status} without an error object").format(status=response.status_code),
            )
        return body

    def classify(
        self, response: requests.Response, error: dict[str, Any], *, creating: bool = False
    ) -> Exception:
        code = _as_int(error.get("code"))
        subcode = _as_int(error.get("error_subcode"))
        message = str(error.get("error_user_msg") or error.get("message") or _("refused"))
        where = (_("code {code}/{subcode}") if subcode else _("code {code}")).format(
            code=code, subcode=subcode
        )
        if code in SESSION_CODES:
            return NeedsReauth(
                self.network,
                _("token expired or revoked ({where}): run `clickable accounts add` again").format(
                    where=where
                ),
            )
        if code in PERMISSION_CODES:
            return NeedsReauth(
                self.network,
                _(
                    "the token lacks a permission ({where}: {message}): give the app the permissions the "
                    "README lists for this network, then run `clickable accounts add` again"
                ).format(where=where, message=message),
            )
        if (code, subcode) in BLOCKED or (code, None) in BLOCKED:
            return AccountPaused(
                self.network,
                _("the network blocked this action ({where}: {message})").format(
                    where=where, message=message
                ),
                advice=_(
                    "a person must open the account in the network's app, follow what it asks "
                    "(confirm the account, appeal the block), then retry its paused deliveries"
                ),
            )
        if code in RATE_LIMIT_CODES:
            return GraphRateLimited(
                self.network,
                _("throttled ({where})").format(where=where),
                retry_after=self.retry_after(),
                code=code,
                subcode=subcode,
            )
        if error.get("is_transient") or code in TRANSIENT_CODES or response.status_code >= 500:
            if creating:
                return Unconfirmed(
                    self.network,
                    _("{message} ({where}) on create: reconcile before retrying").format(
                        message=message, where=where
                    ),
                )
            return Transient(self.network, f"{message} ({where})")
        data = error.get("error_data")
        return GraphError(
            self.network,
            f"{message} ({where})",
            code=code,
            subcode=subcode,
            duplicate=code in DUPLICATE_CODES,
            data=data if isinstance(data, dict) else None,
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
