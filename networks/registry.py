"""The registered networks: every spec found under the entry-point group ``clickable.networks``.

The built-in networks register exactly as a separate package would (see pyproject.toml)::

    [project.entry-points."clickable.networks"]
    mastodon = "clickable_mastodon.spec:SPEC"

Discovery is lazy and cheap: entry points are read (importlib.metadata) and the spec modules imported
the first time a network is looked up; an adapter or an emulator part is imported only when used.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from functools import cache
from importlib import metadata
from typing import TYPE_CHECKING

from campaign.errors import ClickableError
from campaign.i18n import _
from campaign.rules import one_of
from networks.spec import NetworkSpec

if TYPE_CHECKING:
    from networks.base import Adapter
    from networks.emulator.part import EmulatorPart

GROUP = "clickable.networks"


class UnknownNetwork(ClickableError, KeyError):
    def __init__(self, name: str, known: Iterable[str]) -> None:
        self.name = name
        super().__init__(
            _("no network '{name}' is registered (known: {known})").format(
                name=name, known=one_of(sorted(known))
            )
        )

    def __str__(self) -> str:  # KeyError would show the message in quotes
        return str(self.args[0])


class BadRegistration(ClickableError, TypeError):
    def __init__(self, entry: str, reason: str) -> None:
        super().__init__(
            _(
                "the network registered as '{entry}' ({reason}): fix or uninstall the package that declares it"
            ).format(entry=entry, reason=reason)
        )


class Registry(Mapping[str, NetworkSpec]):
    """Network specs by name, in name order. Built from entry points unless given ``specs``."""

    def __init__(self, specs: Iterable[NetworkSpec] | None = None, *, group: str = GROUP) -> None:
        self.group = group
        self._given = list(specs) if specs is not None else None
        self._specs: dict[str, NetworkSpec] | None = None

    def _load(self) -> dict[str, NetworkSpec]:
        if self._specs is None:
            found = self._given if self._given is not None else list(self._from_entry_points())
            specs: dict[str, NetworkSpec] = {}
            for spec in found:
                if spec.name in specs:
                    raise BadRegistration(spec.name, _("two packages register this name"))
                specs[spec.name] = spec
            self._specs = dict(sorted(specs.items()))
        return self._specs

    def _from_entry_points(self) -> Iterator[NetworkSpec]:
        for entry in metadata.entry_points(group=self.group):
            try:
                spec = entry.load()
            except (ImportError, AttributeError) as error:
                raise BadRegistration(
                    entry.name, _("cannot be imported: {error}").format(error=error)
                ) from None
            if not isinstance(spec, NetworkSpec):
                raise BadRegistration(entry.name, _("{value} is not a NetworkSpec").format(value=entry.value))
            if spec.name != entry.name:
                raise BadRegistration(entry.name, _("its spec is named '{name}'").format(name=spec.name))
            yield spec

    def __getitem__(self, name: str) -> NetworkSpec:
        specs = self._load()
        try:
            return specs[name]
        except KeyError:
            raise UnknownNetwork(name, specs) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._load())

    def __len__(self) -> int:
        return len(self._load())

    def __contains__(self, name: object) -> bool:
        return name in self._load()

    def adapter_class(self, name: str) -> type[Adapter]:
        """The adapter of network ``name`` (imported now, not before)."""
        return self[name].adapter()

    def emulator_parts(self) -> list[tuple[NetworkSpec, type[EmulatorPart]]]:
        """Every network that brings an emulator part, with the part's class."""
        return [(spec, spec.emulator()) for spec in self.values() if spec.emulator is not None]


@cache
def registry() -> Registry:
    """The networks installed in this Python environment (read once per process)."""
    return Registry()
