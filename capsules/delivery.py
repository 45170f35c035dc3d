"""Which rendered files a delivery sends: the render in the first format its network takes (its
spec's preference) with its territory's language burned in, every language's caption track (the
territory's first) and the alt text.

Reads what `capsule render` recorded (Capsule.outputs, see render.CapsuleRender.outputs); it never
falls back silently to another language or format: a missing render is a reason to fail.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from campaign.i18n import _
from campaign.languages import burned_in, track_order


@dataclass(frozen=True)
class CaptionFiles:
    """One language's sidecar captions."""

    language: str  # BCP 47
    srt: Path | None
    vtt: Path | None
    burned_in: bool  # this language is burned into the video too


@dataclass(frozen=True)
class CapsuleMedia:
    video: Path
    format: str
    language: str  # burned in
    captions: tuple[CaptionFiles, ...]  # the territory's languages first, in its order
    alt_text: str | None
    alt_text_language: str | None


def capsule_media(
    key: str,
    outputs: Mapping[str, Any] | None,
    formats: Sequence[str],
    territory: str,
    territory_languages: Sequence[str] | None,
    campaign_language: str,
) -> CapsuleMedia | str:
    """The files for one delivery, or the reason there are none (with what to do)."""
    outputs = outputs or {}
    languages = [tag for tag in outputs.get("languages") or [] if isinstance(tag, str)]
    render_hint = _("run `clickable capsule render` on its script in the campaign folder")
    if not formats:
        return _("this network takes no video capsule")
    if not languages:
        return _("capsule '{capsule}' is not rendered: {hint}").format(capsule=key, hint=render_hint)
    language = burned_in(territory_languages, campaign_language, languages)
    if language is None:
        return _(
            "capsule '{capsule}' is written in {available}, none of {territory}'s languages ({wanted}): translate it, or leave {territory} out of the post"
        ).format(
            capsule=key,
            available=", ".join(languages),
            territory=territory,
            wanted=", ".join(territory_languages or [campaign_language]),
        )
    renders = outputs.get("renders") or {}
    video, format_name = None, formats[0]
    for name in formats:
        entry = renders.get(f"{name}.{language}") or {}
        video = next(
            (
                Path(item["path"])
                for item in entry.get("files") or []
                if isinstance(item, dict)
                and item.get("kind") == "video"
                and Path(str(item.get("path"))).is_file()
            ),
            None,
        )
        if video is not None:
            format_name = name
            break
    if video is None:
        return _(
            "capsule '{capsule}' has no render with {language} burned in (for {territory}) in {formats}: {hint}"
        ).format(
            capsule=key, language=language, territory=territory, formats=", ".join(formats), hint=render_hint
        )
    captions_out = outputs.get("captions") or {}
    tracks = []
    for tag in track_order(territory_languages, campaign_language, languages):
        files = captions_out.get(tag) or {}
        srt, vtt = files.get("srt"), files.get("vtt")
        tracks.append(
            CaptionFiles(
                tag,
                Path(srt) if isinstance(srt, str) and Path(srt).is_file() else None,
                Path(vtt) if isinstance(vtt, str) and Path(vtt).is_file() else None,
                tag == language,
            )
        )
    alt_texts = outputs.get("alt_text") or {}
    alt_language = next(
        (tag for tag in track_order(territory_languages, campaign_language, languages) if alt_texts.get(tag)),
        None,
    )
    return CapsuleMedia(
        video,
        format_name,
        language,
        tuple(tracks),
        alt_texts.get(alt_language) if alt_language else None,
        alt_language,
    )
