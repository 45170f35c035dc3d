"""X counts a post's text with twitter-text v3's weighted length (links count 23, CJK and emoji 2)."""

from __future__ import annotations

import warnings

from campaign.i18n import _
from campaign.texts import TextLength

NETWORK = "x"
WEIGHTED_LIMIT = 280
LINK_LENGTH = 23  # twitter-text's transformedURLLength: every link counts as a t.co address
# The timeline shows a link as its display_url: the address without its scheme, cut with "…" (about
# 23 characters of it kept; the counted length stays 23 whatever is shown)
LINK_SHOWN = 23


def measure(text: str) -> TextLength:
    """twitter-text's weighted length and validity (twitter-text-parser passes its conformance suite)."""
    with warnings.catch_warnings():
        # twitter-text-parser 3.0, its latest release, reads its emoji table through pkg_resources:
        # setuptools is a runtime dependency below 81 (recent releases no longer ship pkg_resources, and
        # Python 3.12+ venvs have no setuptools), and its deprecation warning is not the user's concern.
        warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)
        from twitter_text import parse_tweet

    parsed = parse_tweet(text)
    length = int(parsed.weightedLength)
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
