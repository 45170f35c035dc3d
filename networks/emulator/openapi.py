"""A network's OpenAPI document as the emulator's judge: requests and replies checked with openapi-core.

An emulator part whose network publishes an OpenAPI document (X does: ``networks/x/openapi/``) builds
one :class:`OpenAPIJudge` per process (``judge_for``) from the document and the routes it serves, then
asks it, for every exchange, whether the request is one the document allows (operation, parameters,
request body and its content type, security) and whether the reply matches the document's response for
its status and content type. The validation itself is openapi-core's (pinned in pyproject.toml); this
module only hands it the emulator's requests and replies.

Two things are adapted, each stated here:

- **Only the operations the part serves** are kept (with every component they reference): openapi-core
  walks the document for each request, and X's holds about 700 paths. The operations kept are the
  document's own, unchanged. A request to any other operation has no route and gets the part's
  not-found answer (the emulator does not emulate it, whether the document has it or not).
- **Errata**: a document can require what its network never sends (X's media upload responses require a
  ``meta`` member no example of X's own documentation shows). Each correction is an :class:`Erratum`
  naming the exact place, the value removed and why; ``unapplied`` lists those that no longer match
  the document (a test fails then: the erratum is obsolete once the network fixes its document).

openapi-core (and jsonschema) are imported when the first judge is built, never before: the CLI's start-up
stays light, and only an emulator that serves a part pays for them.
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from networks.emulator.messages import Reply, Request
from networks.emulator.part import Validation

# what one failure is about: the refusal a part answers depends on it
SECURITY = "security"
OPERATION = "operation"
PARAMETER = "parameter"
BODY = "body"
CONTENT_TYPE = "content-type"
RESPONSE = "response"


@dataclass(frozen=True)
class Finding:
    """One thing the document refuses in an exchange."""

    kind: str  # SECURITY, OPERATION, PARAMETER, BODY, CONTENT_TYPE or RESPONSE
    message: str
    name: str | None = None  # the parameter's name (PARAMETER)
    value: str | None = None  # the value refused, as received (PARAMETER)

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class Judgement(Validation):
    """A :class:`Validation` with what each error is about, for the part's refusal."""

    findings: tuple[Finding, ...] = ()
    operation_id: str | None = None

    def about(self, kind: str) -> list[Finding]:
        return [finding for finding in self.findings if finding.kind == kind]

    def as_dict(self) -> dict[str, Any]:
        return {**super().as_dict(), "operation_id": self.operation_id}


@dataclass(frozen=True)
class Erratum:
    """A correction to the document: ``remove`` taken out of the list at ``pointer`` (a JSON pointer)."""

    pointer: str
    remove: str
    why: str


@dataclass
class _Request:
    """The emulator's request as openapi-core reads it (openapi_core.protocols.Request)."""

    host_url: str
    path: str
    path_pattern: str
    method: str
    body: bytes | None
    content_type: str
    parameters: Any = field(default=None)


@dataclass
class _Response:
    """The emulator's reply as openapi-core reads it (openapi_core.protocols.Response)."""

    status_code: int
    content_type: str
    headers: Any
    data: bytes | None


