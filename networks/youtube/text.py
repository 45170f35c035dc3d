"""How YouTube counts a video's texts (developers.google.com/youtube/v3/docs/videos#snippet).

The post's text is the video's description: at most 5,000 bytes of UTF-8, without ``<`` or ``>``.
The title (at most 100 characters, no ``<`` or ``>``) and the tags (500 characters in all) are made
from the text.
"""

from __future__ import annotations

import re

from campaign.i18n import _
from campaign.texts import TextLength

DESCRIPTION_BYTES = 5000
TITLE_CHARACTERS = 100
TAGS_CHARACTERS = 500
FORBIDDEN = ("<", ">")
LINK = re.compile(r"https?://\S+")
HASHTAG = re.compile(r"#(\w+)")


def measure(text: str) -> TextLength:
    """The description's length in UTF-8 bytes against YouTube's 5,000, and its forbidden characters."""
    length = len(text.encode("utf-8"))
    if not text.strip():
        return TextLength("youtube", length, DESCRIPTION_BYTES, False, _("empty text"))
    if length > DESCRIPTION_BYTES:
        reason = _("{length} bytes of UTF-8, YouTube allows {limit} in a description").format(
            length=length, limit=DESCRIPTION_BYTES
        )
        return TextLength("youtube", length, DESCRIPTION_BYTES, False, reason)
    found = [mark for mark in FORBIDDEN if mark in text]
    if found:
        reason = _("YouTube refuses {marks} in a description").format(marks=" ".join(found))
        return TextLength("youtube", length, DESCRIPTION_BYTES, False, reason)
    return TextLength("youtube", length, DESCRIPTION_BYTES, True)


def title(text: str, fallback: str | None = None) -> str:
    """The video's title: the text's first line without links, cut on a word at 100 characters."""
    lines = [LINK.sub("", line).strip() for line in text.splitlines()]
    first = next((line for line in lines if line), "") or (fallback or "")
    first = " ".join(first.replace("<", "").replace(">", "").split())
    if len(first) <= TITLE_CHARACTERS:
        return first
    cut = first[: TITLE_CHARACTERS - 1]
    if " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:") + "…"


def tags(text: str) -> list[str]:
    """The text's hashtags as tags (without ``#``), within YouTube's 500 characters in all."""
    chosen: list[str] = []
    used = 0
    for tag in dict.fromkeys(HASHTAG.findall(text)):
        cost = len(tag) + (2 if " " in tag else 0) + (1 if chosen else 0)  # a comma between tags
        if used + cost > TAGS_CHARACTERS:
            break
        chosen.append(tag)
        used += cost
    return chosen
