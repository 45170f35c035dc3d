"""A record of every exchange an emulator answers, appended to a file (for audits and test suites).

Set ``CLICKABLE_EMULATOR_RECORD`` to a file path and every emulator started in this process, or in a
process started from it (``clickable emulator serve``, ``clickable demo``, a daemon), appends one JSON
line per exchange: the network, method, host, path, route, status, how the request and the reply were
judged against the network's spec, and whether the reply was an injected fault. Nothing secret is
written (no header, no body, no query value). ``CLICKABLE_EMULATOR_RECORD_CONTEXT``, read at each
exchange, labels the lines (a test suite puts the running test's id there).

Lines are written with one ``write`` on a file opened for appending, so that several processes can share
one record.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

from networks.emulator.part import Exchange, Recorder

RECORD_ENV = "CLICKABLE_EMULATOR_RECORD"
CONTEXT_ENV = "CLICKABLE_EMULATOR_RECORD_CONTEXT"


class FileRecorder:
    """Append each exchange to ``path`` as one JSON line."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def __call__(self, exchange: Exchange) -> None:
        line = {**exchange.as_dict(), "context": os.environ.get(CONTEXT_ENV, ""), "pid": os.getpid()}
        data = (json.dumps(line, ensure_ascii=False) + "\n").encode("utf-8")
        with self._lock:
            descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(descriptor, data)
            finally:
                os.close(descriptor)


def recorders_from_environment() -> list[Recorder]:
    """The recorders the environment asks for (``CLICKABLE_EMULATOR_RECORD``), none by default."""
    path = os.environ.get(RECORD_ENV)
    return [FileRecorder(Path(path))] if path else []


def read_record(path: Path) -> list[dict[str, object]]:
    """Every exchange recorded in ``path`` (a missing file: none)."""
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]
