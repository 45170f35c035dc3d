"""uvicorn as the landing page needs it (``clickable landing serve``).

- Every answer carries the security headers, also those uvicorn writes itself (400 on a malformed
  request, its 500 when the application fails, the refusals below): they are uvicorn's default
  headers, and the application adds none of its own (``LandingSite(server_headers=True)``).
- What a visitor can make the server hold is bounded: the request line and headers (uvicorn's
  httptools parser has no limit), the body (the page takes none), the time to send a request
  (uvicorn waits for a request's first byte, and then for the rest, without end).
- No WebSocket: an Upgrade header is answered as a plain request.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from engagement.landing import SECURITY_HEADERS

MAX_HEAD_BYTES = 16 * 1024  # request line and headers (a browser sends well under 2 KB)
MAX_BODY_BYTES = 16 * 1024  # the page reads no body: a beacon's is empty
REQUEST_TIMEOUT_S = 10.0  # from waiting for a request to having all of it
LINGER_S = 1.0  # after a refusal, what the visitor still sends is read and dropped this long
REFUSALS = {
    400: b"Requete invalide.",
    408: b"Requete trop lente.",
    413: b"Contenu trop long.",
    431: b"En-tetes trop longs.",
}


def uvicorn_options(host: str, port: int) -> dict[str, Any]:
    """uvicorn's settings for the landing page: no access log, no banner, no visitor address read."""
    return {
        "host": host,
        "port": port,
        "http": "engagement.serving:LandingProtocol",
        "ws": "none",
        "headers": list(SECURITY_HEADERS.items()),
        "access_log": False,
        "server_header": False,
        "date_header": False,
        "proxy_headers": False,  # the visitor's address is never used: no X-Forwarded-For parsing
        "log_level": "warning",
    }


class TooMuch(Exception):
    """Raised in a parser callback to stop parsing: the request is refused (see ``_refusal``)."""


class LandingProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with bounds on what one connection may make the server hold."""

    _deadline: asyncio.TimerHandle | None = None
    _in_head = True  # waiting for, or reading, a request line and headers
    _head_bytes = 0
    _body_bytes = 0
    _refusal: int | None = None
    _refused = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return  # refused: what still comes is dropped until the connection closes
        if self._deadline is None:
            self._arm()
        if self._in_head:
            self._head_bytes += len(data)
        super().data_received(data)
        if self._in_head and self._head_bytes > MAX_HEAD_BYTES and not self.transport.is_closing():
            self._refuse(431)

    def on_headers_complete(self) -> None:
        head = len(self.url) + sum(len(name) + len(value) + 4 for name, value in self.headers)
        if head > MAX_HEAD_BYTES:  # all of it came at once
            self._refusal = 431
            raise TooMuch
        self._in_head = False
        self._head_bytes = 0
        self._body_bytes = 0
        for name, value in self.headers:
            if name == b"content-length" and (not value.strip().isdigit() or int(value) > MAX_BODY_BYTES):
                self._refusal = 413
                raise TooMuch
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        self._body_bytes += len(body)
        if self._body_bytes > MAX_BODY_BYTES:  # a chunked body (a declared length was checked)
            self._refusal = 413
            raise TooMuch
        super().on_body(body)

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._disarm()  # all of the request is here: the answer is the application's business
        self._in_head = True
        self._head_bytes = 0

    def _unsupported_upgrade_warning(self) -> None:
        """An Upgrade header is a visitor's choice, not the operator's problem: no warning."""

    def send_400_response(self, msg: str) -> None:
        """uvicorn's answer to a request it cannot parse, and to a callback's refusal."""
        self._refuse(self._refusal or 400)

    def _refuse(self, status: int) -> None:
        if self.transport.is_closing() or self._refused:
            return
        if self.cycle is not None and self.cycle.response_started and not self.cycle.response_complete:
            self.transport.close()  # an answer is on its way: it cannot be replaced
            return
        body = REFUSALS.get(status, REFUSALS[400])
        content = [b"HTTP/1.1 %d %s\r\n" % (status, _PHRASES[status])]
        for name, value in self.server_state.default_headers:
            content.extend([name, b": ", value, b"\r\n"])
        content.extend(
            [
                b"content-type: text/plain; charset=utf-8\r\n",
                b"content-length: %d\r\n" % len(body),
                b"connection: close\r\n\r\n",
                body,
            ]
        )
        self.transport.write(b"".join(content))
        if self.cycle is not None and not self.cycle.response_complete:
            self.cycle.disconnected = True  # the application's answer, if it comes, goes nowhere
        # Closing at once with unread bytes would reset the connection before the visitor reads
        # the answer: stop writing, drop what still comes for a moment, then close.
        self._refused = True
        self._disarm()
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.loop.call_later(LINGER_S, self.transport.close)

    def _arm(self) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(REQUEST_TIMEOUT_S, self._too_slow)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _too_slow(self) -> None:
        self._deadline = None
        answered = not self._in_head and self.cycle is not None and self.cycle.response_started
        if (self._head_bytes or not self._in_head) and not answered:
            self._refuse(408)  # a request started and not finished in time
        elif not self.transport.is_closing():
            self.transport.close()  # nothing asked, or answered while its body still trickles in


_PHRASES = {
    400: b"Bad Request",
    408: b"Request Timeout",
    413: b"Content Too Large",
    431: b"Request Header Fields Too Large",
}