class OpenAPIJudge:
    """openapi-core's request and response validators over one document (build once per process)."""

    def __init__(
        self,
        document: Mapping[str, Any],
        operations: Iterable[tuple[str, str]],
        *,
        errata: Sequence[Erratum] = (),
    ) -> None:
        from jsonschema_path import SchemaPath
        from openapi_core.validation.request.validators import V30RequestValidator
        from openapi_core.validation.response.validators import V30ResponseValidator

        self.operations = {(method.lower(), template) for method, template in operations}
        pruned = _prune(document, self.operations)
        self.unapplied = tuple(erratum for erratum in errata if not _apply(pruned, erratum))
        self.server = str(pruned["servers"][0]["url"]).rstrip("/")
        self.operation_ids = {
            (method, template): str(pruned["paths"][template][method].get("operationId", ""))
            for method, template in self.operations
            if template in pruned["paths"] and method in pruned["paths"][template]
        }
        spec = SchemaPath.from_dict(pruned)
        self._requests = V30RequestValidator(
            spec,
            security_provider_factory=_security_providers(),
            extra_media_type_deserializers={"multipart/form-data": _multipart},
        )
        # openapi-core reads only application/json as JSON: X's errors are application/problem+json
        self._responses = V30ResponseValidator(
            spec, extra_media_type_deserializers={"application/problem+json": _json}
        )
        self._lock = threading.Lock()  # openapi-core's path caches are shared: one exchange at a time

    def documents(self, method: str, template: str) -> bool:
        return (method.lower(), template) in self.operation_ids

    def check_request(self, request: Request, template: str | None) -> Judgement:
        """What the document says of ``request`` sent to the operation at ``template``."""
        method = request.method.lower()
        if template is None or not self.documents(method, template):
            return Judgement(
                checked=True,
                errors=(f"{request.method} {request.path}: no such operation in the document",),
                findings=(Finding(OPERATION, f"{request.method} {request.path}: no such operation"),),
            )
        with self._lock:
            errors = list(self._requests.iter_errors(self._request(request, template)))
        findings = tuple(finding for error in errors for finding in _findings(error, request))
        return Judgement(
            checked=True,
            errors=tuple(str(finding) for finding in findings),
            findings=findings,
            operation_id=self.operation_ids[(method, template)],
        )

    def check_response(self, request: Request, template: str | None, reply: Reply) -> Judgement:
        """Whether ``reply`` matches the document's response of that operation for its status."""
        method = request.method.lower()
        if template is None or not self.documents(method, template):
            return Judgement(checked=False)
        payload, content_type = reply.encoded()
        headers = {key.lower(): value for key, value in reply.headers.items()}
        response = _Response(
            status_code=reply.status,
            content_type=headers.get("content-type", content_type).lower(),
            headers=_headers(headers),
            data=payload or None,
        )
        with self._lock:
            errors = list(self._responses.iter_errors(self._request(request, template), response))
        findings = tuple(Finding(RESPONSE, _describe(error)) for error in errors)
        return Judgement(
            checked=True,
            errors=tuple(str(finding) for finding in findings),
            findings=findings,
            operation_id=self.operation_ids[(method, template)],
        )

    def _request(self, request: Request, template: str) -> _Request:
        from urllib.parse import parse_qsl

        from openapi_core.datatypes import RequestParameters
        from werkzeug.datastructures import ImmutableMultiDict

        made = _Request(
            host_url=self.server,  # the part routed on the host already (aliases like api.twitter.com)
            path=request.path,
            path_pattern=template,
            method=request.method.lower(),
            body=request.body or None,
            content_type=request.headers.get("content-type", "").lower(),
        )
        made.parameters = RequestParameters(
            query=ImmutableMultiDict(parse_qsl(request.raw_query, keep_blank_values=True)),
            header=_headers(request.headers),
            cookie=ImmutableMultiDict(),
            path=_path_variables(template, request.path),
        )
        return made


def load_document(path: Path) -> dict[str, Any]:
    with path.open("rb") as handle:
        document = json.load(handle)
    assert isinstance(document, dict)
    return document


_judges: dict[tuple[str, frozenset[tuple[str, str]], tuple[Erratum, ...]], OpenAPIJudge] = {}
_judges_lock = threading.Lock()


def judge_for(
    path: Path, operations: Iterable[tuple[str, str]], errata: Sequence[Erratum] = ()
) -> OpenAPIJudge:
    """The judge of the document at ``path`` for these operations: built once per process, then shared."""
    key = (str(path), frozenset((method.lower(), template) for method, template in operations), tuple(errata))
    with _judges_lock:
        if key not in _judges:
            _judges[key] = OpenAPIJudge(_document(str(path)), key[1], errata=errata)
        return _judges[key]


