"""The interface language: messages go through gettext catalogues (managed with Babel).

Every human-facing string is marked with ``_()`` (or ``ngettext()``); machine output (``--json``,
CSV columns, exit codes) is never translated. Placeholders are named ``str.format`` fields, filled
after translation: ``_("no account {name}").format(name=name)``.
"""

from __future__ import annotations

import gettext
import os
from functools import cache
from pathlib import Path

DOMAIN = "clickable"
LOCALE_DIR = Path(__file__).parent / "locale"


@cache
def translations() -> gettext.NullTranslations:
    """The catalogue for this process: CLICKABLE_LANG, else gettext's LANGUAGE, LC_ALL, LC_MESSAGES, LANG."""
    chosen = os.environ.get("CLICKABLE_LANG")
    return gettext.translation(
        DOMAIN, LOCALE_DIR, languages=[chosen] if chosen else None, fallback=True
    )


def _(message: str) -> str:
    """The message in the interface language (English when the catalogue lacks it)."""
    return translations().gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    """The singular or plural form of a message for ``count``, in the interface language."""
    return translations().ngettext(singular, plural, count)


def N_(message: str) -> str:
    """Marks a message for extraction only; translate it with ``_()`` where it is shown."""
    return message
