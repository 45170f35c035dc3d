"""The record of every request the test suite sends to an emulator, for tests/test_zzz_requests_validate.py.

At the start of the session ``CLICKABLE_EMULATOR_RECORD`` names a file: every emulator the tests start,
in this process or in a process they start (``clickable emulator serve``, a daemon, ``clickable demo``:
they inherit the environment; a test that gives a subprocess an environment of its own passes
``census_environment()`` along), appends each exchange there with how the network's spec judged it
(networks/emulator/record.py). While a test runs, ``CLICKABLE_EMULATOR_RECORD_CONTEXT`` holds its id
and the networks it means to be refused by (``@pytest.mark.refused_requests("x")``, or bare
``@pytest.mark.refused_requests`` for any network): a request a spec refuses in such a test counts as
*refused as expected*; anywhere else it fails the 100 % test.

Hooks and fixtures are imported into tests/conftest.py.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from networks.emulator.record import CONTEXT_ENV, RECORD_ENV, read_record

MARKER = "refused_requests"  # @pytest.mark.refused_requests("x"): refused on purpose by these networks'
# specs (and a test so marked must be refused by them at least once); bare: by any network's spec
_state: dict[str, str] = {}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(*networks): the test sends these networks (without names: any network) requests their "
        "spec refuses, or answers made wrong, on purpose (counted as refused as expected)",
    )
    if RECORD_ENV in os.environ:  # a census already running (pytest inside a test, or set by hand)
        return
    folder = tempfile.mkdtemp(prefix="clickable-census-")
    _state["folder"] = folder
    os.environ[RECORD_ENV] = str(Path(folder) / "exchanges.jsonl")


def pytest_unconfigure(config: pytest.Config) -> None:
    folder = _state.pop("folder", None)
    if folder is not None:
        os.environ.pop(RECORD_ENV, None)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    marks = list(item.iter_markers(MARKER))
    networks = sorted({str(network) for mark in marks for network in mark.args})
    if any(not mark.args for mark in marks):
        networks.append("*")
    previous = os.environ.get(CONTEXT_ENV)
    os.environ[CONTEXT_ENV] = f"{item.nodeid}|{','.join(networks)}"
    try:
        return (yield)
    finally:
        if previous is None:
            os.environ.pop(CONTEXT_ENV, None)
        else:
            os.environ[CONTEXT_ENV] = previous


def census_environment() -> dict[str, str]:
    """The variables a subprocess started with an environment of its own needs to join the census."""
    return {name: os.environ[name] for name in (RECORD_ENV, CONTEXT_ENV) if name in os.environ}


@dataclass
class NetworkCensus:
    """What one network's part received during the session, and how its spec judged it."""

    network: str
    requests: int = 0
    valid: int = 0
    refused_as_expected: int = 0
    unexpected: list[str] = field(default_factory=list)  # refused outside a test marked refused_requests(network)
    unchecked: list[str] = field(default_factory=list)  # answered without being judged
    replies_checked: int = 0
    replies_invalid: list[str] = field(default_factory=list)  # the emulator's own answer off the spec
    # (in a test marked refused_requests(network), an off-spec reply is the test's point: it counts as refused)
    replies_unjudged: list[str] = field(default_factory=list)  # answers the spec does not describe
    faults: int = 0  # answers injected by tests (judged, not counted against the emulator)
    marked_tests: set[str] = field(default_factory=set)  # tests marked refused_requests(network) that sent it requests
    refusing_tests: set[str] = field(default_factory=set)  # of those, the ones that were refused

    @property
    def stale_markers(self) -> set[str]:
        """Tests marked refused_requests(network) that this network never refused (a mark that hides nothing)."""
        return self.marked_tests - self.refusing_tests

    def summary(self) -> str:
        return (
            f"{self.network}: {self.requests} requests, {self.valid} valid against its spec, "
            f"{self.refused_as_expected} refused as expected (in {len(self.refusing_tests)} tests), "
            f"{len(self.unexpected)} refused unexpectedly, {len(self.unchecked)} not judged; "
            f"{self.replies_checked} replies judged, {len(self.replies_invalid)} off the spec, "
            f"{len(self.replies_unjudged)} not described by it; "
            f"{self.faults} injected faults"
        )


def census_of(
    network: str, exchanges: list[dict[str, object]], hosts: tuple[str, ...] | None = None
) -> NetworkCensus:
    """How ``network``'s spec judged what the suite sent it (only to ``hosts`` when given: a network
    whose spec covers some of the hosts its part serves, like Google's OAuth pages beside YouTube's API)."""
    census = NetworkCensus(network)
    for exchange in exchanges:
        if exchange.get("network") != network or (hosts is not None and exchange.get("host") not in hosts):
            continue
        census.requests += 1
        test, _, marked = str(exchange.get("context") or "").partition("|")
        marks = marked.split(",")
        expected = network in marks or "*" in marks

        where = f"{exchange['method']} {exchange['host']}{exchange['path']} ({test or 'outside any test'})"
        request = exchange["request"]
        reply = exchange["response"]
        assert isinstance(request, dict) and isinstance(reply, dict)
        if network in marks:  # (marked refused_requests without names: not held to this network)
            census.marked_tests.add(test)
        if not request.get("checked"):
            census.unchecked.append(where)
        elif request.get("ok"):
            census.valid += 1
        elif expected:
            census.refused_as_expected += 1
            census.refusing_tests.add(test)
        else:
            census.unexpected.append(f"{where}: {'; '.join(map(str, request.get('errors') or []))}")
        if exchange.get("fault"):
            census.faults += 1
        elif reply.get("checked"):
            census.replies_checked += 1
            if not reply.get("ok") and expected:  # a test proving that an off-spec reply is caught
                census.refusing_tests.add(test)
            elif not reply.get("ok"):
                census.replies_invalid.append(f"{where} → {exchange['status']}: {'; '.join(map(str, reply['errors']))}")
        elif exchange.get("template") is not None:
            census.replies_unjudged.append(where)
    return census


@pytest.fixture(scope="session")
def exchanges() -> list[dict[str, object]]:
    """Every exchange recorded so far in this session (read when first asked: the census runs last)."""
    path = os.environ.get(RECORD_ENV)
    return read_record(Path(path)) if path else []
