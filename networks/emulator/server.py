"""The emulator's core: a local HTTP server standing in for the networks' APIs, one part per network.

A real HTTP server on 127.0.0.1. The core routes each request on the Host header the real clients sign
to the parts that serve that host (each network's part lives in its package: ``networks/<name>/emulator.py``,
found through the registry), applies injected faults and chaos, keeps the clock, the record of what was
published, the uploads and objects the parts share, grows engagement numbers over time (deterministically
from a seed), runs the parts' request and response validators and hands every exchange to its recorders.
Its admin API lives under ``/_emulator/``.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from networks.emulator.messages import Reply, Request
from networks.emulator.part import NOT_CHECKED, EmulatorPart, Exchange, Recorder, Route, Validation
from networks.emulator.record import recorders_from_environment
from networks.emulator.uploads import Upload

if TYPE_CHECKING:
    from networks.registry import Registry

__all__ = ["Emulator", "EmulatorServer", "Reply", "Request", "Upload", "start"]


@dataclass
class Fault:
    network: str
    endpoint: str
    status: int | None
    headers: dict[str, str]
    body: Any
    times: int
    delay_s: float
    # the part answers first (the post is made), then its answer waits this long: a create that landed
    # while its client waits (killed meanwhile, or timing out)
    late_s: float = 0.0


class Emulator:
    """The emulator's state and request handling; :func:`start` serves it over HTTP."""

    def __init__(
        self, seed: int = 2026, *, networks: Registry | None = None, recorders: Iterable[Recorder] = ()
    ) -> None:
        if networks is None:
            from networks.registry import registry

            networks = registry()
        self.seed = seed
        self.lock = threading.RLock()
        # CLICKABLE_EMULATOR_RECORD: every exchange also appended to that file (networks/emulator/record.py)
        self.recorders: list[Recorder] = [*recorders_from_environment(), *recorders]
        self.reset()
        self.parts: list[EmulatorPart] = [part(self, spec) for spec, part in networks.emulator_parts()]

    # -- state shared by the parts ---------------------------------------------------------------

    def reset(self) -> None:
        with self.lock:
            self.counter = 0
            self.clock_offset = 0.0
            self.published: list[dict[str, Any]] = []
            self._texts: dict[str, set[str]] = {}  # network -> texts of its live posts (duplicate checks)
            self.faults: list[Fault] = []
            self.requests: list[dict[str, Any]] = []
            self.uploads: dict[str, Upload] = {}
            self.objects: dict[str, dict[str, Any]] = {}
            self.chaos_rate = 0.0
            self.chaos = random.Random(self.seed)
            for part in getattr(self, "parts", []):
                part.reset()

    def credentials(self) -> dict[str, dict[str, str]]:
        """Every part's sandbox credentials, by network."""
        return {part.name: dict(part.credentials) for part in self.parts}

    def part(self, network: str) -> EmulatorPart:
        for part in self.parts:
            if part.name == network:
                return part
        raise KeyError(f"no emulator part for network {network!r}")

    def now(self) -> float:
        return time.time() + self.clock_offset

    def next_id(self, prefix: str = "") -> str:
        with self.lock:
            self.counter += 1
            return f"{prefix}{1_900_000_000_000 + self.counter}"

    def record(self, network: str, account: str, remote_id: str, text: str, media: list[str]) -> None:
        """A post now exists on ``network``: the record tests and ``/_emulator/published`` read."""
        with self.lock:
            self.published.append(
                {
                    "network": network,
                    "account": account,
                    "id": remote_id,
                    "text": text,
                    "media": media,
                    "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.now())),
                }
            )
            self.objects.setdefault(remote_id, {"network": network})["created"] = self.now()
            self._texts.setdefault(network, set()).add(text)

    def has_text(self, network: str, text: str) -> bool:
        """Whether a live post on ``network`` has exactly this text (what duplicate checks compare)."""
        return text in self._texts.get(network, set())

    def published_on(self, network: str) -> list[dict[str, Any]]:
        """What is published on ``network`` (deleted posts left out), newest first."""
        return [
            item
            for item in reversed(self.published)
            if item["network"] == network and not item.get("deleted")
        ]

    def delete(self, remote_id: str) -> bool:
        """The post is deleted on its network (by a moderator, or its author): it no longer answers."""
        with self.lock:
            if self.objects.pop(remote_id, None) is None:
                return False
            for item in self.published:
                if item["id"] == remote_id:
                    item["deleted"] = True
            self._texts = {}
            for item in self.published:
                if not item.get("deleted"):
                    self._texts.setdefault(item["network"], set()).add(item["text"])
            return True

    def engagement(self, remote_id: str) -> dict[str, int]:
        """Numbers that grow with the post's age, the same for the same seed, id and age."""
        created = self.objects.get(remote_id, {}).get("created", self.now())
        minutes = max(0.0, (self.now() - created) / 60)
        rng = random.Random(f"{self.seed}:{remote_id}")
        reach = rng.randint(200, 2000)
        growth = 1 - math.exp(-minutes / 600)
        views = int(reach * 3 * growth)
        return {
            "views": views,
            "reach": int(reach * growth),
            "likes": int(views * rng.uniform(0.01, 0.05)),
            "comments": int(views * rng.uniform(0.001, 0.005)),
            "shares": int(views * rng.uniform(0.002, 0.01)),
            "saves": int(views * rng.uniform(0.001, 0.006)),
            "link_clicks": int(views * rng.uniform(0.005, 0.03)),
            "watch_time": int(views * rng.uniform(3000, 9000)),
        }

    # -- faults ------------------------------------------------------------------------------------

    def add_fault(self, spec: dict[str, Any]) -> Fault:
        """A fault from its fields, or from ``kind`` (the network's own shape, see EmulatorPart.fault)."""
        network = str(spec["network"])
        if spec.get("kind"):
            reset = spec.get("reset_in_s")
            shaped = self.part(network).fault(
                str(spec["kind"]), reset_in_s=float(reset) if reset is not None else None
            )
            spec = {"status": shaped.status, "headers": shaped.headers, "body": shaped.body, **spec}
        fault = Fault(
            network=network,
            endpoint=" ".join(str(spec["endpoint"]).split()),
            status=int(spec["status"]) if spec.get("status") is not None else None,
            headers={str(k): str(v) for k, v in (spec.get("headers") or {}).items()},
            body=spec.get("body"),
            times=int(spec.get("times", 1)),
            delay_s=float(spec.get("delay_s", 0)),
            late_s=float(spec.get("late_s", 0)),
        )
        with self.lock:
            self.faults.append(fault)
        return fault

    def _take_fault(self, network: str, endpoint: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.network == network and fault.endpoint == endpoint and fault.times > 0:
                    fault.times -= 1
                    return fault
        return None

    # -- dispatch --------------------------------------------------------------------------------

    def handle(self, request: Request) -> Reply:
        if request.path.startswith("/_emulator/"):
            reply = self.admin(request)
            self._record_exchange(Exchange(None, request.method, request.hostname, request.path,
                                           tuple(sorted(request.query)), None, reply.status))  # fmt: skip
            return reply
        host = request.hostname
        parts = [part for part in self.parts if part.serves(host)]
        if not parts:
            reply = Reply(404, {"error": f"unknown host {host}"})
            self._record_exchange(Exchange(None, request.method, host, request.path,
                                           tuple(sorted(request.query)), None, reply.status))  # fmt: skip
            return reply
        part, route, params = self._route(request, parts)
        validation = part.validate_request(request, route)
        fault_used = False
        response_validation: Validation = NOT_CHECKED
        if route is None:
            reply = (
                part.refuse(request, None, validation)
                if not validation.ok
                else part.not_found(request, part.route_path(request))
            )
        else:
            if not validation.ok:
                reply = part.refuse(request, route, validation)
            else:
                injected = self._injected(part, route, request, params)
                if injected is not None:
                    reply, fault_used = injected, True
                else:
                    reply = route.handler(request, **params)
            # every answer on a route is judged, refusals and injected faults too (the record says which)
            response_validation = part.validate_response(request, route, reply)
        self._record_exchange(
            Exchange(
                part.name,
                request.method,
                host,
                request.path,
                tuple(sorted(request.query)),
                route.template if route else None,
                reply.status,
                validation,
                response_validation,
                fault_used,
            )
        )
        return reply

    def _route(
        self, request: Request, parts: list[EmulatorPart]
    ) -> tuple[EmulatorPart, Route | None, dict[str, str]]:
        """The part and route for ``request``: the first part that owns a matching route, else the first match."""
        first: tuple[EmulatorPart, Route, dict[str, str]] | None = None
        for part in parts:
            matched = part.match(request)
            if matched is None:
                continue
            route, params = matched
            if part.owns(request, route, params):
                return part, route, params
            first = first or (part, route, params)
        if first is not None:
            return first
        return parts[0], None, {}

    def _injected(
        self, part: EmulatorPart, route: Route, request: Request, params: dict[str, str]
    ) -> Reply | None:
        """A chaos or fault answer in place of the part's own, or None."""
        if self.chaos_rate and route.creates:
            with self.lock:
                roll = self.chaos.random()
            if roll < self.chaos_rate / 2:  # refused before anything is created
                return Reply(503, "<html><body>Service Unavailable</body></html>")
            if roll < self.chaos_rate:  # created, but the answer is lost
                route.handler(request, **params)
                return Reply(502, "<html><body>Bad Gateway</body></html>")
        fault = self._take_fault(part.name, f"{route.method} {route.template}")
        if fault is None:
            return None
        if fault.delay_s:
            time.sleep(fault.delay_s)
        if fault.late_s:
            reply = route.handler(request, **params)
            time.sleep(fault.late_s)
            return reply
        if fault.status is None:
            return None  # a delay only: the real answer follows, late
        return Reply(fault.status, fault.body if fault.body is not None else "", fault.headers)

    def _record_exchange(self, exchange: Exchange) -> None:
        with self.lock:
            self.requests.append(exchange.as_dict())
        for recorder in self.recorders:
            recorder(exchange)

    def add_recorder(self, recorder: Recorder) -> None:
        """Call ``recorder`` with every exchange from now on (e.g. to collect validation outcomes)."""
        self.recorders.append(recorder)

    # -- admin -----------------------------------------------------------------------------------

    def admin(self, request: Request) -> Reply:
        route = request.path.removeprefix("/_emulator/")
        if request.method == "GET" and route == "published":
            return Reply(200, self.published)
        if request.method == "GET" and route == "credentials":
            return Reply(200, self.credentials())
        if request.method == "GET" and route == "requests":
            return Reply(200, self.requests)
        if request.method == "POST" and route == "reset":
            self.reset()
            return Reply(200, {"ok": True})
        if request.method == "POST" and route == "faults":
            try:
                fault = self.add_fault(request.json())
            except (KeyError, ValueError, TypeError) as error:
                return Reply(400, {"error": f"bad fault: {error}"})
            return Reply(201, {"network": fault.network, "endpoint": fault.endpoint, "times": fault.times})
        if request.method == "POST" and route == "delete":
            remote_id = str(request.json().get("id", ""))
            if not self.delete(remote_id):
                return Reply(404, {"error": f"no post {remote_id}"})
            return Reply(200, {"deleted": remote_id})
        if request.method == "POST" and route == "chaos":
            body = request.json()
            with self.lock:
                self.chaos_rate = float(body.get("rate", 0))
                self.chaos = random.Random(int(body.get("seed", self.seed)))
            return Reply(200, {"rate": self.chaos_rate})
        if request.method == "POST" and route == "clock":
            with self.lock:
                self.clock_offset += float(request.json().get("advance_s", 0))
            return Reply(200, {"offset_s": self.clock_offset})
        return Reply(404, {"error": f"unknown admin route {request.method} {route}"})


class _Handler(BaseHTTPRequestHandler):
    server: EmulatorServer
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go in two writes: no 40 ms delayed-ACK stall

    def log_message(self, format: str, *args: Any) -> None:
        """No access log: requests carry tokens in headers and texts in bodies."""

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if len(body) < length:  # the client stopped mid-request (killed, cut off): no server sees a request
            self.close_connection = True
            return
        request = Request(
            method=self.command,
            host=self.headers.get("Host", ""),
            path=parts.path,
            query=dict(parse_qsl(parts.query, keep_blank_values=True)),
            headers={key.lower(): value for key, value in self.headers.items()},
            body=body,
            raw_query=parts.query,
        )
        reply = self.server.emulator.handle(request)
        payload, content_type = reply.encoded()
        headers = {key.lower(): value for key, value in reply.headers.items()}
        try:
            self.send_response(reply.status)
            if "content-type" not in headers and reply.body != "":
                self.send_header("Content-Type", content_type)
            for key, value in reply.headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout fault): nothing to answer

    do_GET = _serve
    do_POST = _serve
    do_PUT = _serve
    do_DELETE = _serve


class EmulatorServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, emulator: Emulator, host: str = "127.0.0.1", port: int = 0) -> None:
        self.emulator = emulator
        super().__init__((host, port), _Handler)
        self.thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> EmulatorServer:
        self.thread = threading.Thread(target=self.serve_forever, name="clickable-emulator", daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        if self.thread is not None:
            self.thread.join(timeout=5)


def start(seed: int = 2026, port: int = 0, *, networks: Registry | None = None) -> EmulatorServer:
    """Serve a new emulator on 127.0.0.1 in a background thread (port 0: any free port)."""
    return EmulatorServer(Emulator(seed, networks=networks), port=port).start()
