"""The capsule script (YAML): its shape, its cues in every language, and where each value stands."""

from __future__ import annotations

import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal, Union

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from campaign.checks import REFERENCE, STRUCTURE, _source_loc, _structure_problems
from campaign.errors import Problem
from campaign.i18n import _
from campaign.languages import language_name, tag_problem
from campaign.yamlsource import Path_, YamlSource, load_yaml
from capsules.presets import DEFAULT_FORMATS
from capsules.reading import DEFAULT_AUDIENCE, Audience, CueKind

FormatName = Literal["vertical", "portrait", "square", "landscape", "x", "tiktok"]
DEFAULT_LANGUAGE = (
    "fr"  # the campaign's language: a plain text is French unless capsule.languages says otherwise
)
MAX_SUBTITLE_BYTES = 1_000_000  # a subtitle file of a 90 s capsule is a few kilobytes

# A text in one language (the capsule's first) or in several: {fr: "…", rcf: "…"}.
Localized = str | dict[str, str]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CapsuleInfo(_Strict):
    id: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    title: str = Field(min_length=1)
    formats: list[FormatName] = Field(default_factory=lambda: list(DEFAULT_FORMATS), min_length=1)  # type: ignore[arg-type]
    languages: list[str] | None = Field(default=None, min_length=1)


class Style(_Strict):
    font: str | None = None
    text_color: str = "#ffffff"
    box_color: str = "#000000"
    box_opacity: float = Field(default=0.78, ge=0, le=1)
    title_color: str = "#ffffff"
    end_card_background: str = "#1d3557"
    end_card_color: str = "#ffffff"
    logo: str | None = None


