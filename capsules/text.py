"""Text for capsules: a font that covers French, line breaking by pixel width, cue images drawn once."""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from importlib import resources
from pathlib import Path

from fontTools.ttLib import TTFont
from PIL import Image, ImageColor, ImageDraw, ImageFont

from capsules.presets import Preset
from capsules.reading import MAX_LINE_CHARACTERS


def default_font_path() -> Path:
    """DejaVu Sans Bold, shipped with matplotlib (a dependency): it covers French and most of Latin."""
    return Path(str(resources.files("matplotlib") / "mpl-data" / "fonts" / "ttf" / "DejaVuSans-Bold.ttf"))


MAX_FONT_BYTES = 50_000_000  # the largest CJK fonts weigh about 20 MB


@lru_cache(maxsize=8)
def font_codepoints(path: Path) -> frozenset[int]:
    with TTFont(str(path), lazy=True) as font:
        return frozenset(font.getBestCmap() or {})


def font_problem(path: Path) -> str | None:
    """None when ``path`` is a TrueType/OpenType font Pillow can draw with, else why not."""
    from fontTools.ttLib import TTLibError

    from campaign.i18n import _

    size = path.stat().st_size
    if size > MAX_FONT_BYTES:
        return _("the font file is {size} MB: {limit} MB at most").format(
            size=round(size / 1e6), limit=MAX_FONT_BYTES // 1_000_000
        )
    try:
        if not font_codepoints(path):
            return _("the font has no character map")
        ImageFont.truetype(str(path), 12)
    except (
        TTLibError,
        OSError,
        ValueError,
        KeyError,
        AssertionError,
        EOFError,
        IndexError,
        TypeError,
    ) as error:
        reason = str(error).splitlines()[0][:100] if str(error) else type(error).__name__
        return _("not a TrueType or OpenType font ({reason}): choose a .ttf or .otf file").format(
            reason=reason
        )
    except Exception as error:  # fontTools parses untrusted tables: any failure means "not a font"
        return _("not a TrueType or OpenType font ({reason}): choose a .ttf or .otf file").format(
            reason=type(error).__name__
        )
    return None


@lru_cache(maxsize=32)
def load_font(path: Path, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(path), size)


def missing_characters(text: str, font_path: Path) -> list[str]:
    """The characters of ``text`` that the font cannot draw (spaces and line breaks aside)."""
    covered = font_codepoints(font_path)
    missing = []
    for character in text:
        if character in " \n\t" or unicodedata.category(character) in ("Cf", "Zs"):
            continue
        if ord(character) not in covered and character not in missing:
            missing.append(character)
    return missing


def wrap(
    text: str, font: ImageFont.FreeTypeFont, max_width: int, max_chars: int = MAX_LINE_CHARACTERS
) -> list[str]:
    """Greedy line breaking by the real width of the words in ``font`` and at most ``max_chars``
    characters a line (words are never split)."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if current and (font.getlength(candidate) > max_width or len(candidate) > max_chars):
            lines.append(current)
            current = word
        else:
            current = candidate
    if current:
        lines.append(current)
    return lines


def balanced_wrap(
    text: str, font: ImageFont.FreeTypeFont, max_width: int, max_chars: int = MAX_LINE_CHARACTERS
) -> list[str]:
    """Like :func:`wrap`, but two lines are balanced (a short last line reads badly)."""
    lines = wrap(text, font, max_width, max_chars)
    if len(lines) != 2:
        return lines
    words = text.split()
    best = lines
    best_width = max(font.getlength(line) for line in lines)
    for cut in range(1, len(words)):
        first, second = " ".join(words[:cut]), " ".join(words[cut:])
        width = max(font.getlength(first), font.getlength(second))
        if width <= max_width and max(len(first), len(second)) <= max_chars and width < best_width:
            best, best_width = [first, second], width
    return best


def rgba(color: str, opacity: float = 1.0) -> tuple[int, int, int, int]:
    red, green, blue = ImageColor.getrgb(color)[:3]
    return (red, green, blue, round(255 * opacity))


def draw_text_block(
    lines: list[str],
    font: ImageFont.FreeTypeFont,
    *,
    color: str,
    box_color: str | None,
    box_opacity: float,
    padding: int,
) -> Image.Image:
    """An RGBA image of centred lines on a rounded box; the bottom margin keeps descenders whole."""
    ascent, descent = font.getmetrics()
    line_height = ascent + descent
    spacing = line_height // 5
    width = int(max(font.getlength(line) for line in lines)) + 2 * padding
    height = len(lines) * line_height + (len(lines) - 1) * spacing + 2 * padding
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    if box_color is not None:
        draw.rounded_rectangle(
            (0, 0, width - 1, height - 1), radius=padding // 2, fill=rgba(box_color, box_opacity)
        )
    for index, line in enumerate(lines):
        x = (width - font.getlength(line)) / 2
        y = padding + index * (line_height + spacing)
        draw.text((x, y), line, font=font, fill=rgba(color))
    return image


def cue_image(
    text: str,
    preset: Preset,
    font_path: Path,
    *,
    color: str,
    box_color: str,
    box_opacity: float,
    width: int | None = None,
) -> Image.Image:
    """A cue's subtitle block, lines at most ``width`` pixels wide (default: the preset's)."""
    font = load_font(font_path, preset.font_size)
    lines = balanced_wrap(text, font, width or preset.text_width)
    return draw_text_block(
        lines, font, color=color, box_color=box_color, box_opacity=box_opacity, padding=preset.padding
    )


def cue_lines(text: str, preset: Preset, font_path: Path, width: int | None = None) -> list[str]:
    return balanced_wrap(text, load_font(font_path, preset.font_size), width or preset.text_width)
