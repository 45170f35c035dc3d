"""`clickable capsule check`: everything that can be known about a script before rendering it."""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from campaign.checks import REFERENCE, TEXT, TIME
from campaign.errors import Problem
from campaign.i18n import _
from campaign.yamlsource import Path_
from capsules.layout import Layout, layout_for
from capsules.media import VideoInfo, probe_video, video_info
from capsules.presets import FPS, PRESETS, Preset
from capsules.reading import (
    MAX_LINES,
    MIN_GAP_FRAMES,
    MIN_GAP_S,
    allowed_characters,
    counted_characters,
)
from capsules.rules import CapsuleNetwork, CapsuleNetworks, receiving_preset, video_kind
from capsules.script import Cue, LoadedScript, file_problem, load_script
from capsules.selection import CampaignContext, Selection, select_renders
from capsules.text import cue_lines, default_font_path, font_problem, missing_characters

MIN_CUE_S = 1.0
MAX_CUE_S = 7.0
MAX_IMAGE_PIXELS = 40_000_000  # an 8K photograph is 33 megapixels; a frame is 2
MAX_VIDEO_PIXELS = 3840 * 2160  # a phone's 4K, either way up: every frame is decoded whole
SIGNER_RATES = (30.0, 60.0)  # the capsule is 30 fps: a signer at another rate would stutter


@dataclass
class ScriptCheck:
    loaded: LoadedScript
    font: Path
    selection: Selection | None = None
    signer: VideoInfo | None = None
    presets: dict[str, Preset] = field(default_factory=dict)  # each format, its zone narrowed by its networks'
    layouts: dict[str, Layout] = field(default_factory=dict)

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


def image_problem(path: Path, relative: str, kind: str) -> str | None:
    """None for a readable image of a reasonable size, else why it cannot be used."""
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                width, height = image.size
                if width * height > MAX_IMAGE_PIXELS:
                    return _(
                        "{kind} '{name}' is {width}×{height} pixels: {limit} million pixels at most, export it smaller (1920×1920 is plenty)"
                    ).format(
                        kind=kind,
                        name=relative,
                        width=width,
                        height=height,
                        limit=MAX_IMAGE_PIXELS // 1_000_000,
                    )
                image.verify()
    except Image.DecompressionBombError as error:  # Pillow refuses to open it: its size is in the message
        found = re.search(r"\((\d+) pixels\)", str(error))
        return _(
            "{kind} '{name}' has {count} million pixels: {limit} million pixels at most, export it smaller (1920×1920 is plenty)"
        ).format(
            kind=kind,
            name=relative,
            count=round(int(found.group(1)) / 1e6) if found else "> 178",
            limit=MAX_IMAGE_PIXELS // 1_000_000,
        )
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as error:
        return _("{kind} '{name}' is not a readable image ({reason}): export it again as PNG or JPEG").format(
            kind=kind, name=relative, reason=str(error)[:120]
        )
    return None


def video_size_problem(info: VideoInfo, relative: str, kind: str) -> str | None:
    """None for a video whose frames are at most 4K, else why it is refused."""
    if info.width * info.height <= MAX_VIDEO_PIXELS:
        return None
    return _(
        "{kind} '{name}' is {width}×{height} pixels: videos of 3840×2160 (4K) at most, export it smaller (1080×1920 is plenty)"
    ).format(kind=kind, name=relative, width=info.width, height=info.height)


