"""What the Facebook and Instagram emulator parts share: Meta's Graph API conventions.

Paths carry a version (``/v25.0/…``, stripped before routing; a missing, unknown or expired one is
refused, see ``networks.graph.versions``), a token comes in the Authorization header (or
``access_token``), errors have Graph's shape (``error.code``, ``error_subcode``), answers carry
``X-App-Usage``, video bytes go to rupload.facebook.com with ``offset`` and ``file_size`` headers, and
insights are read per object. Both parts serve graph.facebook.com: a request is the part's whose
account or object it names, or whose token it carries.

Every request is judged against Meta's node specs (``networks.graph.nodes``) before its handler runs:
the node is named by the route's first placeholder (``/{page-id}/feed`` is a Page) or, for ``/{id}``,
by what the object is; a request the specs refuse gets Graph's own error. GET answers are checked
against the fields the returned node declares.
"""

from __future__ import annotations

import json
import re
import time
from abc import abstractmethod
from dataclasses import dataclass
from typing import Any

from networks.emulator.auth import header_token
from networks.emulator.messages import Reply, Request
from networks.emulator.part import NOT_CHECKED, EmulatorPart, JudgedBy, Route, Validation
from networks.emulator.uploads import Upload
from networks.graph.nodes import Edge, Problem, graph_specs
from networks.graph.versions import version_of, why_refused

VERSION = re.compile(r"/v\d+\.\d+(?=/)")
RUPLOAD_HOST = "rupload.facebook.com"
# the node type a route's first placeholder names ("/{page-id}/feed" is an edge of a Page)
PLACEHOLDER_NODES = {
    "page-id": "Page",
    "video-id": "AdVideo",
    "app-id": "Application",
    "ig-user-id": "IGUser",
    "ig-media-id": "IGMedia",
    "ig-container-id": "IGContainer",
}
# rupload.facebook.com is not a Graph node: its requests are judged against the upload guides
# (developers.facebook.com/docs/video-api/guides/reels-publishing, "Upload the video";
# developers.facebook.com/docs/instagram-platform/content-publishing/resumable-uploads)
UPLOAD_PATHS = re.compile(r"^/(?:video-upload|ig-api-upload)/(?P<version>v\d+\.\d+)/(?P<id>\d+)$")


@dataclass(frozen=True)
class GraphValidation(Validation):
    """A validation with the Graph errors to answer (the first one is answered, as Graph does)."""

    problems: tuple[Problem, ...] = ()

    @classmethod
    def of(cls, problems: list[Problem]) -> GraphValidation:
        return cls(checked=True, errors=tuple(item.detail for item in problems), problems=tuple(problems))


OBJECT_MISSING = 33  # Graph: "Object with ID … does not exist"
EXPIRED_TOKEN = 190


def graph_error(
    status: int,
    code: int,
    message: str,
    *,
    subcode: int | None = None,
    user_msg: str | None = None,
    data: dict[str, Any] | None = None,
) -> Reply:
    error: dict[str, Any] = {
        "message": message,
        "type": "OAuthException",
        "code": code,
        "fbtrace_id": "Aemulator",
    }
    if subcode is not None:
        error["error_subcode"] = subcode
    if user_msg is not None:
        error["error_user_msg"] = user_msg
    if data is not None:
        error["error_data"] = data
    return Reply(status, {"error": error})


def missing(node: str, method: str = "get") -> Reply:
    """Graph's answer for an object it cannot give: deleted, or not readable with this token."""
    return graph_error(
        400,
        100,
        f"Unsupported {method} request. Object with ID '{node}' does not exist, cannot be loaded due to "
        "missing permissions, or does not support this operation. Please read the Graph API documentation "
        "at https://developers.facebook.com/docs/graph-api",
        subcode=OBJECT_MISSING,
    )


