"""How TikTok counts a caption: UTF-16 code units ("runes"), at most 2,200.

developers.tiktok.com/doc/content-posting-api-reference-direct-post: ``post_info.title`` is "the video
caption… The maximum length of 2200 in UTF-16 runes". An emoji outside the Basic Multilingual Plane
counts two.
"""

from __future__ import annotations

from campaign.i18n import _
from campaign.texts import TextLength

CAPTION_UTF16 = 2200


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def measure(text: str) -> TextLength:
    length = utf16_length(text)
    if not text.strip():
        return TextLength("tiktok", length, CAPTION_UTF16, False, _("empty text"))
    if length > CAPTION_UTF16:
        return TextLength(
            "tiktok",
            length,
            CAPTION_UTF16,
            False,
            _("{length} UTF-16 units, TikTok allows {limit} in a caption").format(
                length=length, limit=CAPTION_UTF16
            ),
        )
    return TextLength("tiktok", length, CAPTION_UTF16, True)
