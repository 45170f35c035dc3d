"""Safe YAML loading that remembers where each value stands, for FILE:LINE:COL messages."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from campaign.errors import Problem

Path_ = tuple[str | int, ...]

# Aliases can make a small file expand to a huge tree ("billion laughs"); a campaign file is small.
MAX_NODES = 200_000
SYNTAX = 0  # priority of YAML syntax problems: they hide everything else


@dataclass
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


class _Walker:
    def __init__(self, source: YamlSource, loader: yaml.SafeLoader) -> None:
        self.source = source
        self.loader = loader
        self.visited = 0

    def walk(self, node: yaml.Node, path: Path_, active: frozenset[int]) -> None:
        self.visited += 1
        if self.visited > MAX_NODES:
            raise _TooLarge
        self.source.values.setdefault(path, _mark(node))
        if id(node) in active:  # a recursive alias: positions are known, stop here
            return
        active = active | {id(node)}
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, Position] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    continue
                key = self.loader.construct_object(key_node)
                if key in seen:
                    first = seen[key]
                    where = _mark(key_node)
                    self.source.problems.append(
                        Problem(
                            1,
                            self.source.file,
                            where.line,
                            where.column,
                            f"duplicate key '{key}' (first at line {first.line}): keep only one",
                        )
                    )
                    continue
                seen[key] = _mark(key_node)
                child = (*path, str(key) if not isinstance(key, int) else key)
                self.source.keys.setdefault(child, _mark(key_node))
                self.walk(value_node, child, active)
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                self.walk(item, (*path, index), active)


class _TooLarge(Exception):
    pass


def load_yaml(path: Path, *, display_name: str | None = None) -> YamlSource:
    """Parse ``path`` with PyYAML's safe loader; syntax problems land in ``problems``, never raise."""
    name = display_name or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return _failed(name, "file not found: check the path, or run `clickable init DIR` to create one")
    except UnicodeDecodeError as error:
        return _failed(name, f"not UTF-8 text (byte {error.start}): save the file as UTF-8")
    except OSError as error:
        return _failed(name, f"cannot read the file ({error.strerror}): check its permissions")
    return parse_yaml(text, name)


def parse_yaml(text: str, name: str) -> YamlSource:
    """Parse YAML text; see :func:`load_yaml`."""
    source = YamlSource(file=name, data=None)
    loader: yaml.SafeLoader | None = None
    try:
        loader = yaml.SafeLoader(text)
        node = loader.get_single_node()
        if node is None:
            source.problems.append(
                Problem(SYNTAX, name, 1, 1, "the file is empty: start from `clickable init`")
            )
            return source
        walker = _Walker(source, loader)
        walker.walk(node, (), frozenset())
        source.data = loader.construct_document(node)
    except _TooLarge:
        source.problems.append(
            Problem(SYNTAX, name, 1, 1, f"the file expands to more than {MAX_NODES} values: remove aliases")
        )
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = error.problem or error.context or "invalid YAML"
        source.problems.append(Problem(SYNTAX, name, line, column, f"YAML syntax error: {what}"))
    except yaml.reader.ReaderError as error:
        line, column = _offset_position(text, error.position)
        source.problems.append(
            Problem(
                SYNTAX, name, line, column, f"character {error.character!r} is not allowed in YAML: remove it"
            )
        )
    except yaml.YAMLError as error:
        source.problems.append(Problem(SYNTAX, name, 1, 1, f"YAML error: {error}"))
    except (ValueError, TypeError, OverflowError, RecursionError) as error:
        # the safe constructor raises these on values such as a timestamp out of range
        source.problems.append(Problem(SYNTAX, name, 1, 1, f"YAML value error: {error}"))
    finally:
        if loader is not None:
            loader.dispose()
    return source


def _offset_position(text: str, offset: int) -> tuple[int, int]:
    before = text[:offset]
    return before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1


def _failed(name: str, message: str) -> YamlSource:
    return YamlSource(file=name, data=None, problems=[Problem(SYNTAX, name, 1, 1, message)])