class GraphPart(EmulatorPart):
    """A network reached through the Graph API; subclasses name their token and account fields."""

    refuses_unknown_metrics = True  # "(#100) The value must be a valid insights metric"
    # Meta's node specs describe what a GET answers, not what a POST returns
    judged_by = JudgedBy("Meta's node specs (networks/graph/specs/)")
    token_field: str  # the sandbox credential holding the token
    account_field: str  # the sandbox credential holding the account's node id

    @abstractmethod
    def insight_values(self, numbers: dict[str, int]) -> dict[str, int]:
        """Every insights metric this network answers, from the core's engagement numbers."""

    @abstractmethod
    def node(self, request: Request, node: str, item: dict[str, Any]) -> Reply:
        """``GET /{id}`` for one of this network's objects (already authorised)."""

    @abstractmethod
    def account_node(self, request: Request) -> Reply:
        """``GET /{account-id}`` (already authorised)."""

    @abstractmethod
    def node_type(self, ident: str) -> str | None:
        """The Graph node type of ``ident`` for this network (a Page, an IGMedia…), None if unknown."""

    @property
    def account(self) -> str:
        return self.credentials[self.account_field]

    def route_path(self, request: Request) -> str:
        return VERSION.sub("", request.path, count=1)

    # -- judged against Meta's specs -----------------------------------------------------------

    def validate_request(self, request: Request, route: Route | None) -> Validation:
        if request.hostname == RUPLOAD_HOST:
            return self._check_upload(request)
        version = version_of(request.path)
        refused = why_refused(version, self.core.now())
        if refused is not None:
            return GraphValidation.of([Problem(f"version: {refused}", f"(#12) {refused}", code=12)])
        operation = self.operation(request, route)
        if operation is None:
            return GraphValidation.of(
                [
                    Problem(
                        f"no node for {request.method} {request.path}",
                        f"Unsupported {request.method.lower()} request.",
                    )
                ]
            )
        node, edge_name = operation
        _edge, problems = graph_specs().check_request(node, request.method, edge_name, request.params())
        return GraphValidation.of(problems)

    def validate_response(self, request: Request, route: Route, reply: Reply) -> Validation:
        if isinstance(reply.body, dict) and isinstance(reply.body.get("error"), dict):
            error = reply.body["error"]
            missing = [key for key in ("message", "type", "code") if key not in error]
            return (
                Validation.invalid(f"error without {', '.join(missing)}") if missing else Validation.valid()
            )
        if request.hostname == RUPLOAD_HOST or reply.status != 200 or request.method != "GET":
            return NOT_CHECKED  # the specs declare the node a POST creates, not its answer
        operation = self.operation(request, route)
        edge: Edge | None = (
            graph_specs().edge(operation[0], request.method, operation[1]) if operation else None
        )
        if edge is None or graph_specs().node(edge.returns) is None:
            return NOT_CHECKED
        extra = graph_specs().check_answer(edge, reply.body)
        return Validation.invalid(*extra) if extra else Validation.valid()

    def refuse(self, request: Request, route: Route | None, validation: Validation) -> Reply:
        problems = validation.problems if isinstance(validation, GraphValidation) else ()
        if not problems:
            return graph_error(400, 100, "(#100) Invalid parameter")
        first = problems[0]
        return graph_error(400, first.code, first.message, subcode=first.subcode, user_msg=first.user_msg)

    def operation(self, request: Request, route: Route | None) -> tuple[str, str | None] | None:
        """(node type, edge or None) of a Graph request, None when no node is named."""
        segments = [part for part in self.route_path(request).split("/") if part]
        if not segments or len(segments) > 2:
            return None
        ident, edge = segments[0], (segments[1] if len(segments) == 2 else None)
        placeholder = re.match(r"/\{([a-z-]+)\}", route.template) if route is not None else None
        node = PLACEHOLDER_NODES.get(placeholder.group(1)) if placeholder else None
        node = node or self.node_type(ident)
        return (node, edge) if node is not None else None

    def _check_upload(self, request: Request) -> Validation:
        """A rupload request as the upload guides describe it: versioned path, OAuth token, and either
        ``offset`` and ``file_size`` (bytes in the body) or ``file_url`` (a hosted file)."""
        found = UPLOAD_PATHS.match(request.path)
        if found is None:
            return GraphValidation.of(
                [Problem(f"no upload path {request.path}", "Unsupported post request.")]
            )
        refused = why_refused(found.group("version"), self.core.now())
        if refused is not None:
            return GraphValidation.of([Problem(f"version: {refused}", f"(#12) {refused}", code=12)])
        problems: list[Problem] = []
        if header_token(request, ("OAuth",)) is None:
            problems.append(
                Problem(
                    "upload without 'Authorization: OAuth <token>'", "Invalid OAuth access token.", code=190
                )
            )
        headers = request.headers
        if "file_url" not in headers:
            for name in ("offset", "file_size"):
                if not headers.get(name, "").isdigit():
                    problems.append(
                        Problem(
                            f"upload header '{name}' missing or not a number",
                            f"(#100) The parameter {name} is required",
                        )
                    )
        return GraphValidation.of(problems)

    def not_found(self, request: Request, path: str) -> Reply:
        return graph_error(400, 100, f"Unsupported {request.method} request: {path}")

    def owns(self, request: Request, route: Route, params: dict[str, str]) -> bool:
        ident = next(iter(params.values()), "")
        if ident == self.account:
            return True
        known = self.core.objects.get(ident)
        if known is not None:
            return bool(known.get("network") == self.name)
        return self.given_token(request) == self.credentials[self.token_field]

    def given_token(self, request: Request) -> str:
        return header_token(request) or request.params().get("access_token", "")

    def auth(self, request: Request) -> Reply | None:
        if self.given_token(request) == self.credentials[self.token_field]:
            return None
        return Reply(
            400,
            {
                "error": {
                    "message": "Error validating access token: The session is invalid.",
                    "type": "OAuthException",
                    "code": EXPIRED_TOKEN,
                    "error_subcode": 460,
                    "fbtrace_id": "Aemu",
                }
            },
            {"WWW-Authenticate": 'OAuth "Facebook Platform" "invalid_token" "Error validating access token"'},
        )

    def fault(self, kind: str, *, reset_in_s: float | None = None) -> Reply:
        """Graph's own answers: error objects with codes, the time to regain access in minutes."""
        if kind == "rate_limited":
            headers = {}
            if reset_in_s is not None:
                usage = {
                    self.account: [
                        {
                            "type": "pages",
                            "call_count": 100,
                            "total_cputime": 30,
                            "total_time": 40,
                            "estimated_time_to_regain_access": round(reset_in_s / 60),
                        }
                    ]
                }
                headers["X-Business-Use-Case-Usage"] = json.dumps(usage)
            reply = graph_error(429, 80001, "(#80001) There have been too many calls to this account.")
            return Reply(reply.status, reply.body, headers)
        if kind == "expired_token":
            reply = graph_error(
                400, EXPIRED_TOKEN, "Error validating access token: Session has expired.", subcode=463
            )
            return reply
        if kind == "duplicate":
            return graph_error(
                400, 506, "Duplicate status message", user_msg="Vous avez déjà publié ce message."
            )
        return super().fault(kind, reset_in_s=reset_in_s)

    def usage(self) -> dict[str, str]:
        return {"X-App-Usage": json.dumps({"call_count": 1, "total_cputime": 1, "total_time": 1})}

    def created_time(self, item: dict[str, Any]) -> str:
        """When a published item was created, as Graph writes times ("2026-12-01T18:30:00+0000")."""
        created = (self.core.objects.get(item["id"]) or {}).get("created")
        if created is None:
            return str(item["created_at"]).replace("Z", "+0000")
        return time.strftime("%Y-%m-%dT%H:%M:%S+0000", time.gmtime(created))

    def mine(self, node: str) -> dict[str, Any] | None:
        item = self.core.objects.get(node)
        return item if item is not None and item.get("network") == self.name else None

    def rupload(self, request: Request, key: str) -> Reply:
        """Bytes for an upload session at ``offset`` (rupload.facebook.com)."""
        if (denied := self.auth(request)) is not None:
            return denied
        upload = self.core.uploads.get(key)
        if upload is None:
            return graph_error(400, 100, "Invalid upload id")
        offset, size = int(request.headers.get("offset", "0")), int(request.headers.get("file_size", "0"))
        if offset != len(upload.data) or not size:
            return Reply(
                400,
                {
                    "debug_info": {
                        "type": "ProcessingFailedError",
                        "message": f"offset {offset} expected {len(upload.data)}",
                    }
                },
            )
        upload.total = size
        upload.data.extend(request.body)
        return Reply(200, {"success": True, "message": "Upload successful."})

    def new_upload(self, key: str, **item: Any) -> Upload:
        """An upload session, and the object it will become (``item``: kind, text…)."""
        upload = Upload(total=0)
        self.core.uploads[key] = upload
        self.core.objects[key] = {"network": self.name, **item, "upload": upload}
        return upload

    def insights(self, request: Request, node: str) -> Reply:
        item = self.core.objects.get(node)
        if (denied := self.auth(request)) is not None:
            return denied
        if item is None or "created" not in item:
            return missing(node)
        known = self.insight_values(self.core.engagement(node))
        data = [  # names the spec takes (checked before) and this part does not model answer 0
            {
                "name": name,
                "period": "lifetime",
                "values": [{"value": known.get(name, 0)}],
                "title": name,
                "description": "",
                "id": f"{node}/insights/{name}/lifetime",
            }
            for name in [metric for metric in request.query.get("metric", "").split(",") if metric]
        ]
        return Reply(200, {"data": data}, self.usage())

    def graph_node(self, request: Request, node: str) -> Reply:
        if node == self.account:
            return self.auth(request) or self.selected(request, self.account_node(request))
        item = self.core.objects.get(node)
        if item is None:
            return missing(node)
        if (denied := self.auth(request)) is not None:
            return denied
        return self.selected(request, self.node(request, node, item))

    def selected(self, request: Request, reply: Reply) -> Reply:
        """Graph answers ``id`` and the fields asked for (all the part models when none are asked)."""
        fields = request.query.get("fields")
        if not fields or reply.status != 200 or not isinstance(reply.body, dict):
            return reply
        wanted = {"id", *(name.strip() for name in fields.split(","))}
        return Reply(
            reply.status, {key: value for key, value in reply.body.items() if key in wanted}, reply.headers
        )
