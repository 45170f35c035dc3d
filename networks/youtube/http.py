"""The httplib2 interface google-api-python-client and google-auth-httplib2 call, over our requests transport.

googleapiclient sends every request (JSON calls, the resumable upload's POST and PUTs, token
refreshes through google-auth-httplib2) with ``http.request(uri, method, body, headers)`` and reads an
``httplib2.Response``. This class answers that interface with a ``requests.Session`` prepared by
``networks.transport.prepare_session``: default timeouts everywhere, and for a sandbox account the
loopback route to the emulator (the real https URL kept in the Host header). Failures without an
answer stay requests' exceptions, so the adapter classifies them with ``connection_failure``.
"""

from __future__ import annotations

from typing import Any

import httplib2
import requests

from networks.transport import prepare_session


class RequestsHttp:
    """An ``httplib2.Http`` stand-in that sends through a prepared ``requests.Session``."""

    def __init__(self, *, emulator_url: str | None, timeout: float) -> None:
        self.session = prepare_session(requests.Session(), emulator_url=emulator_url, timeout=timeout)
        self.timeout = timeout
        self.redirect_codes: frozenset[int] = frozenset()  # google-auth-httplib2 reads it
        self.follow_redirects = False
        self.connections: dict[str, Any] = {}

    def request(
        self,
        uri: str,
        method: str = "GET",
        body: Any = None,
        headers: dict[str, str] | None = None,
        redirections: int = 0,
        connection_type: Any = None,
    ) -> tuple[httplib2.Response, bytes]:
        if body is not None and hasattr(body, "read"):  # a slice of the file being uploaded
            body = body.read()
        response = self.session.request(
            method, uri, data=body, headers=dict(headers or {}), allow_redirects=False, timeout=self.timeout
        )
        info: dict[str, Any] = {key.lower(): value for key, value in response.headers.items()}
        info["status"] = str(response.status_code)
        return httplib2.Response(info), response.content

    def close(self) -> None:
        self.session.close()

    def add_credentials(self, *args: Any, **kwargs: Any) -> None:  # httplib2 API, unused
        """Credentials go in the Authorization header (google-auth-httplib2), never here."""
