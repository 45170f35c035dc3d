"""The report: one self-contained file (charts as embedded PNG) for a non-technical reader, in French.

It is built once as a :class:`Report` (summary, sections of charts and tables, and the data behind
them), then written as HTML (with an A4 print stylesheet) or as PDF (engagement/pdf.py) from that
same model. Small-count suppression is applied while the model is built, so that every chart, table,
sentence and the embedded data hide the same counts.
"""

from __future__ import annotations

import base64
import io
import json
import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlmodel import Session, select

from campaign.models import Campaign, Territory
from campaign.schema import TargetSpec
from engagement.periods import Period, days_between, french_span
from engagement.stats import (
    DailySeries,
    Dataset,
    Row,
    given_metrics,
    suppress_series,
    suppressed,
)
from engagement.targets import STATUS_FR, Progress, evaluate

FUNNEL_LABELS = ("Vues", "Visites de la page", "Clics vers un canal")
NOT_GIVEN = "non communiqué"  # a metric the network does not give (Mastodon's views), never shown as 0
NARROW_NBSP, NBSP, MINUS = "\u202f", "\u00a0", "\u2212"  # French typography: 12 345, 4,5 %, −3 %
MILESTONES = ("1h", "24h", "72h", "7d")
MILESTONE_FR = {"1h": "1 h", "24h": "24 h", "72h": "72 h", "7d": "7 j"}
MAX_POST_PANELS = 12  # small multiples: the most viewed posts
MAX_CHANNEL_LINES = 6
MAX_MARK_LABELS = 14  # publication labels on a time axis; beyond, marks only
PALETTE = ("#1d3557", "#b00020", "#2a9d8f", "#e76f51", "#6a4c93", "#8a5a00", "#0077b6", "#555555")
DPI = 110


def fr_int(value: float) -> str:
    text = f"{round(value):,}".replace(",", NARROW_NBSP)
    return text.replace("-", MINUS)


def fr_decimal(value: float, digits: int = 1) -> str:
    return f"{value:.{digits}f}".replace(".", ",").replace("-", MINUS)


def fr_percent(ratio: float) -> str:
    return f"{ratio * 100:.1f}".replace(".", ",") + f"{NBSP}%"


def fr_change(ratio: float | None) -> str:
    """``+12,0 %``, ``−3,4 %``; a dash when there is nothing to compare with."""
    if ratio is None:
        return "—"
    sign = "+" if ratio > 0 else (MINUS if ratio < 0 else "")
    return f"{sign}{abs(ratio) * 100:.1f}".replace(".", ",") + f"{NBSP}%"


def fr_count(value: float, suppress_below: int = 0) -> str:
    """A count for the reader: ``moins de N`` when it is suppressed."""
    return f"moins de {suppress_below}" if suppressed(value, suppress_below) else fr_int(value)


def _change(now: float, then: float, suppress_below: int = 0, *, landing: bool = True) -> float | None:
    if landing and (suppressed(now, suppress_below) or suppressed(then, suppress_below)):
        return None
    return (now - then) / then if then else None


@dataclass
class Chart:
    title: str
    alt: str
    png: str  # base64
    note: str | None = None
    wide: bool = False


@dataclass
class Table:
    title: str
    columns: list[str]
    rows: list[list[str]]
    note: str | None = None
    text_columns: int = 1  # the first columns hold words (left-aligned), the others numbers
    last_is_text: bool = False  # e.g. a target's state

    def numeric(self, index: int) -> bool:
        return index >= self.text_columns and not (self.last_is_text and index == len(self.columns) - 1)


@dataclass
class Section:
    id: str
    title: str
    intro: str | None = None
    charts: list[Chart] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)


