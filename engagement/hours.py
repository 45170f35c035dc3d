"""Opening hours of reporting channels, converted to the local time of each territory."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from campaign.slots import WEEKDAYS
from campaign.timezones import load_zone

DAY_NAMES_FR = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")


@dataclass(frozen=True)
class Opening:
    always: bool
    open_now: bool
    text: str  # French, in the territory's local time


def _ranges(hours: dict[str, Any], weekday: int) -> list[tuple[time, time]]:
    specs = list(hours.get("daily") or [])
    weekly = hours.get("weekly") or {}
    specs += list(weekly.get(WEEKDAYS[weekday]) or [])
    result = []
    for spec in specs:
        start, _, end = str(spec).partition("-")
        h1, m1 = (int(value) for value in start.split(":"))
        h2, m2 = (int(value) for value in end.split(":"))
        result.append((time(h1, m1), time(0, 0) if h2 == 24 else time(h2, m2)))
    return result


def opening(hours: Any, territory_zone: str, now: datetime) -> Opening:
    """Hours stored in their own zone (e.g. Paris for the 3018) shown in the territory's local time."""
    if hours is None or hours == "always":
        return Opening(True, True, "24 h/24, 7 j/7")
    source = load_zone(str(hours["zone"]))
    local = load_zone(territory_zone)
    today = now.astimezone(source).date()
    open_now = False
    shown: list[str] = []
    for offset in (-1, 0, 1):
        day = today + timedelta(days=offset)
        for start, end in _ranges(hours, day.weekday()):
            begin = datetime.combine(day, start, tzinfo=source)
            finish = datetime.combine(day if end > start else day + timedelta(days=1), end, tzinfo=source)
            if begin <= now < finish:
                open_now = True
            if offset == 0:
                shown.append(
                    f"{_french(begin.astimezone(local).time())}–{_french(finish.astimezone(local).time())}"
                )
    every_day = "daily" in hours and not hours.get("weekly")
    text = (
        ("tous les jours, " if every_day else "aujourd'hui, ")
        + (", ".join(shown) if shown else "fermé")
        + " (heure locale)"
    )
    return Opening(False, open_now, text)


def _french(moment: time) -> str:
    """9 h, 18 h 30: how times are written in French."""
    return f"{moment.hour} h" if moment.minute == 0 else f"{moment.hour} h {moment.minute:02d}"
