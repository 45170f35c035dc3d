"""The one console every command prints through: what it prints is shown, never acted on."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.console import Console, ConsoleOptions, RenderableType
from rich.segment import Segment
from rich.text import Text

from campaign.characters import printable
from campaign.logs import redact


class SafeConsole(Console):
    """A Rich console for names and texts that come from files, the database or the command line.

    No Rich markup or ``:emoji:`` code in them is interpreted, and the characters a terminal would
    act on (escape sequences, bidirectional overrides) or that nobody would see are escaped
    (``\\x1b``, ``\\u202e``, see campaign/characters.py); no secret known to the process is shown,
    whole or in part (campaign.logs.redact). Rich's own styles and cursor moves are not touched:
    they are not in the text of what is printed.
    """

    def __init__(self, **options: Any) -> None:
        options.setdefault("highlight", False)
        options.setdefault("soft_wrap", True)
        super().__init__(markup=False, emoji=False, **options)

    def render_str(self, text: str, **options: Any) -> Text:
        return super().render_str(printable(redact(text)), **options)

    def render(self, renderable: RenderableType, options: ConsoleOptions | None = None) -> Iterable[Segment]:
        for segment in super().render(renderable, options):
            if segment.control:
                yield segment
            else:  # a secret this process knows is masked here too, even cut across cells
                yield Segment(printable(redact(segment.text)), segment.style, segment.control)