def check_script(
    path: Path,
    networks: CapsuleNetworks,
    *,
    max_cps: float | None = None,
    context: CampaignContext | None = None,
) -> ScriptCheck:
    """Load and check ``path`` (in its campaign's ``context``) for the ``networks`` it may go to (the
    registered ones: their formats, video lengths and safe zones); every problem is in the result."""
    loaded = load_script(path)
    font = font_for(loaded)
    result = ScriptCheck(loaded, font)
    script = loaded.script
    if script is None:
        return result
    add = loaded.problems.append

    def media(where: Path_, relative: str | None, kind: str, label: str) -> bool:
        if relative is None:
            return False
        target = loaded.resolve(relative)
        problem = file_problem(target, relative, label)
        if problem is None and kind == "image":
            problem = image_problem(target, relative, label)
        elif problem is None and kind == "video":
            info = video_info(target)
            if isinstance(info, str):
                problem = _("{kind} '{name}' cannot be read ({reason}): export it again as MP4").format(
                    kind=label, name=relative, reason=info
                )
            else:
                problem = video_size_problem(info, relative, label)
        elif problem is None and kind == "audio":
            reason = probe_video(target, audio=True)
            if reason:
                problem = _("{kind} '{name}' cannot be read ({reason}): export it as WAV or M4A").format(
                    kind=label, name=relative, reason=reason
                )
        if problem:
            add(loaded.problem(where, problem, REFERENCE))
        return problem is None

    if script.style.font is not None:
        problem = file_problem(font, script.style.font, _("font"))
        if problem is None:
            reason = font_problem(font)
            problem = (
                _("font '{name}': {reason}").format(name=script.style.font, reason=reason) if reason else None
            )
        if problem:
            add(loaded.problem(("style", "font"), problem, REFERENCE))
            return result
    media(("style", "logo"), script.style.logo, "image", _("logo"))
    for index, scene in enumerate(script.scenes):
        media(("scenes", index, "background", "image"), scene.background.image, "image", _("image"))
        media(("scenes", index, "background", "video"), scene.background.video, "video", _("video"))
        for language in loaded.languages:
            title = loaded.localized(scene.title, language)
            if title:
                _coverage(loaded, ("scenes", index, "title"), title, font)
    if script.audio is not None:
        media(("audio", "voice"), script.audio.voice, "audio", _("voice"))
        media(("audio", "music"), script.audio.music, "audio", _("music"))
    if script.end_card is not None:
        for language in loaded.languages:
            text = loaded.localized(script.end_card.text, language)
            if text:
                _coverage(loaded, ("end_card", "text"), text, font)
        link = script.end_card.link
        if link is not None and link != "landing" and not link.startswith("https://"):
            add(
                loaded.problem(
                    ("end_card", "link"),
                    _("end_card.link must be 'landing' or an https:// address"),
                    REFERENCE,
                )
            )
        if script.end_card.qr and link is None:
            add(
                loaded.problem(
                    ("end_card", "qr"), _("end_card.qr needs a link to encode: add link: landing"), REFERENCE
                )
            )
    if script.poster is not None and script.poster.at >= script.duration:
        add(
            loaded.problem(
                ("poster", "at"),
                _("poster.at {at:g} s is after the end ({duration:g} s)").format(
                    at=script.poster.at, duration=script.duration
                ),
                TIME,
            )
        )
    result.signer = _check_signer(loaded)
    result.selection = select_renders(loaded, context, networks)
    for name in script.capsule.formats:
        receivers = [networks[item] for item in result.selection.receivers.get(name, []) if item in networks]
        preset = result.presets[name] = receiving_preset(PRESETS[name], receivers)
        _check_duration(loaded, preset, receivers)
        layout = layout_for(
            preset,
            font,
            signer_size=(result.signer.width, result.signer.height) if result.signer else None,
            side=script.sign_language.side if script.sign_language else "right",
            logo=script.style.logo is not None,
        )
        result.layouts[name] = layout
        if layout.problem:
            add(loaded.problem(("sign_language", "video"), layout.problem, REFERENCE))
    _check_cues(loaded, font, max_cps, script.scenes_duration, list(result.layouts.values()))
    receiving = dict.fromkeys(item for names in result.selection.receivers.values() for item in names)
    _check_alt_text(loaded, [networks[item] for item in receiving if item in networks])
    loaded.problems.extend(result.selection.problems)
    return result


def _check_alt_text(loaded: LoadedScript, receivers: list[CapsuleNetwork]) -> None:
    """Each language's alt text against the shortest limit of the networks receiving it that take one."""
    script = loaded.script
    assert script is not None
    limits = [
        (network.media.alt_text_max, network.label)
        for network in receivers
        if network.media.alt_text and network.media.alt_text_max is not None
    ]
    if script.alt_text is None or not limits:
        return
    limit = min(limits)[0]
    labels = sorted({label for value, label in limits if value == limit})  # all those the shortest limit is
    alt = script.alt_text
    items: list[tuple[Path_, str]] = (
        [(("alt_text",), alt)]
        if isinstance(alt, str)
        else [(("alt_text", tag), text) for tag, text in alt.items() if isinstance(text, str)]
    )
    for where, text in items:
        if len(text) > limit:
            loaded.problems.append(
                loaded.problem(
                    where,
                    (
                        _("the alt text has {count} characters: {network} takes {limit} at most")
                        if len(labels) == 1
                        else _("the alt text has {count} characters: {networks} take {limit} at most")
                    ).format(count=len(text), network=labels[0], networks=", ".join(labels), limit=limit),
                )
            )


