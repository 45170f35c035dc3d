"""Safe YAML loading that remembers where each value stands, for FILE:LINE:COL messages.

Files are read with bounds (a regular file, at most ``MAX_FILE_BYTES``, at most ``MAX_VALUES``
values once aliases are expanded) so that a device, a pipe or a bomb is refused quickly.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from campaign.errors import ClickableError, Problem
from campaign.i18n import N_, _

Path_ = tuple[str | int, ...]

MEGABYTE = 1024 * 1024
# A campaign of 20,000 posts is about 2.7 MB and 240,000 values: these limits leave room for more
# while keeping the memory of a check bounded (a value costs about 1 KB once checked).
MAX_FILE_BYTES = 16 * MEGABYTE
MAX_VALUES = 1_000_000
SYNTAX = 0  # priority of YAML syntax problems: they hide everything else
# libyaml when PyYAML was built with it (about 10x faster); the pure-Python parser otherwise
_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class UnreadableFile(ClickableError, OSError):
    """A file that cannot be read as text: missing, not a regular file, too large, not UTF-8."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{path}: {reason}")


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return _("a folder")
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return _("a device")
    if stat.S_ISFIFO(mode):
        return _("a pipe")
    if stat.S_ISSOCK(mode):
        return _("a socket")
    return _("not a regular file")


