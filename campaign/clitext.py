"""Typer's and Click's own words in the interface language, and the help of every command.

Typer (0.29) vendors Click with its words written in English: ``Usage:``, the usage errors, the
``--help`` option's help. Typer's own (``Options``, ``Arguments``, ``Commands``, ``[default: …]``,
``Missing command.``) go through the standard ``gettext``. This module translates all of them with
our catalogue, once, when the root group is built:

- the help texts of every command and parameter (their English source is the docstring or the
  ``help=`` literal, extracted into the catalogue by ``campaign.i18n_catalogue``);
- Typer's ``gettext`` calls, by giving ``typer.core`` our ``_``;
- ``Usage:``, section titles and the help option's text, through a help formatter of ours;
- usage errors, rebuilt from the exception's own fields (its type, its parameter, and for a value
  Typer checked with pydantic, pydantic's structured error type). Three of Click's parser messages
  carry no field: they are matched against the exact wording of the pinned Typer
  (tests/test_i18n.py fails if that wording changes).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import typer.core
from typer._click import exceptions as click_errors
from typer._click.core import Command, Context
from typer._click.formatting import HelpFormatter

from campaign.characters import printable
from campaign.i18n import N_, _

# Click's help option and Typer's completion options, whose help texts are Click's and Typer's.
LIBRARY_HELP = (
    N_("Show this message and exit."),
    N_("Install completion for the current shell."),
    N_("Show completion for the current shell, to copy it or customize the installation."),
)
# Typer's own gettext messages (typer/core.py), translated through our catalogue.
TYPER_MESSAGES = (
    N_("Options"),
    N_("Arguments"),
    N_("Commands"),
    N_("default: {default}"),
    N_("required"),
    N_("env var: {var}"),
    N_("(dynamic)"),
    N_("Aborted!"),
    N_("Missing command."),
    N_("No such command {name!r}."),
)


class TranslatedHelpFormatter(HelpFormatter):
    """Click's formatter, with its fixed English words translated."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, prefix=_("Usage: ") if prefix is None else prefix)

    @contextmanager
    def section(self, name: str) -> Iterator[None]:
        with super().section(_(name)):
            yield

    def write_dl(self, rows: Any, col_max: int = 30, col_spacing: int = 2) -> None:
        # the rows' help texts are translated already, but for the options Click and Typer add
        translated = [(term, _(text) if text in LIBRARY_HELP else text) for term, text in rows]
        super().write_dl(translated, col_max, col_spacing)


class TranslatedContext(Context):
    formatter_class = TranslatedHelpFormatter


def translate_command_tree(command: Command) -> None:
    """Translate the help of a command, its parameters and its sub-commands, in place."""
    command.context_class = TranslatedContext
    command.options_metavar = _("[OPTIONS]")
    if hasattr(command, "subcommand_metavar"):
        command.subcommand_metavar = _("COMMAND [ARGS]...")
    for attribute in ("help", "short_help", "epilog"):
        text = getattr(command, attribute, None)
        if isinstance(text, str) and text:
            setattr(command, attribute, _(text))
    for parameter in command.params:
        text = getattr(parameter, "help", None)
        if isinstance(text, str) and text:
            parameter.help = _(text)  # type: ignore[attr-defined]
        display_type = getattr(parameter, "display_type", None)
        if display_type is not None and not getattr(display_type, "translated", False):
            parameter.display_type = _translated_type(display_type)  # type: ignore[attr-defined]
    for sub in getattr(command, "commands", {}).values():
        translate_command_tree(sub)


# Typer's names of value types in help (``--out <path>``), translated word by word; the English
# stays Typer's own (``<str>``, ``<int>``).
TYPE_NAMES = (
    N_("path"),
    N_("str"),
    N_("int"),
    N_("float"),
    N_("bool"),
    N_("datetime"),
    N_("file"),
    N_("dir"),
    N_("list"),
    N_("range"),
)
_TYPE_WORD = re.compile(r"\b(" + "|".join(TYPE_NAMES) + r")\b")


def _translated_type(display_type: Any) -> Any:
    """Typer's ``<path>``, ``<int>``… in the interface language (choices are values: kept)."""

    def translated(ctx: Context) -> str:
        label = display_type(ctx)
        if "|" in label:  # the choices themselves, which a user types
            return label
        return _TYPE_WORD.sub(lambda match: _(match.group(1)), label)

    translated.translated = True  # type: ignore[attr-defined]
    return translated


def install() -> None:
    """Typer's own gettext calls use our catalogue (typer.core imported gettext's ``_`` by name)."""
    typer.core._ = _


