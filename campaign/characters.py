"""Characters a reader cannot see: in post texts, in names, and on the terminal.

Three uses, one definition of "hidden":
- ``hidden_characters`` finds, in a text, the characters that make a reader see something else
  than what is published (bidirectional controls, zero-width and other invisible characters,
  control characters), sparing the invisible parts of emoji (joiners, variation selectors, flag
  tags);
- ``same_person`` compares two names after Unicode normalisation, with every invisible character
  removed, and ``name_problem`` refuses a name that holds one;
- ``printable`` escapes, in what the CLI prints, the characters that a terminal would act on
  (escape sequences, bidirectional reordering) or that nobody would see.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from campaign.i18n import _

# Default_Ignorable_Code_Point, from Unicode's DerivedCoreProperties.txt (a stable property):
# https://www.unicode.org/Public/UCD/latest/ucd/DerivedCoreProperties.txt
DEFAULT_IGNORABLE: tuple[tuple[int, int], ...] = (
    (0x00AD, 0x00AD),
    (0x034F, 0x034F),
    (0x061C, 0x061C),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x206F),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0xFFF0, 0xFFF8),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
)
# Bidi_Control: characters that reorder how the text around them is displayed.
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Shown as blank although they are not spaces (used to fake an empty or a different name).
BLANK_LOOKALIKES = frozenset("\u2800\u3164\u115f\u1160\uffa0")
LINE_SEPARATORS = frozenset("\u2028\u2029")
ZERO_WIDTH_JOINER = "\u200d"
BLACK_FLAG = "\U0001f3f4"  # starts the subdivision flags (🏴 + tag letters + cancel tag)
TAGS = (0xE0020, 0xE007F)
CANCEL_TAG = "\U000e007f"
VARIATION_SELECTORS = ((0xFE00, 0xFE0F), (0xE0100, 0xE01EF))
# Control characters have no Unicode name: these are the ones terminals act on most.
CONTROL_NAMES = {
    0x07: "BELL",
    0x08: "BACKSPACE",
    0x0D: "CARRIAGE RETURN",
    0x1B: "ESCAPE",
    0x7F: "DELETE",
    0x90: "DEVICE CONTROL STRING",
    0x9B: "CONTROL SEQUENCE INTRODUCER",
    0x9D: "OPERATING SYSTEM COMMAND",
}
# Emoji skin tones (category Sk) and the symbols joined in emoji sequences (So)
EMOJI_CATEGORIES = frozenset({"So", "Sk"})


def _class_of(ranges: tuple[tuple[int, int], ...]) -> str:
    return "".join(
        re.escape(chr(first)) if first == last else f"{re.escape(chr(first))}-{re.escape(chr(last))}"
        for first, last in ranges
    )


# every character that may be hidden: a quick test before the careful scan
_CANDIDATES = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f"
    + _class_of(DEFAULT_IGNORABLE)
    + _class_of(VARIATION_SELECTORS)
    + "".join(sorted(BLANK_LOOKALIKES | LINE_SEPARATORS))
    + "]"
)


def _in(ranges: tuple[tuple[int, int], ...], character: str) -> bool:
    point = ord(character)
    return any(first <= point <= last for first, last in ranges)


def is_control(character: str) -> bool:
    """A C0 or C1 control character or DEL (tab and newline included)."""
    return unicodedata.category(character) == "Cc"


@dataclass(frozen=True)
class HiddenCharacter:
    """A character of a text that readers do not see as it acts."""

    index: int  # 0-based, in the text
    line: int  # 1-based, in the text
    column: int  # 1-based, in its line of the text
    character: str

    @property
    def code_point(self) -> str:
        return f"U+{ord(self.character):04X}"

    @property
    def name(self) -> str:
        if is_control(self.character):
            return CONTROL_NAMES.get(ord(self.character), "CONTROL CHARACTER")
        return unicodedata.name(self.character, "")

    @property
    def bidirectional(self) -> bool:
        return self.character in BIDI_CONTROLS

    def describe(self) -> str:
        """'U+202E RIGHT-TO-LEFT OVERRIDE'"""
        return f"{self.code_point} {self.name}".strip()


def _part_of_emoji(text: str, index: int) -> bool:
    """Whether the invisible character at ``index`` belongs to an emoji or modifies the letter before."""
    character = text[index]
    before = text[index - 1] if index > 0 else ""
    if _in(VARIATION_SELECTORS, character):
        # a variation selector chooses how the character before it is drawn (emoji or text, CJK forms)
        return bool(before) and not before.isspace() and _CANDIDATES.match(before) is None
    if character == ZERO_WIDTH_JOINER:
        after = text[index + 1] if index + 1 < len(text) else ""
        joined_before = bool(before) and (
            unicodedata.category(before) in EMOJI_CATEGORIES or _in(VARIATION_SELECTORS, before)
        )
        return joined_before and bool(after) and unicodedata.category(after) in EMOJI_CATEGORIES
    if _in((TAGS,), character):
        start = index
        while start > 0 and _in((TAGS,), text[start - 1]):
            start -= 1
        end = index
        while end + 1 < len(text) and _in((TAGS,), text[end + 1]):
            end += 1
        return start > 0 and text[start - 1] == BLACK_FLAG and text[end] == CANCEL_TAG
    return False


def _hidden(text: str, index: int, *, keep: str) -> bool:
    character = text[index]
    if character in keep:
        return False
    if is_control(character) or character in BLANK_LOOKALIKES or character in LINE_SEPARATORS:
        return True
    if _in(DEFAULT_IGNORABLE, character) or _in(VARIATION_SELECTORS, character):
        return not _part_of_emoji(text, index)
    return False


def has_hidden_candidates(text: str) -> bool:
    """A quick test: False means ``text`` certainly holds no hidden character."""
    return _CANDIDATES.search(text) is not None


def hidden_characters(text: str, *, keep: str = "\n\t") -> list[HiddenCharacter]:
    """The hidden characters of ``text``, in order; ``keep`` lists the controls that are expected."""
    found: list[HiddenCharacter] = []
    if _CANDIDATES.search(text) is None:
        return found
    line, line_start = 1, 0
    for index, character in enumerate(text):
        if _CANDIDATES.match(character) and _hidden(text, index, keep=keep):
            found.append(HiddenCharacter(index, line, index - line_start + 1, character))
        if character == "\n":
            line, line_start = line + 1, index + 1
    return found


def text_problem(what: str, text: str) -> tuple[HiddenCharacter, str] | None:
    """The first hidden character of a campaign text and the message that says it, or None."""
    hidden = hidden_characters(text)
    if not hidden:
        return None
    first = hidden[0]
    where = (
        _("column {column}").format(column=first.column)
        if first.line == 1
        else _("line {line}, column {column}").format(line=first.line, column=first.column)
    )
    more = len(hidden) - 1
    if is_control(first.character):
        message = _(
            "{what} holds the control character {character} at {where} of the text{more}: "
            "terminals and networks act on it, remove it"
        )
    elif first.bidirectional:
        message = _(
            "{what} holds the bidirectional control {character} at {where} of the text{more}: "
            "it reorders what readers see, remove it"
        )
    else:
        message = _(
            "{what} holds the invisible character {character} at {where} of the text{more}: "
            "readers would not see it, remove it"
        )
    return first, message.format(
        what=what,
        character=first.describe(),
        where=where,
        more=_(" (and {count} more)").format(count=more) if more else "",
    )


def _invisible_in_a_name(character: str) -> bool:
    return (
        is_control(character)
        or character in BLANK_LOOKALIKES
        or character in LINE_SEPARATORS
        or _in(DEFAULT_IGNORABLE, character)
        or _in(VARIATION_SELECTORS, character)
        or unicodedata.category(character) == "Cf"
    )


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot name a person (it holds an invisible or control character), or None."""
    for index, character in enumerate(name):
        if _invisible_in_a_name(character):
            hidden = HiddenCharacter(index, 1, index + 1, character)
            return _(
                "the name holds the invisible character {character} at column {column}: type it "
                "again with letters and spaces only"
            ).format(character=hidden.describe(), column=hidden.column)
    return None


