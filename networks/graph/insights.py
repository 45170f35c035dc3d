"""Insights read through the Graph API, for Facebook and Instagram objects alike.

An invalid metric fails the whole request and Graph does not say which one ("(#100) The value must be
a valid insights metric"): the names are then asked one at a time and the refused ones retired
(networks.metrics). An object answering code 100/33 may be deleted, or merely unreadable with this
token ("does not exist, cannot be loaded due to missing permissions…"): the object and then the
account are read before a post is called deleted.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from campaign.i18n import _
from networks.base import MetricReading, NeedsReauth
from networks.graph.client import METRIC_UNKNOWN, OBJECT_MISSING, GraphClient, GraphError
from networks.metrics import ask_each
from networks.spec import normalise


def _object_missing(error: Exception) -> bool:
    return isinstance(error, GraphError) and error.code == METRIC_UNKNOWN and error.subcode == OBJECT_MISSING


def _metric_refused(error: Exception) -> bool:
    return isinstance(error, GraphError) and error.code == METRIC_UNKNOWN and error.subcode != OBJECT_MISSING


def insights(
    client: GraphClient, node: str, edge: str, names: list[str], retire: Callable[[str], None]
) -> dict[str, Any]:
    """The values of ``names`` for ``node``; a name Graph refuses is retired, the others are kept."""

    def ask(wanted: list[str]) -> dict[str, Any]:
        body = client.request("GET", f"{node}/{edge}", params={"metric": ",".join(wanted)})
        return {item["name"]: (item.get("values") or [{}])[-1].get("value") for item in body.get("data", [])}

    return ask_each(ask, names, refused=_metric_refused, retire=retire)


def metric_reading(
    client: GraphClient,
    remote_id: str,
    edge: str,
    mapping: Mapping[str, str],
    *,
    account: str,
    retire: Callable[[str], None],
) -> MetricReading:
    """One object's metrics, normalised; an object the network no longer has comes back ``missing``."""
    try:
        raw = insights(client, remote_id, edge, list(mapping), retire)
    except GraphError as error:
        if not _object_missing(error):
            raise
        if _readable(client, remote_id):
            raise NeedsReauth(
                client.network,
                _(
                    "the insights of {post} cannot be read with this token, yet the post exists ({reason}): "
                    "give the token the insights permission the README lists, then run `clickable accounts add` again"
                ).format(post=remote_id, reason=error.reason),
            ) from None
        if not _readable(client, account):
            raise NeedsReauth(
                client.network,
                _(
                    "this token cannot read its own account {account} ({reason}): its permissions were "
                    "withdrawn; run `clickable accounts add` again"
                ).format(account=account, reason=error.reason),
            ) from None
        return MetricReading(remote_id, {}, {"error": error.reason}, missing=True)
    return MetricReading(remote_id, normalise(mapping, raw), raw)


def _readable(client: GraphClient, node: str) -> bool:
    """Whether ``GET /{node}`` answers (False on 100/33; other errors are raised)."""
    try:
        client.request("GET", node, params={"fields": "id"})
    except GraphError as error:
        if _object_missing(error):
            return False
        raise
    return True
