"""Graph API versions and the day each one stops answering.

From Meta's table, developers.facebook.com/docs/graph-api/changelog/versions (read on 2026-12-01): a
version lives about two years; the expiry of the newest one is announced when the next one ships. The
adapters pin ``CURRENT``; the emulator refuses a version that is unknown, missing or expired on its own
clock, so that an adapter left on an old version fails in tests, not on the day Meta retires it (Meta
itself answers calls to an expired version with the oldest version still alive, changing behaviour
silently).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

SOURCE = "https://developers.facebook.com/docs/graph-api/changelog/versions"
CURRENT = "v25.0"  # released 2026-02-18, lives until 2028-07-29


@dataclass(frozen=True)
class GraphVersion:
    name: str
    released: date
    expires: date | None  # None: not announced yet

    def alive_on(self, day: date) -> bool:
        return self.released <= day and (self.expires is None or day < self.expires)


def _table(rows: str) -> dict[str, GraphVersion]:
    versions: dict[str, GraphVersion] = {}
    for line in rows.strip().splitlines():
        name, released, expires = line.split()
        versions[name] = GraphVersion(
            name, date.fromisoformat(released), None if expires == "TBD" else date.fromisoformat(expires)
        )
    return versions


VERSIONS = _table(
    """
    v26.0 2026-07-29 TBD
    v25.0 2026-02-18 2028-07-29
    v24.0 2025-10-08 2028-02-18
    v23.0 2025-05-29 2027-10-08
    v22.0 2025-01-21 2027-05-20
    v21.0 2024-10-02 2027-01-21
    v20.0 2024-05-21 2026-09-24
    v19.0 2024-01-23 2026-05-21
    v18.0 2023-09-12 2026-01-26
    v17.0 2023-05-23 2025-09-12
    v16.0 2023-02-02 2025-05-14
    v15.0 2022-09-15 2024-11-20
    v14.0 2022-05-25 2024-09-17
    v13.0 2022-02-08 2024-05-28
    v12.0 2021-09-14 2024-02-08
    v11.0 2021-06-08 2023-09-14
    v10.0 2021-02-23 2023-06-08
    """
)
OLDEST_LISTED = VERSIONS["v10.0"]  # every version before it expired before 2023-06-08
VERSION_IN_PATH = re.compile(r"^/(v\d+\.\d+)(?=/|$)")


def _number(version: str) -> tuple[int, int]:
    major, minor = version[1:].split(".")
    return int(major), int(minor)


def version_of(path: str) -> str | None:
    """The version a request path starts with ("/v25.0/…"), or None."""
    found = VERSION_IN_PATH.match(path)
    return found.group(1) if found else None


def why_refused(version: str | None, now: float) -> str | None:
    """Why Graph would not serve ``version`` at the instant ``now`` (a Unix time), or None when it would."""
    day = datetime.fromtimestamp(now, UTC).date()
    if version is None:
        return f"no Graph API version in the path: call /{CURRENT}/… (see {SOURCE})"
    known = VERSIONS.get(version)
    if known is None:
        if _number(version) < _number(OLDEST_LISTED.name):
            return (
                f"Graph API {version} expired before {OLDEST_LISTED.expires}: call {CURRENT} (see {SOURCE})"
            )
        return f"unknown Graph API version {version}: call {CURRENT} (see {SOURCE})"
    if day < known.released:
        return f"Graph API {version} is released on {known.released}: call {CURRENT}"
    if not known.alive_on(day):
        return f"Graph API {version} expired on {known.expires}: call {CURRENT} (see {SOURCE})"
    return None
