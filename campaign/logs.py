"""Logging for the CLI and the daemon: secrets are masked in every line, whatever library logged it."""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass, field
from typing import TextIO

MASK = "**********"
# libraries that log signatures, headers or tokens at DEBUG
NOISY = ("oauthlib", "requests_oauthlib", "urllib3", "tweepy", "PIL", "matplotlib")


@dataclass
class SecretRegistry:
    """Secret values known to this process; every log line is scrubbed of them."""

    values: set[str] = field(default_factory=set)

    def add(self, *secrets: str) -> None:
        self.values.update(secret for secret in secrets if len(secret) >= 6)

    def scrub(self, text: str) -> str:
        for secret in sorted(self.values, key=len, reverse=True):
            text = text.replace(secret, MASK)
        return text


class RedactingFilter(logging.Filter):
    def __init__(self, registry: SecretRegistry) -> None:
        super().__init__()
        self.registry = registry

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
    registry: SecretRegistry, *, level: int = logging.WARNING, stream: TextIO | None = None
) -> logging.Handler:
    """One handler on the root logger, with the redacting filter; noisy libraries kept at WARNING."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter(registry))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(level)
    for name in NOISY:
        logging.getLogger(name).setLevel(
            max(level, logging.WARNING) if level > logging.DEBUG else logging.INFO
        )
    return handler
