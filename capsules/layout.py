"""Where things go in a frame: the sign-language inset, subtitles, title, logo and end card.

With a French Sign Language interpreter, the inset takes at least a third of the frame's height
(Arcom's guide, 2022), stands inside the platform's safe zone at the top of one side, and nothing
we draw covers it: subtitles go in the band below it (or, when that band is too low for two lines,
in the column beside it), the title and the logo in the column beside it, and the end card in the
frame's width left beside it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from campaign.i18n import _
from capsules.presets import Box, Preset
from capsules.reading import MAX_LINES

INSET_FRACTION = 1 / 3  # of the frame's height, at least


@dataclass(frozen=True)
class Layout:
    preset: Preset
    inset: Box | None
    subtitles: Box  # subtitles are centred horizontally in it, near the preset's subtitle centre
    title: Box  # titles are drawn at its top
    logo: Box | None  # where the logo goes (None: no logo in the script)
    end_card: Box  # the end card's blocks are stacked in it
    problem: str | None = None  # why the inset cannot be laid out in this format

    @property
    def text_width(self) -> int:
        """Widest a subtitle line may be in this layout, in pixels."""
        return min(self.preset.text_width, self.subtitles.width - 2 * self.preset.padding)


def block_height(preset: Preset, font: Path, lines: int) -> int:
    """Height of a subtitle block of ``lines`` lines (see text.draw_text_block)."""
    from capsules.text import load_font

    ascent, descent = load_font(font, preset.font_size).getmetrics()
    line_height = ascent + descent
    return lines * line_height + (lines - 1) * (line_height // 5) + 2 * preset.padding


def inset_size(preset: Preset, signer_size: tuple[int, int]) -> tuple[int, int]:
    """Width and height of the inset: a third of the frame's height (rounded up to even pixels),
    the signer video's shape kept."""
    width, height = signer_size
    inset_height = 2 * math.ceil(preset.height * INSET_FRACTION / 2)
    inset_width = 2 * math.ceil(inset_height * width / height / 2)
    return inset_width, inset_height


def logo_side(preset: Preset) -> int:
    return preset.width // 6


def layout_for(
    preset: Preset,
    font: Path,
    *,
    signer_size: tuple[int, int] | None = None,
    side: str = "right",
    logo: bool = False,
) -> Layout:
    """The layout of ``preset`` with (or without) a sign-language inset of the signer's shape."""
    safe = preset.safe
    gap = preset.padding
    if signer_size is None:
        logo_box = None
        if logo:
            size = logo_side(preset)
            logo_box = Box(safe.right - size, safe.top, safe.right, safe.top + size)
        return Layout(
            preset,
            None,
            subtitles=safe,
            title=safe,
            logo=logo_box,
            end_card=Box(safe.left, 0, safe.right, preset.height),
        )
    width, height = inset_size(preset, signer_size)
    # on even pixels: yuv420p shares colour between 2×2 pixels, an odd edge would bleed out of the zone
    left = (safe.right - width) // 2 * 2 if side == "right" else (safe.left + 1) // 2 * 2
    top = (safe.top + 1) // 2 * 2
    inset = Box(left, top, left + width, top + height)
    column = (
        Box(safe.left, safe.top, inset.left - gap, safe.bottom)
        if side == "right"
        else Box(inset.right + gap, safe.top, safe.right, safe.bottom)
    )
    end_card = Box(column.left, 0, column.right, preset.height)
    problem = None
    if height > safe.height or width > safe.width:
        problem = _(
            "the sign-language inset must be at least a third of the height ({width}×{height} px for this signer): "
            "the {format} format's safe zone is only {safe_width}×{safe_height} px"
        ).format(
            width=width, height=height, format=preset.name, safe_width=safe.width, safe_height=safe.height
        )
    two_lines = block_height(preset, font, MAX_LINES)
    band = Box(safe.left, inset.bottom + gap, safe.right, safe.bottom)
    logo_box = None
    if logo:
        size = logo_side(preset)
        outer = column.left if side == "right" else column.right - size
        logo_box = Box(outer, inset.bottom - size, outer + size, inset.bottom)
    title_bottom = logo_box.top - gap if logo_box else inset.bottom
    if band.height >= two_lines:
        subtitles = band
        title = Box(column.left, safe.top, column.right, title_bottom)
    else:
        middle = inset.top + height // 2
        subtitles = Box(column.left, middle + gap, column.right, safe.bottom)
        title = Box(column.left, safe.top, column.right, min(middle, title_bottom))
        if logo_box is not None:
            logo_box = Box(logo_box.left, title.bottom - logo_side(preset), logo_box.right, title.bottom)
            title = Box(title.left, title.top, title.right, logo_box.top - gap)
        if subtitles.height < two_lines or subtitles.width < 8 * preset.font_size:
            problem = problem or _(
                "in the {format} format a sign-language inset of {width}×{height} px leaves no room for "
                "two lines of subtitles beside or below it: film the signer narrower, or drop this format"
            ).format(format=preset.name, width=width, height=height)
    if column.width < 4 * preset.font_size:
        problem = problem or _(
            "in the {format} format a sign-language inset of {width}×{height} px leaves only {column} px beside it "
            "for the title and the end card: film the signer narrower (portrait, 9:16)"
        ).format(format=preset.name, width=width, height=height, column=max(0, column.width))
    return Layout(preset, inset, subtitles, title, logo_box, end_card, problem)
