"""The interface of one network's part of the emulator, and what the core records of each exchange.

A part lives in its network's package (``networks/<name>/emulator.py``) and is named by the network's
spec (``NetworkSpec.emulator``). The core (``networks.emulator.server``) routes a request to the parts
that serve its host, finds the route, checks the request with the part's validator, applies faults,
calls the handler, checks the reply with the part's response validator and hands an :class:`Exchange`
to every recorder.

Hooks a part may override (all have a default):

- ``serves(host)``: the hosts it answers (default: the spec's ``hosts``; a network with instances,
  like Mastodon, answers each account's own host);
- ``route_path(request)``: the path its routes are matched against (Graph strips its version);
- ``owns(request, route, params)``: when several parts serve one host (Facebook and Instagram on
  graph.facebook.com), whether this request is this part's;
- ``validate_request`` / ``validate_response``: judge an exchange against the network's own spec
  (OpenAPI, Graph node specs); the default says "not checked";
- ``judged_by``: a :class:`JudgedBy` when those validators judge every request the part answers: the
  test suite then holds the network to 100 % (tests/test_zzz_requests_validate.py: every request the
  suite sent it is valid, or refused in a test marked ``@pytest.mark.refused_requests("<network>")``);
- ``refuse(request, route, validation)``: the network's own error for a request its spec refuses;
- ``not_found(request, path)``: the network's own answer to an unknown route;
- ``fault(kind, reset_in_s=…)``: the network's own answer for a named fault (``rate_limited``,
  ``expired_token``, ``server_error``, ``duplicate``), so that tests and the contract suite inject
  realistic faults without knowing each network's error shape;
- ``refuses_duplicates``: whether the part itself refuses a post whose text it already has;
- ``refuses_unknown_metrics``: whether the network refuses a request naming a metric it does not have
  (Graph does, for the whole request); a network that merely leaves it out of its answer does not;
- ``reset()``: forget the part's own state (the core's record, objects and uploads are reset by the core).
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from networks.emulator.messages import Reply, Request

if TYPE_CHECKING:
    from networks.emulator.server import Emulator
    from networks.spec import NetworkSpec

Handler = Callable[..., Reply]


@dataclass(frozen=True)
class Route:
    """One endpoint: ``pattern`` (a regular expression with named groups) matched on the whole path."""

    method: str
    pattern: str
    template: str  # the path as the network documents it ("/2/tweets/{id}"): faults and records use it
    handler: Handler
    creates: bool = False  # the call that creates a post: chaos may lose its answer after it landed
    compiled: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "compiled", re.compile(self.pattern))

    def match(self, method: str, path: str) -> dict[str, str] | None:
        if method != self.method:
            return None
        found = self.compiled.fullmatch(path)
        return found.groupdict() if found else None


@dataclass(frozen=True)
class Validation:
    """What a validator said of a request or a reply: not checked, valid, or its errors."""

    checked: bool = False
    errors: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.errors

    @classmethod
    def valid(cls) -> Validation:
        return cls(checked=True)

    @classmethod
    def invalid(cls, *errors: str) -> Validation:
        return cls(checked=True, errors=tuple(errors))

    def as_dict(self) -> dict[str, Any]:
        return {"checked": self.checked, "ok": self.ok, "errors": list(self.errors)}


NOT_CHECKED = Validation()


@dataclass(frozen=True)
class JudgedBy:
    """The network's own spec that judges the part's exchanges (``EmulatorPart.judged_by``)."""

    spec: str  # what judges, as the failures name it ("X's OpenAPI document v2.159, with openapi-core")
    hosts: tuple[str, ...] | None = None  # the hosts the spec covers (None: every host the part serves)
    every_reply: bool = False  # the spec describes every answer: each reply of the part's is judged too


@dataclass(frozen=True)
class Exchange:
    """One request the emulator received and what it answered, for recorders."""

    network: str | None  # the part that answered (None: the admin API or a host no part serves)
    method: str
    host: str
    path: str
    query_keys: tuple[str, ...]
    template: str | None  # the route's documented path, None when no route matched
    status: int
    request: Validation = NOT_CHECKED
    response: Validation = NOT_CHECKED
    fault: bool = False  # the answer was an injected fault (not the part's own reply)

    def as_dict(self) -> dict[str, Any]:
        return {
            "network": self.network,
            "method": self.method,
            "host": self.host,
            "path": self.path,
            "query_keys": list(self.query_keys),
            "template": self.template,
            "status": self.status,
            "request": self.request.as_dict(),
            "response": self.response.as_dict(),
            "fault": self.fault,
        }


Recorder = Callable[[Exchange], None]


FAULT_KINDS = ("rate_limited", "expired_token", "server_error", "duplicate")
SERVER_ERROR_HTML = "<html><body><h1>503 Service Unavailable</h1></body></html>"


class EmulatorPart(ABC):
    """One network's routes in the emulator, with its sandbox credentials."""

    refuses_duplicates = False  # the part answers a second post of the same text with ``fault("duplicate")``
    refuses_unknown_metrics = False  # a metric the network does not have fails the request (Graph)
    judged_by: JudgedBy | None = None  # the spec its validators judge it by (the suite holds it to 100 %)

    def __init__(self, core: Emulator, spec: NetworkSpec) -> None:
        self.core = core
        self.spec = spec
        self.name = spec.name
        self.credentials = self.sandbox_credentials(core.seed)
        self._routes = self.routes()

    @classmethod
    @abstractmethod
    def sandbox_credentials(cls, seed: int) -> dict[str, str]:
        """The credentials a sandbox account of this network uses (the same for the same seed)."""

    @abstractmethod
    def routes(self) -> list[Route]:
        """Every endpoint of this part, most specific first."""

    def serves(self, host: str) -> bool:
        return host in self.spec.hosts

    def route_path(self, request: Request) -> str:
        return request.path

    def match(self, request: Request) -> tuple[Route, dict[str, str]] | None:
        path = self.route_path(request)
        for route in self._routes:
            params = route.match(request.method, path)
            if params is not None:
                return route, params
        return None

    def owns(self, request: Request, route: Route, params: dict[str, str]) -> bool:
        return True

    def validate_request(self, request: Request, route: Route | None) -> Validation:
        return NOT_CHECKED

    def validate_response(self, request: Request, route: Route, reply: Reply) -> Validation:
        return NOT_CHECKED

    def refuse(self, request: Request, route: Route | None, validation: Validation) -> Reply:
        return Reply(400, {"error": "; ".join(validation.errors)})

    def not_found(self, request: Request, path: str) -> Reply:
        return Reply(404, {"error": f"no route {request.method} {path}"})

    def create_endpoint(self) -> str:
        """``"METHOD /template"`` of the call that creates a post (the first route marked ``creates``)."""
        route = next(route for route in self._routes if route.creates)
        return f"{route.method} {route.template}"

    def fault(self, kind: str, *, reset_in_s: float | None = None) -> Reply:
        """The network's own answer for a fault of ``kind`` (override with the network's real shapes)."""
        if kind == "rate_limited":
            headers = {"Retry-After": str(round(reset_in_s))} if reset_in_s is not None else {}
            return Reply(429, {"error": "rate limited"}, headers)
        if kind == "expired_token":
            return Reply(401, {"error": "token expired"})
        if kind == "server_error":
            return Reply(503, SERVER_ERROR_HTML)
        if kind == "duplicate":
            return Reply(409, {"error": "duplicate"})
        raise ValueError(f"unknown fault kind {kind!r}: use {', '.join(FAULT_KINDS)}")

    def reset(self) -> None:  # noqa: B027  (a hook: most parts keep no state of their own)
        """Forget this part's own state (override when the part keeps any)."""
