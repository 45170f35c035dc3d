"""How Mastodon counts a status's text (app/validators/status_length_validator.rb).

Grapheme clusters, not code points (an emoji family is one); every URL with its protocol counts
``characters_reserved_per_url`` (23 by default) whatever its length, found by the same twitter-text URL
extractor Mastodon uses; a remote mention ``@name@instance`` counts as ``@name``. The limit is the
instance's own ``configuration.statuses.max_characters`` (500 by default).
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from campaign.i18n import _
from campaign.texts import TextLength

if TYPE_CHECKING:
    import regex

NETWORK = "mastodon"
DEFAULT_LIMIT = (
    500  # https://docs.joinmastodon.org/methods/instance/#v2 configuration.statuses.max_characters
)
DEFAULT_URL_LENGTH = 23  # configuration.statuses.characters_reserved_per_url
# Account::MENTION_RE: "@name" or "@name@domain", not inside a word, an address or after "="
MENTION = r"(?<![=/\w])@([a-z0-9_]+(?:[.-]+[a-z0-9_]+)*)(?:@\w+(?:[.-]+\w+)*)?"


@cache
def _mention() -> regex.Pattern[str]:
    import regex

    return regex.compile(MENTION, regex.IGNORECASE)


def countable(text: str, url_length: int = DEFAULT_URL_LENGTH) -> str:
    """The text as Mastodon counts it: each URL replaced by ``url_length`` characters, remote mentions
    by their local part."""
    from twitter_text import extract_urls_with_indices

    parts: list[str] = []
    position = 0
    for url in extract_urls_with_indices(text, extract_urls_without_protocol=False):
        start, end = url["indices"]
        parts += [text[position:start], "x" * url_length]
        position = end
    parts.append(text[position:])
    return _mention().sub(lambda found: "@" + found.group(1), "".join(parts))


def graphemes(text: str) -> int:
    """Extended grapheme clusters (Unicode UAX #29), as Ruby's each_grapheme_cluster counts them."""
    import regex

    return len(regex.findall(r"\X", text))


def measure(text: str, limit: int = DEFAULT_LIMIT, url_length: int = DEFAULT_URL_LENGTH) -> TextLength:
    """The text's length as Mastodon counts it, against an instance's ``limit``."""
    length = graphemes(countable(text, url_length))
    if not text.strip():
        return TextLength(NETWORK, length, limit, False, _("empty text"))
    if length > limit:
        return TextLength(
            NETWORK,
            length,
            limit,
            False,
            _("{length} characters as Mastodon counts them, the instance allows {limit}").format(
                length=length, limit=limit
            ),
        )
    return TextLength(NETWORK, length, limit, True)