@dataclass
class Report:
    title: str
    generated: str
    period: str  # "du 1er au 31 décembre 2026 (dates locales de chaque territoire)"
    summary: list[str]
    sections: list[Section]
    data: dict[str, Any]
    note: str
    suppress_below: int = 0

    def data_json(self) -> str:
        """The data behind the charts, for a script element: no ``<`` that could close it."""
        return json.dumps(self.data, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")


# --- charts ----------------------------------------------------------------------------------------


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    return pyplot


def _png(figure: Any, *, tight: bool = True) -> str:
    """The figure as base64 PNG; ``tight=False`` for figures laid out by hand (measuring every
    label of a grid of panels to fit them costs seconds)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight" if tight else None)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _integer_axis(axis: Any) -> None:
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    axis.set_major_locator(MaxNLocator(integer=True, nbins=4))
    axis.set_major_formatter(FuncFormatter(lambda value, _position: fr_int(value)))


def _day_numbers(days: Sequence[date]) -> list[float]:
    """Days as matplotlib date numbers (plotted as plain numbers: no unit conversion to go wrong)."""
    from matplotlib.dates import date2num

    return [float(date2num(day)) for day in days]


def _date_axis(axes: Any, days: Sequence[date]) -> None:
    """French day labels (``1 déc.``) at a few days of the period."""
    from babel.dates import format_date
    from matplotlib.dates import AutoDateLocator, num2date
    from matplotlib.ticker import FixedLocator, FuncFormatter

    numbers = _day_numbers(days)
    if len(numbers) <= 7:
        axes.xaxis.set_major_locator(FixedLocator(numbers))
    else:
        axes.xaxis.set_major_locator(AutoDateLocator(minticks=3, maxticks=5))
    axes.xaxis.set_major_formatter(
        FuncFormatter(lambda value, _position: format_date(num2date(value).date(), "d MMM", locale="fr_FR"))
    )
    if numbers:
        axes.set_xlim(numbers[0] - 0.5, numbers[-1] + 0.5)


def _marks(axes: Any, marks: Sequence[tuple[date, str]], *, labels: bool) -> None:
    """Publications on the time axis: a dashed line per day with one, labelled while they stay readable."""
    by_day: dict[date, list[str]] = defaultdict(list)
    for day, label in marks:
        by_day[day].append(label)
    if not by_day:
        return
    days = sorted(by_day)
    numbers = _day_numbers(days)
    # one collection for all the lines (a line each would cost a second per thousand publications)
    axes.vlines(numbers, 0, 1, transform=axes.get_xaxis_transform(), colors="#888888", linestyles="--",
                linewidth=0.7, zorder=0)  # fmt: skip
    if labels:
        for day, number in zip(days, numbers, strict=True):
            axes.annotate(
                " ".join(sorted(set(by_day[day]))),
                (number, 1),
                xycoords=("data", "axes fraction"),
                rotation=90,
                fontsize=6,
                va="top",
                ha="right",
                color="#444444",
            )


def _bar_chart(
    labels: list[str], values: list[float], title: str, color: str = "#1d3557", suppress_below: int = 0
) -> str:
    """Horizontal bars; a suppressed count gets no bar, only its label ``< N``."""
    pyplot = _pyplot()
    figure, axes = pyplot.subplots(figsize=(8, max(2.5, 0.45 * len(labels) + 1)))
    try:
        hidden = [suppressed(value, suppress_below) for value in values]
        plotted = [0 if hide else value for value, hide in zip(values, hidden, strict=True)]
        axes.barh(labels[::-1], plotted[::-1], color=color)
        axes.set_xlim(0, max([*plotted, suppress_below, 1]) * 1.12)  # room for the labels; never negative
        _integer_axis(axes.xaxis)
        axes.set_title(title)
        axes.spines[["top", "right"]].set_visible(False)
        for index, (value, hide) in enumerate(zip(plotted[::-1], hidden[::-1], strict=True)):
            axes.text(value, index, f" < {suppress_below}" if hide else f" {fr_int(value)}", va="center")
        return _png(figure)
    finally:
        pyplot.close(figure)


def _funnel_chart(rows: list[Row], suppress_below: int = 0) -> str:
    pyplot = _pyplot()
    figure, axes = pyplot.subplots(figsize=(8, 3.5))
    try:
        width = 0.25
        series: list[list[float]] = [
            [float("nan") if row.shown("views") is None else float(row.views) for row in rows],  # no bar: not given
            [float(row.landing_visits) for row in rows],
            [float(row.channel_clicks) for row in rows],
        ]
        for offset, label in enumerate(FUNNEL_LABELS):
            positions = [index + offset * width for index in range(len(rows))]
            hidden = [offset > 0 and suppressed(value, suppress_below) for value in series[offset]]
            plotted = [0 if hide else value for value, hide in zip(series[offset], hidden, strict=True)]
            axes.bar(positions, plotted, width, label=label, color=PALETTE[offset])
            for position, hide in zip(positions, hidden, strict=True):
                if hide:
                    axes.text(position, 0, f"<{suppress_below}", ha="center", va="bottom", fontsize=8)
        axes.set_xticks([index + width for index in range(len(rows))], [row.key for row in rows])
        axes.set_yscale("symlog")
        axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=3, frameon=False)
        axes.spines[["top", "right"]].set_visible(False)
        return _png(figure)
    finally:
        pyplot.close(figure)


Line = tuple[str, list[float | None]]  # label, one value per day (None: hidden)


def _time_panels(
    days: list[date],
    panels: list[tuple[str, list[Line], list[tuple[date, str]]]],
    *,
    columns: int = 2,
    cumulative: bool = False,
) -> str:
    """Small multiples over the same days: one panel per territory (or one panel), a line per series,
    publications marked. Hidden days are gaps in the line."""
    pyplot = _pyplot()
    rows = math.ceil(len(panels) / columns)
    columns = min(columns, len(panels))
    height = 0.7 + 2.0 * rows + 0.22 * math.ceil(max(len(lines) for _title, lines, _marks in panels) / 2)
    figure, grid = pyplot.subplots(rows, columns, figsize=(8, height), squeeze=False)
    try:
        for index, (title, lines, marks) in enumerate(panels):
            axes = grid[index // columns][index % columns]
            for position, (label, values) in enumerate(lines):
                plotted = [math.nan if value is None else value for value in values]
                if cumulative:
                    running, total = [], 0.0
                    for value in plotted:
                        total += 0 if math.isnan(value) else value
                        running.append(total)
                    plotted = running
                axes.plot(
                    _day_numbers(days),
                    plotted,
                    label=label,
                    color=PALETTE[position % len(PALETTE)],
                    linewidth=1.4,
                    marker="o" if len(days) <= 31 else None,
                    markersize=2.5,
                )
            _marks(axes, marks, labels=len({day for day, _label in marks}) <= MAX_MARK_LABELS)
            axes.set_title(title, fontsize=9, loc="left")
            axes.spines[["top", "right"]].set_visible(False)
            axes.set_ylim(bottom=0)
            _integer_axis(axes.yaxis)
            _date_axis(axes, days)
            axes.tick_params(labelsize=7)
        for index in range(len(panels), rows * columns):
            grid[index // columns][index % columns].set_visible(False)
        handles, labels = grid[0][0].get_legend_handles_labels()
        columns_of_legend = _legend_columns(labels)
        figure.legend(handles, labels, loc="lower center", ncol=columns_of_legend, frameon=False, fontsize=8)
        _grid_layout(figure, height, math.ceil(len(labels) / columns_of_legend))
        return _png(figure, tight=False)
    finally:
        pyplot.close(figure)


def _legend_columns(labels: list[str]) -> int:
    """As many legend columns as fit the 8-inch width (long channel names need fewer)."""
    widest = max((len(label) for label in labels), default=1)
    return max(1, min(len(labels), 4, 90 // (widest + 6)))


def _grid_layout(figure: Any, height: float, legend_rows: int) -> None:
    """Margins in inches for a grid of panels with a legend below (instead of measuring each label)."""
    bottom = (0.5 + 0.22 * legend_rows) / height
    figure.subplots_adjust(left=0.08, right=0.98, top=1 - 0.3 / height, bottom=bottom, hspace=0.55, wspace=0.25)


def _milestone_panels(posts: list[tuple[str, dict[str, dict[str, float]]]]) -> str:
    """Small multiples: each post's views at its milestones (1 h, 24 h, 72 h, 7 days), per network."""
    pyplot = _pyplot()
    columns = min(4, len(posts))
    rows = math.ceil(len(posts) / columns)
    height = 0.9 + 1.8 * rows
    figure, grid = pyplot.subplots(rows, columns, figsize=(8, height), squeeze=False, sharey=False)
    networks = sorted({network for _post, history in posts for network in history})
    try:
        for index, (post, history) in enumerate(posts):
            axes = grid[index // columns][index % columns]
            for network, by_milestone in sorted(history.items()):
                shown = [name for name in MILESTONES if name in by_milestone]
                axes.plot(
                    [MILESTONE_FR[name] for name in shown],
                    [by_milestone[name] for name in shown],
                    marker="o",
                    markersize=3,
                    linewidth=1.2,
                    label=network,
                    color=PALETTE[networks.index(network) % len(PALETTE)],
                )
            axes.set_title(post, fontsize=8, loc="left")
            axes.spines[["top", "right"]].set_visible(False)
            axes.set_ylim(bottom=0)
            _integer_axis(axes.yaxis)
            axes.tick_params(labelsize=7)
        for index in range(len(posts), rows * columns):
            grid[index // columns][index % columns].set_visible(False)
        handles: dict[str, Any] = {}
        for axes in grid.flat:
            for handle, label in zip(*axes.get_legend_handles_labels(), strict=True):
                handles.setdefault(label, handle)
        figure.legend(list(handles.values()), list(handles), loc="lower center", ncol=len(handles), frameon=False, fontsize=8)
        _grid_layout(figure, height, 1)
        return _png(figure, tight=False)
    finally:
        pyplot.close(figure)


def _rates_chart(labels: list[str], visits: list[float | None], clicks: list[float | None]) -> str:
    """Visits and channel clicks per 1,000 views, per territory; a hidden rate gets no bar."""
    pyplot = _pyplot()
    figure, axes = pyplot.subplots(figsize=(8, max(2.5, 0.55 * len(labels) + 1)))
    try:
        positions = list(range(len(labels)))[::-1]
        height = 0.38
        for offset, (name, values, color) in enumerate(
            (("Visites pour 1 000 vues", visits, PALETTE[1]), ("Clics pour 1 000 vues", clicks, PALETTE[2]))
        ):
            plotted = [0 if value is None else value for value in values]
            bars = [position + (0.5 - offset) * height for position in positions]
            axes.barh(bars, plotted, height, label=name, color=color)
            for bar, value in zip(bars, values, strict=True):
                label = " —" if value is None else f" {fr_decimal(value)}"
                axes.text(0 if value is None else value, bar, label, va="center", fontsize=7)
        axes.set_yticks(positions, labels)
        axes.spines[["top", "right"]].set_visible(False)
        top = max([value for value in (*visits, *clicks) if value is not None] + [1])
        axes.set_xlim(0, top * 1.15)
        from matplotlib.ticker import FuncFormatter

        axes.xaxis.set_major_formatter(FuncFormatter(lambda value, _position: fr_decimal(value)))
        axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=2, frameon=False, fontsize=8)
        return _png(figure)
    finally:
        pyplot.close(figure)


def _targets_chart(lines: list[Progress], territory_names: dict[str, str], suppress_below: int) -> str:
    """One bar per target line: the share reached, with a tick where it should be by now."""
    pyplot = _pyplot()
    figure, axes = pyplot.subplots(figsize=(8, max(2.2, 0.42 * len(lines) + 1)))
    try:
        labels = [f"{territory_names.get(item.territory, item.territory)} — {_short(item)}" for item in lines]
        positions = list(range(len(lines)))[::-1]
        for position, item in zip(positions, lines, strict=True):
            hidden = item.hidden(suppress_below)
            share = 0 if hidden else min(item.progress, 1.2)
            color = {"met": PALETTE[2], "behind": PALETTE[1], "missed": PALETTE[1]}.get(item.status, PALETTE[0])
            axes.barh(position, share, color=color, height=0.6)
            axes.plot([item.expected, item.expected], [position - 0.38, position + 0.38], color="#111111", linewidth=1.5)
            text = f"moins de {suppress_below}" if hidden else fr_percent(item.progress)
            axes.text(share, position, f"  {text} · {STATUS_FR[item.status]}", va="center", fontsize=7)
        axes.set_yticks(positions, labels, fontsize=7)
        axes.set_xlim(0, 1.55)
        axes.set_xticks([0, 0.25, 0.5, 0.75, 1], ["0", "25 %", "50 %", "75 %", "100 %"])
        axes.spines[["top", "right"]].set_visible(False)
        return _png(figure)
    finally:
        pyplot.close(figure)


# --- the model -------------------------------------------------------------------------------------


def _network_names(keys: list[str]) -> str:
    """« Mastodon et Bluesky »: the networks as people call them, as a French list."""
    from babel.lists import format_list

    from networks.registry import registry

    specs = registry()
    return format_list([specs[key].label if key in specs else key for key in keys], locale="fr")


def _viewless() -> list[str]:
    """The networks that count no views (their specs' MetricRules.unavailable)."""
    from networks.registry import registry

    return [network for network, given in given_metrics(registry()).items() if "views" not in given]


def _short(item: Progress) -> str:
    return item.label if item.period == "campaign" else f"{item.label} ({item.period_fr()})"


def summary_sentences(
    networks: list[Row], channels: dict[str, int], territories: list[Row], suppress_below: int = 0
) -> list[str]:
    """The plain-language summary, in French; suppressed counts are said as ``moins de N``."""
    views = int(sum(row.views for row in networks))
    visits = sum(row.landing_visits for row in networks)
    viewed = sum(row.viewed_visits for row in networks)  # the visits through links of networks counting views
    clicks = sum(row.channel_clicks for row in networks)
    published = sum(row.deliveries for row in networks)

    def count(value: float) -> str:
        return fr_count(value, suppress_below)

    sentences = [
        f"{fr_int(published)} publications ; elles ont été vues {fr_int(views)} fois sur les réseaux sociaux.",
        f"{count(visits)} visites sont arrivées sur la page « Signaler », et {count(clicks)} fois quelqu'un a choisi un numéro ou un site pour parler ou signaler.",
    ]
    hidden = [suppressed(value, suppress_below) for value in (visits, viewed, clicks)]
    if views and not any(hidden):
        sentences.append(
            f"Environ {fr_percent(viewed / views)} des vues ont mené à la page, et {fr_percent(clicks / visits)} des visites à un canal de signalement."
            if visits
            else "Aucune visite n'a encore été comptée."
        )
    silent = [row.key for row in networks if row.deliveries and row.shown("views") is None]
    if silent:
        sentences.append(
            f"{_network_names(silent)} ne {'comptent' if len(silent) > 1 else 'compte'} pas les vues : "
            "les visites venues de leurs liens ne sont pas rapportées aux vues."
        )
    if channels:
        best = next(iter(channels))
        sentences.append(f"Le canal le plus choisi : {best} ({count(channels[best])} clics).")
    visited = [row for row in territories if row.landing_visits]
    if visited:
        sentences.append(
            f"Le territoire d'où viennent le plus de visites : {visited[0].key} ({count(visited[0].landing_visits)})."
        )
    return sentences


def _comparison_sentence(
    current: list[Row], previous: list[Row], previous_span: str, days: int, suppress_below: int
) -> str:
    def total(rows: list[Row], name: str) -> float:
        return float(sum(getattr(row, name) for row in rows))

    parts = []
    for name, word in (("landing_visits", "visites"), ("channel_clicks", "clics vers un canal")):
        now, then = total(current, name), total(previous, name)
        change = _change(now, then, suppress_below)
        parts.append(
            f"{fr_count(now, suppress_below)} {word}"
            + (f" ({fr_change(change)})" if change is not None else f" (contre {fr_count(then, suppress_below)})")
        )
    views_change = _change(total(current, "views"), total(previous, "views"), landing=False)
    parts.append(
        f"{fr_int(total(current, 'views'))} vues"
        + (f" ({fr_change(views_change)})" if views_change is not None else "")
    )
    return f"Par rapport aux {days} jours précédents ({previous_span}) : " + ", ".join(parts) + "."


def _targets_sentence(lines: list[Progress], territory_names: dict[str, str], suppress_below: int) -> str | None:
    """Which territories are behind their targets, in words: per target and period, the
    territories with what they reached."""
    if not lines:
        return None
    groups: dict[tuple[str, str, str], list[Progress]] = defaultdict(list)
    for item in lines:
        if item.status in ("behind", "missed"):
            groups[(item.label, item.status, item.period)].append(item)
    if not groups:
        judged = [item for item in lines if item.status not in ("early", "not_started")]
        return (
            "Objectifs : tous sont atteints ou en bonne voie."
            if judged
            else "Objectifs : trop tôt pour juger (moins d'une semaine écoulée)."
        )
    parts = []
    for (label, status, _period), items in groups.items():
        first = items[0]
        when = f"en {first.period_fr()}" if first.period != "campaign" else f"d'ici le {first.end:%d/%m/%Y}"
        named = []
        for item in items[:8]:
            achieved = fr_int(item.achieved) if item.metric == "views" else fr_count(item.achieved, suppress_below)
            named.append(f"{territory_names.get(item.territory, item.territory)} ({achieved} sur {fr_int(item.value)})")
        more = f" et {len(items) - 8} autres" if len(items) > 8 else ""
        parts.append(f"« {label} », {STATUS_FR[status]} {when} : {', '.join(named)}{more}")
    return "Territoires en retard sur leurs objectifs — " + " ; ".join(parts) + "."


def _metric_words(item: Progress) -> str:
    return {"channel_clicks": "clics", "landing_visits": "visites", "views": "vues"}[item.metric]


def _series(values: Counter[date], days: list[date]) -> list[int]:
    return [int(values.get(day, 0)) for day in days]


def _hidden(values: list[int], suppress_below: int) -> list[float | None]:
    return [None if value is None else float(value) for value in suppress_series(values, suppress_below)]


def build_report_model(
    session: Session,
    campaign: Campaign,
    *,
    suppress_below: int = 0,
    channel_names: dict[str, str] | None = None,
    period: Period | None = None,
    targets: dict[str, TargetSpec] | None = None,
    now: datetime | None = None,
) -> Report:
    """The report's content; territories and channels are named as the campaign names them."""
    now = now or datetime.now(UTC)
    period = period or Period()
    names = channel_names or {}
    dataset = Dataset(session, campaign.id, utc=period.utc)
    today = dataset.today(now)
    first = dataset.first_day() or today
    start, end = period.resolved(first=first, today=max(today, dataset.last_day() or today))
    concrete = Period(start, end, period.utc)
    territory_names = {
        row.key: row.name
        for row in session.exec(select(Territory).where(Territory.campaign_id == campaign.id))
    }

    previous = period.previous(today)
    dataset.sum_by_code([concrete, previous])  # both periods in one pass over the counters
    networks = dataset.rows("network", concrete)
    territories = dataset.rows("territory", concrete)
    posts = dataset.rows("post", concrete)
    capsules = [row for row in dataset.rows("capsule", concrete) if not row.key.startswith("(")]
    daily = dataset.daily()
    channel_counts = {
        key: sum(count for day, count in by_day.items() if concrete.contains(day))
        for key, by_day in daily.channel_clicks.items()
    }  # from the daily series already summed: no other pass over the counters
    channels = {
        names.get(key, key): count
        for key, count in sorted(channel_counts.items(), key=lambda item: -item[1])
        if count
    }
    days = days_between(start, end)
    dates = "UTC" if period.utc else "dates locales de chaque territoire"
    period_label = f"{french_span(start, end)} ({dates})"

    summary = [f"Période : {period_label}.", *summary_sentences(networks, channels, _renamed(territories, territory_names), suppress_below)]
    sections: list[Section] = []
    data: dict[str, Any] = {
        "period": {"since": start.isoformat(), "until": end.isoformat(), "dates": "utc" if period.utc else "local"},
        "suppress_below": suppress_below,
        "days": [day.isoformat() for day in days],
    }

    # targets
    progress: list[Progress] = []
    if targets:
        progress = evaluate(targets, dataset, daily, now=now, period=concrete, channel_names=names)
        sentence = _targets_sentence(progress, territory_names, suppress_below)
        if sentence:
            summary.append(sentence)
        sections.append(_targets_section(progress, territory_names, suppress_below))
        data["targets"] = [item.as_dict(suppress_below) for item in progress]

    # comparison with the previous period
    if previous is not None and previous.since is not None and previous.until is not None:
        before_networks = dataset.rows("network", previous)
        before_territories = {row.key: row for row in dataset.rows("territory", previous)}
        span = french_span(previous.since, previous.until)
        summary.insert(1, _comparison_sentence(networks, before_networks, span, len(days), suppress_below))
        sections.append(
            _comparison_section(networks, before_networks, territories, before_territories, territory_names, span, suppress_below)
        )
        data["previous"] = {"since": previous.since.isoformat(), "until": previous.until.isoformat()}
        data["comparison"] = {
            name: {
                "current": _total_value(networks, name, suppress_below),
                "previous": _total_value(before_networks, name, suppress_below),
            }
            for name in ("deliveries", "views", "landing_visits", "channel_clicks")
        }

    # time series
    sections.append(_trends_section(dataset, daily, days, territory_names, names, suppress_below, data))
    sections.append(_funnel_section(networks, territories, territory_names, channels, capsules, suppress_below, data))
    milestones = _milestones_section(dataset, concrete, posts, data)
    if milestones is not None:
        sections.append(milestones)
    sections.append(_tables_section(networks, _renamed(territories, territory_names), posts, suppress_below))

    note = (
        "Taux de visite = visites de la page « Signaler » ÷ vues, en ne comptant que les visites venues des "
        "réseaux qui comptent les vues ; taux de clic = clics vers un canal de signalement ÷ visites. "
        f"« {NOT_GIVEN} » : aucun réseau de la ligne ne donne ce chiffre ({_network_names(_viewless())} "
        "ne comptent pas les vues). "
        "Ce sont des rapports de totaux : personne n'est suivi d'une étape à l'autre. "
        "Les visites et les clics sont comptés par jour, au jour local de chaque territoire ; les vues sont "
        "les relevés des réseaux (1 h, 24 h, 72 h et 7 jours après chaque publication), comptées au jour du relevé."
    )
    if suppress_below:
        note += (
            f" Les nombres inférieurs à {suppress_below} sont masqués, ainsi que les taux qui permettraient de "
            "les retrouver ; dans une courbe, un jour masqué seul en masque un second."
        )
    return Report(
        title=f"{campaign.name} — bilan",
        generated=now.strftime("%d/%m/%Y à %H:%M UTC"),
        period=period_label,
        summary=summary,
        sections=sections,
        data=data,
        note=note,
        suppress_below=suppress_below,
    )


def _renamed(rows: list[Row], territory_names: dict[str, str]) -> list[Row]:
    return [replace(row, key=territory_names.get(row.key, row.key)) for row in rows]


def _total_value(rows: list[Row], name: str, suppress_below: int) -> int | str:
    total = int(sum(getattr(row, name) for row in rows))
    if name in ("landing_visits", "channel_clicks") and suppressed(total, suppress_below):
        return f"<{suppress_below}"
    return total


def _targets_section(progress: list[Progress], territory_names: dict[str, str], suppress_below: int) -> Section:
    table_rows = []
    for item in progress:
        hidden = item.hidden(suppress_below)
        table_rows.append(
            [
                item.label,
                territory_names.get(item.territory, item.territory),
                item.period_fr(),
                f"moins de {suppress_below}" if hidden else fr_int(item.achieved),
                fr_int(item.value),
                "—" if hidden else fr_percent(item.progress),
                fr_percent(item.expected),
                STATUS_FR[item.status],
            ]
        )
    # the chart shows the lines still running or just ended: the last month of each monthly target
    latest: dict[tuple[str, str], Progress] = {}
    for item in progress:
        latest[(item.target, item.territory)] = item
    shown = list(latest.values())
    return Section(
        "objectifs",
        "Objectifs",
        "Un objectif est « en bonne voie » quand la part atteinte est au moins la part de son temps "
        "écoulée (le trait noir), « en retard » sinon.",
        charts=[
            Chart(
                "Avancement des objectifs",
                "Part de chaque objectif atteinte par territoire, comparée à la part du temps écoulée ; "
                "les valeurs sont dans le tableau qui suit.",
                _targets_chart(shown, territory_names, suppress_below),
            )
        ],
        tables=[
            Table(
                "Objectifs par territoire",
                ["objectif", "territoire", "période", "atteint", "objectif", "avancement", "temps écoulé", "état"],
                table_rows,
                text_columns=3,
                last_is_text=True,
            )
        ],
    )


def _comparison_section(
    networks: list[Row],
    before: list[Row],
    territories: list[Row],
    before_territories: dict[str, Row],
    territory_names: dict[str, str],
    span: str,
    suppress_below: int,
) -> Section:
    def total(rows: list[Row], name: str) -> float:
        return float(sum(getattr(row, name) for row in rows))

    def cell(value: float, landing: bool) -> str:
        return fr_count(value, suppress_below) if landing else fr_int(value)

    lines = []
    for name, label, landing in (
        ("deliveries", "Publications", False),
        ("views", "Vues", False),
        ("landing_visits", "Visites de la page", True),
        ("channel_clicks", "Clics vers un canal", True),
    ):
        now, then = total(networks, name), total(before, name)
        lines.append([label, cell(now, landing), cell(then, landing), fr_change(_change(now, then, suppress_below, landing=landing))])
    by_territory = []
    for row in territories:
        earlier = before_territories.get(row.key, Row(row.key))
        by_territory.append(
            [
                territory_names.get(row.key, row.key),
                fr_count(row.landing_visits, suppress_below),
                fr_count(earlier.landing_visits, suppress_below),
                fr_change(_change(row.landing_visits, earlier.landing_visits, suppress_below)),
                fr_count(row.channel_clicks, suppress_below),
                fr_count(earlier.channel_clicks, suppress_below),
                fr_change(_change(row.channel_clicks, earlier.channel_clicks, suppress_below)),
            ]
        )
    return Section(
        "comparaison",
        "Comparaison avec la période précédente",
        f"La période précédente a la même durée : {span}.",
        tables=[
            Table("Toute la campagne", ["", "cette période", "période précédente", "évolution"], lines),
            Table(
                "Par territoire",
                ["territoire", "visites", "visites avant", "évolution", "clics", "clics avant", "évolution"],
                by_territory,
            ),
        ],
    )


def _trends_section(
    dataset: Dataset,
    daily: DailySeries,
    days: list[date],
    territory_names: dict[str, str],
    channel_names: dict[str, str],
    suppress_below: int,
    data: dict[str, Any],
) -> Section:
    marks_by_territory: dict[str, list[tuple[date, str]]] = defaultdict(list)
    marks: dict[tuple[date, str], None] = {}
    publications = []
    first_of: dict[tuple[str, str], date] = {}
    for delivery in dataset.deliveries.values():
        day = dataset.publication_day(delivery)
        if day is None or not days or not days[0] <= day <= days[-1]:
            continue
        key = (delivery.post, delivery.territory)
        first_of[key] = min(first_of.get(key, day), day)
    for (post, territory), day in sorted(first_of.items(), key=lambda item: (item[1], item[0])):
        marks_by_territory[territory].append((day, post))
        marks[(day, post)] = None
        publications.append({"post": post, "territory": territory, "day": day.isoformat()})
    data["publications"] = publications

    territories = sorted(
        {*daily.visits, *daily.clicks, *marks_by_territory} & ({*territory_names} | {"(inconnu)"}),
        key=lambda key: -sum(daily.visits.get(key, Counter()).values()),
    )
    visits = {key: _series(daily.visits.get(key, Counter()), days) for key in territories}
    clicks = {key: _series(daily.clicks.get(key, Counter()), days) for key in territories}
    channel_keys = sorted(daily.channel_clicks, key=lambda key: -sum(daily.channel_clicks[key].values()))
    by_channel = {key: _series(daily.channel_clicks[key], days) for key in channel_keys}
    views = {
        network: [float(daily.views_by_network[network].get(day, 0)) for day in days]
        for network in sorted(daily.views_by_network)
    }
    hidden_visits = {key: _hidden(values, suppress_below) for key, values in visits.items()}
    hidden_clicks = {key: _hidden(values, suppress_below) for key, values in clicks.items()}
    hidden_channels = {key: _hidden(values, suppress_below) for key, values in by_channel.items()}
    data["series"] = {
        "visits_by_territory": hidden_visits,
        "channel_clicks_by_territory": hidden_clicks,
        "channel_clicks_by_channel": hidden_channels,
        "views_by_network": views,
    }
    charts = []
    if days and territories:
        panels = [
            (
                territory_names.get(key, key),
                [("Visites", hidden_visits[key]), ("Clics vers un canal", hidden_clicks[key])],
                marks_by_territory.get(key, []),
            )
            for key in territories
        ]
        charts.append(
            Chart(
                "Visites et clics par jour, par territoire",
                "Courbes quotidiennes des visites de la page et des clics vers un canal, une par territoire ; "
                "les traits pointillés marquent les publications.",
                _time_panels(days, panels),
                "Les traits pointillés marquent le jour de chaque publication dans le territoire."
                + (f" Les jours à moins de {suppress_below} sont laissés en blanc." if suppress_below else ""),
                wide=True,
            )
        )
    if days and channel_keys:
        shown = channel_keys[:MAX_CHANNEL_LINES]
        lines: list[Line] = [(channel_names.get(key, key), hidden_channels[key]) for key in shown]
        if len(channel_keys) > MAX_CHANNEL_LINES:
            others = [sum(values) for values in zip(*(by_channel[key] for key in channel_keys[MAX_CHANNEL_LINES:]), strict=True)]
            lines.append(("autres canaux", _hidden(others, suppress_below)))
        charts.append(
            Chart(
                "Clics par jour, par canal de signalement",
                "Courbes quotidiennes des clics vers chaque canal de signalement.",
                _time_panels(days, [("Clics par jour", lines, list(marks))], columns=1),
            )
        )
    if days and views:
        charts.append(
            Chart(
                "Vues cumulées, par réseau",
                "Courbes des vues cumulées depuis le début de la période, une par réseau ; "
                "les traits pointillés marquent les publications.",
                _time_panels(days, [("Vues cumulées", list(views.items()), list(marks))], columns=1, cumulative=True),  # type: ignore[arg-type]
                "Les vues arrivent par paliers : les réseaux sont relevés 1 h, 24 h, 72 h et 7 jours après chaque publication.",
            )
        )
    return Section(
        "evolution",
        "Évolution dans le temps",
        "Ce qui s'est passé jour après jour, et quand chaque publication est partie.",
        charts=charts,
    )


def _funnel_section(
    networks: list[Row],
    territories: list[Row],
    territory_names: dict[str, str],
    channels: dict[str, int],
    capsules: list[Row],
    suppress_below: int,
    data: dict[str, Any],
) -> Section:
    charts = [
        Chart("Des vues aux signalements, par réseau", "Vues, visites et clics par réseau", _funnel_chart(networks, suppress_below)),
    ]
    labels, visit_rates, click_rates, rate_rows, rates_data = [], [], [], [], []
    for row in territories:
        if row.key.startswith("("):
            continue
        name = territory_names.get(row.key, row.key)
        # over the visits and clicks through links of networks that count views: what the views brought
        rated = row.views and row.shown("views") is not None
        visit = None if not rated or suppressed(row.viewed_visits, suppress_below) else 1000 * row.viewed_visits / row.views
        click = None if not rated or suppressed(row.viewed_clicks, suppress_below) else 1000 * row.viewed_clicks / row.views
        labels.append(name)
        visit_rates.append(visit)
        click_rates.append(click)
        rate_rows.append(
            [
                name,
                NOT_GIVEN if row.shown("views") is None else fr_int(row.views),
                fr_count(row.landing_visits, suppress_below),
                "—" if visit is None else fr_decimal(visit),
                fr_count(row.channel_clicks, suppress_below),
                "—" if click is None else fr_decimal(click),
            ]
        )
        rates_data.append(
            {
                "territory": row.key,
                "views": None if row.shown("views") is None else int(row.views),
                "visits_per_1000_views": None if visit is None else round(visit, 3),
                "clicks_per_1000_views": None if click is None else round(click, 3),
            }
        )
    data["rates"] = rates_data
    tables = []
    if labels:
        charts.append(
            Chart(
                "Pour 1 000 vues, par territoire",
                "Visites et clics vers un canal pour 1 000 vues, par territoire ; les valeurs sont dans le tableau qui suit.",
                _rates_chart(labels, visit_rates, click_rates),
                "Rapportés aux vues, les petits territoires se comparent aux grands.",
            )
        )
        tables.append(
            Table(
                "Pour 1 000 vues, par territoire",
                ["territoire", "vues", "visites", "visites pour 1 000 vues", "clics", "clics pour 1 000 vues"],
                rate_rows,
            )
        )
    charts.append(
        Chart(
            "Visites de la page « Signaler » par territoire",
            "Visites par territoire",
            _bar_chart([territory_names.get(row.key, row.key) for row in territories], [row.landing_visits for row in territories], "Visites", suppress_below=suppress_below),
        )
    )
    channel_chart = _bar_chart(list(channels), list(channels.values()), "Clics", "#b00020", suppress_below)
    charts.append(Chart("Canaux choisis", "Clics par canal de signalement", channel_chart))
    if capsules:
        charts.append(
            Chart(
                "Capsules vidéo les plus efficaces",
                "Visites par capsule",
                _bar_chart([row.key for row in capsules], [row.landing_visits for row in capsules], "Visites", suppress_below=suppress_below),
            )
        )
    return Section("parcours", "Des vues aux signalements", charts=charts, tables=tables)


def _milestones_section(dataset: Dataset, period: Period, posts: list[Row], data: dict[str, Any]) -> Section | None:
    """Each post's views at its milestones, summed over its deliveries, per network."""
    history: dict[str, dict[str, dict[str, float]]] = defaultdict(lambda: defaultdict(dict))
    for delivery in dataset.deliveries.values():
        published = dataset.publication_day(delivery)
        if published is None or not period.contains(published):
            continue
        if not dataset.gives(delivery.network):  # a network that counts no views has no panel of zeros
            continue
        for reading in dataset.readings.get(delivery.id, []):
            if reading.milestone in MILESTONES:
                by_milestone = history[delivery.post][delivery.network]
                by_milestone[reading.milestone] = by_milestone.get(reading.milestone, 0) + reading.views
    order = [row.key for row in posts if row.key in history][:MAX_POST_PANELS]
    data["milestones"] = {post: history[post] for post in sorted(history)}
    if not order:
        return None
    return Section(
        "releves",
        "Chaque publication, relevé après relevé",
        "Vues de chaque publication 1 h, 24 h, 72 h et 7 jours après sa sortie, par réseau"
        + (f" (les {MAX_POST_PANELS} plus vues)." if len(history) > MAX_POST_PANELS else "."),
        charts=[
            Chart(
                "Vues aux relevés, par publication",
                "Petits graphiques, un par publication : vues à 1 h, 24 h, 72 h et 7 jours, par réseau.",
                _milestone_panels([(post, history[post]) for post in order]),
                wide=True,
            )
        ],
    )


def _tables_section(networks: list[Row], territories: list[Row], posts: list[Row], suppress_below: int) -> Section:
    def table(title: str, rows: list[Row], dimension: str) -> Table:
        first = {"network": "réseau", "territory": "territoire", "post": "publication"}[dimension]
        columns = [first, "publications", "vues", "visites", "clics", "taux de visite", "taux de clic"]
        body = []
        for row in rows:
            values = row.as_dict(dimension, suppress_below)
            counts = [values[name] for name in ("deliveries", "views", "landing_visits", "channel_clicks")]
            rates = [values[name] for name in ("visit_rate", "click_rate")]
            body.append(
                [
                    values[dimension],
                    *(fr_int(value) if isinstance(value, int) else NOT_GIVEN if value is None else value for value in counts),
                    *(fr_percent(value) if value is not None else "—" for value in rates),
                ]
            )
        return Table(title, columns, body)

    return Section(
        "tableaux",
        "Tableaux détaillés",
        tables=[
            table("Par réseau", networks, "network"),
            table("Par territoire", territories, "territory"),
            table("Par publication", posts, "post"),
        ],
    )


def render_html(report: Report) -> str:
    folder = Path(str(resources.files("templates")))
    environment = Environment(loader=FileSystemLoader(str(folder)), autoescape=select_autoescape(["html"]))
    return environment.get_template("reports/report.html").render(report=report)


def build_report(
    session: Session,
    campaign: Campaign,
    *,
    suppress_below: int = 0,
    channel_names: dict[str, str] | None = None,
    period: Period | None = None,
    targets: dict[str, TargetSpec] | None = None,
    now: datetime | None = None,
) -> str:
    """The HTML report (see :func:`build_report_model`)."""
    model = build_report_model(
        session,
        campaign,
        suppress_below=suppress_below,
        channel_names=channel_names,
        period=period,
        targets=targets,
        now=now,
    )
    return render_html(model)
