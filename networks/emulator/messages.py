"""The emulator's view of one HTTP exchange: the request as received, the reply to send."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qsl


@dataclass
class Request:
    method: str
    host: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: bytes
    raw_query: str = ""

    @property
    def hostname(self) -> str:
        """The Host header without its port, lower-case: what parts are routed on."""
        return self.host.split(":")[0].lower()

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    def json(self) -> dict[str, Any]:
        try:
            value = json.loads(self.body or b"{}")
        except json.JSONDecodeError:
            return {}
        return value if isinstance(value, dict) else {}

    def form(self) -> dict[str, str]:
        if self.content_type == "application/x-www-form-urlencoded":
            return dict(parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True))
        if self.content_type == "multipart/form-data":
            return {
                key: value.decode("utf-8", "replace")
                for key, value in self.multipart().items()
                if key != "media"
            }
        return {}

    def multipart(self) -> dict[str, bytes]:
        message = BytesParser(policy=HTTP).parsebytes(
            b"Content-Type: " + self.headers.get("content-type", "").encode() + b"\r\n\r\n" + self.body
        )
        parts: dict[str, bytes] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if name:
                payload = part.get_payload(decode=True)
                parts[str(name)] = payload if isinstance(payload, bytes) else b""
        return parts

    def multipart_filenames(self) -> dict[str, str]:
        """The file name each multipart field was sent with (fields sent as files only)."""
        message = BytesParser(policy=HTTP).parsebytes(
            b"Content-Type: " + self.headers.get("content-type", "").encode() + b"\r\n\r\n" + self.body
        )
        names: dict[str, str] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            filename = part.get_filename()
            if name and filename:
                names[str(name)] = str(filename)
        return names

    def params(self) -> dict[str, str]:
        """Query, form and JSON parameters together (Graph reads them from any of these)."""
        merged = dict(self.query)
        merged.update(self.form())
        if self.content_type == "application/json":
            merged.update({key: str(value) for key, value in self.json().items()})
        return merged


@dataclass
class Reply:
    status: int
    body: Any  # a dict or list (JSON), a str (HTML), bytes, or "" (no body)
    headers: dict[str, str] = field(default_factory=dict)

    def encoded(self) -> tuple[bytes, str]:
        """The body as sent, and the content type sent when the reply names none."""
        if isinstance(self.body, bytes):
            return self.body, "application/octet-stream"
        if isinstance(self.body, str):
            return self.body.encode("utf-8"), "text/html; charset=utf-8"
        return json.dumps(self.body).encode("utf-8"), "application/json; charset=utf-8"
