"""What the Facebook and Instagram emulator parts share: Meta's Graph API conventions.

Paths carry a version (``/v22.0/…``, stripped before routing), a token comes in the Authorization
header (or ``access_token``), errors have Graph's shape (``error.code``, ``error_subcode``), answers carry
``X-App-Usage``, video bytes go to rupload.facebook.com with ``offset`` and ``file_size`` headers, and
insights are read per object. Both parts serve graph.facebook.com: a request is the part's whose
account or object it names, or whose token it carries.
"""

from __future__ import annotations

import json
import re
from abc import abstractmethod
from typing import Any

from networks.emulator.auth import header_token
from networks.emulator.messages import Reply, Request
from networks.emulator.part import EmulatorPart, Route
from networks.emulator.uploads import Upload

VERSION = re.compile(r"/v\d+\.\d+(?=/)")
OBJECT_MISSING = 33  # Graph: "Object with ID … does not exist"
EXPIRED_TOKEN = 190


def graph_error(
    status: int, code: int, message: str, *, subcode: int | None = None, user_msg: str | None = None
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
    return Reply(status, {"error": error})


def missing(node: str, prefix: str = "") -> Reply:
    return graph_error(400, 100, f"{prefix}Object with ID '{node}' does not exist", subcode=OBJECT_MISSING)


class GraphPart(EmulatorPart):
    """A network reached through the Graph API; subclasses name their token and account fields."""

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

    @property
    def account(self) -> str:
        return self.credentials[self.account_field]

    def route_path(self, request: Request) -> str:
        return VERSION.sub("", request.path, count=1)

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
        data = []
        for name in [metric for metric in request.query.get("metric", "").split(",") if metric]:
            if name not in known:
                return graph_error(400, 100, f"(#100) The value must be a valid insights metric: {name}")
            data.append(
                {
                    "name": name,
                    "period": "lifetime",
                    "values": [{"value": known[name]}],
                    "title": name,
                    "description": "",
                    "id": f"{node}/insights/{name}/lifetime",
                }
            )
        return Reply(200, {"data": data}, self.usage())

    def graph_node(self, request: Request, node: str) -> Reply:
        if node == self.account:
            return self.auth(request) or self.account_node(request)
        item = self.core.objects.get(node)
        if item is None:
            return missing(node)
        if (denied := self.auth(request)) is not None:
            return denied
        return self.node(request, node, item)
