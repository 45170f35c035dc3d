"""The interface language: messages go through gettext catalogues (managed with Babel).

Every human-facing string is marked with ``_()`` (or ``ngettext()``); machine output (``--json``,
CSV columns, exit codes) is never translated. Placeholders are named ``str.format`` fields, filled
after translation: ``_("no account {name}").format(name=name)``.

The language is chosen as gettext does (``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES``, ``LANG``), and
``CLICKABLE_LANG`` overrides it; English is the fallback for a missing message. Numbers, dates and
times shown to a person follow the same language (Babel).
"""

from __future__ import annotations

import gettext
import os
from datetime import datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

DOMAIN = "clickable"
LOCALE_DIR = Path(__file__).parent / "locale"
SOURCE_LANGUAGE = "en"
# gettext's own order of the variables that name the language
LANGUAGE_VARIABLES = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")


def requested_languages() -> list[str]:
    """The languages asked for, most wanted first: CLICKABLE_LANG, else gettext's variables."""
    chosen = os.environ.get("CLICKABLE_LANG")
    if chosen:
        return [part for part in chosen.split(":") if part]
    for variable in LANGUAGE_VARIABLES:
        value = os.environ.get(variable)
        if value:
            return [part for part in value.split(":") if part]
    return []


def _base(language: str) -> str:
    """`fr_FR.UTF-8@euro` → `fr_FR`; `C` and `POSIX` mean the source language."""
    tag = language.split(".")[0].split("@")[0].replace("-", "_")
    return SOURCE_LANGUAGE if tag in ("C", "POSIX", "") else tag


@cache
def interface_language() -> str:
    """The language the interface speaks: the first requested one that has a catalogue, else English.

    A full tag (``fr_FR``, ``fr_BE``) is kept for Babel's number and date formats.
    """
    for language in requested_languages():
        tag = _base(language)
        if tag.split("_")[0] == SOURCE_LANGUAGE:
            return tag
        if gettext.find(DOMAIN, str(LOCALE_DIR), languages=[tag]):
            return tag
    return SOURCE_LANGUAGE


@cache
def translations() -> gettext.NullTranslations:
    """The catalogue of the interface language (none for English: the messages are English)."""
    language = interface_language()
    return gettext.translation(DOMAIN, str(LOCALE_DIR), languages=[language], fallback=True)


def reset() -> None:
    """Forget the language chosen (tests that change the environment in one process)."""
    interface_language.cache_clear()
    translations.cache_clear()


def _(message: str) -> str:
    """The message in the interface language (English when the catalogue lacks it)."""
    return translations().gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    """The singular or plural form of a message for ``count``, in the interface language."""
    return translations().ngettext(singular, plural, count)


def N_(message: str) -> str:
    """Marks a message for extraction only; translate it with ``_()`` where it is shown."""
    return message


def _babel_locale() -> str:
    language = interface_language()
    return "en_GB" if language == SOURCE_LANGUAGE else language


def format_number(value: float, *, digits: int | None = None) -> str:
    """A number as the interface language writes it: ``1 234`` and ``43,5`` in French."""
    from babel.numbers import format_decimal

    if digits is None:
        return format_decimal(value, locale=_babel_locale())
    return format_decimal(value, format="#,##0." + "0" * digits if digits else "#,##0", locale=_babel_locale())


def format_dollars(amount: float) -> str:
    """US dollars as the interface language writes them, to the tenth of a cent a price may need:
    ``US$0.015``, ``US$12.20`` in English, ``0,015 $US`` in French."""
    from babel.numbers import format_currency

    return format_currency(
        round(amount, 3), "USD", locale=_babel_locale(), currency_digits=False, decimal_quantization=False
    )


def format_utc(instant: datetime) -> str:
    """A UTC instant, without its zone (the message says UTC): ``mar. 1 déc. 2026 14:30``."""
    from babel.dates import format_datetime

    return format_datetime(instant, "EEE d MMM y HH:mm", tzinfo=ZoneInfo("UTC"), locale=_babel_locale())


def format_day(day: object) -> str:
    """A day as the interface language writes it: ``1 déc. 2026``, ``Dec 1, 2026``."""
    from babel.dates import format_date

    return format_date(day, "medium", locale=_babel_locale())  # type: ignore[arg-type]


def format_percent(ratio: float, *, digits: int = 1) -> str:
    """A ratio as a percentage: ``43,0 %`` in French, ``43.0%`` in English."""
    from babel import Locale
    from babel.numbers import parse_pattern

    locale = Locale.parse(_babel_locale())
    pattern = parse_pattern(locale.percent_formats[None].pattern)  # the language's own spacing
    pattern.frac_prec = (digits, digits)
    return pattern.apply(ratio, locale)


def format_when(instant: datetime, zone: str, *, short: bool = False) -> str:
    """An instant in a zone's local time, with the zone: ``mardi 1 décembre 2026 18:30 (Pacific/Noumea)``.

    ``short`` gives the compact form for tables: ``mar. 1 déc. 2026 18:30 (Pacific/Noumea)``.
    """
    from babel.dates import format_datetime

    pattern = "EEE d MMM y HH:mm" if short else "EEEE d MMMM y HH:mm"
    local = format_datetime(instant, pattern, tzinfo=ZoneInfo(zone), locale=_babel_locale())
    return f"{local} ({zone})"


# The states and statuses shown in tables, as people read them (the stored values stay English).
STATE_LABELS = {
    "planned": N_("planned"),
    "queued": N_("queued"),
    "sending": N_("sending"),
    "published": N_("published"),
    "retrying": N_("retrying"),
    "failed": N_("failed"),
    "unconfirmed": N_("unconfirmed"),
    "cancelled": N_("cancelled"),
    "paused": N_("paused"),
    "draft": N_("draft"),
    "approved": N_("approved"),
    "archived": N_("archived"),
    "private": N_("private"),
    "unlisted": N_("unlisted"),
    "public": N_("public"),
}


def state_label(state: object) -> str:
    """A delivery state or a post status in the interface language (``published`` → ``publié``)."""
    value = str(getattr(state, "value", state))
    return _(STATE_LABELS[value]) if value in STATE_LABELS else value