def read_bounded_text(path: Path, *, limit: int = MAX_FILE_BYTES, missing_hint: str | None = None) -> str:
    """The UTF-8 text of the regular file ``path``, read up to ``limit`` bytes; UnreadableFile otherwise.

    A device (``/dev/zero``), a pipe or a folder is refused before anything is read: opened with
    O_NONBLOCK, so that a pipe with no writer does not block, and checked with fstat on that handle.
    """
    try:
        handle = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        raise UnreadableFile(path, missing_hint or _("file not found: check the path")) from None
    except IsADirectoryError:
        raise UnreadableFile(path, _("is a folder, not a file: give the path of the file itself")) from None
    except OSError as error:
        raise UnreadableFile(
            path,
            _("cannot read the file ({reason}): check its permissions").format(
                reason=error.strerror or type(error).__name__
            ),
        ) from None
    try:
        mode = os.fstat(handle).st_mode
        if not stat.S_ISREG(mode):
            raise UnreadableFile(
                path,
                _("is {kind}, not a regular file: give the path of a file saved on disk").format(
                    kind=_kind(mode)
                ),
            )
        with os.fdopen(handle, "rb", closefd=False) as stream:
            data = stream.read(limit + 1)
    except OSError as error:
        if isinstance(error, UnreadableFile):
            raise
        raise UnreadableFile(
            path,
            _("cannot read the file ({reason}): check its permissions").format(
                reason=error.strerror or type(error).__name__
            ),
        ) from None
    finally:
        os.close(handle)
    if len(data) > limit:
        raise UnreadableFile(
            path,
            _(
                "the file is larger than {size} MB, the most this file may hold: check it is the right file"
            ).format(size=f"{limit / MEGABYTE:g}"),
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise UnreadableFile(
            path, _("not UTF-8 text (byte {offset}): save the file as UTF-8").format(offset=error.start)
        ) from None


@dataclass(slots=True)
class Position:
    line: int
    column: int


@dataclass
class YamlSource:
    """A parsed YAML document with the position of every value and mapping key."""

    file: str
    data: Any
    values: dict[Path_, Position] = field(default_factory=dict)
    keys: dict[Path_, Position] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    text: str = ""  # the text parsed, exactly as read

    def position(self, path: Path_, *, key: bool = False) -> Position:
        """Position of the value (or its key) at ``path``, else of its nearest known parent."""
        table = self.keys if key else self.values
        probe = tuple(path)
        while probe:
            if probe in table:
                return table[probe]
            if probe in self.values:
                return self.values[probe]
            probe = probe[:-1]
        return self.values.get((), Position(1, 1))

    def problem(self, path: Path_, message: str, *, priority: int, key: bool = False) -> Problem:
        where = self.position(path, key=key)
        return Problem(priority, self.file, where.line, where.column, message)


def _mark(node: yaml.Node) -> Position:
    return Position(node.start_mark.line + 1, node.start_mark.column + 1)


STR_TAG = "tag:yaml.org,2002:str"
MAP_TAG = "tag:yaml.org,2002:map"
SEQ_TAG = "tag:yaml.org,2002:seq"
MERGE_TAG = "tag:yaml.org,2002:merge"
VALUE_TAG = "tag:yaml.org,2002:value"


class _Loader(_LOADER):  # type: ignore[misc, valid-type]
    """PyYAML's safe loader, remembering how each scalar resolves (keys, names and times repeat).

    The parser asks the resolver about every scalar, and the resolver tries its regular
    expressions each time: in a large campaign this was the most costly step of all. The answer
    depends only on the arguments (no path resolvers are registered), so a cache in C serves it.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        if not self.yaml_path_resolvers:
            self.resolve = functools.lru_cache(maxsize=None)(super().resolve)


class _Walker:
    """One walk of the tree: the position of every value and key, duplicate keys, and the data.

    Plain mappings, lists and text are built here; any other value (numbers, dates, tagged or
    merged mappings, recursive structures) is built by PyYAML's safe constructor, so the data is
    the one ``yaml.safe_load`` gives.
    """

    def __init__(self, source: YamlSource, loader: yaml.SafeLoader) -> None:
        self.source = source
        self.loader = loader
        self.visited = 0
        self.active: set[int] = set()  # the nodes being walked: an alias back to one of them is a cycle
        self.built: dict[int, Any] = {}  # an alias gives the same object, as in PyYAML
        self.recursive = False

    def walk(self, node: yaml.Node, path: Path_, build: bool = True) -> Any:
        self.visited += 1
        if self.visited > MAX_VALUES:  # only aliases can make the tree larger than the file
            raise _TooLarge(_aliases_message())
        values = self.source.values
        if path not in values:
            values[path] = _mark(node)
        if isinstance(node, yaml.ScalarNode):
            if not build:
                return None
            return node.value if node.tag == STR_TAG else self.loader.construct_object(node)
        identity = id(node)
        if identity in self.active:  # a recursive alias: positions are known, stop here
            self.recursive = True
            return None
        if identity in self.built:
            build = False
        self.active.add(identity)
        try:
            if isinstance(node, yaml.MappingNode):
                value = self._mapping(node, path, build)
            elif isinstance(node, yaml.SequenceNode):
                value = self._sequence(node, path, build)
            else:
                value = None
        finally:
            self.active.discard(identity)
        if identity in self.built:
            return self.built[identity]
        if build:
            self.built[identity] = value
        return value

    def _mapping(self, node: yaml.MappingNode, path: Path_, build: bool) -> Any:
        own = build and node.tag == MAP_TAG and all(
            isinstance(key_node, yaml.ScalarNode) and key_node.tag not in (MERGE_TAG, VALUE_TAG)
            for key_node, _value in node.value
        )
        data: dict[Any, Any] = {}
        keys = self.source.keys
        seen: dict[Any, Position] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                continue
            key = key_node.value if key_node.tag == STR_TAG else self.loader.construct_object(key_node)
            where = _mark(key_node)
            if key in seen:
                self.source.problems.append(
                    Problem(
                        1,
                        self.source.file,
                        where.line,
                        where.column,
                        _("duplicate key '{key}' (first at line {line}): keep only one").format(
                            key=key, line=seen[key].line
                        ),
                    )
                )
                if own:  # the last one wins, as in PyYAML
                    data[key] = self.loader.construct_object(value_node, deep=True)
                continue
            seen[key] = where
            child = (*path, key if isinstance(key, int) else str(key))
            if child not in keys:
                keys[child] = where
            value = self.walk(value_node, child, build=own)
            if own:
                data[key] = value
        if build and not own:
            return self.loader.construct_object(node, deep=True)
        return data if own else None

    def _sequence(self, node: yaml.SequenceNode, path: Path_, build: bool) -> Any:
        own = build and node.tag == SEQ_TAG
        items = [self.walk(item, (*path, index), build=own) for index, item in enumerate(node.value)]
        if build and not own:
            return self.loader.construct_object(node, deep=True)
        return items if own else None


class _TooLarge(Exception):
    pass


def _aliases_message() -> str:
    return _("aliases make the file expand to more than {limit} values: remove aliases").format(
        limit=f"{MAX_VALUES:,}"
    )


def _count_values(text: str) -> None:
    """Refuse, before any tree is built, a document with more than MAX_VALUES values.

    The parser's events are counted (each scalar, list and mapping is one value, keys included):
    libyaml makes this pass cheap, and the tree that would hold them is never built.
    """
    loader = _LOADER(text)
    try:
        count = 0
        while loader.check_event():
            event = loader.get_event()
            if isinstance(event, yaml.NodeEvent):
                count += 1
                if count > MAX_VALUES:
                    raise _TooLarge(
                        _(
                            "the file holds more than {limit} values, the most a file may hold "
                            "(a campaign of 20,000 posts holds about 260,000): check it is the right file"
                        ).format(limit=f"{MAX_VALUES:,}")
                    )
    finally:
        loader.dispose()


@contextlib.contextmanager
def paused_collector() -> Iterator[None]:
    """The cyclic garbage collector paused for a bounded piece of work on a whole campaign.

    Parsing, checking and storing a large file make millions of objects that stay alive until the
    work ends: each full collection walked them all again (a fifth of `campaign check` and of
    `campaign load` for 20,000 posts). Objects freed by reference counting are freed as usual; the
    collector runs again, as it was, afterwards. Nested pauses keep the outermost one's state.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def load_yaml(path: Path, *, display_name: str | None = None) -> YamlSource:
    """Parse ``path`` with PyYAML's safe loader; syntax problems land in ``problems``, never raise."""
    name = display_name or str(path)
    try:
        text = read_bounded_text(
            path,
            missing_hint=_("file not found: check the path, or run `clickable init DIR` to create one"),
        )
    except UnreadableFile as error:
        return _failed(name, error.reason)
    return parse_yaml(text, name)


def parse_yaml(text: str, name: str) -> YamlSource:
    """Parse YAML text; see :func:`load_yaml`."""
    # Millions of small objects are made and none of them is garbage yet: the cyclic collector
    # would walk them again and again (a quarter of the time of a large campaign).
    with paused_collector():
        return _parse(text, name)


def _parse(text: str, name: str) -> YamlSource:
    source = YamlSource(file=name, data=None, text=text)
    loader: yaml.SafeLoader | None = None
    try:
        _count_values(text)
        loader = _Loader(text)
        node = loader.get_single_node()
        if node is None:
            source.problems.append(
                Problem(SYNTAX, name, 1, 1, _("the file is empty: start from `clickable init`"))
            )
            return source
        walker = _Walker(source, loader)
        data = walker.walk(node, ())
        # PyYAML builds recursive structures (an alias inside what it names) with generators
        source.data = loader.construct_document(node) if walker.recursive else data
    except _TooLarge as error:
        source.problems.append(Problem(SYNTAX, name, 1, 1, str(error)))
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = yaml_problem(error.problem or error.context or "invalid YAML")
        source.problems.append(
            Problem(SYNTAX, name, line, column, _("YAML syntax error: {what}").format(what=what))
        )
    except yaml.reader.ReaderError as error:
        line, column = _offset_position(text, _character_offset(text, error))
        source.problems.append(_bad_character(name, line, column, error.character))
    except UnicodeEncodeError as error:  # libyaml encodes the text: a lone surrogate cannot be
        line, column = _offset_position(text, error.start)
        source.problems.append(_bad_character(name, line, column, ord(text[error.start])))
    except yaml.YAMLError as error:
        source.problems.append(Problem(SYNTAX, name, 1, 1, _("YAML error: {error}").format(error=error)))
    except (ValueError, TypeError, OverflowError, RecursionError) as error:
        # the safe constructor raises these on values such as a timestamp out of range
        source.problems.append(
            Problem(SYNTAX, name, 1, 1, _("YAML value error: {error}").format(error=error))
        )
    finally:
        if loader is not None:
            loader.dispose()
    return source


def _bad_character(name: str, line: int, column: int, character: object) -> Problem:
    shown = f"U+{character:04X}" if isinstance(character, int) else repr(character)
    return Problem(
        SYNTAX,
        name,
        line,
        column,
        _("character {character} is not allowed in YAML: remove it").format(character=shown),
    )


def _character_offset(text: str, error: yaml.reader.ReaderError) -> int:
    """The reader's position as a character offset (libyaml counts UTF-8 bytes, PyYAML characters)."""
    if _LOADER is yaml.SafeLoader:
        return int(error.position)
    return len(text.encode("utf-8", "surrogatepass")[: error.position].decode("utf-8", "ignore"))


def _offset_position(text: str, offset: int) -> tuple[int, int]:
    before = text[:offset]
    return before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1


def _failed(name: str, message: str) -> YamlSource:
    return YamlSource(file=name, data=None, problems=[Problem(SYNTAX, name, 1, 1, message)])


# What the YAML parsers (libyaml's and PyYAML's) say, in the interface language: their most frequent
# problems, matched on their fixed English wording; any other one is shown as they wrote it.
_YAML_PROBLEMS = (
    (r"did not find expected node content|expected the node content, but found .*", N_("a value is missing here")),
    (r"did not find expected key", N_("a key is expected here (check the indentation)")),
    (r"did not find expected '-' indicator", N_("a list item '- …' is expected here (check the indentation)")),
    (r"did not find expected (',' or '\]'|',' or '\}')|expected ',' or '[\]}]', but got .*", N_("a ',' or the closing bracket is missing")),
    (r"could not find expected ':'", N_("a ':' is missing after the key")),
    (r"mapping values are not allowed (here|in this context)", N_("a ':' where no key can start (put the text in quotes)")),
    (r"(block )?sequence entries are not allowed (here|in this context)", N_("a list item '- …' where none can start (check the indentation)")),
    (r"found (a )?character( %r)? that cannot start any token|found character .* that cannot start any token", N_("a character that cannot start a value (put the text in quotes)")),
    (r"found a tab character .*", N_("a tab character: indent with spaces")),
    (r"found undefined alias.*", N_("an alias '*name' with no anchor '&name' before it")),
    (r"found unexpected end of stream", N_("the file ends inside a quoted text: close the quotes")),
    (r"found unknown escape character.*", N_("an unknown escape '\\…' inside double quotes: write \\\\ or use single quotes")),
    (r"expected <block end>, but found .*", N_("the indentation does not match the lines above")),
    (r"invalid indentation or unclosed '\[' or '\{'", N_("an unclosed '[' or '{', or a wrong indentation")),
    (r"expected a single document in the stream|but found another document", N_("a second document '---': keep one document per file")),
)


def yaml_problem(problem: str) -> str:
    """A YAML parser's problem in the interface language (its own words when not a known one)."""
    import re

    for pattern, message in _YAML_PROBLEMS:
        if re.fullmatch(pattern, problem.strip()):
            return _(message)
    return problem
