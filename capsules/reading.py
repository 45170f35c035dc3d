"""Reading profiles: how many characters a viewer can read in a cue's time (CSA/Arcom charter).

The charter on subtitling for deaf and hard-of-hearing viewers (2011) gives reading time as a
table that is not linear: about 12 characters for 1 s, 20 for 2 s, 36 for 3 s, 60 for 4 s. It is
interpolated between its points (and extended along its last slope), then capped by a
characters-a-second ceiling per audience: 13 for children (Netflix's children's templates), 15 for
teenagers, 17 for adults.
"""

from __future__ import annotations

import itertools
import math
from typing import Literal

from capsules.presets import FPS

Audience = Literal["children", "teens", "adults"]
AUDIENCES: tuple[str, ...] = ("children", "teens", "adults")
DEFAULT_AUDIENCE: Audience = "children"  # this campaign speaks to children first
CPS_CEILING: dict[str, float] = {"children": 13.0, "teens": 15.0, "adults": 17.0}
CSA_TABLE: tuple[tuple[float, float], ...] = ((0.0, 0.0), (1.0, 12.0), (2.0, 20.0), (3.0, 36.0), (4.0, 60.0))
MAX_LINES = 2
MAX_LINE_CHARACTERS = 42  # Netflix French timed-text guide
MIN_GAP_FRAMES = 2
MIN_GAP_S = MIN_GAP_FRAMES / FPS

# The charter's colour code: who speaks, or what is heard.
CueKind = Literal["speaker", "offscreen", "sound", "music", "narrator"]
KIND_COLOURS: dict[str, str] = {
    "speaker": "#ffffff",  # white: a speaker on screen
    "offscreen": "#ffff00",  # yellow: a speaker off screen
    "sound": "#ff0000",  # red: sound effects
    "music": "#ff00ff",  # magenta: music
    "narrator": "#00ffff",  # cyan: the narrator
}


def table_characters(seconds: float) -> float:
    """Characters readable in ``seconds`` according to the charter's table, interpolated."""
    if seconds <= 0:
        return 0.0
    for (t0, c0), (t1, c1) in itertools.pairwise(CSA_TABLE):
        if seconds <= t1:
            return c0 + (c1 - c0) * (seconds - t0) / (t1 - t0)
    (t0, c0), (t1, c1) = CSA_TABLE[-2], CSA_TABLE[-1]
    return c1 + (c1 - c0) / (t1 - t0) * (seconds - t1)


def allowed_characters(seconds: float, audience: str, *, max_cps: float | None = None) -> int:
    """The most characters a cue of ``seconds`` may hold for ``audience`` (rounded up)."""
    ceiling = max_cps if max_cps is not None else CPS_CEILING[audience]
    return math.ceil(min(table_characters(seconds), ceiling * seconds) - 1e-9)


def counted_characters(text: str) -> int:
    """Characters as the charter counts them: letters, punctuation and spaces, line breaks as one space."""
    return len(" ".join(text.split()))
