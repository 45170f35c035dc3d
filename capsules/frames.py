"""Frames: each static stretch of a capsule (scene × title × cue) is drawn once, as one picture."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import segno
from PIL import Image, ImageOps

from capsules.presets import Preset
from capsules.script import Cue, LoadedScript, Scene
from capsules.text import balanced_wrap, cue_image, draw_text_block, load_font, rgba

TIME_EPSILON = 1e-6


@dataclass(frozen=True)
class Segment:
    """A stretch of time in which nothing but a video background changes."""

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


class FramePainter:
    """Draws the pictures of one capsule in one format; each text image is drawn once and reused."""

    def __init__(self, loaded: LoadedScript, preset: Preset, font: Path, link_url: str | None) -> None:
        assert loaded.script is not None
        self.loaded = loaded
        self.script = loaded.script
        self.preset = preset
        self.font = font
        self.link_url = link_url
        self._cues: dict[str, Image.Image] = {}
        self._backgrounds: dict[int, Image.Image] = {}
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

    def overlay(self, segment: Segment) -> Image.Image:
        """Title, logo and cue of a segment on a transparent frame."""
        preset = self.preset
        layer = Image.new("RGBA", preset.size, (0, 0, 0, 0))
        style = self.script.style
        if segment.scene is not None and segment.scene.title:
            font = load_font(self.font, preset.title_size)
            lines = balanced_wrap(segment.scene.title, font, preset.text_width)
            title = draw_text_block(
                lines, font, color=style.title_color, box_color=None, box_opacity=0, padding=preset.padding
            )
            top = int(preset.height * preset.safe_top) + preset.padding
            layer.alpha_composite(title, ((preset.width - title.width) // 2, top))
        if style.logo:
            logo = self.logo()
            margin = int(preset.width * preset.safe_side)
            layer.alpha_composite(
                logo, (preset.width - logo.width - margin, int(preset.height * preset.safe_top))
            )
        if segment.cue is not None:
            image = self.cue(segment.cue.text)
            center = int(preset.height * preset.subtitle_center)
            top = center - image.height // 2
            top = max(
                int(preset.height * preset.safe_top),
                min(top, int(preset.height * (1 - preset.safe_bottom)) - image.height),
            )
            layer.alpha_composite(image, ((preset.width - image.width) // 2, top))
        return layer

    def cue(self, text: str) -> Image.Image:
        if text not in self._cues:
            style = self.script.style
            self._cues[text] = cue_image(
                text,
                self.preset,
                self.font,
                color=style.text_color,
                box_color=style.box_color,
                box_opacity=style.box_opacity,
            )
        return self._cues[text]

    def logo(self) -> Image.Image:
        if self._logo is None:
            assert self.script.style.logo is not None
            with Image.open(self.loaded.resolve(self.script.style.logo)) as source:
                logo = source.convert("RGBA")
            side = self.preset.width // 6
            logo.thumbnail((side, side))
            self._logo = logo
        return self._logo

    def still(self, segment: Segment) -> Image.Image:
        """The whole picture of a segment whose background does not move."""
        if segment.scene is None:
            return self.end_card()
        frame = self.background(segment.scene).convert("RGBA")
        frame.alpha_composite(self.overlay(segment))
        return frame.convert("RGB")

    def end_card(self) -> Image.Image:
        card = self.script.end_card
        assert card is not None
        preset = self.preset
        frame = Image.new("RGBA", preset.size, rgba(self.script.style.end_card_background))
        font = load_font(self.font, preset.title_size)
        lines = balanced_wrap(card.text, font, preset.text_width)
        text = draw_text_block(
            lines,
            font,
            color=self.script.style.end_card_color,
            box_color=None,
            box_opacity=0,
            padding=preset.padding,
        )
        blocks: list[Image.Image] = [text]
        if card.qr and self.link_url:
            side = int(min(preset.width, preset.height) * 0.4)
            qr = segno.make(self.link_url, error="m")
            scale = max(1, side // qr.symbol_size(border=2)[0])
            dark = np.array(list(qr.matrix_iter(scale=scale, border=2)), dtype=bool)
            qr_image = Image.fromarray(np.where(dark, 0, 255).astype(np.uint8), mode="L").convert("RGBA")
            blocks.append(qr_image)
        if self.link_url:
            shown = self.link_url.split("://", 1)[-1]
            size = preset.font_size
            while size > 12 and load_font(self.font, size).getlength(shown) > preset.text_width:
                size -= 2  # a long address gets a smaller font rather than a cut
            url_font = load_font(self.font, size)
            blocks.append(
                draw_text_block(
                    [shown],
                    url_font,
                    color=self.script.style.end_card_color,
                    box_color=None,
                    box_opacity=0,
                    padding=preset.padding // 2,
                )
            )
        gap = preset.padding
        total = sum(block.height for block in blocks) + gap * (len(blocks) - 1)
        top = max(int(preset.height * preset.safe_top) // 2, (preset.height - total) // 2)
        for block in blocks:
            frame.alpha_composite(block, ((preset.width - block.width) // 2, top))
            top += block.height + gap
        return frame.convert("RGB")
