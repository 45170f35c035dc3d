"""The YouTube Data API v3 as its own discovery document describes it: the emulator's judge.

The document is the one google-api-python-client ships and builds its client from
(``googleapiclient/discovery_cache/documents/youtube.v3.json``): loaded, never transcribed. From it
come each method's HTTP method and path, its query parameters (type, enum, required, repeated), the
global parameters every Google API takes, the request and response schemas (converted to JSON Schema
and checked with ``jsonschema``), the properties a method requires (``annotations.required``) and the
media upload paths and size limit.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

DOCUMENT = "youtube.v3.json"


@dataclass(frozen=True)
class Problem:
    """One thing the document refuses in a request, as Google's error names it."""

    reason: str  # Google's errors[].reason: required, invalid, unknownPart, invalidParameter…
    location: str  # the parameter or the body path
    location_type: str  # "parameter" or "body"
    message: str

    def __str__(self) -> str:
        return f"{self.reason} ({self.location}): {self.message}"


@dataclass(frozen=True)
class Method:
    """One method of the document (``youtube.videos.insert``)."""

    id: str
    http_method: str
    path: str  # "youtube/v3/videos", relative to the root URL
    parameters: dict[str, dict[str, Any]]
    request: str | None  # schema id of the body
    response: str | None  # schema id of the answer
    upload_paths: tuple[str, ...]  # media upload paths ("/upload/youtube/v3/videos"), empty without
    accept: tuple[str, ...] = ()  # media types an upload takes ("video/*")
    max_upload_bytes: int = 0

    @property
    def short(self) -> str:
        """The name quota and errors use: ``videos.insert``."""
        return self.id.removeprefix("youtube.")

    def pattern(self) -> re.Pattern[str]:
        return re.compile("/" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", self.path))


@cache
def document() -> dict[str, Any]:
    """The discovery document inside the installed google-api-python-client."""
    folder = resources.files("googleapiclient") / "discovery_cache" / "documents"
    loaded: dict[str, Any] = json.loads((folder / DOCUMENT).read_text(encoding="utf-8"))
    return loaded


@cache
def methods() -> dict[str, Method]:
    """Every method of the document by id."""
    found: dict[str, Method] = {}

    def walk(resources_: dict[str, Any]) -> None:
        for resource in resources_.values():
            for method in resource.get("methods", {}).values():
                protocols = method.get("mediaUpload", {}).get("protocols", {})
                found[method["id"]] = Method(
                    id=method["id"],
                    http_method=method["httpMethod"],
                    path=method["path"],
                    parameters=dict(method.get("parameters", {})),
                    request=(method.get("request") or {}).get("$ref"),
                    response=(method.get("response") or {}).get("$ref"),
                    upload_paths=tuple(protocol["path"] for protocol in protocols.values()),
                    accept=tuple(method.get("mediaUpload", {}).get("accept", ())),
                    max_upload_bytes=int(method.get("mediaUpload", {}).get("maxSize", 0)),
                )
            walk(resource.get("resources", {}))

    walk(document()["resources"])
    return found


def method(method_id: str) -> Method:
    return methods()[method_id]


def find(http_method: str, path: str) -> tuple[Method, bool, dict[str, str]] | None:
    """The method a request is for: (method, is a media upload, path parameters), or None."""
    for candidate in methods().values():
        if candidate.http_method != http_method:
            continue
        if path in candidate.upload_paths:
            return candidate, True, {}
        found = candidate.pattern().fullmatch(path)
        if found is not None:
            return candidate, False, found.groupdict()
    return None


def check_parameters(target: Method, query: dict[str, str]) -> list[Problem]:
    """The query against the method's parameters and the document's global ones."""
    known = {**document().get("parameters", {}), **target.parameters}
    problems: list[Problem] = []
    for name, value in query.items():
        described = known.get(name)
        if described is None or described.get("location") == "path":
            if name == "uploadType" and target.upload_paths:
                continue  # the upload protocol's own parameter (resumable, multipart, media)
            problems.append(
                Problem(
                    "invalidParameter",
                    name,
                    "parameter",
                    f'Invalid JSON payload received. Unknown name "{name}": Cannot bind query parameter. '
                    f"Field '{name}' could not be found in request message.",
                )
            )
            continue
        values = value.split(",") if described.get("repeated") else [value]
        for item in values:
            problem = _value_problem(name, described, item)
            if problem is not None:
                problems.append(problem)
    for name, described in target.parameters.items():
        if described.get("required") and described.get("location") == "query" and not query.get(name):
            problems.append(Problem("required", name, "parameter", f"Required parameter: {name}"))
    return problems


def _value_problem(name: str, described: dict[str, Any], value: str) -> Problem | None:
    kind = described.get("type")
    wrong = Problem("invalid", name, "parameter", f"Invalid value at '{name}', \"{value}\"")
    if kind == "boolean" and value not in ("true", "false"):
        return wrong
    if kind == "integer":
        try:
            number = int(value)
        except ValueError:
            return wrong
        low, high = described.get("minimum"), described.get("maximum")
        if (low is not None and number < int(low)) or (high is not None and number > int(high)):
            return Problem("invalidParameter", name, "parameter", f"Invalid value '{value}' for {name}")
    if described.get("enum") and value not in described["enum"]:
        return wrong
    return None


def check_parts(target: Method, query: dict[str, str]) -> list[Problem]:
    """``part`` names top-level properties of the method's resource (YouTube's unknownPart)."""
    if "part" not in target.parameters or not query.get("part"):
        return []
    resource = target.request or _item_schema(target.response)
    if resource is None:
        return []
    names = set(document()["schemas"][resource].get("properties", {}))
    return [
        Problem("unknownPart", "part", "parameter", f"'{part}'")
        for part in (item.strip() for item in query["part"].split(","))
        if part not in names
    ]


def _item_schema(schema_id: str | None) -> str | None:
    """The resource of a list response (``VideoListResponse`` → ``Video``)."""
    if schema_id is None:
        return None
    items = document()["schemas"][schema_id].get("properties", {}).get("items", {})
    ref = items.get("items", {}).get("$ref")
    return str(ref) if ref else schema_id


@cache
def json_schema(schema_id: str, method_id: str | None = None) -> dict[str, Any]:
    """A discovery schema as JSON Schema (draft 2020-12): unknown properties refused, as Google's
    JSON parser refuses them; properties ``annotations.required`` names for ``method_id`` required."""
    schemas = document()["schemas"]
    definitions = {name: _convert(schema, method_id) for name, schema in schemas.items()}
    return {"$ref": f"#/$defs/{schema_id}", "$defs": definitions}


def _convert(schema: dict[str, Any], method_id: str | None) -> dict[str, Any]:
    if "$ref" in schema:
        return {"$ref": f"#/$defs/{schema['$ref']}"}
    kind = schema.get("type")
    converted: dict[str, Any] = {}
    if kind == "any" or kind is None:
        return converted
    if kind == "string" and schema.get("format") in ("int64", "uint64"):
        converted["type"] = ["string", "integer"]  # 64-bit integers travel as strings, either is parsed
    elif kind in ("string", "boolean", "array", "object"):
        converted["type"] = kind
    elif kind == "integer":
        converted["type"] = "integer"
    elif kind == "number":
        converted["type"] = "number"
    if "enum" in schema:
        converted["enum"] = list(schema["enum"])
    if kind == "array" and "items" in schema:
        converted["items"] = _convert(schema["items"], method_id)
    if kind == "object":
        properties = schema.get("properties", {})
        if properties:
            converted["properties"] = {name: _convert(value, method_id) for name, value in properties.items()}
            converted["additionalProperties"] = False
            required = [
                name
                for name, value in properties.items()
                if method_id and method_id in value.get("annotations", {}).get("required", [])
            ]
            if required:
                converted["required"] = required
        elif "additionalProperties" in schema:
            converted["additionalProperties"] = _convert(schema["additionalProperties"], method_id)
    return converted


def check_body(schema_id: str, body: Any, *, method_id: str | None = None) -> list[Problem]:
    """The body against the schema; one problem per error, in Google's words."""
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(json_schema(schema_id, method_id))
    problems = []
    for error in sorted(validator.iter_errors(body), key=lambda item: list(item.absolute_path)):
        where = ".".join(str(part) for part in error.absolute_path)
        location = "resource" + (f".{where}" if where else "")
        if error.validator == "additionalProperties":
            unknown = sorted(set(error.instance) - set(error.schema.get("properties", {})))
            for name in unknown:
                problems.append(
                    Problem(
                        "invalid",
                        f"{location}.{name}",
                        "body",
                        f"Invalid JSON payload received. Unknown name \"{name}\" at '{location}': "
                        "Cannot find field.",
                    )
                )
        elif error.validator == "required":
            problems.append(
                Problem("required", location, "body", f"Required property missing: {error.message}")
            )
        else:
            problems.append(
                Problem(
                    "invalid",
                    location,
                    "body",
                    f"Invalid JSON payload received. Invalid value at '{location}' ({error.message})",
                )
            )
    return problems
