"""The secret registry: a secret is masked whole, cut, encoded, escaped or inside base64."""

from __future__ import annotations

import base64
import io
import json
import logging
import re
import threading
from urllib.parse import quote, quote_plus

import pytest

from campaign.logs import MASK, SecretRegistry, configure_logging

TOKEN = "EAABsbCS1iHgBAKZCvq7x/ZB+wLq9Yd3=="  # a Graph-like token with characters that get escaped
KEY = "xk-Q4t7ZpLm2Rw9"
SECRET = "xs-8hJk3nBv5Cx1Zq7Wm4Ty"
ACCESS = "1500000001-78a0712960b631bf05d51e9d"  # X access tokens start with the (public) user id


@pytest.fixture
def registry() -> SecretRegistry:
    registry = SecretRegistry()
    registry.add(TOKEN, KEY, SECRET, ACCESS)
    return registry


@pytest.mark.parametrize(
    "text",
    [
        f"Malformed access token {TOKEN}",
        f"Malformed access token {TOKEN[:14]}…",  # truncated by the network
        f"token …{TOKEN[12:30]}",  # cut in the middle
        f"access_token={quote(TOKEN, safe='')}",
        "access_token=" + re.sub("%[0-9A-F]{2}", lambda match: match.group(0).lower(), quote(TOKEN, safe="")),
        f"access_token={quote_plus(TOKEN)}",
        json.dumps({"error": {"message": f"bad token {TOKEN}"}}),
        json.dumps({"m": TOKEN}).replace("/", "\\/"),
        "Authorization: Basic " + base64.b64encode(f"{KEY}:{SECRET}".encode()).decode(),
        "Authorization: Basic "
        + base64.b64encode(f"{quote(KEY)}:{quote(SECRET)}".encode()).decode().rstrip("="),
        f'OAuth oauth_consumer_key="{quote(KEY, safe="")}", oauth_token="{quote(ACCESS, safe="")}"',
        f"token {ACCESS[:22]} refused",
    ],
)
def test_a_secret_is_masked_in_every_form(registry: SecretRegistry, text: str) -> None:
    scrubbed = registry.scrub(text)
    assert MASK in scrubbed
    for secret in (TOKEN, KEY, SECRET, ACCESS):
        for size in range(10, len(secret) + 1):
            assert not any(
                secret[start : start + size] in scrubbed
                for start in range(len(secret) - size + 1)
                if not secret[start : start + size].isdigit()
            ), (text, scrubbed)


@pytest.mark.parametrize(
    "text",
    [
        "published as 1500000001234567890",  # ids share digits with the access token's user id
        "user 1500000001",
        "created as 178414000000 but video processing failed (code 2207026)",
        "rate limited (429) (retry in 300 s)",
        "",
    ],
)
def test_ordinary_texts_are_left_alone(registry: SecretRegistry, text: str) -> None:
    assert registry.scrub(text) == text


def test_short_values_are_not_secrets() -> None:
    registry = SecretRegistry()
    registry.add("abc", "")
    assert registry.scrub("abc") == "abc" and not registry.values


def test_nested_values_are_scrubbed(registry: SecretRegistry) -> None:
    value = {"error": {"detail": f"bad {KEY}"}, "ids": [1, f"{TOKEN}"], "n": 3}
    assert registry.redact_value(value) == {"error": {"detail": f"bad {MASK}"}, "ids": [1, MASK], "n": 3}


def test_adding_while_scrubbing_from_other_threads(registry: SecretRegistry) -> None:
    """Adapters are built in the dispatcher's threads: adding never breaks a scrub under way."""
    failures: list[BaseException] = []

    def scrub() -> None:
        try:
            for _ in range(300):
                assert TOKEN not in registry.scrub(f"x {TOKEN} y")
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=scrub) for _ in range(3)]
    for thread in threads:
        thread.start()
    for index in range(200):
        registry.add(f"added-secret-{index:04d}-abcdef")
    for thread in threads:
        thread.join()
    assert failures == []
    assert registry.scrub("added-secret-0199-abcdef") == MASK


def test_log_lines_and_tracebacks_are_scrubbed(registry: SecretRegistry) -> None:
    stream = io.StringIO()
    handler = configure_logging(registry, level=logging.INFO, stream=stream)
    try:
        logging.getLogger("clickable.test").warning("answer: %s", quote(TOKEN, safe=""))
        try:
            raise ValueError(f"token {TOKEN[:16]}")
        except ValueError:
            logging.getLogger("clickable.test").exception("failed")
    finally:
        logging.getLogger().removeHandler(handler)
    logged = stream.getvalue()
    assert "ValueError" in logged and logged.count(MASK) == 2 and TOKEN[:12] not in logged
