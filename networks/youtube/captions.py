"""The caption tracks YouTube gets: one per language the delivery hands over (``Content.captions``).

Each track is a SubRip or WebVTT sidecar the capsule wrote (SubRip first: YouTube reads both). A tag
YouTube refuses falls back to its less precise forms (``fr-RE`` → ``fr``), then to the first of the
audience's languages that has no track of its own, then to ``und`` (undetermined), the track's name
keeping the language it really is.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

from networks.base import Content

NAME_CHARACTERS = 150  # captions.insert: snippet.name is at most 150 characters


@dataclass(frozen=True)
class Track:
    language: str  # BCP-47, as the capsule names it
    path: Path

    def name(self, language: str) -> str:
        """The track's name as viewers see it: the language in its own words (Babel), ≤ 150 characters."""
        from babel import Locale, UnknownLocaleError

        shown = self.language
        with contextlib.suppress(UnknownLocaleError, ValueError):
            named = Locale.parse(self.language.replace("-", "_")).get_display_name() or shown
            shown = named[:1].upper() + named[1:]
        if language != self.language and shown != self.language:
            shown = f"{shown} ({self.language})"
        return shown[:NAME_CHARACTERS]


def tracks(content: Content) -> list[Track]:
    """Every language's track of ``content``, in the delivery's order (a file each, SubRip preferred)."""
    found: list[Track] = []
    for track in content.captions:
        path = track.srt if track.srt is not None and Path(track.srt).is_file() else track.vtt
        if path is not None and Path(path).is_file():
            found.append(Track(track.language, Path(path)))
    return found


def fallbacks(tag: str, content: Content | None = None) -> list[str]:
    """The tags to try, most precise first: fr-RE, fr, then an audience language without its own
    track, then und (undetermined)."""
    parts = tag.split("-")
    tried = ["-".join(parts[:count]) for count in range(len(parts), 0, -1)]
    if content is not None:
        own = {track.language for track in content.captions}
        tried += [language for language in content.languages if language not in own]
    return [*dict.fromkeys(tried), "und"]
