"""The capsule script (YAML): its shape, its cues, and where each value stands in the file."""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import pysubs2
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from campaign.checks import STRUCTURE, _source_loc, _structure_problems
from campaign.errors import Problem
from campaign.yamlsource import Path_, YamlSource, load_yaml
from capsules.presets import FORMAT_NAMES

FormatName = Literal["vertical", "square", "landscape", "x"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CapsuleInfo(_Strict):
    id: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    title: str = Field(min_length=1)
    formats: list[FormatName] = Field(default_factory=lambda: list(FORMAT_NAMES), min_length=1)  # type: ignore[arg-type]


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
            raise ValueError("a background is exactly one of color, image or video")
        return self


class Scene(_Strict):
    duration: float = Field(gt=0)
    background: Background
    title: str | None = None


class Audio(_Strict):
    voice: str | None = None
    music: str | None = None


class CueSpec(_Strict):
    start: float = Field(ge=0)
    end: float = Field(gt=0)
    text: str = Field(min_length=1)


class EndCard(_Strict):
    text: str = Field(min_length=1)
    link: str | None = None  # "landing" (the capsule's tracked link) or an https:// address
    qr: bool = False
    duration: float = Field(default=3.0, gt=0)


class Poster(_Strict):
    at: float = Field(ge=0)


class CapsuleScript(_Strict):
    capsule: CapsuleInfo
    style: Style = Field(default_factory=Style)
    scenes: list[Scene] = Field(min_length=1)
    audio: Audio | None = None
    cues: list[CueSpec] | None = None
    subtitles: str | None = None
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
    start: float
    end: float
    text: str
    line: int  # where the cue is written (the script, or the subtitle file)
    file: str


@dataclass
class LoadedScript:
    """A parsed script: the model (when its shape is valid), its cues, and what is wrong with it."""

    path: Path
    source: YamlSource
    script: CapsuleScript | None
    cues: list[Cue] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def resolve(self, relative: str) -> Path:
        """A path from the script, relative to the script's folder."""
        return (self.path.parent / relative).resolve()

    def problem(self, path: Path_, message: str, priority: int = STRUCTURE) -> Problem:
        return self.source.problem(path, message, priority=priority)


def default_style() -> dict[str, Any]:
    text = (resources.files("templates") / "capsules" / "style.yaml").read_text("utf-8")
    return dict(yaml.safe_load(text))


def load_script(path: Path) -> LoadedScript:
    """Parse and shape-check a capsule script; cues come from `cues:` or the `subtitles:` file."""
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
    if script.cues is not None and script.subtitles is not None:
        loaded.problems.append(loaded.problem(("subtitles",), "give either cues: or subtitles:, not both"))
    elif script.cues is not None:
        loaded.cues = [
            Cue(cue.start, cue.end, cue.text.strip(), source.position(("cues", index)).line, str(path))
            for index, cue in enumerate(script.cues)
        ]
    elif script.subtitles is not None:
        loaded.cues = _read_subtitles(loaded, script.subtitles)
    return loaded


def _capsule_problems(source: YamlSource, error: ValidationError) -> list[Problem]:
    problems = _structure_problems(source, error)
    for item in error.errors(include_url=False):
        if item["type"] == "value_error":
            loc = _source_loc(source, tuple(item["loc"]), keep_last=False)
            message = str(item.get("ctx", {}).get("error", item["msg"]))
            problems = [p for p in problems if "Value error" not in p.message]
            problems.append(source.problem(loc, message, priority=STRUCTURE))
    return problems


def _read_subtitles(loaded: LoadedScript, relative: str) -> list[Cue]:
    path = loaded.resolve(relative)
    where: Path_ = ("subtitles",)
    if not path.is_file():
        loaded.problems.append(
            loaded.problem(where, f"subtitle file '{relative}' not found (paths are relative to the script)")
        )
        return []
    try:
        subtitles = pysubs2.load(str(path), encoding="utf-8")
    except (pysubs2.exceptions.Pysubs2Error, UnicodeDecodeError, ValueError) as error:
        loaded.problems.append(loaded.problem(where, f"cannot read subtitle file '{relative}': {error}"))
        return []
    text = path.read_text("utf-8")
    cues = []
    for event in subtitles.events:
        if event.is_comment:
            continue
        plain = event.plaintext.strip()
        line = _line_of(text, plain.splitlines()[0] if plain else "")
        cues.append(Cue(event.start / 1000, event.end / 1000, plain.replace("\n", " "), line, str(path)))
    return cues


def _line_of(text: str, needle: str) -> int:
    index = text.find(needle) if needle else -1
    return text[:index].count("\n") + 1 if index >= 0 else 1