def person_key(name: str) -> str:
    """What identifies a person's name: NFKC, every invisible character removed, case and spaces folded."""
    normal = unicodedata.normalize("NFKC", name)
    visible = "".join(character for character in normal if not _invisible_in_a_name(character))
    return " ".join(visible.casefold().split())


def same_person(first: str, second: str) -> bool:
    """Whether two names name the same person once normalised (see ``person_key``)."""
    return person_key(first) == person_key(second)


def _escape(character: str) -> str:
    point = ord(character)
    if point <= 0xFF:
        return f"\\x{point:02x}"
    if point <= 0xFFFF:
        return f"\\u{point:04x}"
    return f"\\U{point:08x}"


def _json_escape(character: str) -> str:
    encoded = character.encode("utf-16-be")
    return "".join(
        f"\\u{int.from_bytes(encoded[at : at + 2], 'big'):04x}" for at in range(0, len(encoded), 2)
    )


def printable(text: str, *, keep: str = "\n\t", json: bool = False) -> str:
    """``text`` safe for a terminal: control, bidirectional and invisible characters escaped.

    Escapes are Python's (``\\x1b``, ``\\u202e``), or JSON's with ``json=True`` (``\\u001b``,
    surrogate pairs beyond U+FFFF) so that a JSON document decodes to the same data. Emoji keep
    their joiners; newlines and tabs are kept; an escaped text is left as it is.
    """
    if _CANDIDATES.search(text) is None:
        return text
    escape = _json_escape if json else _escape
    positions = {item.index for item in hidden_characters(text, keep=keep)}
    return "".join(
        escape(character) if index in positions else character for index, character in enumerate(text)
    )
