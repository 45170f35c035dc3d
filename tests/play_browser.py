"""The person at the browser, for OAuth tests: follows an authorization URL to the emulator's consent
page, which sends it back to the app's loopback redirect with a code.

As a script (``BROWSER="python tests/play_browser.py %s &"``, the way Python's webbrowser module runs
a browser the environment names), it reads the emulator's address from CLICKABLE_EMULATOR_URL.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests

from networks.transport import prepare_session


def follow(url: str, emulator_url: str, *, tamper_state: bool = False) -> requests.Response:
    """GET ``url`` on the real host (routed to the emulator) and follow its redirects home."""
    session = prepare_session(requests.Session(), emulator_url=emulator_url, timeout=10)
    consent = session.get(url, allow_redirects=False)
    target = consent.headers["Location"]
    if tamper_state:  # a forged answer: someone else's state
        parts = urlsplit(target)
        query = dict(parse_qsl(parts.query)) | {"state": "forged"}
        target = urlunsplit(parts._replace(query=urlencode(query)))
    return session.get(target, allow_redirects=False)


def browser(emulator_url: str, *, tamper_state: bool = False) -> Callable[[str], object]:
    """A browser that opens ``url`` the way a real one does: at once, while the caller waits."""

    def open_url(url: str) -> bool:
        threading.Thread(
            target=follow, args=(url, emulator_url), kwargs={"tamper_state": tamper_state}, daemon=True
        ).start()
        return True

    return open_url


if __name__ == "__main__":
    follow(sys.argv[1], os.environ["CLICKABLE_EMULATOR_URL"])
