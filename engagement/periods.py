"""Report periods: `--since` / `--until` as a French analyst writes them, and the previous period.

Dates are whole days, both ends included ("du 1er au 31 décembre"). By default a date is a local
date of each territory: the landing counters are kept per local day of the visitor's territory,
and a publication or a metric reading falls on the local date of the territory it was made for.
With ``utc`` the publications and readings fall on their UTC date instead (the counters keep their
local day: the noon of a local day, from UTC−10 to UTC+12, is on the same UTC date).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from campaign.errors import ClickableError
from campaign.i18n import _

ISO_DAY = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
FRENCH_DAY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")  # jour/mois/année
ISO_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
FRENCH_MONTH = re.compile(r"^(\d{1,2})/(\d{4})$")  # mois/année
FRENCH = "fr_FR"


class BadPeriod(ClickableError, ValueError):
    """A `--since` / `--until` value that names no day, or a period that ends before it starts."""


def parse_day(value: str, *, option: str, end: bool) -> date:
    """A day from ``2026-12-01``, ``01/12/2026``, or a month ``2026-12`` / ``12/2026``.

    A month stands for its first day as a start (``--since``), its last day as an end (``--until``).
    """
    text = value.strip()
    try:
        if match := ISO_DAY.match(text):
            return date(int(match[1]), int(match[2]), int(match[3]))
        if match := FRENCH_DAY.match(text):
            return date(int(match[3]), int(match[2]), int(match[1]))
        month = ISO_MONTH.match(text) or FRENCH_MONTH.match(text)
        if month:
            year, number = (
                (int(month[1]), int(month[2])) if month.re is ISO_MONTH else (int(month[2]), int(month[1]))
            )
            last = calendar.monthrange(year, number)[1]
            return date(year, number, last if end else 1)
    except ValueError:
        pass
    raise BadPeriod(
        _(
            "{option} '{value}' is not a day: write 2026-12-01 or 01/12/2026 (day/month/year), "
            "or a month 2026-12 or 12/2026"
        ).format(option=option, value=value)
    )


@dataclass(frozen=True)
class Period:
    """Days from ``since`` to ``until``, both included; an open end means from the start / up to today."""

    since: date | None = None
    until: date | None = None
    utc: bool = False

    @classmethod
    def parse(cls, since: str | None, until: str | None, *, utc: bool = False) -> Period:
        start = parse_day(since, option="--since", end=False) if since else None
        end = parse_day(until, option="--until", end=True) if until else None
        if start and end and end < start:
            raise BadPeriod(
                _("--until {until} is before --since {since}: swap them").format(
                    until=end.isoformat(), since=start.isoformat()
                )
            )
        return cls(start, end, utc)

    @property
    def bounded(self) -> bool:
        return self.since is not None or self.until is not None

    def contains(self, day: date) -> bool:
        return (self.since is None or day >= self.since) and (self.until is None or day <= self.until)

    def resolved(self, *, first: date, today: date) -> tuple[date, date]:
        """Concrete first and last day: open ends become ``first`` (the first day with data) and ``today``."""
        start = self.since or min(first, self.until or first)
        end = self.until or max(today, start)
        return start, end

    def previous(self, today: date) -> Period | None:
        """The period of the same number of days just before this one; none without a start."""
        if self.since is None:
            return None
        end = self.until or max(today, self.since)
        length = (end - self.since).days + 1
        return Period(self.since - timedelta(days=length), self.since - timedelta(days=1), self.utc)

    def day_of(self, instant: datetime, zone: str) -> date:
        """The day an instant falls on: its UTC date, or its local date in ``zone``."""
        return instant.astimezone(UTC if self.utc else ZoneInfo(zone)).date()

    def as_dict(self) -> dict[str, object]:
        return {
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "dates": "utc" if self.utc else "local",
        }


def french_day(day: date) -> str:
    """``1er décembre 2026``, ``31 janvier 2027``: days as a French reader writes them (Babel's names)."""
    from babel.dates import format_date

    text = format_date(day, "d MMMM y", locale=FRENCH)
    return f"1er{text[1:]}" if day.day == 1 else text


def french_month(day: date) -> str:
    """``décembre 2026``."""
    from babel.dates import format_date

    return format_date(day, "MMMM y", locale=FRENCH)


def french_span(start: date, end: date) -> str:
    """``du 1er au 31 décembre 2026``, ``du 15 novembre 2026 au 14 janvier 2027``, ``le 3 mars 2027``."""
    if start == end:
        return f"le {french_day(start)}"
    if (start.year, start.month) == (end.year, end.month):
        first = "1er" if start.day == 1 else str(start.day)
        return f"du {first} au {french_day(end)}"
    if start.year == end.year:
        return f"du {french_day(start).removesuffix(f' {start.year}')} au {french_day(end)}"
    return f"du {french_day(start)} au {french_day(end)}"


def days_between(start: date, end: date) -> list[date]:
    return [start + timedelta(days=offset) for offset in range((end - start).days + 1)]


__all__ = ["BadPeriod", "Period", "days_between", "french_day", "french_month", "french_span", "parse_day"]
