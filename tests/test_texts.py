"""X weighted length agrees with twitter-text v3's conformance suite, through `campaign check --json`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from campaign.texts import count_hashtags, render_text
from cli import app
from networks.registry import registry

DATA = Path(__file__).parent / "data" / "twitter-text-weighted.yml"
CASES = yaml.safe_load(DATA.read_text("utf-8"))["WeightedTweetsWithDiscountedEmojiCounterTest"]

HEADER = """\
campaign: {id: conformance, name: Conformance, language: fr}
approval: {required: false}
territories: {fr: {name: France, timezone: Europe/Paris}}
accounts: {x-main: {network: x}}
landing: {base_url: "https://signaler.example.org", channels: {tel-119: {name: "119", phone: "119"}}}
"""


def test_conformance_cases_are_all_there() -> None:
    assert len(CASES) == 22


def test_campaign_check_counts_like_twitter_text(tmp_path: Path) -> None:
    posts = [
        {"id": f"case{index}", "text": case["text"], "accounts": ["x-main"]}
        for index, case in enumerate(CASES)
    ]
    path = tmp_path / "campaign.yaml"
    path.write_text(HEADER + yaml.safe_dump({"posts": posts}, allow_unicode=True, width=100000), "utf-8")
    result = CliRunner().invoke(app, ["campaign", "check", str(path), "--json"])
    data = json.loads(result.stdout)
    by_post = {variant["post"]: variant for variant in data["variants"]}
    disagreements = []
    for index, case in enumerate(CASES):
        variant = by_post[f"case{index}"]
        expected = case["expected"]
        if (variant["length"], variant["ok"]) != (expected["weightedLength"], expected["valid"]):
            disagreements.append((case["description"], variant["length"], expected["weightedLength"]))
    assert disagreements == []
    assert data["ok"] is all(case["expected"]["valid"] for case in CASES)


@pytest.mark.parametrize(
    ("template", "link", "expected"),
    [
        ("Voir {link} maintenant", "https://s.example/r/abc", "Voir https://s.example/r/abc maintenant"),
        ("Sans lien", "https://s.example/r/abc", "Sans lien\nhttps://s.example/r/abc"),
        ("Sans lien  ", None, "Sans lien  "),
        ("Lien retiré {link}", None, "Lien retiré"),
    ],
)
def test_render_text(template: str, link: str | None, expected: str) -> None:
    assert render_text(template, link, append_link=True) == expected


def test_instagram_hashtags_are_counted() -> None:
    assert count_hashtags("#Clickable #Signaler et #3018, pas l'ancre html&#39;") == 3
    assert not registry()["instagram"].measure_text(" ".join(f"#t{i}" for i in range(31))).ok
