"""Local wall-clock times across DST changes and in the fixed-offset overseas zones."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from campaign.timezones import LocalTimeKind, classify, format_local, load_zone, parse_local

CASES = [
    ("2026-03-29 02:30", "Europe/Paris", LocalTimeKind.NONEXISTENT, []),
    (
        "2026-10-25 02:30",
        "Europe/Paris",
        LocalTimeKind.AMBIGUOUS,
        ["2026-10-25T00:30:00+00:00", "2026-10-25T01:30:00+00:00"],
    ),
    ("2026-10-25 03:30", "Europe/Paris", LocalTimeKind.NORMAL, ["2026-10-25T02:30:00+00:00"]),
    ("2026-03-29 02:30", "Indian/Reunion", LocalTimeKind.NORMAL, ["2026-03-28T22:30:00+00:00"]),
    ("2026-12-01 18:30", "Pacific/Noumea", LocalTimeKind.NORMAL, ["2026-12-01T07:30:00+00:00"]),
    ("2026-12-01 18:30", "Pacific/Tahiti", LocalTimeKind.NORMAL, ["2026-12-02T04:30:00+00:00"]),
    ("2026-12-01 18:30", "Pacific/Marquesas", LocalTimeKind.NORMAL, ["2026-12-02T04:00:00+00:00"]),
    ("2026-03-08 02:30", "America/Miquelon", LocalTimeKind.NONEXISTENT, []),
    ("2026-03-29 02:30", "America/Martinique", LocalTimeKind.NORMAL, ["2026-03-29T06:30:00+00:00"]),
]


@pytest.mark.parametrize(("wall", "zone", "kind", "instants"), CASES)
def test_classify(wall: str, zone: str, kind: LocalTimeKind, instants: list[str]) -> None:
    local = classify(parse_local(wall), zone)
    assert local.kind is kind
    assert [instant.isoformat() for instant in local.candidates_utc()] == instants


@pytest.mark.parametrize("name", ["Europe/Pariss", "../etc/passwd", "", "/etc/localtime"])
def test_unknown_zones_are_refused(name: str) -> None:
    with pytest.raises(ValueError):
        load_zone(name)


def test_times_are_shown_with_their_zone() -> None:
    assert (
        format_local(datetime(2026, 12, 1, 7, 30, tzinfo=UTC), "Pacific/Noumea")
        == "2026-12-01 18:30 Pacific/Noumea"
    )


@pytest.mark.parametrize("text", ["18:30", "2026-12-01", "2026-12-01 18h30", "2026-13-01 18:30"])
def test_bad_local_times(text: str) -> None:
    with pytest.raises(ValueError):
        parse_local(text)
