"""The message catalogues: extract every human-facing string, update the French catalogue, compile it.

    python -m campaign.i18n_catalogue update    # after adding or changing a message
    python -m campaign.i18n_catalogue check     # what CI runs: exit 1 when a message lacks French

Messages are the ``_()`` / ``N_()`` / ``ngettext()`` calls (Babel's Python extractor) and, for the
command line, the texts Typer shows without a call: every ``help=`` literal and the docstring of
every command function (``@app.command``, ``@app.callback``, ``*_command``). Their French is in
``campaign/locale/fr/LC_MESSAGES/clickable.po``, compiled into the ``.mo`` file shipped with the
package.
"""

from __future__ import annotations

import ast
import io
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from campaign.i18n import DOMAIN, LOCALE_DIR

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("cli.py", "campaign", "capsules", "schedules", "networks", "engagement", "demo")
SKIPPED = ("migrations",)
LANGUAGES = ("fr",)
HELP_KEYWORDS = ("help", "short_help", "epilog")
GROUP_FACTORIES = ("command_group",)


def _is_command(function: ast.FunctionDef) -> bool:
    for decorator in function.decorator_list:
        call = decorator.func if isinstance(decorator, ast.Call) else decorator
        if isinstance(call, ast.Attribute) and call.attr in ("command", "callback"):
            return True
    return function.name.endswith("_command")


def _literal(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def extract(fileobj: Any, keywords: Any, comment_tags: Any, options: Any) -> Iterator[Any]:
    """Babel extraction method: Python's messages plus Typer's help literals and command docstrings."""
    from babel.messages.extract import extract_python

    source = fileobj.read()
    yield from extract_python(io.BytesIO(source), keywords, comment_tags, options)
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            for keyword in node.keywords:
                text = _literal(keyword.value)
                if keyword.arg in HELP_KEYWORDS and text:
                    yield keyword.value.lineno, None, text, ["help of a command or option"]
            name = node.func.id if isinstance(node.func, ast.Name) else None
            if name in GROUP_FACTORIES and node.args and (text := _literal(node.args[0])):
                yield node.lineno, None, text, ["help of a command group"]
        elif isinstance(node, ast.FunctionDef) and _is_command(node):
            docstring = ast.get_docstring(node, clean=True)
            if docstring:
                yield node.body[0].lineno, None, docstring, ["help of a command"]


def _files() -> Iterator[Path]:
    for name in SOURCES:
        path = ROOT / name
        if path.is_file():
            yield path
            continue
        for file in sorted(path.rglob("*.py")):
            if not any(part in SKIPPED for part in file.relative_to(ROOT).parts):
                yield file


def template() -> Any:
    """A fresh catalogue template of every message in the source (a Babel Catalog)."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import DEFAULT_KEYWORDS
    from babel.messages.extract import extract as babel_extract

    catalog = Catalog(project="clickable", domain=DOMAIN, fuzzy=False)
    for file in _files():
        with file.open("rb") as handle:
            # Babel applies each keyword's argument spec (ngettext's singular and plural)
            for lineno, message, comments, _context in babel_extract(extract, handle, DEFAULT_KEYWORDS):
                catalog.add(
                    message,
                    locations=[(str(file.relative_to(ROOT)), lineno)],
                    auto_comments=comments,
                )
    return catalog


def po_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalogue(language: str) -> Any:
    from babel.messages.pofile import read_po

    path = po_path(language)
    if not path.is_file():
        from babel.messages.catalog import Catalog

        return Catalog(
            locale=language,
            domain=DOMAIN,
            project="clickable",
            copyright_holder="the clickable authors",
            fuzzy=False,
        )
    with path.open("rb") as handle:
        return read_po(handle, locale=language, domain=DOMAIN)


def update() -> None:
    """Bring every catalogue in line with the source (no fuzzy guesses), then compile it."""
    from babel.messages.pofile import write_po

    fresh = template()
    for language in LANGUAGES:
        catalogue = read_catalogue(language)
        catalogue.update(fresh, no_fuzzy_matching=True, update_header_comment=False)
        path = po_path(language)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            write_po(handle, catalogue, width=100, ignore_obsolete=True, omit_header=False, sort_output=True)
        compile_catalogue(language)


def compiled(language: str) -> bytes:
    from babel.messages.mofile import write_mo

    buffer = io.BytesIO()
    write_mo(buffer, read_catalogue(language), use_fuzzy=False)
    return buffer.getvalue()


def compile_catalogue(language: str) -> Path:
    target = po_path(language).with_suffix(".mo")
    target.write_bytes(compiled(language))
    return target


def problems(language: str) -> list[str]:
    """What keeps a catalogue from being complete: messages missing, untranslated, fuzzy, stale .mo."""
    fresh = template()
    catalogue = read_catalogue(language)
    found: list[str] = []
    for message in fresh:
        if not message.id:
            continue
        entry = catalogue.get(message.id)
        where = ", ".join(f"{file}:{line}" for file, line in message.locations[:1])
        if entry is None:
            found.append(f"{where}: not in the {language} catalogue: {message.id!r}")
        elif entry.fuzzy:
            found.append(f"{where}: fuzzy in the {language} catalogue: {message.id!r}")
        elif not (all(entry.string) if isinstance(entry.string, tuple) else entry.string):
            found.append(f"{where}: untranslated in the {language} catalogue: {message.id!r}")
    mo = po_path(language).with_suffix(".mo")
    if not mo.is_file() or mo.read_bytes() != compiled(language):
        found.append(f"{mo}: not compiled from the .po: run `python -m campaign.i18n_catalogue update`")
    return found


def main(arguments: list[str]) -> int:
    if arguments == ["update"]:
        update()
        for language in LANGUAGES:
            left = problems(language)
            print(f"{po_path(language)}: {len(left)} messages to translate")
        return 0
    if arguments == ["check"]:
        found = [problem for language in LANGUAGES for problem in problems(language)]
        for problem in found:
            print(problem)
        return 1 if found else 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
