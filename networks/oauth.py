"""Connecting an account by OAuth 2.0 on a loopback redirect: the part every network's flow shares.

A network whose spec has ``connect`` (YouTube, TikTok…) gives ``clickable accounts add NAME`` a
:class:`Connector`. What is the same for all of them lives here:

- :class:`LoopbackRedirect`: a one-shot HTTP server on 127.0.0.1 (a free port) that the network's
  consent screen sends the browser back to (RFC 8252 §7.3), checks the ``state`` it was given
  (constant-time), and hands over the code — or says the person refused, or that nobody came back;
- :func:`new_state`, and :func:`authorize`: open the browser on the authorization URL and wait;
- :func:`keep_refresh_token`: a reconnect that gets no new refresh token keeps the stored one (a
  peer's bug wiped it and users had to reconnect every day: postiz PR #1884);
- :func:`refresh_refused`: what an adapter raises when the token endpoint refuses the refresh token
  (``invalid_grant``): the dispatcher pauses the account (``needs_reauth``, ``doctor`` says to run
  ``accounts add``) and the stored token is left as it is.

The network's own endpoints, parameters and token format stay in its package (``networks/youtube/oauth.py``).
"""

from __future__ import annotations

import contextlib
import html
import secrets
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from campaign.errors import ClickableError
from campaign.i18n import _
from networks.base import NeedsReauth

LOOPBACK = "127.0.0.1"
WAIT_S = 300.0  # how long the person has to consent in the browser
REFRESH_TOKEN = "refresh_token"
DONE_PAGE = (
    "<!doctype html><html><meta charset='utf-8'><title>clickable</title>"
    "<body><h1>{title}</h1><p>{text}</p></body></html>"
)


class OAuthError(ClickableError):
    """The connection did not give credentials; nothing was stored."""


@dataclass(frozen=True)
class ConnectRequest:
    """What ``accounts add`` knows when it connects an account."""

    account: str
    network: str
    previous: Mapping[str, str] | None  # the credentials stored before, if any
    emulator_url: str | None = None  # a sandbox account connects to the emulator's OAuth endpoints
    client_secrets: Path | None = None  # the app's client secrets file, where the network has one
    consent: bool = False  # ask the network to show the consent screen again (a new refresh token)
    prompt: Callable[[str, bool], str] = field(default=lambda label, hidden: "")  # (label, hidden) -> value
    say: Callable[[str], None] = field(default=lambda line: None)
    open_browser: Callable[[str], object] | None = None  # None: the system's browser (webbrowser)
    wait_s: float = WAIT_S


class Connector(ABC):
    """One network's interactive connection: returns the credential values to store."""

    @abstractmethod
    def connect(self, request: ConnectRequest) -> dict[str, str]: ...


def new_state() -> str:
    """An unguessable state for one authorization (RFC 6749 §10.12)."""
    return secrets.token_urlsafe(32)


class _Answer(BaseHTTPRequestHandler):
    server: _OneShot

    def log_message(self, format: str, *args: Any) -> None:
        """No access log: the query carries the authorization code."""

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if parts.path != "/":
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        query = {key: values[0] for key, values in parse_qs(parts.query).items()}
        ok = self.server.receive(query)
        page = DONE_PAGE.format(
            title=html.escape(_("Account connected") if ok else _("Connection refused")),
            text=html.escape(
                _("You can close this window and go back to the terminal.")
                if ok
                else _("Go back to the terminal: it says why.")
            ),
        ).encode("utf-8")
        self.send_response(200 if ok else 400)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(page)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(page)


class _OneShot(HTTPServer):
    def __init__(self, state: str) -> None:
        super().__init__((LOOPBACK, 0), _Answer)
        self.state = state
        self.query: dict[str, str] | None = None
        self.arrived = threading.Event()

    def receive(self, query: dict[str, str]) -> bool:
        if self.arrived.is_set():
            return False
        self.query = query
        self.arrived.set()
        return "code" in query and secrets.compare_digest(query.get("state", ""), self.state)


class LoopbackRedirect:
    """The redirect URI ``http://127.0.0.1:PORT/`` of one authorization, served until it is answered."""

    def __init__(self, state: str | None = None) -> None:
        self.state = state or new_state()
        self._server = _OneShot(self.state)
        self._thread = threading.Thread(target=self._server.serve_forever, name="oauth-loopback", daemon=True)

    @property
    def redirect_uri(self) -> str:
        return f"http://{LOOPBACK}:{self._server.server_address[1]}/"

    def __enter__(self) -> LoopbackRedirect:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def wait(self, network: str, wait_s: float = WAIT_S) -> str:
        """The code the network sent back, once its state is checked; else OAuthError saying why."""
        if not self._server.arrived.wait(wait_s):
            raise OAuthError(
                _("no answer from {network}'s consent page within {seconds} s: nothing was stored").format(
                    network=network, seconds=round(wait_s)
                )
            )
        query = self._server.query or {}
        if "error" in query:
            raise OAuthError(
                _("{network} did not grant access ({error}): nothing was stored").format(
                    network=network, error=query["error"][:80]
                )
            )
        if not secrets.compare_digest(query.get("state", ""), self.state):
            raise OAuthError(
                _("the answer from the browser does not carry this request's state: nothing was stored")
            )
        code = query.get("code")
        if not code:
            raise OAuthError(
                _("{network} sent no authorization code: nothing was stored").format(network=network)
            )
        return code


def authorize(url: str, redirect: LoopbackRedirect, request: ConnectRequest, *, network: str) -> str:
    """Send the person to ``url`` (the browser, and the address printed) and wait for the code."""
    request.say(
        _("Open this address to connect {account} (a browser should open by itself):").format(
            account=request.account
        )
    )
    request.say(url)
    opener = request.open_browser
    if opener is None:
        import webbrowser

        opener = webbrowser.open
    started = time.monotonic()
    with contextlib.suppress(Exception):  # no browser here: the address is printed
        opener(url)
    return redirect.wait(network, max(1.0, request.wait_s - (time.monotonic() - started)))


def keep_refresh_token(
    obtained: dict[str, str],
    previous: Mapping[str, str] | None,
    *,
    network: str,
    field_name: str = REFRESH_TOKEN,
) -> dict[str, str]:
    """The values to store: a reconnect that got no new refresh token keeps the stored one."""
    if obtained.get(field_name):
        return obtained
    if previous and previous.get(field_name):
        return {**obtained, field_name: previous[field_name]}
    raise OAuthError(
        _(
            "{network} gave no refresh token and none is stored: run `clickable accounts add` again "
            "with --consent (or remove the app's access in the account's security settings first)"
        ).format(network=network)
    )


def refresh_refused(network: str, code: str) -> NeedsReauth:
    """The token endpoint refused the refresh token (``invalid_grant``…): a person must connect again."""
    return NeedsReauth(
        network,
        _("the refresh token was refused ({code}): run `clickable accounts add` again").format(code=code),
    )
