"""Language tags (BCP 47), checked with langcodes rather than a hand-made list."""

from __future__ import annotations

from collections.abc import Sequence

from campaign.i18n import _


def tag_problem(tag: object) -> str | None:
    """None for a valid BCP 47 tag in its canonical form, else what is wrong and how to write it."""
    import langcodes

    if not isinstance(tag, str) or not tag.strip():
        return _("a language tag must be text such as fr, rcf or swb")
    if not langcodes.tag_is_valid(tag):
        return _(
            "'{tag}' is not a language tag (BCP 47): use e.g. fr, rcf (Réunion Creole), swb (Shimaore)"
        ).format(tag=tag)
    standard = langcodes.standardize_tag(tag)
    if standard != tag:
        return _("write the language tag '{tag}' as '{standard}' ({name})").format(
            tag=tag, standard=standard, name=language_name(standard)
        )
    return None


def language_name(tag: str) -> str:
    """The language's English name (as langcodes knows it), for messages."""
    import langcodes

    try:
        return str(langcodes.Language.get(tag).display_name())
    except (ValueError, LookupError):
        return tag


def preferred(order: Sequence[str], available: Sequence[str]) -> str | None:
    """The first language of ``order`` that is ``available`` (None when none is)."""
    return next((tag for tag in order if tag in available), None)


def burned_in(
    territory_languages: Sequence[str] | None, campaign_language: str, available: Sequence[str]
) -> str | None:
    """The language burned into a capsule for a territory.

    The first of the territory's languages (the campaign's language when it lists none) that the
    capsule has; None when the capsule has none of them.
    """
    return preferred(list(territory_languages or [campaign_language]), available)


def track_order(
    territory_languages: Sequence[str] | None, campaign_language: str, available: Sequence[str]
) -> list[str]:
    """Every available language, the territory's own first (in its order), then the others."""
    first = [tag for tag in (territory_languages or [campaign_language]) if tag in available]
    return first + [tag for tag in available if tag not in first]
