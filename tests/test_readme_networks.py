"""The README's table of networks says what each registered network's spec says."""

from __future__ import annotations

import math
from pathlib import Path

from networks.registry import registry
from networks.spec import NetworkSpec

README = Path(__file__).resolve().parent.parent / "README.md"


def _size(size: int) -> str:
    return f"{size / 1024**3:,.0f} GB" if size >= 1024**3 else f"{size / 1024**2:,.0f} MB"


def _dollars(amount: float) -> str:
    return f"${amount:.2f}" if round(amount, 2) == amount else f"${amount:g}"


def readme_row(spec: NetworkSpec) -> str:
    """The README row of a network, from its spec."""
    credentials = ", ".join(
        f"`{item.name}`"
        + {
            (True, True): "",
            (True, False): " (not secret)",
            (False, True): " (optional)",
            (False, False): " (optional, not secret)",
        }[(item.required, item.secret)]
        for item in spec.credentials
    )
    rules = spec.text
    unit = rules.unit or ("weighted characters" if rules.measure else "characters")
    text = f"{rules.limit:,} {unit}"
    text += f", {rules.max_hashtags} hashtags" if rules.max_hashtags else ""
    text += f", a link counts {rules.link_length}" if rules.link_length else ""
    text += ", links not clickable" if not rules.links_clickable else ""
    videos = "; ".join(
        f"{video.kind} "
        + (
            "of any length"
            if math.isinf(video.max_seconds) and not video.min_seconds
            else f"{video.min_seconds:g}–{video.max_seconds:g} s"
        )
        + f", {_size(video.max_bytes)}"
        + (f", {video.aspect[0]}:{video.aspect[1]}" if video.aspect else "")
        + (f", ≥ {video.min_size[0]}×{video.min_size[1]}" if video.min_size else "")
        for video in spec.media.videos
    )
    video = ("**required**: " if spec.media.video_required else "") + videos
    caps = ", ".join(f"`{key}` {value}" for key, value in spec.caps.items())
    prices = "—"
    if spec.prices is not None:
        prices = f"{_dollars(spec.prices.post)} a post"
        if spec.prices.post_with_url is not None:
            prices += f", {_dollars(spec.prices.post_with_url)} with a link"
        if spec.prices.read is not None:
            prices += f", {_dollars(spec.prices.read)} a read"
    if spec.quota is not None:
        buckets = ", ".join(f"`{bucket.name}` {bucket.limit:,}" for bucket in spec.quota.buckets)
        prices = f"free; daily quota {buckets} (reset {spec.quota.reset_zone})"
    return f"| {spec.label} (`{spec.name}`) | {credentials} | {text} | {video} | {caps} | {prices} |"


def test_the_readme_table_of_networks_matches_their_specs() -> None:
    text = README.read_text("utf-8")
    missing = [readme_row(spec) for spec in registry().values() if readme_row(spec) not in text]
    assert missing == [], "update the README's networks table with:\n" + "\n".join(missing)
