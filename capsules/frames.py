"""Frames: each static stretch of a capsule (scene × title × cue) is drawn once, as one picture.

A painter draws one format; what does not depend on the language (backgrounds, logo) is drawn once
and reused by every language's render, and each cue or title image once per language.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import segno
from PIL import Image, ImageOps

from capsules.layout import Layout, layout_for, logo_side
from capsules.presets import Box, Preset
from capsules.reading import KIND_COLOURS
from capsules.script import Cue, LoadedScript, Scene
from capsules.text import balanced_wrap, cue_image, draw_text_block, load_font, rgba

TIME_EPSILON = 1e-6


@dataclass(frozen=True)
class Segment:
    """A stretch of time in which nothing but a video background (or the signer) changes."""

    start: float
    end: float
    scene: Scene | None  # None: the end card
    scene_start: float
    cue: Cue | None

    @property
    def duration(self) -> float:
        return self.end - self.start


def segments(loaded: LoadedScript) -> list[Segment]:
    """Cut the timeline at every scene and cue boundary."""
    script = loaded.script
    assert script is not None
    scenes_end = script.scenes_duration
    bounds = {0.0, script.duration, scenes_end}
    scene_starts = []
    position = 0.0
    for scene in script.scenes:
        scene_starts.append((position, scene))
        position += scene.duration
        bounds.add(position)
    for cue in loaded.cues:
        bounds.update({min(cue.start, scenes_end), min(cue.end, scenes_end)})
    ordered = sorted(bounds)
    result = []
    for start, end in itertools.pairwise(ordered):
        if end - start <= TIME_EPSILON:
            continue
        current: Scene | None = None
        scene_start = scenes_end
        for begin, candidate in scene_starts:
            if begin - TIME_EPSILON <= start < begin + candidate.duration - TIME_EPSILON:
                current, scene_start = candidate, begin
        shown = next(
            (cue for cue in loaded.cues if cue.start - TIME_EPSILON <= start < cue.end - TIME_EPSILON), None
        )
        result.append(Segment(start, end, current, scene_start, shown if current is not None else None))
    return result


def cover(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """Scale and centre-crop ``image`` to fill ``size`` (no black bars)."""
    return ImageOps.fit(image.convert("RGB"), size, method=Image.Resampling.LANCZOS)


def place(block: Image.Image, box: Box, center_y: int | None = None) -> tuple[int, int]:
    """Top-left corner of ``block`` centred horizontally in ``box``: at its top, or centred near
    ``center_y`` and kept inside the box."""
    left = box.left + (box.width - block.width) // 2
    if center_y is None:
        return left, box.top
    top = center_y - block.height // 2
    return left, max(box.top, min(top, box.bottom - block.height))


class FramePainter:
    """Draws the pictures of one capsule in one format, for any of its languages."""

    def __init__(
        self,
        loaded: LoadedScript,
        preset: Preset,
        font: Path,
        link_url: str | None,
        layout: Layout | None = None,
    ) -> None:
        assert loaded.script is not None
        self.loaded = loaded
        self.script = loaded.script
        self.preset = preset
        self.font = font
        self.link_url = link_url
        self.layout = layout or layout_for(preset, font, logo=loaded.script.style.logo is not None)
        self._cues: dict[tuple[str, str | None], Image.Image] = {}
        self._titles: dict[str, Image.Image] = {}
        self._backgrounds: dict[int, Image.Image] = {}
        self._end_cards: dict[str, Image.Image] = {}
        self._logo: Image.Image | None = None

    def background(self, scene: Scene) -> Image.Image:
        key = id(scene)
        if key not in self._backgrounds:
            if scene.background.color is not None:
                image = Image.new("RGB", self.preset.size, scene.background.color)
            else:
                assert scene.background.image is not None
                with Image.open(self.loaded.resolve(scene.background.image)) as source:
                    image = cover(source, self.preset.size)
            self._backgrounds[key] = image
        return self._backgrounds[key]

    def title(self, text: str) -> Image.Image:
        """A title, wrapped to the title area; its font shrinks until it fits the area's height."""
        if text not in self._titles:
            preset, box = self.preset, self.layout.title
            size = preset.title_size
            while True:
                font = load_font(self.font, size)
                lines = balanced_wrap(text, font, box.width - 2 * preset.padding, max_chars=10_000)
                image = draw_text_block(
                    lines, font, color=self.script.style.title_color, box_color=None, box_opacity=0,
                    padding=preset.padding,
                )  # fmt: skip
                if image.height <= box.height or size <= preset.font_size // 2:
                    break
                size -= 4
            self._titles[text] = image
        return self._titles[text]

    def overlay(self, segment: Segment, language: str) -> Image.Image:
        """Title, logo and cue of a segment on a transparent frame."""
        preset, layout = self.preset, self.layout
        layer = Image.new("RGBA", preset.size, (0, 0, 0, 0))
        if segment.scene is not None:
            text = self.loaded.localized(segment.scene.title, language)
            if text:
                title = self.title(text)
                layer.alpha_composite(title, place(title, layout.title))
        if self.script.style.logo and layout.logo is not None and segment.scene is not None:
            logo = self.logo()
            box = layout.logo
            layer.alpha_composite(
                logo, (box.right - logo.width if box.left > preset.width // 2 else box.left, box.top)
            )
        if segment.cue is not None:
            text = segment.cue.text(language) or segment.cue.text(self.loaded.default_language)
            image = self.cue(text, segment.cue.kind)
            center = int(preset.height * preset.subtitle_center)
            layer.alpha_composite(image, place(image, layout.subtitles, center))
        return layer

    def cue(self, text: str, kind: str | None = None) -> Image.Image:
        key = (text, kind)
        if key not in self._cues:
            style = self.script.style
            self._cues[key] = cue_image(
                text,
                self.preset,
                self.font,
                color=KIND_COLOURS[kind] if kind else style.text_color,
                box_color=style.box_color,
                box_opacity=style.box_opacity,
                width=self.layout.text_width,
            )
        return self._cues[key]

    def logo(self) -> Image.Image:
        if self._logo is None:
            assert self.script.style.logo is not None
            with Image.open(self.loaded.resolve(self.script.style.logo)) as source:
                logo = source.convert("RGBA")
            side = logo_side(self.preset)
            logo.thumbnail((side, side))
            self._logo = logo
        return self._logo

    def still(self, segment: Segment, language: str) -> Image.Image:
        """The whole picture of a segment whose background does not move."""
        if segment.scene is None:
            return self.end_card(language)
        frame = self.background(segment.scene).convert("RGBA")
        frame.alpha_composite(self.overlay(segment, language))
        return frame.convert("RGB")

    def fitted_text(self, text: str, box: Box, *, color: str, max_lines: int = 3) -> Image.Image:
        """Lines of big text wrapped to ``box``; the font shrinks until they fit its height and
        ``max_lines`` (never below the subtitle size)."""
        preset = self.preset
        size = preset.title_size
        while True:
            font = load_font(self.font, size)
            lines = balanced_wrap(text, font, box.width - 2 * preset.padding, max_chars=10_000)
            image = draw_text_block(
                lines, font, color=color, box_color=None, box_opacity=0, padding=preset.padding
            )
            if (image.height <= box.height and len(lines) <= max_lines) or size <= preset.font_size:
                return image
            size -= 4

    def end_card(self, language: str) -> Image.Image:
        """The end card: its text, the QR code and the address; beside and below the inset when
        there is one (the interpreter keeps signing), else centred."""
        if language in self._end_cards:
            return self._end_cards[language]
        card = self.script.end_card
        assert card is not None
        preset, layout = self.preset, self.layout
        color = self.script.style.end_card_color
        frame = Image.new("RGBA", preset.size, rgba(self.script.style.end_card_background))
        if layout.inset is None:
            text_box = more_box = layout.end_card
        else:
            text_box = Box(layout.end_card.left, preset.safe.top, layout.end_card.right, layout.inset.bottom)
            more_box = Box(
                preset.safe.left, layout.inset.bottom + preset.padding, preset.safe.right, preset.height
            )
        text = self.fitted_text(self.loaded.localized(card.text, language) or "", text_box, color=color)
        more: list[Image.Image] = []
        if card.qr and self.link_url:
            side = min(int(min(preset.width, preset.height) * 0.4), more_box.width, more_box.height * 2 // 3)
            qr = segno.make(self.link_url, error="m")
            scale = max(1, side // qr.symbol_size(border=2)[0])
            dark = np.array(list(qr.matrix_iter(scale=scale, border=2)), dtype=bool)
            more.append(Image.fromarray(np.where(dark, 0, 255).astype(np.uint8)).convert("RGBA"))
        if self.link_url:
            shown = self.link_url.split("://", 1)[-1]
            size = preset.font_size
            width = more_box.width - 2 * preset.padding
            while size > 12 and load_font(self.font, size).getlength(shown) > width:
                size -= 2  # a long address gets a smaller font rather than a cut
            more.append(
                draw_text_block(
                    [shown], load_font(self.font, size), color=color, box_color=None, box_opacity=0,
                    padding=preset.padding // 2,
                )
            )  # fmt: skip
        gap = preset.padding
        if layout.inset is None:
            groups = [(text_box, [text, *more])]
        else:
            groups = [(text_box, [text]), (more_box, more)]
        for box, blocks in groups:
            total = sum(block.height for block in blocks) + gap * (len(blocks) - 1)
            if layout.inset is None:
                top = max(int(preset.height * preset.safe_top) // 2, (preset.height - total) // 2)
            else:
                top = box.top + max(0, (min(box.height, preset.safe.bottom - box.top) - total) // 2)
            for block in blocks:
                frame.alpha_composite(block, (box.left + (box.width - block.width) // 2, top))
                top += block.height + gap
        self._end_cards[language] = frame.convert("RGB")
        return self._end_cards[language]
