"""A French system gets a French interface, all of it; `LANG=C` gets English; the catalogue is complete.

The French `--help` test runs every command's help and a set of errors under `LANG=fr_FR.UTF-8` and
looks for English words that French text never contains: a message that was not marked for
translation, or was marked but not translated, shows up as English. The catalogue test extracts the
messages afresh from the source (as `python -m campaign.i18n_catalogue check` does) so that a new
marked string cannot land without its French.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from campaign import i18n
from cli import app

# Words of English sentences that French never uses (case-sensitive: command names are lower-case
# identifiers such as `show`, `list`, `check`, and are not sentences).
ENGLISH = (
    "the", "The", "and", "with", "from", "this", "This", "that", "which", "when", "When", "each",
    "every", "instead", "is", "are", "of", "to", "by", "not", "for", "your", "Usage",
    "Commands", "Error", "Missing", "Show", "Print", "Write", "Check", "List", "Run",
    "Store", "default", "Default", "Try", "Aborted", "Got", "unexpected", "No such",
)  # fmt: skip
ENGLISH_WORD = re.compile(r"(?<![\w'’-])(" + "|".join(re.escape(word) for word in ENGLISH) + r")(?![\w'’-])")
# what a user types or reads as a name: options, `code`, file names, URLs, identifiers, tags
NOT_PROSE = re.compile(r"`[^`]*`|--?[\w-]+|\S*[\w]\.[\w]\S*|\S*/\S*|\S*_\S*|'[^' ]*'|\"[^\" ]*\"|\{[^}]*\}")


def english_left(text: str) -> list[str]:
    """The lines of ``text`` that still hold an English word, once names and code are set aside."""
    return [line.strip() for line in text.splitlines() if ENGLISH_WORD.search(NOT_PROSE.sub(" ", line))]


def commands() -> Iterator[list[str]]:
    def walk(command: object, path: list[str]) -> Iterator[list[str]]:
        yield path
        for name, sub in sorted(getattr(command, "commands", {}).items()):
            yield from walk(sub, [*path, name])

    yield from walk(typer.main.get_command(app), [])


# errors a person meets on the first day: usage errors (Click's words) and the tool's own
ERRORS = [
    ["post", "approve"],  # a missing argument
    ["campaign", "check", "--nope"],  # an unknown option
    ["nope"],  # an unknown command
    ["stats", "report", "--suppress-below", "many"],  # a value of the wrong type
    ["campaign", "check", "missing.yaml"],  # a file that is not there
    ["campaign", "check", "broken.yaml"],  # a file YAML cannot read
    ["capsule", "check", "missing.yaml"],
    ["post", "show", "nope"],  # nothing loaded yet
    ["delivery", "history", "12"],
    ["accounts", "check", "nobody"],
]


@pytest.fixture
def language(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[pytest.MonkeyPatch]:
    for variable in (*i18n.LANGUAGE_VARIABLES, "CLICKABLE_LANG"):
        monkeypatch.delenv(variable, raising=False)
    (tmp_path / "campaign.yaml").write_text("campaign: {name: x}\n", "utf-8")
    (tmp_path / "broken.yaml").write_text("posts: [\n  - {id: a\n", "utf-8")
    monkeypatch.setenv("CLICKABLE_HOME", str(tmp_path))
    monkeypatch.setenv("CLICKABLE_DATABASE_URL", f"sqlite:///{tmp_path / 'clickable.db'}")
    monkeypatch.setenv("CLICKABLE_KEYRING", "0")
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.chdir(tmp_path)
    i18n.reset()
    yield monkeypatch
    i18n.reset()


def run(arguments: list[str]) -> str:
    result = CliRunner().invoke(app, arguments)
    assert "Traceback" not in result.output, (arguments, result.output)
    return result.output


def test_every_help_and_the_first_errors_are_french_on_a_french_system(language: pytest.MonkeyPatch) -> None:
    language.setenv("LANG", "fr_FR.UTF-8")
    assert i18n.interface_language() == "fr_FR"
    left = {}
    for path in commands():
        text = run([*path, "--help"])
        assert "Utilisation" in text and "Options" in text and "Affiche cette aide" in text, path
        if found := english_left(text):
            left[" ".join(["clickable", *path, "--help"])] = found
    for arguments in ERRORS:
        text = run(arguments)
        assert text.strip(), arguments
        if found := english_left(text):
            left[" ".join(["clickable", *arguments])] = found
    assert left == {}, "English left in the French interface (mark the message with _() and translate it)"


def test_the_same_under_lang_c_is_english(language: pytest.MonkeyPatch) -> None:
    language.setenv("LANG", "C")
    assert i18n.interface_language() == "en"
    for path in commands():
        text = run([*path, "--help"])
        assert "Usage:" in text and "Show this message and exit." in text, path
        assert not re.search(r"[éèàç]", re.sub(r"Click@ble|Réunion|Nouméa|[`'\"][^`'\"]*[`'\"]", "", text)), (
            path,
            text,
        )
    assert "Missing argument" in run(["post", "approve"])


def test_the_english_word_detector_sees_english_and_not_names() -> None:
    """The detector itself: an English sentence is found, French with options and files is not."""
    assert english_left("  Show the loaded campaign.")
    assert english_left("Erreur : the file is missing")
    assert not english_left("  --json  Affiche le JSON pour les scripts (campaign.yaml, `post show`).")
    assert not english_left("Commandes:\n  show  Affiche la campagne chargée.")


def test_the_french_catalogue_has_every_message_of_the_source() -> None:
    """Extracted afresh: a message marked in the source and missing, untranslated or fuzzy in
    the French catalogue fails here (and `python -m campaign.i18n_catalogue check` in CI)."""
    from campaign.i18n_catalogue import problems

    assert problems("fr") == []
