"""Every request the test suite sent to an emulator, judged by its network's own spec (runs last).

tests/census.py records each exchange of every emulator the suite starts (subprocesses included: a
daemon, `clickable emulator serve`, the demo) with how the network's part judged it. Every network
whose emulator part declares a judge (``EmulatorPart.judged_by``, networks/emulator/part.py) is held
to 100 %: each request it received is valid against its spec, except those a test sends on purpose to
be refused (``@pytest.mark.refused_requests("x")``, or bare ``@pytest.mark.refused_requests`` for any
network), counted as *refused as expected*; every reply of the emulator's own matches the spec's
response (a fault a test injects is the test's own body); and a test marked with a network's name must
have been refused by it at least once. Run alone it finds nothing and skips.

A new network joins by giving its part ``judged_by = JudgedBy("its spec")`` and validators.
"""

from __future__ import annotations

import pytest

from networks.emulator.part import JudgedBy
from networks.registry import registry

from .census import census_of


def _judged() -> dict[str, JudgedBy]:
    return {spec.name: part.judged_by for spec, part in registry().emulator_parts() if part.judged_by is not None}


def test_the_networks_judged_by_their_own_spec() -> None:
    assert {"x", "facebook", "instagram", "youtube", "tiktok", "mastodon", "bluesky"} <= set(_judged())


@pytest.mark.parametrize("network", sorted(_judged()))
def test_every_request_the_suite_sent_is_valid_against_the_network_spec(
    network: str, exchanges: list[dict[str, object]]
) -> None:
    judge = _judged()[network]
    census = census_of(network, exchanges, judge.hosts)
    if not census.requests:
        pytest.skip(f"no test that ran sent {network} a request (run the whole suite)")
    print(census.summary())
    assert not census.unchecked, f"{network}: answered without being judged by {judge.spec}:\n" + "\n".join(
        census.unchecked[:20]
    )
    assert not census.unexpected, (
        f"{network}: requests {judge.spec} refuses, sent by tests not marked refused_requests({network!r}):\n"
        + "\n".join(census.unexpected[:20])
    )
    assert census.valid + census.refused_as_expected == census.requests  # 100 %
    assert not census.replies_invalid, f"{network}: replies off {judge.spec}:\n" + "\n".join(
        census.replies_invalid[:20]
    )
    if judge.every_reply:
        assert not census.replies_unjudged, f"{network}: replies not judged:\n" + "\n".join(
            census.replies_unjudged[:20]
        )
    assert not census.stale_markers, (
        f"marked refused_requests({network!r}) but never refused: {sorted(census.stale_markers)}"
    )
