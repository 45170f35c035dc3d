"""What an instance told of itself (``GET /api/v2/instance``), kept in the workspace for `campaign check`.

Each Mastodon server sets its own limits: ``configuration.statuses.max_characters`` (500 by default),
``characters_reserved_per_url`` (23), the media limits. The adapter reads them before it publishes and
after `accounts check`, and writes them to ``.clickable-instances.json`` in the workspace (nothing secret:
what any visitor of the instance can read); `campaign check` counts each account's texts against its own
instance's limit once it is known, and against Mastodon's default, with a note, before.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from networks.mastodon.text import DEFAULT_LIMIT, DEFAULT_URL_LENGTH

FILE_NAME = ".clickable-instances.json"
DEFAULT_VIDEO_BYTES = 103_809_024  # configuration.media_attachments.video_size_limit (99 MB)
DEFAULT_VIDEO_PIXELS = 8_294_400  # video_matrix_limit: 3840 × 2160
DEFAULT_DESCRIPTION_LIMIT = 1_500  # description_limit: characters of alt text
_lock = threading.Lock()


@dataclass(frozen=True)
class InstanceLimits:
    """The limits of one instance that clickable checks before it publishes there."""

    max_characters: int = DEFAULT_LIMIT
    characters_reserved_per_url: int = DEFAULT_URL_LENGTH
    max_media_attachments: int = 4
    video_size_limit: int = DEFAULT_VIDEO_BYTES
    video_matrix_limit: int = DEFAULT_VIDEO_PIXELS
    description_limit: int = DEFAULT_DESCRIPTION_LIMIT
    version: str = ""

    @classmethod
    def from_instance(cls, instance: Mapping[str, Any]) -> InstanceLimits:
        """From an Instance entity (https://docs.joinmastodon.org/entities/Instance/); what it leaves out
        keeps Mastodon's default."""
        configuration = instance.get("configuration") or {}
        statuses = configuration.get("statuses") or {}
        media = configuration.get("media_attachments") or {}
        values: dict[str, Any] = {"version": str(instance.get("version") or "")}
        for source, names in (
            (statuses, ("max_characters", "characters_reserved_per_url", "max_media_attachments")),
            (media, ("video_size_limit", "video_matrix_limit", "description_limit")),
        ):
            for name in names:
                value = source.get(name)
                if isinstance(value, int) and not isinstance(value, bool) and value > 0:
                    values[name] = value
        return cls(**values)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> InstanceLimits:
        known = {item.name: item.type for item in fields(cls)}
        values = {
            name: value
            for name, value in data.items()
            if name in known
            and (isinstance(value, str) if name == "version" else isinstance(value, int) and value > 0)
        }
        return cls(**values)


def _path(workspace: Path) -> Path:
    return Path(workspace) / FILE_NAME


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return {}  # none yet, or not ours to read: nothing is known, defaults apply
    return data if isinstance(data, dict) else {}


def known_limits(workspace: Path | None, host: str) -> InstanceLimits | None:
    """The limits the workspace knows for ``host``, or None when no call has read them yet."""
    if workspace is None or not host:
        return None
    entry = _read(_path(workspace)).get(host.lower())
    return InstanceLimits.from_dict(entry) if isinstance(entry, dict) else None


def remember(workspace: Path | None, host: str, limits: InstanceLimits) -> None:
    """Keep ``host``'s limits in the workspace (written whole to a temporary file, then renamed)."""
    if workspace is None or not host or not Path(workspace).is_dir():
        return
    path = _path(workspace)
    with _lock:
        data = _read(path)
        entry = asdict(limits)
        if data.get(host.lower()) == entry:
            return
        data[host.lower()] = entry
        handle, name = tempfile.mkstemp(dir=path.parent, prefix=".instances-", suffix=".partial")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                json.dump(data, stream, indent=2, sort_keys=True)
                stream.write("\n")
            os.replace(name, path)
        except OSError:
            Path(name).unlink(
                missing_ok=True
            )  # a read-only workspace: the next call reads the instance again
