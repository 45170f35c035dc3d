"""Insights read through the Graph API, for Facebook and Instagram objects alike."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from networks.base import MetricReading
from networks.graph.client import METRIC_UNKNOWN, OBJECT_MISSING, GraphClient, GraphError
from networks.spec import normalise


def insights(client: GraphClient, node: str, edge: str, names: list[str]) -> dict[str, Any]:
    """Ask for every configured metric; a name the network retired is dropped, the rest are kept."""
    wanted = list(names)
    while wanted:
        try:
            body = client.request("GET", f"{node}/{edge}", params={"metric": ",".join(wanted)})
        except GraphError as error:
            retired = next(
                (name for name in wanted if error.code == METRIC_UNKNOWN and name in error.reason), None
            )
            if retired is None:
                raise
            wanted.remove(retired)
            continue
        return {item["name"]: (item.get("values") or [{}])[-1].get("value") for item in body.get("data", [])}
    return {}


def metric_reading(
    client: GraphClient, remote_id: str, edge: str, mapping: Mapping[str, str]
) -> MetricReading:
    """One object's metrics, normalised; an object the network no longer has comes back ``missing``."""
    try:
        raw = insights(client, remote_id, edge, list(mapping))
    except GraphError as error:
        if error.code == METRIC_UNKNOWN and error.subcode == OBJECT_MISSING:
            return MetricReading(remote_id, {}, {"error": error.reason}, missing=True)
        raise
    return MetricReading(remote_id, normalise(mapping, raw), raw)
