"""Post texts as each network counts them: the tracked link placeholder, lengths and limits."""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass

with warnings.catch_warnings():
    # twitter-text-parser 3.0, its latest release, reads its emoji table through pkg_resources:
    # setuptools is a runtime dependency below 81 (recent releases no longer ship pkg_resources, and
    # Python 3.12+ venvs have no setuptools), and its deprecation warning is not the user's concern.
    warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)
    from twitter_text import parse_tweet

LINK_PLACEHOLDER = "{link}"
X_WEIGHTED_LIMIT = 280
FACEBOOK_TEXT_LIMIT = 63_206
INSTAGRAM_CAPTION_LIMIT = 2_200
INSTAGRAM_HASHTAG_LIMIT = 30
LIMITS: dict[str, int] = {
    "x": X_WEIGHTED_LIMIT,
    "facebook": FACEBOOK_TEXT_LIMIT,
    "instagram": INSTAGRAM_CAPTION_LIMIT,
}
# Instagram counts "#" followed by letters, digits or underscores, as in its own caption parser
HASHTAG = re.compile(r"(?<![\w&])#\w+", re.UNICODE)


@dataclass(frozen=True)
class TextLength:
    """A text's length as one network counts it, against that network's limit."""

    network: str
    length: int
    limit: int
    ok: bool
    reason: str | None = None


def render_text(template: str, link_url: str | None, *, append_link: bool) -> str:
    """The text exactly as published: ``{link}`` replaced, or the link appended when asked."""
    if link_url is None:
        return template.replace(LINK_PLACEHOLDER, "").strip() if LINK_PLACEHOLDER in template else template
    if LINK_PLACEHOLDER in template:
        return template.replace(LINK_PLACEHOLDER, link_url)
    if append_link:
        return f"{template.rstrip()}\n{link_url}"
    return template


def count_hashtags(text: str) -> int:
    return len(HASHTAG.findall(text))


def measure(network: str, text: str) -> TextLength:
    """Count ``text`` the way ``network`` does (X: twitter-text v3 weighted length)."""
    if network == "x":
        parsed = parse_tweet(text)
        length = int(parsed.weightedLength)
        reason = None
        if not parsed.valid:
            reason = (
                "empty or invalid text"
                if length <= X_WEIGHTED_LIMIT
                else f"{length} weighted characters, X allows {X_WEIGHTED_LIMIT}"
            )
        return TextLength(network, length, X_WEIGHTED_LIMIT, bool(parsed.valid), reason)
    limit = LIMITS[network]
    length = len(text)
    if not text.strip():
        return TextLength(network, length, limit, False, "empty text")
    if length > limit:
        return TextLength(network, length, limit, False, f"{length} characters, {network} allows {limit}")
    if network == "instagram":
        hashtags = count_hashtags(text)
        if hashtags > INSTAGRAM_HASHTAG_LIMIT:
            return TextLength(
                network,
                length,
                limit,
                False,
                f"{hashtags} hashtags, Instagram allows {INSTAGRAM_HASHTAG_LIMIT}",
            )
    return TextLength(network, length, limit, True)
