"""X's weighted text length (twitter-text v3), with a fast path for texts that hold no emoji.

twitter-text-parser's ``parse_tweet`` spends 80 % of its time looking for emoji with one regular
expression of 3,800 alternatives, tried at every position of the text: 0.5 ms a text, so 20,000
posts cost 10 s for each `campaign check` (benchmarks/campaign_load.py). A text none of whose
characters belongs to any emoji has no emoji match, and its length is then the library's own
count without that search: its URL extraction, its character weights (the v3 configuration) and
its invalid characters, in the same order as ``parse_tweet``. Texts that hold an emoji character
go through ``parse_tweet`` itself. tests/test_texts.py checks both paths agree on the conformance
suite and on random texts.

The URL extraction itself (one large regular expression tried along the whole text: most of what
was left of the count) is asked word by word: no part of a URL is one of twitter-text's spaces,
so each URL lies within one run of other characters, preceded by the space before it, and the
library finds the same URLs in that run alone. Runs without a full stop hold none (the library's
own shortcut), and the others repeat from post to post (the tracked link, "3018.") and are
remembered.
"""

from __future__ import annotations

import functools
import re
import unicodedata
import warnings
from typing import Any, NamedTuple

with warnings.catch_warnings():
    # twitter-text-parser 3.0, its latest release, reads its emoji table through pkg_resources:
    # setuptools is a runtime dependency below 81 (recent releases no longer ship pkg_resources, and
    # Python 3.12+ venvs have no setuptools), and its deprecation warning is not the user's concern.
    warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)
    from twitter_text import parse_tweet
    from twitter_text.config import config
    from twitter_text.extract_urls import extract_urls_with_indices
    from twitter_text.regexp.emoji import emoji_list
    from twitter_text.regexp.invalid_chars import invalid_chars
    from twitter_text.regexp.spaces_group import spaces_group

LINE_ENDINGS = re.compile(r"\r\n|\r|\n")
WORDS = re.compile(f"[^{spaces_group}]+")  # runs of characters none of which is a twitter-text space
REMEMBERED_WORDS = 8192  # words with a full stop whose URLs are kept (a few KB each at most)


class Weighted(NamedTuple):
    length: int
    valid: bool


@functools.cache
def _emoji_characters() -> frozenset[str]:
    """Every character outside ASCII that appears in an emoji of twitter-text's table.

    Every emoji of the table holds at least one (a keycap such as #️⃣ holds U+20E3), so a text
    holding none of them has no emoji for twitter-text.
    """
    return frozenset(character for item in emoji_list for character in item.emoji if ord(character) > 0x7F)


@functools.cache
def _options() -> tuple[dict[str, Any], re.Pattern[str]]:
    """twitter-text's default (v3) options, and the characters its ranges give the lighter weight."""
    options: dict[str, Any] = config["defaults"]
    light = "".join(
        f"{re.escape(chr(item['start']))}-{re.escape(chr(item['end']))}"
        for item in options["ranges"]
        if item["weight"] != options["default_weight"]
    )
    return options, re.compile(f"[^{light}]")


@functools.lru_cache(maxsize=REMEMBERED_WORDS)
def _word_urls(piece: str) -> tuple[tuple[int, str], ...]:
    """twitter-text's URLs in ``piece`` (a word, with the space before it): where each starts, and itself."""
    return tuple((item["indices"][0], item["url"]) for item in extract_urls_with_indices(piece))


def extract_urls(text: str) -> list[tuple[int, str]]:
    """What ``extract_urls_with_indices(text)`` finds, as (start, URL), in order, asked word by word.

    A URL's characters (protocol, domain, port, path, query) are never spaces, and the one
    character the expression reads before a URL is given with each word: the space before it, or
    the start of the text.
    """
    found: list[tuple[int, str]] = []
    for word in WORDS.finditer(text):
        if "." not in word.group():
            continue
        base = max(word.start() - 1, 0)
        found.extend((base + start, url) for start, url in _word_urls(text[base : word.end()]))
    return found


def _segment_weight(segment: str, options: dict[str, Any], heavy: re.Pattern[str]) -> int:
    """Sum of the characters' weights: the ranges' weight, else the default (v3: 100, else 200)."""
    light_weight = next(item["weight"] for item in options["ranges"])
    count = len(heavy.findall(segment))
    return light_weight * (len(segment) - count) + options["default_weight"] * count


def weighted_length(text: str) -> Weighted:
    """The weighted length of ``text`` and whether X accepts it, as twitter-text v3 counts them."""
    normalized = LINE_ENDINGS.sub("\n", unicodedata.normalize("NFC", text))
    if not _emoji_characters().isdisjoint(normalized):
        parsed = parse_tweet(text)
        return Weighted(int(parsed.weightedLength), bool(parsed.valid))
    options, heavy = _options()
    if any(item["weight"] != options["ranges"][0]["weight"] for item in options["ranges"]):
        parsed = parse_tweet(text)  # a configuration this fast path does not know
        return Weighted(int(parsed.weightedLength), bool(parsed.valid))
    scale = options["scale"]
    total = 0
    valid = True
    position = 0
    for start, url in sorted(extract_urls(normalized)):
        if start < position:
            continue
        before = normalized[position:start]
        total += _segment_weight(before, options, heavy)
        last = start + len(url) - 1
        # parse_tweet checks each character it steps on; inside a URL, only its last one
        valid = (
            valid and invalid_chars.search(before) is None and invalid_chars.search(normalized[last]) is None
        )
        total += options["transformed_url_length"] * scale
        position = last + 1
    rest = normalized[position:]
    total += _segment_weight(rest, options, heavy)
    valid = valid and invalid_chars.search(rest) is None
    length = int(total / scale)
    return Weighted(length, valid and 0 < length <= options["max_weighted_tweet_length"])
