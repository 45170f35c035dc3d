"""Reading metrics when one name in the set may be refused: the networks say a name is invalid without
saying which (Graph: "(#100) The value must be a valid insights metric"), and refuse the whole set.

Any adapter whose network refuses a set of metric names can use :func:`ask_each`: the set is asked
at once; when the network refuses it, each name is asked alone, the names refused alone are retired
(``Adapter.retire_metric``: not asked again by this adapter; the collector stores them so that later
runs do not ask them either, and `doctor` shows them) and the others answered. When every name is
refused alone, the names are not the problem: the first error is raised.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

Ask = Callable[[list[str]], Mapping[str, Any]]


def ask_each(
    ask: Ask, names: list[str], *, refused: Callable[[Exception], bool], retire: Callable[[str], None]
) -> dict[str, Any]:
    """Values for ``names``; a name the network refuses alone is passed to ``retire`` and left out."""
    if not names:
        return {}
    try:
        return dict(ask(names))
    except Exception as error:
        if not refused(error) or len(names) == 1:
            raise
        first = error
    values: dict[str, Any] = {}
    bad: list[str] = []
    for name in names:
        try:
            values.update(ask([name]))
        except Exception as error:
            if not refused(error):
                raise
            bad.append(name)
    if len(bad) == len(names):
        raise first
    for name in bad:
        retire(name)
    return values