class Background(_Strict):
    color: str | None = Field(default=None, pattern=r"^#[0-9a-fA-F]{6}$")
    image: str | None = None
    video: str | None = None

    @model_validator(mode="after")
    def exactly_one(self) -> Background:
        given = [name for name in ("color", "image", "video") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError(_("a background is exactly one of color, image or video"))
        return self


class Scene(_Strict):
    duration: float = Field(gt=0)
    background: Background
    title: Localized | None = None


class Audio(_Strict):
    voice: str | None = None
    music: str | None = None


class CueSpec(_Strict):
    start: float = Field(ge=0)
    end: float = Field(ge=0)
    text: Localized
    kind: CueKind | None = None


class SignLanguage(_Strict):
    """A French Sign Language interpreter, filmed apart, shown as an inset."""

    video: str = Field(min_length=1)
    side: Literal["left", "right"] = "right"
    key: Literal["none", "green"] = "none"


class EndCard(_Strict):
    text: Localized
    link: str | None = None  # "landing" (the capsule's tracked link) or an https:// address
    qr: bool = False
    duration: float = Field(default=3.0, gt=0)


class Poster(_Strict):
    at: float = Field(ge=0)


class CapsuleScript(_Strict):
    capsule: CapsuleInfo
    audience: Audience = DEFAULT_AUDIENCE
    style: Style = Field(default_factory=Style)
    scenes: list[Scene] = Field(min_length=1)
    audio: Audio | None = None
    cues: list[CueSpec] | None = None
    subtitles: str | dict[str, str] | None = None
    sign_language: SignLanguage | None = None
    alt_text: Localized | None = None
    end_card: EndCard | None = None
    poster: Poster | None = None

    @property
    def scenes_duration(self) -> float:
        return sum(scene.duration for scene in self.scenes)

    @property
    def duration(self) -> float:
        return self.scenes_duration + (self.end_card.duration if self.end_card else 0.0)


@dataclass(frozen=True)
class Cue:
    """One cue: its timing, its text in each language, and where each text is written."""

    start: float
    end: float
    texts: dict[str, str]
    line: int  # where the cue is written (the script, or the first language's subtitle file)
    file: str
    kind: str | None = None
    places: dict[str, tuple[str, int]] = field(default_factory=dict)

    def text(self, language: str) -> str:
        return self.texts.get(language, "")

    def place(self, language: str) -> tuple[str, int]:
        return self.places.get(language, (self.file, self.line))


@dataclass
class LoadedScript:
    """A parsed script: the model (when its shape is valid), its languages and cues, its problems."""

    path: Path
    source: YamlSource
    script: CapsuleScript | None
    cues: list[Cue] = field(default_factory=list)
    languages: list[str] = field(default_factory=lambda: [DEFAULT_LANGUAGE])
    problems: list[Problem] = field(default_factory=list)

    @property
    def default_language(self) -> str:
        return self.languages[0]

    def resolve(self, relative: str) -> Path:
        """A path from the script, relative to the script's folder."""
        return (self.path.parent / relative).resolve()

    def problem(self, path: Path_, message: str, priority: int = STRUCTURE, *, key: bool = False) -> Problem:
        return self.source.problem(path, message, priority=priority, key=key)

    def localized(self, value: Localized | None, language: str) -> str | None:
        """A title or end card in ``language``: a plain text serves every language; a mapping
        without ``language`` falls back to the capsule's first language."""
        if value is None or isinstance(value, str):
            return value
        return value.get(language, value.get(self.default_language))

    def alt_text(self, language: str) -> str | None:
        script = self.script
        if script is None or script.alt_text is None:
            return None
        if isinstance(script.alt_text, str):
            return script.alt_text if language == self.default_language else None
        return script.alt_text.get(language)


def default_style() -> dict[str, Any]:
    text = (resources.files("templates") / "capsules" / "style.yaml").read_text("utf-8")
    return dict(yaml.safe_load(text))


def load_script(path: Path) -> LoadedScript:
    """Parse and shape-check a capsule script; cues come from `cues:` or the `subtitles:` file(s)."""
    source = load_yaml(path, display_name=str(path))
    loaded = LoadedScript(path=path, source=source, script=None, problems=list(source.problems))
    if source.problems and any(problem.priority == 0 for problem in source.problems):
        return loaded
    data = source.data
    if isinstance(data, dict) and isinstance(data.get("style", {}), dict):
        data = {**data, "style": {**default_style(), **(data.get("style") or {})}}
    try:
        script = CapsuleScript.model_validate(data)
    except ValidationError as error:
        loaded.problems.extend(_capsule_problems(source, error))
        return loaded
    loaded.script = script
    loaded.languages = _languages(loaded, script)
    if script.cues is not None and script.subtitles is not None:
        loaded.problems.append(loaded.problem(("subtitles",), _("give either cues: or subtitles:, not both")))
    elif script.cues is not None:
        loaded.cues = _script_cues(loaded, script.cues)
    elif script.subtitles is not None:
        files = (
            {loaded.default_language: script.subtitles}
            if isinstance(script.subtitles, str)
            else script.subtitles
        )
        loaded.cues = _subtitle_cues(loaded, files)
    _check_localized(loaded, script)
    return loaded


def _languages(loaded: LoadedScript, script: CapsuleScript) -> list[str]:
    """The capsule's languages: capsule.languages, else every language its cues are written in."""
    declared = script.capsule.languages
    if declared is not None:
        valid = []
        for index, tag in enumerate(declared):
            problem = tag_problem(tag)
            if problem:
                loaded.problems.append(loaded.problem(("capsule", "languages", index), problem))
            elif tag in valid:
                loaded.problems.append(
                    loaded.problem(
                        ("capsule", "languages", index),
                        _("language '{tag}' is listed twice: keep one").format(tag=tag),
                    )
                )
            else:
                valid.append(tag)
        return valid or [DEFAULT_LANGUAGE]
    found: list[str] = []
    written: list[dict[str, str]] = [cue.text for cue in script.cues or [] if isinstance(cue.text, dict)]
    if isinstance(script.subtitles, dict):
        written.append(script.subtitles)
    for mapping in written:
        for tag in mapping:
            if tag not in found and tag_problem(tag) is None:
                found.append(tag)
    return found or [DEFAULT_LANGUAGE]


def _tag_keys(loaded: LoadedScript, path: Path_, mapping: dict[str, str]) -> list[str]:
    """The valid language keys of a mapping; a bad or undeclared one is a problem at its key."""
    script = loaded.script
    assert script is not None
    good = []
    for tag in mapping:
        problem = tag_problem(tag)
        if problem is None and script.capsule.languages is not None and tag not in loaded.languages:
            problem = _(
                "'{tag}' is not one of the capsule's languages ({languages}): add it to capsule.languages or remove it"
            ).format(tag=tag, languages=", ".join(loaded.languages))
        if problem:
            loaded.problems.append(loaded.problem((*path, tag), problem, key=True))
        else:
            good.append(tag)
    return good


def _script_cues(loaded: LoadedScript, specs: list[Any]) -> list[Cue]:
    cues = []
    file = str(loaded.path)
    for index, spec in enumerate(specs):
        line = loaded.source.position(("cues", index)).line
        if isinstance(spec.text, str):
            texts = {loaded.default_language: " ".join(spec.text.split())}
            places = {loaded.default_language: (file, loaded.source.position(("cues", index, "text")).line)}
        else:
            keys = _tag_keys(loaded, ("cues", index, "text"), spec.text)
            texts = {tag: " ".join(spec.text[tag].split()) for tag in keys}
            places = {tag: (file, loaded.source.position(("cues", index, "text", tag)).line) for tag in keys}
        for tag, text in texts.items():
            if not text:
                loaded.problems.append(
                    loaded.problem(
                        ("cues", index, "text", tag)
                        if isinstance(spec.text, dict)
                        else ("cues", index, "text"),
                        _("cue {number} has an empty {language} text: write it or remove the cue").format(
                            number=index + 1, language=tag
                        ),
                    )
                )
        cue = Cue(spec.start, spec.end, texts, line, file, spec.kind, places)
        _missing_languages(loaded, cue, index + 1)
        cues.append(cue)
    return cues


def _missing_languages(loaded: LoadedScript, cue: Cue, number: int) -> None:
    for tag in loaded.languages:
        if tag not in cue.texts:
            loaded.problems.append(
                Problem(
                    STRUCTURE,
                    cue.file,
                    cue.line,
                    1,
                    _(
                        "cue {number} has no {language} ({name}) text: every cue is written in each of the capsule's languages ({languages})"
                    ).format(
                        number=number,
                        language=tag,
                        name=language_name(tag),
                        languages=", ".join(loaded.languages),
                    ),
                )
            )


def _subtitle_cues(loaded: LoadedScript, files: dict[str, str]) -> list[Cue]:
    """Cues from one subtitle file per language, with one set of timings for every language."""
    script = loaded.script
    assert script is not None
    path_of: Path_ = ("subtitles",) if isinstance(script.subtitles, str) else ()
    keys = list(files) if isinstance(script.subtitles, str) else _tag_keys(loaded, ("subtitles",), files)
    per_language: dict[str, list[tuple[float, float, str, int]]] = {}
    shown: dict[str, str] = {}
    for tag in keys:
        where: Path_ = path_of or ("subtitles", tag)
        read = _read_subtitles(loaded, files[tag], where)
        if read is not None:
            shown[tag], per_language[tag] = read
    if not per_language:
        return []
    first_tag = next(iter(per_language))
    reference = per_language[first_tag]
    cues = []
    for number, (start, end, text, line) in enumerate(reference, start=1):
        texts = {first_tag: text}
        places = {first_tag: (shown[first_tag], line)}
        for tag, events in per_language.items():
            if tag == first_tag:
                continue
            if number > len(events):
                continue
            other_start, other_end, other_text, other_line = events[number - 1]
            if abs(other_start - start) > 0.0005 or abs(other_end - end) > 0.0005:
                loaded.problems.append(
                    Problem(
                        STRUCTURE,
                        shown[tag],
                        other_line,
                        1,
                        _(
                            "cue {number} is timed {start:g} s → {end:g} s here but {other_start:g} s → {other_end:g} s in {reference}: one set of timings for every language"
                        ).format(
                            number=number,
                            start=other_start,
                            end=other_end,
                            other_start=start,
                            other_end=end,
                            reference=shown[first_tag],
                        ),
                    )
                )
            texts[tag] = other_text
            places[tag] = (shown[tag], other_line)
        cues.append(Cue(start, end, texts, line, shown[first_tag], None, places))
    for tag, events in per_language.items():
        if len(events) != len(reference):
            loaded.problems.append(
                Problem(
                    STRUCTURE,
                    shown[tag],
                    1,
                    1,
                    _(
                        "{file} has {count} cues, {reference} has {expected}: one cue for one cue in every language"
                    ).format(
                        file=shown[tag],
                        count=len(events),
                        reference=shown[first_tag],
                        expected=len(reference),
                    ),
                )
            )
    for number, cue in enumerate(cues, start=1):
        _missing_languages(loaded, cue, number)
    return cues


def _read_subtitles(
    loaded: LoadedScript, relative: str, where: Path_
) -> tuple[str, list[tuple[float, float, str, int]]] | None:
    import pysubs2

    path = loaded.resolve(relative)
    problem = file_problem(path, relative, _("subtitle file"))
    if problem is None and path.stat().st_size > MAX_SUBTITLE_BYTES:
        problem = _("subtitle file '{name}' is {size} MB: a capsule's subtitles take a few kilobytes").format(
            name=relative, size=round(path.stat().st_size / 1e6, 1)
        )
    if problem is not None:
        loaded.problems.append(loaded.problem(where, problem, REFERENCE))
        return None
    try:
        text = path.read_text("utf-8")
        subtitles = pysubs2.SSAFile.from_string(text)
    except UnicodeDecodeError as error:
        loaded.problems.append(
            loaded.problem(
                where,
                _("subtitle file '{name}' is not UTF-8 text (byte {byte}): save it as UTF-8").format(
                    name=relative, byte=error.start
                ),
                REFERENCE,
            )
        )
        return None
    except Exception as error:  # pysubs2 raises many kinds on malformed files (ValueError, KeyError…)
        loaded.problems.append(
            loaded.problem(
                where,
                _("cannot read subtitle file '{name}' ({reason}): export it again as SRT or WebVTT").format(
                    name=relative, reason=f"{type(error).__name__}: {str(error)[:120]}"
                ),
                REFERENCE,
            )
        )
        return None
    events = []
    lines = text.splitlines()
    search_from = 0
    for event in subtitles.events:
        if event.is_comment:
            continue
        plain = " ".join(event.plaintext.split())
        line, search_from = _line_of(
            lines, event.plaintext.strip().splitlines()[0] if plain else "", search_from
        )
        events.append((event.start / 1000, event.end / 1000, plain, line))
    return str(path), events


def _line_of(lines: list[str], needle: str, start: int) -> tuple[int, int]:
    """The 1-based line holding ``needle`` at or after line index ``start``, and where to search next."""
    for index in range(start, len(lines)):
        if needle and needle in lines[index]:
            return index + 1, index + 1
    return max(1, start), start


def file_problem(path: Path, relative: str, kind: str) -> str | None:
    """None for a regular file, else why it cannot be used (missing, a folder, a device…)."""
    try:
        info = path.stat()
    except OSError:
        return _("{kind} '{name}' not found (paths are relative to the script)").format(
            kind=kind, name=relative
        )
    import stat

    if stat.S_ISREG(info.st_mode):
        return None
    what = (
        _("a folder")
        if stat.S_ISDIR(info.st_mode)
        else _("a device")
        if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode)
        else _("a pipe")
        if stat.S_ISFIFO(info.st_mode)
        else _("not a regular file")
    )
    return _("{kind} '{name}' is {what}, not a file: give the path of a file").format(
        kind=kind, name=relative, what=what
    )


