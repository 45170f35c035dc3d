"""X weighted length agrees with twitter-text v3's conformance suite, through `campaign check --json`."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from campaign.texts import count_hashtags, render_text
from cli import app
from networks.registry import registry
from networks.x.weighted import extract_urls, weighted_length

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


# --- the fast path of X's weighted length agrees with twitter-text's parse_tweet -------------------

URL_PIECES = st.sampled_from(
    [
        "https://clickable.example.org/r/abcd2345", "http://test.co", "example.com", "a.co", "t.co/x",
        "https://www.internet-signalement.gouv.fr", "3018.fr", "www.", ".com", "https://", "http://x",
        "#Signaler", "@ecpat", "\r\n", "\n", "\r", " ", "é", "e\u0301", "日本語", "\u2010", "\u2032",
        "\ufffe", "\ufeff", "\u200b", "😷", "#\ufe0f\u20e3", "©", "👨\u200d👩\u200d👧", "🏴\U000e0067\U000e0062\U000e007f",
    ]
)  # fmt: skip
tweets = st.lists(st.one_of(URL_PIECES, st.text(max_size=12)), max_size=30).map("".join)


def library_count(text: str) -> tuple[int, bool]:
    from twitter_text import parse_tweet

    parsed = parse_tweet(text)
    return int(parsed.weightedLength), bool(parsed.valid)


@settings(max_examples=int(os.environ.get("CLICKABLE_FUZZ_EXAMPLES", "300")), deadline=None)
@given(tweets)
def test_weighted_length_agrees_with_parse_tweet(text: str) -> None:
    assert tuple(weighted_length(text)) == library_count(text)


@pytest.mark.parametrize("case", CASES, ids=[case["description"] for case in CASES])
def test_weighted_length_agrees_with_parse_tweet_on_the_conformance_suite(case: dict[str, Any]) -> None:
    assert tuple(weighted_length(case["text"])) == library_count(case["text"])
    assert weighted_length(case["text"]).length == case["expected"]["weightedLength"]


# every one of twitter-text's spaces, and words whose first character both may precede a URL and
# may start one (é, 日): read without the space before them, "éxample.com" would lose its é
SPACES = st.sampled_from(["\t", "\n", "\x0b", "\x0c", "\r", " ", "\x85", "\xa0", "\u1680", "\u180e",
                          "\u2000", "\u2005", "\u200a", "\u2028", "\u2029", "\u202f", "\u205f", "\u3000"])
WORDS = st.sampled_from(["éxample.com", "日本.jp", "(a.co)", "-b.fr", "x.com.", "@c.de", "$d.io", "#e.fr",
                         "\u202ef.fr", "https://t.co/abc?x=1", "g.fr/chemin(1)", "h.fr:8080/p", "ｉ.com"])
url_texts = st.lists(st.one_of(URL_PIECES, SPACES, WORDS, st.text(max_size=8)), max_size=30).map("".join)


@settings(max_examples=int(os.environ.get("CLICKABLE_FUZZ_EXAMPLES", "300")), deadline=None)
@given(url_texts)
def test_urls_found_word_by_word_are_the_urls_twitter_text_finds(text: str) -> None:
    from twitter_text.extract_urls import extract_urls_with_indices

    assert extract_urls(text) == [(item["indices"][0], item["url"]) for item in extract_urls_with_indices(text)]


def test_weighted_length_agrees_on_the_example_campaign(tmp_path: Path) -> None:
    from datetime import date

    from campaign.example import write_example

    write_example(tmp_path / "c", today=date.today())
    data = yaml.safe_load((tmp_path / "c" / "campaign.yaml").read_text("utf-8"))
    texts = [post["text"] for post in data["posts"]]
    texts += [variant["text"] for post in data["posts"] for variant in (post.get("variants") or {}).values()]
    assert len(texts) >= 9
    for text in texts:
        for rendered in (text, render_text(text, "https://clickable.example.org/r/abcd2345", append_link=True)):
            assert tuple(weighted_length(rendered)) == library_count(rendered)
