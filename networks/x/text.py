"""X counts a post's text with twitter-text v3's weighted length (links count 23, CJK and emoji 2)."""

from __future__ import annotations

from campaign.i18n import _
from campaign.texts import TextLength

NETWORK = "x"
WEIGHTED_LIMIT = 280
LINK_LENGTH = 23  # twitter-text's transformedURLLength: every link counts as a t.co address
# The timeline shows a link as its display_url: the address without its scheme, cut with "…" (about
# 23 characters of it kept; the counted length stays 23 whatever is shown)
LINK_SHOWN = 23


def measure(text: str) -> TextLength:
    """twitter-text's weighted length and validity (twitter-text-parser passes its conformance suite).

    Counted by networks/x/weighted.py: parse_tweet's own count, without its emoji search when the
    text holds no emoji character (imported here: twitter-text costs 0.7 s to import).
    """
    from networks.x.weighted import weighted_length

    parsed = weighted_length(text)
    length = parsed.length
    reason = None
    if not parsed.valid:
        reason = (
            _("empty or invalid text")
            if length <= WEIGHTED_LIMIT
            else _("{length} weighted characters, X allows {limit}").format(
                length=length, limit=WEIGHTED_LIMIT
            )
        )
    return TextLength(NETWORK, length, WEIGHTED_LIMIT, bool(parsed.valid), reason)
