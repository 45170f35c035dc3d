"""The interface language: chosen from the environment, French catalogue shipped, English fallback;
Typer's and Click's own words translated; machine output the same in every language."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import polib
import pytest

from campaign import i18n
from campaign.i18n_catalogue import compiled, po_path

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = re.compile(r"\{[^{}]*\}|%\(\w+\)[sdrf]|%[sdrf]")


def clickable(*args: str, cwd: Path = ROOT, **language: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key not in (*i18n.LANGUAGE_VARIABLES, "CLICKABLE_LANG")}
    env.update(language)
    env["COLUMNS"] = "100"
    return subprocess.run(
        [sys.executable, "-c", "import sys; sys.path.insert(0, sys.argv.pop(1)); import cli; cli.main()", str(ROOT), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for variable in (*i18n.LANGUAGE_VARIABLES, "CLICKABLE_LANG"):
        monkeypatch.delenv(variable, raising=False)
    i18n.reset()
    yield monkeypatch  # type: ignore[misc]
    i18n.reset()


@pytest.mark.parametrize(
    ("variables", "language"),
    [
        ({"LANG": "fr_FR.UTF-8"}, "fr_FR"),
        ({"LANG": "C"}, "en"),
        ({}, "en"),
        ({"LANG": "en_US.UTF-8", "LC_MESSAGES": "fr_BE.UTF-8"}, "fr_BE"),
        ({"LANG": "fr_FR.UTF-8", "LC_ALL": "C.UTF-8"}, "en"),
        ({"LANG": "fr_FR.UTF-8", "LANGUAGE": "de:en"}, "en"),  # no German catalogue: English
        ({"LANGUAGE": "de:fr"}, "fr"),  # the first language that has a catalogue
        ({"LANG": "C", "CLICKABLE_LANG": "fr"}, "fr"),
        ({"LANG": "fr_FR.UTF-8", "CLICKABLE_LANG": "en"}, "en"),
    ],
)
def test_language_comes_from_the_environment_as_gettext_reads_it(
    environment: pytest.MonkeyPatch, variables: dict[str, str], language: str
) -> None:
    for variable, value in variables.items():
        environment.setenv(variable, value)
    assert i18n.interface_language() == language


def test_french_numbers_and_dates_follow_the_language(environment: pytest.MonkeyPatch) -> None:
    instant = datetime(2026, 12, 1, 7, 30, tzinfo=UTC)
    environment.setenv("CLICKABLE_LANG", "fr")
    assert i18n.format_number(1234).replace("\u202f", " ") == "1 234"
    assert i18n.format_number(43.5, digits=1) == "43,5"
    assert i18n.format_percent(0.43).replace("\u202f", " ").replace("\xa0", " ") == "43,0 %"
    assert i18n.format_when(instant, "Pacific/Noumea") == "mardi 1 décembre 2026 18:30 (Pacific/Noumea)"
    assert i18n.format_when(instant, "Pacific/Noumea", short=True) == "mar. 1 déc. 2026 18:30 (Pacific/Noumea)"
    environment.setenv("CLICKABLE_LANG", "en")
    i18n.reset()
    assert i18n.format_number(1234) == "1,234"
    assert i18n.format_when(instant, "Pacific/Noumea") == "Tuesday 1 December 2026 18:30 (Pacific/Noumea)"


def test_typer_and_click_words_are_french_on_a_french_system() -> None:
    french = clickable("campaign", "--help", LANG="fr_FR.UTF-8")
    assert french.returncode == 0, french.stderr
    assert french.stdout.startswith("Utilisation : clickable campaign [OPTIONS] COMMANDE [ARGS]...")
    assert "Commandes:" in french.stdout and "Affiche cette aide et quitte." in french.stdout
    english = clickable("campaign", "--help", LANG="C")
    assert english.stdout.startswith("Usage: clickable campaign [OPTIONS] COMMAND [ARGS]...")
    assert "Commands:" in english.stdout and "Show this message and exit." in english.stdout


@pytest.mark.parametrize(
    ("arguments", "french", "english"),
    [
        (["post", "show"], "Erreur : Argument manquant : 'ID'.", "Error: Missing argument 'ID'."),
        (
            ["landing", "serve", "--workers", "0"],
            "Erreur : Valeur invalide pour '--workers' : '0' est inférieur au minimum, 1.",
            "Error: Invalid value for '--workers': '0' is below the minimum, 1.",
        ),
        (
            ["stats", "export", "--suppress-below", "x"],
            "Erreur : Valeur invalide pour '--suppress-below' : 'x' n’est pas un nombre entier.",
            "Error: Invalid value for '--suppress-below': 'x' is not a whole number.",
        ),
        (["campaign", "check", "--bogus"], "Erreur : Option inconnue : --bogus", "Error: No such option: --bogus"),
        (["campaign", "check", "a", "b"], "Erreur : Arguments en trop (b).", "Error: Unexpected extra arguments (b)."),
        (["post", "approve", "x", "--by"], "Erreur : L’option '--by' attend une valeur.", "Error: Option '--by' requires a value."),
        (["nope"], "Erreur : Commande inconnue : 'nope'.", "Error: No such command 'nope'."),
    ],
)
def test_usage_errors_speak_the_interface_language_with_exit_code_2(
    arguments: list[str], french: str, english: str
) -> None:
    """Click's parser wording is matched for three messages: a new Typer wording fails here."""
    in_french = clickable(*arguments, LANG="fr_FR.UTF-8")
    assert in_french.returncode == 2
    assert in_french.stderr.strip().splitlines()[-1] == french
    in_english = clickable(*arguments, LANG="C")
    assert in_english.returncode == 2
    assert in_english.stderr.strip().splitlines()[-1] == english
    assert "Traceback" not in in_french.stderr + in_english.stderr


def test_machine_output_does_not_change_with_the_language(tmp_path: Path) -> None:
    folder = tmp_path / "c"
    assert clickable("init", str(folder), LANG="C").returncode == 0
    french = clickable("campaign", "check", "--json", cwd=folder, LANG="fr_FR.UTF-8")
    english = clickable("campaign", "check", "--json", cwd=folder, LANG="C")
    assert french.returncode == english.returncode
    assert french.stdout == english.stdout and '"ok": true' in french.stdout


def _fields(text: str) -> list[str]:
    """The placeholders of a message, a date's format spec set aside (French writes 01/12/2026)."""
    return [re.sub(r"(\{\w+):%[^}]*\}", r"\1:date}", field) for field in PLACEHOLDER.findall(text)]


def test_every_translation_keeps_its_placeholders() -> None:
    catalogue = polib.pofile(str(po_path("fr")))
    for entry in catalogue.translated_entries():
        if entry.msgid_plural:
            allowed = set(_fields(entry.msgid)) | set(_fields(entry.msgid_plural))
            for form in entry.msgstr_plural.values():
                assert set(_fields(form)) <= allowed, (entry.msgid, form)
        else:
            assert sorted(_fields(entry.msgstr)) == sorted(_fields(entry.msgid)), entry.msgid


def test_shipped_mo_is_compiled_from_the_po() -> None:
    assert po_path("fr").with_suffix(".mo").read_bytes() == compiled("fr")


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="gettext's msgfmt is not installed (CI installs it)")
def test_msgfmt_check_passes(tmp_path: Path) -> None:
    result = subprocess.run(
        ["msgfmt", "--check", "-o", str(tmp_path / "fr.mo"), str(po_path("fr"))],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
