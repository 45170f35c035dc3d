"""Post texts: the tracked link placeholder, rendering, and a measured length (networks count it)."""

from __future__ import annotations

import re
from dataclasses import dataclass

LINK_PLACEHOLDER = "{link}"
# "#" followed by letters, digits or underscores, as Instagram's own caption parser counts hashtags
HASHTAG = re.compile(r"(?<![\w&])#\w+", re.UNICODE)


@dataclass(frozen=True)
class TextLength:
    """A text's length as one network counts it, against that network's limit."""

    network: str
    length: int
    limit: int
    ok: bool
    reason: str | None = None


LINK_SETTING = "link"  # an account's setting, for networks that declare it (X): where its posts' link goes
LINK_IN_TEXT, LINK_NONE = "text", "none"  # in the text (the default), or left out (the capsule carries it)


def link_in_text(settings: dict[str, object] | None) -> bool:
    """Whether an account with these campaign.yaml settings puts its posts' tracked link in their text."""
    return (settings or {}).get(LINK_SETTING, LINK_IN_TEXT) != LINK_NONE


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