def _check_duration(loaded: LoadedScript, preset: Preset, receivers: list[CapsuleNetwork]) -> None:
    """The capsule's length against the videos of this shape each network receiving it takes."""
    script = loaded.script
    assert script is not None
    seen = {(problem.line, problem.message) for problem in loaded.problems}
    for network in receivers:
        rules = video_kind(network, preset)
        if rules is None:
            message = _(
                "{network} takes no video of the {format} format's shape ({width}×{height}): remove {format} from capsule.formats"
            ).format(network=network.label, format=preset.name, width=preset.width, height=preset.height)
            where: Path_ = ("capsule", "formats")
        elif not (rules.min_seconds <= script.duration <= rules.max_seconds):
            message = _(
                "the capsule lasts {duration:g} s: {network} {label} take {low:g} to {high:g} s ({format} format)"
            ).format(
                duration=script.duration,
                network=network.label,
                label=_(rules.label),
                low=rules.min_seconds,
                high=rules.max_seconds,
                format=preset.name,
            )
            where = ("scenes",)
        else:
            continue
        problem = loaded.problem(where, message, TIME)
        if (problem.line, problem.message) not in seen:
            seen.add((problem.line, problem.message))
            loaded.problems.append(problem)


def _check_signer(loaded: LoadedScript) -> VideoInfo | None:
    """The signer video: there, readable, long enough, at the capsule's frame rate, in portrait."""
    script = loaded.script
    assert script is not None
    sign = script.sign_language
    if sign is None:
        return None
    where: Path_ = ("sign_language", "video")
    label = _("signer video")
    target = loaded.resolve(sign.video)
    problem = file_problem(target, sign.video, label)
    info: VideoInfo | str | None = None
    if problem is None:
        info = video_info(target)
        if isinstance(info, str):
            problem = _("{kind} '{name}' cannot be read ({reason}): export it again as MP4").format(
                kind=label, name=sign.video, reason=info
            )
    if problem is None:
        assert isinstance(info, VideoInfo)
        problem = video_size_problem(info, sign.video, label)
    if problem is None:
        assert isinstance(info, VideoInfo)
        if info.duration + 0.5 / FPS < script.duration:
            problem = _(
                "the signer video '{name}' lasts {seconds:g} s, the capsule {duration:g} s: the interpreter must sign until the end"
            ).format(name=sign.video, seconds=round(info.duration, 2), duration=script.duration)
        elif not any(abs(info.fps - rate) < 0.01 for rate in SIGNER_RATES):
            problem = _(
                "the signer video '{name}' is {fps:g} fps: the capsule is {rate} fps, export the signer at {rate} fps"
            ).format(name=sign.video, fps=round(info.fps, 3), rate=FPS)
        elif info.width >= info.height:
            problem = _(
                "the signer video '{name}' is {width}×{height} (landscape or square): frame the interpreter in portrait, e.g. 9:16 from mid-thigh up"
            ).format(name=sign.video, width=info.width, height=info.height)
    if problem:
        loaded.problems.append(loaded.problem(where, problem, REFERENCE))
        return None
    assert isinstance(info, VideoInfo)
    return info


def _coverage(loaded: LoadedScript, where: Path_, text: str, font: Path) -> None:
    missing = missing_characters(text, font)
    if missing:
        shown = " ".join(f"'{character}' (U+{ord(character):04X})" for character in missing)
        loaded.problems.append(
            loaded.problem(
                where,
                _("the font has no glyph for {characters}: replace them or choose another font").format(
                    characters=shown
                ),
                TEXT,
            )
        )


def _at(cue: Cue, language: str | None, message: str, priority: int) -> Problem:
    file, line = cue.place(language) if language else (cue.file, cue.line)
    return Problem(priority, file, line, 1, message)


