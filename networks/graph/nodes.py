"""Meta's Graph node specs, and what they say of one request or one answer.

The specs are Meta's own machine-readable declarations (``networks/graph/specs/``, package data, see
its SOURCE.md): for each node its fields, and for each edge the parameters it takes, their types and
the enums they draw from. They are loaded, never transcribed. ``supplement.json`` adds the little the
emulator needs that Meta's files do not declare, each part with its reference page.

A request is judged as Graph judges it, with Graph's own messages (HTTP 400, ``OAuthException``,
code 100):

- a field the node does not have: "(#100) Tried accessing nonexisting field (…) on node type (…)",
  the same for an edge the node does not have;
- a parameter the edge does not declare: "(#100) Param … is not a valid parameter";
- a required parameter missing: "(#100) The parameter … is required";
- a value outside the parameter's enum: "(#100) Param … must be one of {…} - got "…"" (Graph matches
  enum values without regard to case: the Reels guide sends ``upload_phase=start``, the spec declares
  ``START``);
- an insights metric Facebook does not have: "(#100) The value must be a valid insights metric" (it
  does not say which); Instagram lists the metrics it takes instead:
  "(#100) metric[0] must be one of the following values: …".
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any

SPECS_PACKAGE = "networks.graph"
# Parameters every Graph call takes besides its edge's own: the token and its proof
# (developers.facebook.com/docs/graph-api/securing-requests), the fields to read
# (/docs/graph-api/guides/field-expansion), cursor paging (/docs/graph-api/results), pretty output.
COMMON_PARAMS = frozenset({"access_token", "appsecret_proof", "fields", "limit", "after", "before", "pretty"})
INSIGHTS_EDGES = frozenset({"insights", "video_insights"})
TYPE_WORDS = {
    "bool": "a boolean",
    "unsigned int": "an unsigned integer",
    "int": "an integer",
    "float": "a number",
    "datetime": "a date and time (Unix time or ISO 8601)",
}


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    required: bool = False


@dataclass(frozen=True)
class Edge:
    """One API of a node: ``name`` is the edge ("feed"), or None for the node itself (``#get``)."""

    node: str
    method: str
    name: str | None
    returns: str
    params: Mapping[str, Param]

    def label(self) -> str:
        return f"{self.method} /{{{self.node}}}" + (f"/{self.name}" if self.name else "")


@dataclass(frozen=True)
class Node:
    name: str
    fields: Mapping[str, str]  # field name -> type
    edges: Mapping[tuple[str, str | None], Edge]  # (method, edge or None) -> Edge


@dataclass(frozen=True)
class Problem:
    """One thing Graph refuses in a request: Graph's own error, and what the record says of it."""

    detail: str  # for people reading the test record: which rule of which spec file
    message: str  # Graph's error.message
    code: int = 100
    subcode: int | None = None
    user_msg: str | None = None


class GraphSpecs:
    """The node specs shipped with clickable, read on first use of each file."""

    def __init__(self) -> None:
        self._nodes: dict[str, Node | None] = {}
        self._supplement: dict[str, Any] | None = None
        self._enums: dict[str, tuple[str, ...]] | None = None

    def _read(self, name: str) -> Any:
        path = resources.files(SPECS_PACKAGE).joinpath("specs", name)
        return json.loads(path.read_text("utf-8"))

    @property
    def supplement(self) -> dict[str, Any]:
        if self._supplement is None:
            self._supplement = self._read("supplement.json")
        return self._supplement

    def enum(self, name: str) -> tuple[str, ...] | None:
        if self._enums is None:
            self._enums = {item["name"]: tuple(item["values"]) for item in self._read("enum_types.json")}
        return self._enums.get(name)

    def node(self, name: str) -> Node | None:
        """The node ``name`` (Page, IGMedia…), or None when no spec declares it."""
        if name not in self._nodes:
            raw = self.supplement["nodes"].get(name)
            if raw is None:
                try:
                    raw = self._read(f"{name}.json")
                except FileNotFoundError:
                    raw = None
            self._nodes[name] = _node(name, raw) if raw is not None else None
        return self._nodes[name]

    def edge(self, node: str, method: str, edge: str | None) -> Edge | None:
        found = self.node(node)
        return found.edges.get((method, edge)) if found is not None else None

    def insights_metrics(self, node: str, edge: Edge) -> tuple[tuple[str, ...], bool]:
        """The metrics ``edge`` takes (retired ones left out), and whether its spec enumerates them.

        Instagram's specs enumerate their metrics; Facebook's type ``metric`` as ``list<Object>``:
        their names come from the supplement (the insights reference pages).
        """
        retired = set(self.retired_metrics(node))
        param = edge.params.get("metric")
        enum = self.enum(_element_type(param.type)) if param is not None else None
        if enum is not None:
            return tuple(name for name in enum if name not in retired), True
        listed = self.supplement["insights_metrics"].get(node, {}).get("names", [])
        return tuple(name for name in listed if name not in retired), False

    def retired_metrics(self, node: str) -> tuple[str, ...]:
        return tuple(self.supplement["retired_metrics"].get(node, {}).get("names", []))

    # -- judging ---------------------------------------------------------------------------------

    def check_request(
        self, node: str, method: str, edge_name: str | None, params: Mapping[str, str]
    ) -> tuple[Edge | None, list[Problem]]:
        """What Graph would refuse in ``method /{node-id}[/edge_name]`` with these parameters."""
        edge = self.edge(node, method, edge_name)
        if edge is None:
            if edge_name is None:
                return None, [
                    Problem(
                        f"{node}.json declares no {method} on the node itself",
                        f"Unsupported {method.lower()} request.",
                    )
                ]
            return None, [
                Problem(
                    f"{node}.json declares no {method} {edge_name} edge",
                    f"(#100) Tried accessing nonexisting field ({edge_name}) on node type ({node})",
                )
            ]
        problems: list[Problem] = []
        for name, value in params.items():
            if name in COMMON_PARAMS:
                continue
            param = edge.params.get(name)
            if param is None:
                problems.append(
                    Problem(
                        f"{edge.label()}: parameter '{name}' is not declared by {node}.json",
                        f"(#100) Param {name} is not a valid parameter",
                    )
                )
                continue
            problem = self._check_value(edge, param, value)
            if problem is not None:
                problems.append(problem)
        for name, param in edge.params.items():
            if param.required and name not in params:
                problems.append(
                    Problem(
                        f"{edge.label()}: required parameter '{name}' missing",
                        f"(#100) The parameter {name} is required",
                    )
                )
        if edge.name in INSIGHTS_EDGES and "metric" in params:
            problems.extend(self._check_metrics(node, edge, params["metric"]))
        if "fields" in params and method == "GET":
            problems.extend(self._check_fields(edge, params["fields"]))
        return edge, problems

    def _check_value(self, edge: Edge, param: Param, value: str) -> Problem | None:
        if param.name == "metric" and edge.name in INSIGHTS_EDGES:
            return None  # judged with the insights metrics, with their own messages
        element = _element_type(param.type)
        values = _list(value) if param.type.startswith("list<") else [value]
        enum = self.enum(element)
        for item in values:
            if enum is not None:
                if item.lower() not in {option.lower() for option in enum}:
                    return Problem(
                        f"{edge.label()}: '{item}' is not in {element}",
                        f'(#100) Param {param.name} must be one of {{{", ".join(enum)}}} - got "{item}"',
                    )
            elif element in TYPE_WORDS and not _is(element, item):
                return Problem(
                    f"{edge.label()}: {param.name}='{item}' is not {param.type}",
                    f"(#100) Param {param.name} must be {TYPE_WORDS[element]}",
                )
        return None

    def _check_metrics(self, node: str, edge: Edge, value: str) -> list[Problem]:
        allowed, enumerated = self.insights_metrics(node, edge)
        for index, name in enumerate(_list(value)):
            if name in allowed:
                continue
            retired = " (retired)" if name in self.retired_metrics(node) else ""
            detail = f"{edge.label()}: metric '{name}'{retired} is not one {node} answers"
            if enumerated:
                return [
                    Problem(
                        detail,
                        f"(#100) metric[{index}] must be one of the following values: {', '.join(allowed)}",
                    )
                ]
            return [Problem(detail, "(#100) The value must be a valid insights metric")]
        return []

    def _check_fields(self, edge: Edge, value: str) -> list[Problem]:
        node = self.node(edge.returns)
        if node is None:
            return []  # the answer's node is not declared: its fields cannot be judged
        for name in _field_names(value):
            if name not in node.fields:
                return [
                    Problem(
                        f"{edge.label()}: {edge.returns}.json has no field '{name}'",
                        f"(#100) Tried accessing nonexisting field ({name}) on node type ({edge.returns})",
                    )
                ]
        return []

    def check_answer(self, edge: Edge, body: Any) -> list[str]:
        """Fields of a GET answer that the returned node does not declare (empty when it cannot tell)."""
        node = self.node(edge.returns)
        if node is None or edge.method != "GET" or not isinstance(body, dict):
            return []
        items: Iterable[Any] = body.get("data", []) if edge.name is not None else [body]
        extra = [
            f"{edge.label()} answered field '{key}', which {edge.returns} does not declare"
            for item in items
            if isinstance(item, dict)
            for key in item
            if key not in node.fields
        ]
        if edge.name is not None:
            extra += [
                f"{edge.label()} answered '{key}' beside data and paging"
                for key in body
                if key not in ("data", "paging")
            ]
        return list(dict.fromkeys(extra))


def _node(name: str, raw: Mapping[str, Any]) -> Node:
    """A node from its spec: ``apis`` entries with an ``endpoint`` are edges, ``#get``/``#update``/
    ``#delete`` are the node's own GET, POST and DELETE."""
    edges: dict[tuple[str, str | None], Edge] = {}
    for api in raw.get("apis", []):
        endpoint = api.get("endpoint")
        if endpoint is None and api.get("name") not in ("#get", "#update", "#delete"):
            continue
        params = {
            item["name"]: Param(item["name"], item["type"], bool(item.get("required")))
            for item in api.get("params", [])
        }
        edges[(api["method"], endpoint)] = Edge(name, api["method"], endpoint, api.get("return", ""), params)
    fields = {item["name"]: item["type"] for item in raw.get("fields", [])}
    return Node(name, fields, edges)


def _element_type(kind: str) -> str:
    found = re.fullmatch(r"list<(.+)>", kind)
    return found.group(1) if found else kind


def _list(value: str) -> list[str]:
    """A list parameter: comma-separated, or a JSON array."""
    text = value.strip()
    if text.startswith("["):
        try:
            items = json.loads(text)
        except ValueError:
            items = None
        if isinstance(items, list):
            return [str(item) for item in items]
    return [item.strip() for item in text.split(",") if item.strip()]


def _field_names(value: str) -> list[str]:
    """Top-level names of a ``fields`` value ("a,b{c,d},e.limit(2)" -> a, b, e)."""
    text = value
    while True:
        inner = re.sub(r"[{(][^{}()]*[})]", "", text)
        if inner == text:
            break
        text = inner
    names = [part.split(".")[0].strip() for part in text.split(",")]
    return [name for name in names if name]


def _is(kind: str, value: str) -> bool:
    text = value.strip()
    if kind == "bool":
        return text.lower() in ("true", "false", "1", "0")
    if kind == "unsigned int":
        return text.isdigit()
    if kind == "int":
        return re.fullmatch(r"-?\d+", text) is not None
    if kind == "float":
        try:
            float(text)
        except ValueError:
            return False
        return True
    if kind == "datetime":
        if re.fullmatch(r"-?\d+", text):
            return True
        try:
            datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return False
        return True
    return True


@cache
def graph_specs() -> GraphSpecs:
    """The specs, shared by every emulator in the process (read once)."""
    return GraphSpecs()
