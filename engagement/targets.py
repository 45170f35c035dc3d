"""Progress against the campaign file's ``targets:``, per territory, for the campaign or per month.

A target is *on track* when the share of it reached is at least the share of its time gone by
(for a month: the days of the month elapsed), *behind* otherwise; *met* once reached; *missed*
when its time is over and it was not reached; *early* in its first days (a week, or a quarter of
a shorter span), when a day without a click would call it behind. Progress is counted up to the evaluation day: the
end of the report's period when it is in the past, else today (each territory's local date).
"""

from __future__ import annotations

import calendar
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from campaign.schema import TargetSpec
from engagement.periods import Period, french_day, french_month
from engagement.stats import DailySeries, Dataset, suppressed

STATUSES = ("met", "on_track", "behind", "missed", "early", "not_started")
JUDGED_AFTER = timedelta(days=7)  # or a quarter of a target's span, when that is shorter
STATUS_FR = {
    "early": "trop tôt pour juger",
    "met": "atteint",
    "on_track": "en bonne voie",
    "behind": "en retard",
    "missed": "non atteint",
    "not_started": "pas commencé",
}
METRIC_FR = {"channel_clicks": "clics vers un canal", "landing_visits": "visites", "views": "vues"}
EXPORT_COLUMNS = (
    "target", "metric", "territory", "channel", "period", "start", "end",
    "value", "achieved", "progress", "expected", "status",
)  # fmt: skip


@dataclass
class Progress:
    target: str
    label: str  # French, for the reader
    metric: str
    territory: str
    channel: str | None
    period: str  # "campaign" or the month, "2026-12"
    start: date
    end: date
    value: int
    achieved: float
    expected: float  # the share of the target's time gone by on the evaluation day
    status: str

    @property
    def progress(self) -> float:
        return round(self.achieved / self.value, 4)

    def hidden(self, suppress_below: int) -> bool:
        """Landing counts under the threshold are hidden, and the share that would give them back."""
        return self.metric != "views" and suppressed(self.achieved, suppress_below)

    def as_dict(self, suppress_below: int = 0) -> dict[str, Any]:
        hidden = self.hidden(suppress_below)
        return {
            "target": self.target,
            "metric": self.metric,
            "territory": self.territory,
            "channel": self.channel,
            "period": self.period,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "value": self.value,
            "achieved": f"<{suppress_below}" if hidden else int(self.achieved),
            "progress": None if hidden else self.progress,
            "expected": round(self.expected, 4),
            "status": self.status,
        }

    def period_fr(self) -> str:
        if self.period == "campaign":
            return f"du {french_day(self.start)} au {french_day(self.end)}"
        return french_month(self.start)


def _status(achieved: float, value: int, start: date, end: date, today: date, *, day_over: bool) -> tuple[str, float]:
    """The state of one target line on ``today`` (``day_over``: that day is complete, in the past)."""
    length = (end - start).days + 1
    expected = min(1.0, max(0.0, ((today - start).days + 1) / length))
    if achieved >= value:
        return "met", expected
    if today > end or (day_over and today == end):
        return "missed", expected
    if today < start:
        return "not_started", expected
    if today - start < min(JUDGED_AFTER, timedelta(days=length / 4)):
        return "early", expected
    return ("on_track" if achieved / value >= expected else "behind"), expected


def _sum(series: Counter[date], start: date, end: date) -> float:
    return float(sum(count for day, count in series.items() if start <= day <= end))


def _label(key: str, target: TargetSpec, channel_names: dict[str, str]) -> str:
    if target.name:
        return target.name
    metric = METRIC_FR[target.metric]
    if target.channel:
        metric += f" ({channel_names.get(target.channel, target.channel)})"
    return metric[0].upper() + metric[1:] + (" par mois" if target.per == "month" else "")


def evaluate(
    targets: dict[str, TargetSpec],
    dataset: Dataset,
    daily: DailySeries,
    *,
    now: datetime,
    period: Period | None = None,
    channel_names: dict[str, str] | None = None,
) -> list[Progress]:
    """One line per target, territory and (for monthly targets) month."""
    names = channel_names or {}
    first = dataset.first_day() or now.date()
    result: list[Progress] = []
    for key, target in targets.items():
        territories = target.territories or sorted(dataset.zones)
        for territory in territories:
            zone = "UTC" if dataset.utc else dataset.zones.get(territory, "UTC")
            today = now.astimezone(ZoneInfo(zone)).date()
            day_over = False
            if period is not None and period.until is not None and period.until < today:
                today, day_over = period.until, True
            series = daily.metric(target.metric, territory, target.channel)
            start = target.since or first
            label = _label(key, target, names)
            spans: list[tuple[str, date, date]] = []
            if target.per == "campaign":
                assert target.until is not None  # campaign check requires it
                spans.append(("campaign", start, target.until))
            else:
                month = start.replace(day=1)
                last = min(target.until or today, today)
                while month <= last:
                    month_end = month.replace(day=calendar.monthrange(month.year, month.month)[1])
                    shown = period is None or (
                        (period.since is None or month_end >= period.since)
                        and (period.until is None or month <= period.until)
                    )
                    if shown:
                        spans.append((f"{month:%Y-%m}", max(month, start), month_end))
                    month = month_end + timedelta(days=1)
            for name, span_start, span_end in spans:
                achieved = _sum(series, span_start, min(span_end, today))
                status, expected = _status(
                    achieved, target.value, span_start, span_end, today, day_over=day_over
                )
                result.append(
                    Progress(
                        target=key,
                        label=label,
                        metric=target.metric,
                        territory=territory,
                        channel=target.channel,
                        period=name,
                        start=span_start,
                        end=span_end,
                        value=target.value,
                        achieved=achieved,
                        expected=expected,
                        status=status,
                    )
                )
    return result


__all__ = ["EXPORT_COLUMNS", "STATUSES", "STATUS_FR", "Progress", "evaluate"]
