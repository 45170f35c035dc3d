"""Metric names from configuration (templates/networks/metrics.yaml), never from code."""

from __future__ import annotations

from importlib import resources
from typing import Any

import yaml


def metric_names() -> dict[str, Any]:
    text = (resources.files("templates") / "networks" / "metrics.yaml").read_text("utf-8")
    return dict(yaml.safe_load(text))


def normalise(mapping: dict[str, str], raw: dict[str, Any]) -> dict[str, float]:
    """Sum raw values into normalised names; raw names the mapping does not know are ignored."""
    result: dict[str, float] = {}
    for raw_name, value in raw.items():
        name = mapping.get(raw_name)
        if name is not None and isinstance(value, int | float):
            result[name] = result.get(name, 0) + value
    return result
