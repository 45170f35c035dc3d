"""How Bluesky counts a post's text, and the links and hashtags it shows as facets.

The lexicon of ``app.bsky.feed.post`` limits ``text`` to 300 graphemes and 3,000 UTF-8 bytes
(https://github.com/bluesky-social/atproto/blob/main/lexicons/app/bsky/feed/post.json): a grapheme is
what a reader sees as one character (``é`` written e + combining accent, a flag, a family emoji).
Graphemes are counted as Unicode extended grapheme clusters (UAX #29) by the ``regex`` module's ``\\X``,
not code points.
"""

from __future__ import annotations

from typing import Any

from campaign.i18n import _
from campaign.texts import TextLength

NETWORK = "bluesky"
GRAPHEME_LIMIT = 300
BYTE_LIMIT = 3000
MAX_LANGS = 3  # app.bsky.feed.post: langs has at most 3 items
# app.bsky.embed.video: alt has at most 1,000 graphemes and 10,000 bytes (maxGraphemes, maxLength)
ALT_GRAPHEME_LIMIT = 1000
ALT_LENGTH_LIMIT = 10_000


def graphemes(text: str) -> int:
    """The number of extended grapheme clusters in ``text``."""
    import regex

    return len(regex.findall(r"\X", text))


def measure(text: str) -> TextLength:
    """The text's length in graphemes against 300, and its UTF-8 size against 3,000 bytes."""
    length = graphemes(text)
    if not text.strip():
        return TextLength(NETWORK, length, GRAPHEME_LIMIT, False, _("empty text"))
    if length > GRAPHEME_LIMIT:
        reason = _("{length} graphemes, Bluesky allows {limit}").format(length=length, limit=GRAPHEME_LIMIT)
        return TextLength(NETWORK, length, GRAPHEME_LIMIT, False, reason)
    size = len(text.encode("utf-8"))
    if size > BYTE_LIMIT:
        reason = _("{size} bytes in UTF-8, Bluesky allows {limit}").format(size=size, limit=BYTE_LIMIT)
        return TextLength(NETWORK, length, GRAPHEME_LIMIT, False, reason)
    return TextLength(NETWORK, length, GRAPHEME_LIMIT, True)


def facets(text: str) -> list[dict[str, Any]]:
    """Links and hashtags of ``text`` as ``app.bsky.richtext.facet`` objects, with UTF-8 byte offsets
    (start inclusive, end exclusive: https://docs.bsky.app/docs/advanced-guides/post-richtext).

    Found by the atproto package's port of the official app's detection (links, hashtags, cashtags;
    mentions would need their handles resolved, and the campaign's texts have none).
    """
    from atproto_client.models.utils import get_model_as_dict
    from atproto_client.utils.facet_detection import detect_facets

    return [get_model_as_dict(facet) for facet in detect_facets(text)]