def _check_localized(loaded: LoadedScript, script: CapsuleScript) -> None:
    """Language keys of titles, end card and alt text; alt text length."""
    for index, scene in enumerate(script.scenes):
        if isinstance(scene.title, dict):
            _tag_keys(loaded, ("scenes", index, "title"), scene.title)
    if script.end_card is not None and isinstance(script.end_card.text, dict):
        _tag_keys(loaded, ("end_card", "text"), script.end_card.text)
    alt = script.alt_text
    if alt is None:
        return
    items = (
        [((("alt_text",)), alt)]
        if isinstance(alt, str)
        else [(("alt_text", tag), alt[tag]) for tag in _tag_keys(loaded, ("alt_text",), alt)]
    )
    for where, text in items:
        if not text.strip():
            loaded.problems.append(loaded.problem(where, _("the alt text is empty: describe the video")))
        # its length is checked against the networks receiving the capsule (capsules.check)


def _capsule_problems(source: YamlSource, error: ValidationError) -> list[Problem]:
    problems = _structure_problems(source, error, allowed_keys=script_keys)
    for item in error.errors(include_url=False):
        if item["type"] == "value_error":
            loc = _source_loc(source, tuple(item["loc"]), keep_last=False)
            message = str(item.get("ctx", {}).get("error", item["msg"]))
            problems = [p for p in problems if "Value error" not in p.message]
            problems.append(source.problem(loc, message, priority=STRUCTURE))
    return problems


def script_keys(parent: Path_) -> list[str]:
    """The keys a capsule script allows at ``parent`` (for 'unknown key' messages)."""
    model: Any = CapsuleScript
    for part in parent:
        if isinstance(part, int):
            continue
        fields = getattr(model, "model_fields", None)
        if not fields or part not in fields:
            return []
        model = next(_models(fields[part].annotation), None)
        if model is None:
            return []
    fields = getattr(model, "model_fields", None)
    return list(fields) if fields else []


def _models(annotation: Any) -> Iterator[type[BaseModel]]:
    """The pydantic models inside a type annotation (through Optional, list and dict)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
        return
    origin = typing.get_origin(annotation)
    if origin in (Union, types.UnionType, list, dict):
        for argument in typing.get_args(annotation):
            yield from _models(argument)
