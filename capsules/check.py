"""`clickable capsule check`: everything that can be known about a script before rendering it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from campaign.checks import REFERENCE, TEXT, TIME
from campaign.errors import Problem
from campaign.yamlsource import Path_
from capsules.media import probe_video
from capsules.presets import DEFAULT_MAX_CPS, MAX_DURATION_S, MIN_DURATION_S, PRESETS
from capsules.script import Cue, LoadedScript, load_script
from capsules.text import MAX_LINES, cue_lines, default_font_path, missing_characters

MIN_CUE_S = 1.0
MAX_CUE_S = 7.0


@dataclass
class ScriptCheck:
    loaded: LoadedScript
    font: Path

    @property
    def problems(self) -> list[Problem]:
        return sorted(self.loaded.problems)

    @property
    def ok(self) -> bool:
        return not self.loaded.problems


def font_for(loaded: LoadedScript) -> Path:
    if loaded.script is not None and loaded.script.style.font:
        return loaded.resolve(loaded.script.style.font)
    return default_font_path()


def check_script(path: Path, *, max_cps: float = DEFAULT_MAX_CPS) -> ScriptCheck:
    """Load and check ``path``; every problem found is in the result, nothing raises."""
    loaded = load_script(path)
    font = font_for(loaded)
    result = ScriptCheck(loaded, font)
    script = loaded.script
    if script is None:
        return result
    add = loaded.problems.append

    def media(where: Path_, relative: str | None, kind: str) -> None:
        if relative is None:
            return
        target = loaded.resolve(relative)
        if not target.is_file():
            add(
                loaded.problem(
                    where, f"{kind} '{relative}' not found (paths are relative to the script)", REFERENCE
                )
            )
        elif kind == "image" or kind == "logo":
            try:
                with Image.open(target) as image:
                    image.verify()
            except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
                add(
                    loaded.problem(
                        where,
                        f"{kind} '{relative}' is not a readable image ({error}): export it again as PNG or JPEG",
                        REFERENCE,
                    )
                )
        elif kind == "video":
            reason = probe_video(target)
            if reason:
                add(
                    loaded.problem(
                        where,
                        f"video '{relative}' cannot be read ({reason}): export it again as MP4",
                        REFERENCE,
                    )
                )
        elif kind in ("voice", "music"):
            reason = probe_video(target, audio=True)
            if reason:
                add(
                    loaded.problem(
                        where,
                        f"{kind} file '{relative}' cannot be read ({reason}): export it as WAV or M4A",
                        REFERENCE,
                    )
                )

    if script.style.font is not None and not font.is_file():
        add(loaded.problem(("style", "font"), f"font '{script.style.font}' not found", REFERENCE))
        return result
    media(("style", "logo"), script.style.logo, "logo")
    for index, scene in enumerate(script.scenes):
        media(("scenes", index, "background", "image"), scene.background.image, "image")
        media(("scenes", index, "background", "video"), scene.background.video, "video")
        if scene.title:
            _coverage(loaded, ("scenes", index, "title"), scene.title, font)
    if script.audio is not None:
        media(("audio", "voice"), script.audio.voice, "voice")
        media(("audio", "music"), script.audio.music, "music")
    if not (MIN_DURATION_S <= script.duration <= MAX_DURATION_S):
        add(
            loaded.problem(
                ("scenes",),
                f"the capsule lasts {script.duration:g} s: Reels take {MIN_DURATION_S:g} to {MAX_DURATION_S:g} s",
                TIME,
            )
        )
    if script.end_card is not None:
        _coverage(loaded, ("end_card", "text"), script.end_card.text, font)
        link = script.end_card.link
        if link is not None and link != "landing" and not link.startswith("https://"):
            add(
                loaded.problem(
                    ("end_card", "link"), "end_card.link must be 'landing' or an https:// address", REFERENCE
                )
            )
        if script.end_card.qr and link is None:
            add(
                loaded.problem(
                    ("end_card", "qr"), "end_card.qr needs a link to encode: add link: landing", REFERENCE
                )
            )
    if script.poster is not None and script.poster.at >= script.duration:
        add(
            loaded.problem(
                ("poster", "at"),
                f"poster.at {script.poster.at:g} s is after the end ({script.duration:g} s)",
                TIME,
            )
        )
    _check_cues(
        loaded, font, max_cps, script.scenes_duration, [PRESETS[name] for name in script.capsule.formats]
    )
    return result


def _coverage(loaded: LoadedScript, where: Path_, text: str, font: Path) -> None:
    missing = missing_characters(text, font)
    if missing:
        shown = " ".join(f"'{character}' (U+{ord(character):04X})" for character in missing)
        loaded.problems.append(
            loaded.problem(
                where, f"the font has no glyph for {shown}: replace them or choose another font", TEXT
            )
        )


def _cue_problem(loaded: LoadedScript, cue: Cue, message: str, priority: int) -> Problem:
    return Problem(priority, cue.file, cue.line, 1, message)


def _check_cues(loaded: LoadedScript, font: Path, max_cps: float, scenes_end: float, presets: list) -> None:
    add = loaded.problems.append
    previous: Cue | None = None
    for number, cue in enumerate(sorted(loaded.cues, key=lambda item: item.start), start=1):
        label = f"cue {number} «{cue.text[:40]}»"
        duration = cue.end - cue.start
        if duration <= 0:
            add(
                _cue_problem(
                    loaded, cue, f"{label} ends before it starts ({cue.start:g} s → {cue.end:g} s)", TIME
                )
            )
            continue
        if duration < MIN_CUE_S:
            add(
                _cue_problem(
                    loaded,
                    cue,
                    f"{label} lasts {duration:.2f} s: show each cue at least {MIN_CUE_S:g} s",
                    TIME,
                )
            )
        if duration > MAX_CUE_S:
            add(
                _cue_problem(
                    loaded, cue, f"{label} lasts {duration:.2f} s: split it, {MAX_CUE_S:g} s at most", TIME
                )
            )
        speed = len(cue.text) / duration
        if speed > max_cps:
            add(
                _cue_problem(
                    loaded,
                    cue,
                    f"{label} needs {speed:.1f} characters a second to read (limit {max_cps:g}): shorten it or show it longer",
                    TEXT,
                )
            )
        if previous is not None and cue.start < previous.end:
            add(
                _cue_problem(
                    loaded,
                    cue,
                    f"{label} starts at {cue.start:g} s, before the previous cue ends ({previous.end:g} s)",
                    TIME,
                )
            )
        if cue.end > scenes_end + 1e-9:
            add(
                _cue_problem(
                    loaded,
                    cue,
                    f"{label} ends at {cue.end:g} s, after the last scene ({scenes_end:g} s)",
                    TIME,
                )
            )
        missing = missing_characters(cue.text, font)
        if missing:
            shown = " ".join(f"'{character}' (U+{ord(character):04X})" for character in missing)
            add(_cue_problem(loaded, cue, f"{label}: the font has no glyph for {shown}", TEXT))
        else:
            for preset in presets:
                lines = cue_lines(cue.text, preset, font)
                if len(lines) > 2:
                    add(
                        _cue_problem(
                            loaded,
                            cue,
                            f"{label} takes {len(lines)} lines in the {preset.name} format ({MAX_LINES} at most): shorten it or split it",
                            TEXT,
                        )
                    )
                    break
        previous = cue
