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
