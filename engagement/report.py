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
from engagement.stats import Row, aggregate, channel_totals

FUNNEL_LABELS = ("Vues", "Visites de la page", "Clics vers un canal")


def _png(figure: Any) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _bar_chart(labels: list[str], values: list[float], title: str, color: str = "#1d3557") -> str:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    figure, axes = pyplot.subplots(figsize=(8, max(2.5, 0.45 * len(labels) + 1)))
    try:
        axes.barh(labels[::-1], values[::-1], color=color)
        axes.set_title(title)
        axes.spines[["top", "right"]].set_visible(False)
        for index, value in enumerate(values[::-1]):
            axes.text(value, index, f" {int(value):,}".replace(",", " "), va="center")
        return _png(figure)
    finally:
        pyplot.close(figure)


def _funnel_chart(rows: list[Row]) -> str:
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
            axes.bar(
                [index + offset * width for index in range(len(rows))], series[offset], width, label=label
            )
        axes.set_xticks([index + width for index in range(len(rows))], [row.key for row in rows])
        axes.set_yscale("symlog")
        axes.legend()
        axes.spines[["top", "right"]].set_visible(False)
        return _png(figure)
    finally:
        pyplot.close(figure)


def summary_sentences(networks: list[Row], channels: dict[str, int], territories: list[Row]) -> list[str]:
    views = int(sum(row.views for row in networks))
    visits = sum(row.landing_visits for row in networks)
    clicks = sum(row.channel_clicks for row in networks)
    published = sum(row.deliveries for row in networks)

    def number(value: float) -> str:
        return f"{int(value):,}".replace(",", " ")

    sentences = [
        f"{number(published)} publications prévues ; elles ont été vues {number(views)} fois sur les réseaux sociaux.",
        f"{number(visits)} visites sont arrivées sur la page « Signaler », et {number(clicks)} fois quelqu'un a choisi un numéro ou un site pour parler ou signaler.",
    ]
    if views:
        sentences.append(
            f"Environ {visits / views:.1%} des vues ont mené à la page, et {clicks / visits:.1%} des visites à un canal de signalement."
            if visits
            else "Aucune visite n'a encore été comptée."
        )
    if channels:
        best = next(iter(channels))
        sentences.append(f"Le canal le plus choisi : {best} ({number(channels[best])} clics).")
    visited = [row for row in territories if row.landing_visits]
    if visited:
        sentences.append(
            f"Le territoire d'où viennent le plus de visites : {visited[0].key} ({number(visited[0].landing_visits)})."
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
    charts = [
        {
            "title": "Des vues aux signalements, par réseau",
            "alt": "Vues, visites et clics par réseau",
            "png": _funnel_chart(networks),
        },
        {
            "title": "Visites de la page « Signaler » par territoire",
            "alt": "Visites par territoire",
            "png": _bar_chart(
                [row.key for row in territories], [row.landing_visits for row in territories], "Visites"
            ),
        },
        {
            "title": "Canaux choisis",
            "alt": "Clics par canal de signalement",
            "png": _bar_chart(list(channels), list(channels.values()), "Clics", "#b00020"),
        },
    ]
    if capsules:
        charts.append(
            {
                "title": "Capsules vidéo les plus efficaces",
                "alt": "Visites par capsule",
                "png": _bar_chart(
                    [row.key for row in capsules], [row.landing_visits for row in capsules], "Visites"
                ),
            }
        )
    columns = ["", "publications", "vues", "visites", "clics", "taux de visite", "taux de clic"]

    def table(title: str, rows: list[Row], dimension: str) -> dict[str, Any]:
        body = []
        for row in rows:
            data = row.as_dict(dimension, suppress_below)
            body.append(
                [
                    data[dimension],
                    data["deliveries"],
                    data["views"],
                    data["landing_visits"],
                    data["channel_clicks"],
                    f"{row.visit_rate:.1%}" if row.visit_rate is not None else "—",
                    f"{row.click_rate:.1%}" if row.click_rate is not None else "—",
                ]
            )
        return {"title": title, "columns": columns, "rows": body}

    folder = Path(str(resources.files("templates")))
    environment = Environment(loader=FileSystemLoader(str(folder)), autoescape=select_autoescape(["html"]))
    return environment.get_template("reports/report.html").render(
        title=f"{campaign.name} — bilan",
        generated=datetime.now(UTC).strftime("%d/%m/%Y à %H:%M UTC"),
        summary=summary_sentences(networks, channels, territories),
        charts=charts,
        tables=[
            table("Par réseau", networks, "network"),
            table("Par territoire", territories, "territory"),
            table("Par publication", posts, "post"),
        ],
        suppress_below=suppress_below,
    )