@cache
def _document(path: str) -> dict[str, Any]:
    return load_document(Path(path))


def _headers(headers: Mapping[str, str]) -> Any:
    from werkzeug.datastructures import Headers

    return Headers(list(headers.items()))


def _path_variables(template: str, path: str) -> dict[str, str]:
    """``{id}`` segments of ``template`` read from ``path`` (the route matched it already)."""
    variables = {}
    for pattern, segment in zip(template.split("/"), path.split("/"), strict=False):
        if pattern.startswith("{") and pattern.endswith("}"):
            variables[pattern[1:-1]] = segment
    return variables


def _security_providers() -> Any:
    """openapi-core's security providers, with two corrections.

    - ``http`` schemes are compared without case, as RFC 7235 says: openapi-core compares the header's
      scheme, lower-cased, with the document's as written, so X's ``OAuth`` scheme never matched.
    - ``oauth2`` schemes are checked (a ``Bearer`` token in ``Authorization``): openapi-core warns and
      accepts every request, so an operation that an OAuth 2.0 token may call accepted one with no
      credentials at all. Whose token it is (a user's or the app's) the document cannot say: the
      part's own handler checks that.
    """
    from openapi_core.security.exceptions import SecurityProviderError
    from openapi_core.security.factories import SecurityProviderFactory
    from openapi_core.security.providers import BaseProvider

    def credentials(parameters: Any, scheme: str) -> str:
        given, _, value = str(parameters.header.get("Authorization", "")).partition(" ")
        if given.lower() != scheme.lower() or not value.strip():
            raise SecurityProviderError(f"an Authorization header of scheme {scheme} is required")
        return value

    class HttpProvider(BaseProvider):
        def __call__(self, parameters: Any) -> Any:
            return credentials(parameters, (self.scheme / "scheme").read_str())

    class BearerProvider(BaseProvider):
        def __call__(self, parameters: Any) -> Any:
            return credentials(parameters, "Bearer")

    providers = SecurityProviderFactory()
    providers.PROVIDERS = {
        **SecurityProviderFactory.PROVIDERS,
        "http": HttpProvider,
        "oauth2": BearerProvider,
    }
    return providers


def _json(value: bytes, **parameters: str) -> Any:
    return json.loads(value)


def _multipart(value: bytes, **parameters: str) -> dict[str, str | bytes]:
    """A multipart/form-data body as its parts: text fields as text, files as bytes (RFC 7578).

    openapi-core's own reader gives every part as bytes, so a text field (X's ``segment_index``) never
    matches a string schema and every chunked upload was refused.
    """
    from email.parser import BytesParser
    from email.policy import HTTP

    header = f'Content-Type: multipart/form-data; boundary="{parameters.get("boundary", "")}"\r\n\r\n'
    message = BytesParser(policy=HTTP).parsebytes(header.encode() + value)
    parts: dict[str, str | bytes] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if not isinstance(name, str) or not isinstance(payload, bytes):
            continue
        text = part.get("content-type") is None or part.get_content_type() == "text/plain"
        parts[name] = payload.decode(part.get_content_charset() or "utf-8", "replace") if text else payload
    return parts


def _findings(error: Exception, request: Request) -> Iterator[Finding]:
    from openapi_core.templating.media_types.exceptions import MediaTypeNotFound
    from openapi_core.templating.security.exceptions import SecurityNotFound
    from openapi_core.validation.request.exceptions import (
        MissingRequiredRequestBody,
        ParameterValidationError,
        RequestBodyValidationError,
        SecurityValidationError,
    )

    if isinstance(error, SecurityValidationError | SecurityNotFound):
        yield Finding(SECURITY, "security: none of the operation's security schemes is satisfied")
    elif isinstance(error, ParameterValidationError):
        value = request.query.get(error.name) if error.location == "query" else None
        yield Finding(
            PARAMETER,
            f"{error.location} parameter '{error.name}': {_describe(error)}",
            name=error.name,
            value=value,
        )
    elif isinstance(error, MissingRequiredRequestBody):
        yield Finding(BODY, "request body: required, none sent")
    elif isinstance(error, RequestBodyValidationError) and isinstance(error.__cause__, MediaTypeNotFound):
        yield Finding(CONTENT_TYPE, f"content type: {_describe(error.__cause__)}")
    elif isinstance(error, RequestBodyValidationError):
        yield Finding(BODY, f"request body: {_describe(error)}")
    else:
        yield Finding(BODY, _describe(error))


