"""Local wall-clock times in IANA zones: parsing, DST gaps and folds, conversion to UTC."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from campaign.i18n import _

LOCAL_TIME_FORMAT = "%Y-%m-%d %H:%M"
LOCAL_TIME_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?$")
# Local times are planned within these years: beyond them, a time is a typo, and the arithmetic on
# it (to UTC, DST windows, slots days ahead) would leave the range of datetime (years 1 to 9999).
EARLIEST_YEAR = 1970
LATEST_YEAR = 2999


class LocalTimeKind(Enum):
    NORMAL = "normal"
    NONEXISTENT = "nonexistent"  # in a spring-forward gap
    AMBIGUOUS = "ambiguous"  # in a fall-back fold: happens twice


@dataclass(frozen=True)
class LocalTime:
    """A wall-clock time in a zone, and what DST makes of it."""

    wall: datetime  # naive
    zone: str
    kind: LocalTimeKind

    def candidates_utc(self) -> list[datetime]:
        """The UTC instants this wall time names (2 in a fold, 0 in a gap, else 1)."""
        zone = ZoneInfo(self.zone)
        if self.kind is LocalTimeKind.NONEXISTENT:
            return []
        first = self.wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
        if self.kind is LocalTimeKind.AMBIGUOUS:
            return [first, self.wall.replace(tzinfo=zone, fold=1).astimezone(UTC)]
        return [first]


def load_zone(name: str) -> ZoneInfo:
    """The zone called ``name``; ValueError with a readable message when it does not exist."""
    if not name or name.startswith(("/", ".")) or ".." in name:
        raise ValueError(_("'{name}' is not an IANA time zone name").format(name=name))
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(
            _("unknown time zone '{name}': use an IANA name such as Europe/Paris or Indian/Reunion").format(name=name)
        ) from None


def parse_local(value: str | datetime) -> datetime:
    """Parse 'YYYY-MM-DD HH:MM' (or a naive datetime from YAML) into a naive datetime.

    Years outside EARLIEST_YEAR..LATEST_YEAR are refused (ValueError), so that every conversion
    and every day added in planning stays within datetime's range.
    """
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            raise ValueError(_("write a local wall-clock time without a UTC offset, e.g. '2026-12-01 18:30'"))
        parsed = value
    else:
        text = value.strip()
        if not LOCAL_TIME_PATTERN.match(text):
            raise ValueError(
                _(
                    "'{value}' is not a local time: write it as 'YYYY-MM-DD HH:MM', e.g. '2026-12-01 18:30'"
                ).format(value=value)
            )
        try:
            parsed = datetime.fromisoformat(text.replace(" ", "T"))
        except ValueError:
            raise ValueError(
                _("'{value}' is not a real date and time: check the day and the hour").format(value=value)
            ) from None
    if not EARLIEST_YEAR <= parsed.year <= LATEST_YEAR:
        raise ValueError(
            _(
                "'{value}' is out of range: a local time must fall between the years {first} and {last}"
            ).format(
                value=parsed.isoformat(sep=" ", timespec="minutes"), first=EARLIEST_YEAR, last=LATEST_YEAR
            )
        )
    return parsed.replace(second=0, microsecond=0)


def classify(wall: datetime, zone_name: str) -> LocalTime:
    """Say whether a naive wall time exists once, twice or never in ``zone_name``."""
    zone = load_zone(zone_name)
    earlier = wall.replace(tzinfo=zone, fold=0)
    later = wall.replace(tzinfo=zone, fold=1)
    if earlier.utcoffset() == later.utcoffset():
        return LocalTime(wall, zone_name, LocalTimeKind.NORMAL)
    round_trip = earlier.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    kind = LocalTimeKind.NONEXISTENT if round_trip != wall else LocalTimeKind.AMBIGUOUS
    return LocalTime(wall, zone_name, kind)


def transition_window(wall: datetime, zone_name: str) -> tuple[datetime, datetime]:
    """The local-time window of the DST change around ``wall`` (for messages)."""
    zone = load_zone(zone_name)
    earlier = wall.replace(tzinfo=zone, fold=0).utcoffset() or timedelta(0)
    later = wall.replace(tzinfo=zone, fold=1).utcoffset() or timedelta(0)
    gap = abs(earlier - later)
    # find the wall-clock minute where the offset changes by scanning the surrounding hours
    start = wall.replace(minute=0)
    for minutes in range(-180, 180):
        probe = start + timedelta(minutes=minutes)
        if _offsets_differ(probe, zone):
            return probe, probe + gap
    return wall, wall + gap


def _offsets_differ(wall: datetime, zone: ZoneInfo) -> bool:
    return wall.replace(tzinfo=zone, fold=0).utcoffset() != wall.replace(tzinfo=zone, fold=1).utcoffset()


def format_local(instant: datetime, zone_name: str) -> str:
    """An instant shown as local time with its zone: '2026-12-01 18:30 Pacific/Noumea'."""
    return f"{instant.astimezone(load_zone(zone_name)).strftime(LOCAL_TIME_FORMAT)} {zone_name}"
