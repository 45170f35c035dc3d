"""The HTML report: one self-contained file (charts as embedded PNG) for a non-technical reader."""

from __future__ import annotations

import base64
import io
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlmodel import Session, select

from campaign.models import Campaign, Territory
from engagement.stats import Row, aggregate, channel_totals, suppressed

FUNNEL_LABELS = ("Vues", "Visites de la page", "Clics vers un canal")
NARROW_NBSP, NBSP = "\u202f", "\u00a0"  # French typography: 12 345 and 4,5 %


def fr_int(value: float) -> str:
    return f"{int(value):,}".replace(",", NARROW_NBSP)


def fr_percent(ratio: float) -> str:
    return f"{ratio * 100:.1f}".replace(".", ",") + f"{NBSP}%"


def fr_count(value: float, suppress_below: int = 0) -> str:
    """A count for the reader: ``moins de N`` when it is suppressed."""
    return f"moins de {suppress_below}" if suppressed(value, suppress_below) else fr_int(value)


def _png(figure: Any) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _bar_chart(
    labels: list[str], values: list[float], title: str, color: str = "#1d3557", suppress_below: int = 0
) -> str:
    """Horizontal bars; a suppressed count gets no bar, only its label ``< N``."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot
    from matplotlib.ticker import MaxNLocator

    figure, axes = pyplot.subplots(figsize=(8, max(2.5, 0.45 * len(labels) + 1)))
    try:
        hidden = [suppressed(value, suppress_below) for value in values]
        plotted = [0 if hide else value for value, hide in zip(values, hidden, strict=True)]
        axes.barh(labels[::-1], plotted[::-1], color=color)
        axes.set_xlim(0, max([*plotted, suppress_below, 1]) * 1.12)  # room for the labels; never negative
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_title(title)
        axes.spines[["top", "right"]].set_visible(False)
        for index, (value, hide) in enumerate(zip(plotted[::-1], hidden[::-1], strict=True)):
            axes.text(value, index, f" < {suppress_below}" if hide else f" {fr_int(value)}", va="center")
        return _png(figure)
    finally:
        pyplot.close(figure)


def _funnel_chart(rows: list[Row], suppress_below: int = 0) -> str:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    figure, axes = pyplot.subplots(figsize=(8, 3.5))
    try:
        width = 0.25
        series: list[list[float]] = [
            [float(row.views) for row in rows],
            [float(row.landing_visits) for row in rows],
            [float(row.channel_clicks) for row in rows],
        ]
        for offset, label in enumerate(FUNNEL_LABELS):
            positions = [index + offset * width for index in range(len(rows))]
            hidden = [offset > 0 and suppressed(value, suppress_below) for value in series[offset]]
            plotted = [0 if hide else value for value, hide in zip(series[offset], hidden, strict=True)]
            axes.bar(positions, plotted, width, label=label)
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


def summary_sentences(
    networks: list[Row], channels: dict[str, int], territories: list[Row], suppress_below: int = 0
) -> list[str]:
    """The plain-language summary, in French; suppressed counts are said as ``moins de N``."""
    views = int(sum(row.views for row in networks))
    visits = sum(row.landing_visits for row in networks)
    clicks = sum(row.channel_clicks for row in networks)
    published = sum(row.deliveries for row in networks)

    def count(value: float) -> str:
        return fr_count(value, suppress_below)

    sentences = [
        f"{fr_int(published)} publications prévues ; elles ont été vues {fr_int(views)} fois sur les réseaux sociaux.",
        f"{count(visits)} visites sont arrivées sur la page « Signaler », et {count(clicks)} fois quelqu'un a choisi un numéro ou un site pour parler ou signaler.",
    ]
    if views and not suppressed(visits, suppress_below) and not suppressed(clicks, suppress_below):
        sentences.append(
            f"Environ {fr_percent(visits / views)} des vues ont mené à la page, et {fr_percent(clicks / visits)} des visites à un canal de signalement."
            if visits
            else "Aucune visite n'a encore été comptée."
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


def build_report(
    session: Session,
    campaign: Campaign,
    *,
    suppress_below: int = 0,
    channel_names: dict[str, str] | None = None,
) -> str:
    """The report; territories and channels are named as the campaign names them, for the reader."""
    networks = aggregate(session, campaign.id, "network")
    territories = aggregate(session, campaign.id, "territory")
    posts = aggregate(session, campaign.id, "post")
    capsules = [row for row in aggregate(session, campaign.id, "capsule") if not row.key.startswith("(")]
    channels = {
        (channel_names or {}).get(key, key): count
        for key, count in channel_totals(session, campaign.id).items()
    }
    territory_names = {
        row.key: row.name
        for row in session.exec(select(Territory).where(Territory.campaign_id == campaign.id))
    }
    for row in territories:
        row.key = territory_names.get(row.key, row.key)

    def visits_chart(rows: list[Row]) -> str:
        return _bar_chart(
            [row.key for row in rows],
            [row.landing_visits for row in rows],
            "Visites",
            suppress_below=suppress_below,
        )

    charts = [
        {
            "title": "Des vues aux signalements, par réseau",
            "alt": "Vues, visites et clics par réseau",
            "png": _funnel_chart(networks, suppress_below),
        },
        {
            "title": "Visites de la page « Signaler » par territoire",
            "alt": "Visites par territoire",
            "png": visits_chart(territories),
        },
        {
            "title": "Canaux choisis",
            "alt": "Clics par canal de signalement",
            "png": _bar_chart(list(channels), list(channels.values()), "Clics", "#b00020", suppress_below),
        },
    ]
    if capsules:
        charts.append(
            {
                "title": "Capsules vidéo les plus efficaces",
                "alt": "Visites par capsule",
                "png": visits_chart(capsules),
            }
        )
    columns = ["", "publications", "vues", "visites", "clics", "taux de visite", "taux de clic"]

    def table(title: str, rows: list[Row], dimension: str) -> dict[str, Any]:
        body = []
        for row in rows:
            data = row.as_dict(dimension, suppress_below)
            counts = [data[name] for name in ("deliveries", "views", "landing_visits", "channel_clicks")]
            rates = [data[name] for name in ("visit_rate", "click_rate")]
            body.append(
                [
                    data[dimension],
                    *(fr_int(value) if isinstance(value, int) else value for value in counts),
                    *(fr_percent(value) if value is not None else "—" for value in rates),
                ]
            )
        return {"title": title, "columns": columns, "rows": body}

    folder = Path(str(resources.files("templates")))
    environment = Environment(loader=FileSystemLoader(str(folder)), autoescape=select_autoescape(["html"]))
    return environment.get_template("reports/report.html").render(
        title=f"{campaign.name} — bilan",
        generated=datetime.now(UTC).strftime("%d/%m/%Y à %H:%M UTC"),
        summary=summary_sentences(networks, channels, territories, suppress_below),
        charts=charts,
        tables=[
            table("Par réseau", networks, "network"),
            table("Par territoire", territories, "territory"),
            table("Par publication", posts, "post"),
        ],
        suppress_below=suppress_below,
    )
