"""Every request the test suite sent to the emulator validates against the network's own spec.

Run last (its name sorts last): it reads what every in-process emulator of the session recorded
(tests/conftest.py, ``RECORDED``). A test that sends requests on purpose to see them refused is marked
``refused_requests``: its refused requests (and the answers it makes wrong on purpose) are left out (the others it sends are judged). Run alone it
finds nothing and skips; with a few test files it judges what they sent.
"""

from __future__ import annotations

from collections import Counter

import pytest

from networks.graph.emulator import GraphPart
from networks.registry import registry

from .conftest import RECORDED, Recorded


def _graph_networks() -> set[str]:
    """The registered networks whose emulator part speaks Graph (judged against Meta's node specs)."""
    return {spec.name for spec, part in registry().emulator_parts() if issubclass(part, GraphPart)}


def _sent(networks: set[str]) -> list[Recorded]:
    return [
        item
        for item in RECORDED
        if item.exchange.network in networks
        and not (item.deliberate and not (item.exchange.request.ok and item.exchange.response.ok))
    ]


def _line(item: Recorded, errors: tuple[str, ...]) -> str:
    exchange = item.exchange
    return f"{item.test}: {exchange.method} {exchange.host}{exchange.path} -> {exchange.status}: {'; '.join(errors)}"


def test_every_graph_request_validates_against_metas_node_specs() -> None:
    """Meta's node specs (networks/graph/specs/, developers.facebook.com/docs/graph-api/reference) are
    the judge: 100 % of the Graph requests the suite sent were checked, and every one was valid."""
    sent = _sent(_graph_networks())
    if not sent:
        pytest.skip("no Graph request recorded: run with the suite (or with the Facebook/Instagram tests)")
    unchecked = [_line(item, ("not checked",)) for item in sent if not item.exchange.request.checked]
    refused = [_line(item, item.exchange.request.errors) for item in sent if not item.exchange.request.ok]
    # answers the emulator made (a fault a test injected is the test's own body)
    answers = [item for item in sent if item.exchange.response.checked and not item.exchange.fault]
    bad_answers = [
        _line(item, item.exchange.response.errors) for item in answers if not item.exchange.response.ok
    ]
    counts = Counter(item.exchange.network for item in sent)
    print(
        f"Graph requests validated: {len(sent) - len(refused)}/{len(sent)} ({dict(counts)}); "
        f"answers checked against node fields: {len(answers) - len(bad_answers)}/{len(answers)}"
    )
    assert not unchecked, "\n".join(unchecked[:20])
    assert not refused, "\n".join(refused[:20])
    assert not bad_answers, "\n".join(bad_answers[:20])


def test_every_youtube_api_request_validates_against_the_discovery_document() -> None:
    """The discovery document google-api-python-client ships (youtube.v3.json) is the judge: 100 % of the
    YouTube Data API requests the suite sent were checked (parameters, part, bodies, the resumable
    protocol) and valid, and so were the answers. Google's OAuth endpoints are not in the document."""
    sent = [
        item
        for item in _sent({"youtube"})
        if item.exchange.host in ("youtube.googleapis.com", "www.googleapis.com")
    ]
    if not sent:
        pytest.skip(
            "no YouTube request recorded: run with the suite (or with tests/test_networks_youtube.py)"
        )
    unchecked = [_line(item, ("not checked",)) for item in sent if not item.exchange.request.checked]
    refused = [_line(item, item.exchange.request.errors) for item in sent if not item.exchange.request.ok]
    answers = [item for item in sent if item.exchange.response.checked and not item.exchange.fault]
    bad_answers = [
        _line(item, item.exchange.response.errors) for item in answers if not item.exchange.response.ok
    ]
    print(
        f"YouTube requests validated: {len(sent) - len(refused)}/{len(sent)}; answers: {len(answers) - len(bad_answers)}/{len(answers)}"
    )
    assert not unchecked, "\n".join(unchecked[:20])
    assert not refused, "\n".join(refused[:20])
    assert not bad_answers, "\n".join(bad_answers[:20])


def test_every_tiktok_request_validates_against_tiktoks_documented_requests() -> None:
    """TikTok's reference pages are the judge (networks/tiktok/docs.py: JSON Schemas written from
    developers.tiktok.com/doc/content-posting-api-reference-*, the media transfer guide's chunk rules,
    the Display API's video list and query, the token endpoint and Login Kit's consent page): 100 % of
    the TikTok requests the suite sent were checked and valid, and so were the answers."""
    sent = _sent({"tiktok"})
    if not sent:
        pytest.skip("no TikTok request recorded: run with the suite (or with tests/test_networks_tiktok.py)")
    unchecked = [_line(item, ("not checked",)) for item in sent if not item.exchange.request.checked]
    refused = [_line(item, item.exchange.request.errors) for item in sent if not item.exchange.request.ok]
    answers = [item for item in sent if item.exchange.response.checked and not item.exchange.fault]
    bad_answers = [
        _line(item, item.exchange.response.errors) for item in answers if not item.exchange.response.ok
    ]
    print(
        f"TikTok requests validated: {len(sent) - len(refused)}/{len(sent)}; answers: {len(answers) - len(bad_answers)}/{len(answers)}"
    )
    assert not unchecked, "\n".join(unchecked[:20])
    assert not refused, "\n".join(refused[:20])
    assert not bad_answers, "\n".join(bad_answers[:20])
