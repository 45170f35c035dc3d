"""Weekly posting slots, quiet hours and DST-safe local times: planning in wall-clock time."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from campaign.i18n import _
from campaign.timezones import LocalTimeKind, classify, load_zone

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_SLOTS = ("mon-sun 12:30, 18:30",)
DEFAULT_QUIET_HOURS = "22:00-07:00"
SLOT_PATTERN = re.compile(r"^\s*(?P<days>[a-z,\- ]+?)\s+(?P<times>\d{1,2}:\d{2}(\s*,\s*\d{1,2}:\d{2})*)\s*$")
RANGE_PATTERN = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


@dataclass(frozen=True)
class WeeklySlots:
    """Days of the week (0 = Monday) and wall-clock times."""

    days: frozenset[int]
    times: tuple[time, ...]


def parse_slots(spec: str) -> WeeklySlots:
    """'mon-fri 12:15, 18:30', 'sat 11:00', 'mon,wed 17:00', 'daily 18:00' → WeeklySlots."""
    match = SLOT_PATTERN.match(spec.lower())
    if not match:
        raise ValueError(_("'{spec}' is not a slot: write days then times, e.g. 'mon-fri 12:15, 18:30'").format(spec=spec))
    days: set[int] = set()
    for part in match.group("days").replace(" ", "").split(","):
        if part in ("daily", "everyday"):
            days.update(range(7))
        elif "-" in part:
            first, _dash, last = part.partition("-")
            if first not in WEEKDAYS or last not in WEEKDAYS:
                raise ValueError(
                    _("'{part}' in '{spec}' is not a range of days: use mon, tue, wed, thu, fri, sat, sun").format(part=part, spec=spec)
                )
            start, end = WEEKDAYS.index(first), WEEKDAYS.index(last)
            days.update((start + offset) % 7 for offset in range((end - start) % 7 + 1))
        elif part in WEEKDAYS:
            days.add(WEEKDAYS.index(part))
        else:
            raise ValueError(
                _("'{part}' in '{spec}' is not a day: use mon, tue, wed, thu, fri, sat, sun or daily").format(part=part, spec=spec)
            )
    times = []
    for text in re.split(r"\s*,\s*", match.group("times")):
        hours, minutes = (int(value) for value in text.split(":"))
        if hours > 23 or minutes > 59:
            raise ValueError(_("'{text}' in '{spec}' is not a time of day").format(text=text, spec=spec))
        times.append(time(hours, minutes))
    return WeeklySlots(frozenset(days), tuple(sorted(times)))


@dataclass(frozen=True)
class QuietHours:
    start: time
    end: time

    def contains(self, moment: time) -> bool:
        if self.start <= self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end  # spans midnight


def parse_quiet_hours(spec: str) -> QuietHours:
    match = RANGE_PATTERN.match(spec)
    if not match:
        raise ValueError(_("'{spec}' is not a range of hours: write it as '22:00-07:00'").format(spec=spec))
    h1, m1, h2, m2 = (int(value) for value in match.groups())
    if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
        raise ValueError(_("'{spec}' is not a range of hours: write it as '22:00-07:00'").format(spec=spec))
    return QuietHours(time(h1, m1), time(h2, m2))


@dataclass(frozen=True)
class Resolved:
    """A wall-clock time placed on the UTC timeline, and how DST was handled (None when it was not needed)."""

    instant: datetime
    note: str | None = None


def resolve(wall: datetime, zone_name: str) -> Resolved:
    """Place a naive local time in ``zone_name``: a time in a spring-forward gap moves to the end of
    the gap; a time that happens twice takes its first occurrence. Both are said in the note."""
    zone = load_zone(zone_name)
    local = classify(wall, zone_name)
    if local.kind is LocalTimeKind.NORMAL:
        return Resolved(local.candidates_utc()[0])
    if local.kind is LocalTimeKind.AMBIGUOUS:
        first = local.candidates_utc()[0]
        return Resolved(
            first,
            _("{wall:%Y-%m-%d %H:%M} happens twice in {zone_name}: the first one is used ({first:%H:%M} UTC)").format(wall=wall, zone_name=zone_name, first=first),
        )
    probe = wall
    while classify(probe, zone_name).kind is LocalTimeKind.NONEXISTENT:
        probe += timedelta(minutes=1)
    instant = probe.replace(tzinfo=zone).astimezone(UTC)
    return Resolved(
        instant, _("{wall:%Y-%m-%d %H:%M} does not exist in {zone_name} (DST): moved to {probe:%H:%M}").format(wall=wall, zone_name=zone_name, probe=probe)
    )


def slot_times(
    slots: list[WeeklySlots], zone_name: str, after: datetime, *, days: int = 60
) -> Iterator[Resolved]:
    """Every slot instant after ``after`` (UTC) in local wall-clock time of ``zone_name``, in order."""
    zone = load_zone(zone_name)
    first_day: date = after.astimezone(zone).date()
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        moments = sorted({moment for rule in slots if day.weekday() in rule.days for moment in rule.times})
        for moment in moments:
            resolved = resolve(datetime.combine(day, moment), zone_name)
            if resolved.instant > after:
                yield resolved


def end_of_quiet_hours(instant: datetime, zone_name: str, quiet: QuietHours) -> Resolved | None:
    """When ``instant`` falls in quiet hours: the end of them (local), else None."""
    zone = load_zone(zone_name)
    local = instant.astimezone(zone)
    if not quiet.contains(local.time().replace(second=0, microsecond=0)):
        return None
    day = local.date() if local.time() < quiet.end else local.date() + timedelta(days=1)
    moved = resolve(datetime.combine(day, quiet.end), zone_name)
    note = _("{local:%H:%M} is in the quiet hours {start:%H:%M}-{end:%H:%M} of {zone_name}: moved to {end:%H:%M}").format(local=local, start=quiet.start, end=quiet.end, zone_name=zone_name)
    return Resolved(moved.instant, note)
