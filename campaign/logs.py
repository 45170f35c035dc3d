"""Secrets are masked in every log line, stored reason and printed error, whatever produced them.

One registry per process (``SECRETS``) holds every secret the process has seen (each ``Credentials``
adds its own when it is built); ``redact`` scrubs a text of them. Log handlers, the database columns
that keep reasons and notes (``campaign.dbtypes.RedactedText``) and the CLI's error line all use it.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
import sys
import threading
from dataclasses import dataclass, field
from typing import Any, TextIO
from urllib.parse import quote, quote_plus

MASK = "**********"
MIN_SECRET = 6  # shorter values are not secrets worth masking (and would mask ordinary words)
FRAGMENT = 10  # a run of this many characters of a secret (cut in the middle, truncated) is masked
# libraries that log signatures, headers or tokens at DEBUG
NOISY = ("oauthlib", "requests_oauthlib", "urllib3", "tweepy", "PIL", "matplotlib")
_BASE64 = re.compile(r"[A-Za-z0-9+/_-]{16,}={0,2}")


def _forms(secret: str) -> set[str]:
    """How a secret can appear in a text: as it is, URL-encoded, escaped inside JSON."""
    encoded = quote(secret, safe="")
    forms = {
        secret,
        encoded,
        re.sub(r"%[0-9A-F]{2}", lambda match: match.group(0).lower(), encoded),
        quote_plus(secret, safe=""),
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        secret.replace("/", "\\/"),
    }
    return {form for form in forms if form}


@dataclass(frozen=True)
class _Index:
    forms: tuple[str, ...] = ()  # longest first
    windows: dict[int, frozenset[str]] = field(default_factory=dict)  # length → runs of a secret


def _index(secrets: set[str]) -> _Index:
    forms = sorted({form for secret in secrets for form in _forms(secret)}, key=len, reverse=True)
    windows: dict[int, set[str]] = {}
    for form in forms:
        size = min(len(form), FRAGMENT)
        for start in range(len(form) - size + 1):
            run = form[start : start + size]
            if size == FRAGMENT and len(form) > FRAGMENT and run.isdigit():
                continue  # X access tokens start with the account's (public) numeric id
            windows.setdefault(size, set()).add(run)
    return _Index(tuple(forms), {size: frozenset(runs) for size, runs in windows.items()})


@dataclass
class SecretRegistry:
    """Secret values known to this process; ``scrub`` masks them, whole or as a recognisable part.

    Recognised: the secret itself, any run of ``FRAGMENT`` characters of it (a token cut in the
    middle or truncated), its URL-encoded and JSON-escaped forms, and base64 that decodes to a text
    holding one of these (``Authorization: Basic base64(key:secret)`` echoed back).
    """

    values: set[str] = field(default_factory=set)
    _index: _Index = field(default_factory=_Index, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        self.values = {value for value in self.values if len(value) >= MIN_SECRET}
        self._index = _index(self.values)

    def add(self, *secrets: str) -> None:
        new = {secret for secret in secrets if len(secret) >= MIN_SECRET} - self.values
        if not new:
            return
        with self._lock:  # adapters are built in worker threads: the index is replaced, never mutated
            self.values = self.values | new
            self._index = _index(self.values)

    def scrub(self, text: str) -> str:
        index = self._index
        if not index.forms or not text:
            return text
        for form in index.forms:
            if form in text:
                text = text.replace(form, MASK)
        text = _mask_runs(text, _fragments(text, index))
        return _mask_runs(text, self._encoded(text, index))

    def holds_secret(self, text: str) -> bool:
        """True when ``text`` shows a secret, whole or as a recognisable part."""
        return self.scrub(text) != text

    def _encoded(self, text: str, index: _Index) -> list[tuple[int, int]]:
        runs = []
        for match in _BASE64.finditer(text):
            if MASK in match.group(0):
                continue
            decoded = _b64decode(match.group(0))
            if decoded and (any(form in decoded for form in index.forms) or _fragments(decoded, index)):
                runs.append(match.span())
        return runs

    def redact_value(self, value: Any) -> Any:
        """``value`` with every string inside it (dicts and lists too) scrubbed."""
        if isinstance(value, str):
            return self.scrub(value)
        if isinstance(value, dict):
            return {self.redact_value(key): self.redact_value(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [self.redact_value(item) for item in value]
        return value


def _fragments(text: str, index: _Index) -> list[tuple[int, int]]:
    """Spans of ``text`` that are runs of a secret, grown as far as they keep matching one."""
    spans: list[tuple[int, int]] = []
    for size, runs in index.windows.items():
        for start in range(len(text) - size + 1):
            if text[start : start + size] in runs:
                spans.append((start, start + size))
    if not spans:
        return []
    merged = _merge(spans)
    grown = []
    for start, end in merged:
        while start > 0 and any(text[start - 1 : end] in form for form in index.forms):
            start -= 1
        while end < len(text) and any(text[start : end + 1] in form for form in index.forms):
            end += 1
        grown.append((start, end))
    return _merge(grown)


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _mask_runs(text: str, spans: list[tuple[int, int]]) -> str:
    for start, end in reversed(_merge(spans)):
        text = text[:start] + MASK + text[end:]
    return text


def _b64decode(candidate: str) -> str | None:
    padded = candidate.rstrip("=")
    padded += "=" * (-len(padded) % 4)
    for decode in (base64.b64decode, base64.urlsafe_b64decode):
        try:
            return decode(padded).decode("latin-1")
        except (binascii.Error, ValueError):
            continue
    return None


SECRETS = SecretRegistry()


def redact(text: str) -> str:
    """``text`` without any secret known to this process (see SecretRegistry)."""
    return SECRETS.scrub(text)


class RedactingFilter(logging.Filter):
    def __init__(self, registry: SecretRegistry | None = None) -> None:
        super().__init__()
        self.registry = registry or SECRETS

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        scrubbed = self.registry.scrub(message)
        if scrubbed != message or record.args:
            record.msg, record.args = scrubbed, None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = self.registry.scrub(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


def configure_logging(
    registry: SecretRegistry | None = None,
    *,
    level: int = logging.WARNING,
    stream: TextIO | None = None,
    fmt: str = "%(asctime)s %(levelname)s %(name)s: %(message)s",
) -> logging.Handler:
    """One handler on the root logger, with the redacting filter; noisy libraries kept at WARNING."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(logging.Formatter(fmt))
    handler.addFilter(RedactingFilter(registry))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(level)
    for name in NOISY:
        logging.getLogger(name).setLevel(
            max(level, logging.WARNING) if level > logging.DEBUG else logging.INFO
        )
    return handler