def _check_cues(
    loaded: LoadedScript, font: Path, max_cps: float | None, scenes_end: float, layouts: list[Layout]
) -> None:
    script = loaded.script
    assert script is not None
    audience = script.audience
    add = loaded.problems.append
    several = len(loaded.languages) > 1
    previous: Cue | None = None
    for number, cue in enumerate(sorted(loaded.cues, key=lambda item: item.start), start=1):
        label = _("cue {number}").format(number=number)
        duration = cue.end - cue.start
        if duration < 0:
            add(
                _at(
                    cue,
                    None,
                    _("{cue} ends before it starts ({start:g} s → {end:g} s)").format(
                        cue=label, start=cue.start, end=cue.end
                    ),
                    TIME,
                )
            )
            continue
        if duration == 0:
            add(
                _at(
                    cue,
                    None,
                    _("{cue} starts and ends at {start:g} s: show each cue at least {minimum:g} s").format(
                        cue=label, start=cue.start, minimum=MIN_CUE_S
                    ),
                    TIME,
                )
            )
            continue
        if duration < MIN_CUE_S - 1e-9:
            add(
                _at(
                    cue,
                    None,
                    _("{cue} lasts {duration:.2f} s: show each cue at least {minimum:g} s").format(
                        cue=label, duration=duration, minimum=MIN_CUE_S
                    ),
                    TIME,
                )
            )
        if duration > MAX_CUE_S + 1e-9:
            add(
                _at(
                    cue,
                    None,
                    _("{cue} lasts {duration:.2f} s: split it, {maximum:g} s at most").format(
                        cue=label, duration=duration, maximum=MAX_CUE_S
                    ),
                    TIME,
                )
            )
        if previous is not None and cue.start < previous.end - 1e-9:
            add(
                _at(
                    cue,
                    None,
                    _("{cue} starts at {start:g} s, before the previous cue ends ({end:g} s)").format(
                        cue=label, start=cue.start, end=previous.end
                    ),
                    TIME,
                )
            )
        elif previous is not None and cue.start - previous.end < MIN_GAP_S - 1e-6:
            gap = cue.start - previous.end
            add(
                _at(
                    cue,
                    None,
                    _(
                        "{cue} starts {gap:g} s ({frames} frame(s)) after the previous cue ends: leave at least {minimum} frames ({seconds:.3f} s)"
                    ).format(
                        cue=label,
                        gap=round(gap, 3),
                        frames=round(gap * FPS),
                        minimum=MIN_GAP_FRAMES,
                        seconds=MIN_GAP_S,
                    ),
                    TIME,
                )
            )
        if cue.end > scenes_end + 1e-9:
            add(
                _at(
                    cue,
                    None,
                    _("{cue} ends at {end:g} s, after the last scene ({scenes:g} s)").format(
                        cue=label, end=cue.end, scenes=scenes_end
                    ),
                    TIME,
                )
            )
        for language, text in cue.texts.items():
            named = f"{label} ({language})" if several else label
            excerpt = text if len(text) <= 40 else text[:39] + "…"
            count = counted_characters(text)
            allowed = allowed_characters(duration, audience, max_cps=max_cps)
            if count > allowed:
                add(
                    _at(
                        cue,
                        language,
                        _(
                            "{cue}: {count} characters in {seconds:g} s, {audience} allow {allowed}: shorten it or show it longer («{excerpt}»)"
                        ).format(
                            cue=named,
                            count=count,
                            seconds=round(duration, 2),
                            audience=audience
                            if max_cps is None
                            else _("{audience} at {cps:g} characters a second").format(
                                audience=audience, cps=max_cps
                            ),
                            allowed=allowed,
                            excerpt=excerpt,
                        ),
                        TEXT,
                    )
                )
            missing = missing_characters(text, font)
            if missing:
                shown = " ".join(f"'{character}' (U+{ord(character):04X})" for character in missing)
                add(
                    _at(
                        cue,
                        language,
                        _("{cue}: the font has no glyph for {characters}").format(
                            cue=named, characters=shown
                        ),
                        TEXT,
                    )
                )
                continue
            for layout in layouts:
                lines = cue_lines(text, layout.preset, font, layout.text_width)
                if len(lines) > MAX_LINES:
                    add(
                        _at(
                            cue,
                            language,
                            _(
                                "{cue} takes {lines} lines in the {format} format ({maximum} at most, 42 characters a line): shorten it or split it («{excerpt}»)"
                            ).format(
                                cue=named,
                                lines=len(lines),
                                format=layout.preset.name,
                                maximum=MAX_LINES,
                                excerpt=excerpt,
                            ),
                            TEXT,
                        )
                    )
                    break
        previous = cue