def _describe(error: BaseException) -> str:
    """A readable line from an openapi-core error: the schema errors with their JSON path when there are."""
    from openapi_core.templating.media_types.exceptions import MediaTypeNotFound
    from openapi_core.validation.schemas.exceptions import InvalidSchemaValue

    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, InvalidSchemaValue):
            parts = []
            for schema_error in cause.schema_errors:
                where = "$" + "".join(
                    f"[{step}]" if isinstance(step, int) else f".{step}"
                    for step in getattr(schema_error, "absolute_path", ())
                )
                parts.append(f"{where}: {_short(str(getattr(schema_error, 'message', schema_error)))}")
            return "; ".join(parts) or _short(str(cause))
        if isinstance(cause, MediaTypeNotFound):
            return f"{cause.mimetype or 'none'} is not one of {', '.join(cause.availableMimetypes)}"
        cause = cause.__cause__
    return _short(str(error))


def _short(message: str, limit: int = 300) -> str:
    """An error line of reasonable length (schema errors repeat the value: a whole video chunk)."""
    return message if len(message) <= limit else message[: limit - 1] + "…"


# -- the document reduced to the operations served ------------------------------------------------


def _prune(document: Mapping[str, Any], operations: set[tuple[str, str]]) -> dict[str, Any]:
    """The document with only ``operations`` and the components they reference (a deep copy)."""
    paths: dict[str, Any] = {}
    for method, template in sorted(operations):
        item = document.get("paths", {}).get(template)
        if item is None or method not in item:
            continue
        kept = paths.setdefault(template, {key: value for key, value in item.items() if key == "parameters"})
        kept[method] = item[method]
    components = document.get("components", {})
    kept_components: dict[str, dict[str, Any]] = {}
    if "securitySchemes" in components:
        kept_components["securitySchemes"] = components["securitySchemes"]
    pending = set(_references([paths, document.get("security", [])]))
    seen: set[str] = set()
    while pending:
        reference = pending.pop()
        if reference in seen or not reference.startswith("#/components/"):
            continue
        seen.add(reference)
        _, _, kind, name = reference.split("/", 3)
        node = components[kind][name]
        kept_components.setdefault(kind, {})[name] = node
        pending.update(_references([node]))
    pruned = {key: value for key, value in document.items() if key not in ("paths", "components")}
    pruned["paths"] = paths
    pruned["components"] = kept_components
    return copy.deepcopy(pruned)


def _references(nodes: Iterable[Any]) -> Iterator[str]:
    """Every ``$ref`` below ``nodes``, and the schemas a discriminator maps to."""
    stack = list(nodes)
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "$ref" and isinstance(value, str):
                    yield value
                elif key == "discriminator" and isinstance(value, dict):
                    yield from (item for item in value.get("mapping", {}).values() if isinstance(item, str))
                else:
                    stack.append(value)
        elif isinstance(node, list):
            stack.extend(node)


def _apply(document: dict[str, Any], erratum: Erratum) -> bool:
    """Remove ``erratum.remove`` from the list at its pointer; False when it is not there (obsolete)."""
    node: Any = document
    for step in erratum.pointer.strip("/").split("/"):
        step = step.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and step in node:
            node = node[step]
        elif isinstance(node, list) and step.isdigit() and int(step) < len(node):
            node = node[int(step)]
        else:
            return False
    if not isinstance(node, list) or erratum.remove not in node:
        return False
    node.remove(erratum.remove)
    return True