# --- usage errors --------------------------------------------------------------------------------

_EXTRA_ARGUMENTS = re.compile(r"Got unexpected extra argument(?:\(s\)|s)? \((?P<arguments>.*)\)$", re.S)
_REQUIRES_VALUE = re.compile(r"Option (?P<option>'[^']*') requires (an argument|(?P<count>\d+) arguments)\.$")
_TAKES_NO_VALUE = re.compile(r"Option (?P<option>'[^']*') does not take a value\.$")
# pydantic error types that Typer's coercion of our option types can give
_VALUE_ERRORS = {
    "int_parsing": N_("{value!r} is not a whole number."),
    "int_from_float": N_("{value!r} is not a whole number."),
    "float_parsing": N_("{value!r} is not a number."),
    "bool_parsing": N_("{value!r} is not a yes/no value."),
    "greater_than_equal": N_("{value!r} is below the minimum, {limit}."),
    "greater_than": N_("{value!r} is not above {limit}."),
    "less_than_equal": N_("{value!r} is above the maximum, {limit}."),
    "less_than": N_("{value!r} is not below {limit}."),
    "enum": N_("{value!r} is not one of {expected}."),
    "literal_error": N_("{value!r} is not one of {expected}."),
}


def _hint(error: click_errors.BadParameter) -> str:
    if error.param_hint is not None:
        hint = error.param_hint
    elif error.param is not None:
        hint = error.param.get_error_hint()
    else:
        return ""
    return hint if isinstance(hint, str) else " / ".join(repr(item) for item in hint)


def _value_message(error: click_errors.BadParameter) -> str:
    """A value pydantic refused, from pydantic's structured error (its type and context)."""
    cause = error.__cause__
    errors = getattr(cause, "errors", None)
    if callable(errors):
        details = errors()
        if details:
            first = details[0]
            template = _VALUE_ERRORS.get(first.get("type", ""))
            if template is not None:
                context = first.get("ctx") or {}
                limit = next((context[key] for key in ("ge", "gt", "le", "lt") if key in context), "")
                return _(template).format(
                    value=first.get("input"), limit=limit, expected=context.get("expected", "")
                )
    return error.message


def usage_error_message(error: click_errors.ClickException) -> str:
    """The error's message in the interface language."""
    if isinstance(error, click_errors.MissingParameter):
        kind = error.param_type or (error.param.param_type_name if error.param else "parameter")
        template = {
            "argument": N_("Missing argument {name}."),
            "option": N_("Missing option {name}."),
        }.get(kind, N_("Missing parameter {name}."))
        return _(template).format(name=_hint(error))
    if isinstance(error, click_errors.BadParameter):
        hint = _hint(error)
        message = _value_message(error)
        if not hint:
            return _("Invalid value: {message}").format(message=message)
        return _("Invalid value for {name}: {message}").format(name=hint, message=message)
    if isinstance(error, click_errors.NoSuchOption):
        message = _("No such option: {name}").format(name=error.option_name)
        if error.possibilities:
            message += " " + _("(Possible options: {options})").format(
                options=", ".join(sorted(error.possibilities))
            )
        return message
    text = error.format_message()
    if isinstance(error, click_errors.BadOptionUsage):
        if match := _REQUIRES_VALUE.match(text):
            if match["count"]:
                return _("Option {name} requires {count} values.").format(
                    name=match["option"], count=match["count"]
                )
            return _("Option {name} requires a value.").format(name=match["option"])
        if match := _TAKES_NO_VALUE.match(text):
            return _("Option {name} does not take a value.").format(name=match["option"])
    if isinstance(error, click_errors.UsageError) and (match := _EXTRA_ARGUMENTS.match(text)):
        return _("Unexpected extra arguments ({arguments}).").format(arguments=match["arguments"])
    return _(text)


def show_click_error(error: click_errors.ClickException) -> None:
    """What Click's ``show()`` prints (usage, hint, error), in the interface language."""
    from typer._click.utils import echo

    if isinstance(error, click_errors.NoArgsIsHelpError):
        echo(error.format_message(), err=True)
        return
    context = getattr(error, "ctx", None)
    if isinstance(error, click_errors.UsageError) and context is not None:
        hint = ""
        if context.command.get_help_option(context) is not None:
            hint = _("Try '{command} {option}' for help.").format(
                command=context.command_path, option=context.help_option_names[0]
            )
        echo(f"{context.get_usage()}\n{hint}\n", err=True, color=context.color)
    # the message repeats what was typed: escaped like everything else printed (campaign/characters.py)
    echo(printable(_("Error: {message}").format(message=usage_error_message(error))), err=True)
