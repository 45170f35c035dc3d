"""What the campaign room needs to know of a network, as a Protocol the networks' specs satisfy.

``campaign/`` names no network and imports no other room: the checks and the text rendering receive
the registered networks as a ``Mapping[str, NetworkRules]`` (the root ``cli.py`` passes the registry
of ``networks/``; tests may pass any mapping). ``networks.spec.NetworkSpec`` satisfies this Protocol.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from campaign.i18n import _
from campaign.texts import TextLength


class ChoiceRules(Protocol):
    """A decision the campaign file must make for each post on a network (e.g. a privacy level)."""

    @property
    def name(self) -> str: ...

    @property
    def options(self) -> Sequence[str]: ...

    @property
    def boolean(self) -> bool: ...

    @property
    def help(self) -> str: ...

    @property
    def requires(self) -> Sequence[tuple[str, str]]:
        """(option, account setting): the option needs that boolean setting of the account to be true."""
        ...

    @property
    def requires_why(self) -> str: ...


class PriceRules(Protocol):
    """What a network charges per call, in US dollars (X since February 2026)."""

    @property
    def post(self) -> float: ...

    @property
    def post_with_url(self) -> float | None: ...

    @property
    def read(self) -> float | None: ...


class NetworkRules(Protocol):
    """The rules of one network that campaign files are checked against."""

    @property
    def name(self) -> str: ...

    @property
    def label(self) -> str: ...

    @property
    def caps(self) -> Mapping[str, int]: ...

    @property
    def choices(self) -> Sequence[ChoiceRules]: ...

    @property
    def prices(self) -> PriceRules | None:
        """What the network charges per call (None: nothing), for the cost estimates."""
        ...

    @property
    def video_required(self) -> str | None:
        """Why the network publishes only videos (a message marked for translation), or None."""
        ...

    def measure_text(self, text: str) -> TextLength:
        """The text's length as the network counts it, against its limit."""
        ...

    def campaign_settings(self) -> Sequence[str]:
        """Keys an account of this network may carry in the campaign file (identifiers, never secrets)."""
        ...

    def secret_fields(self) -> Sequence[str]:
        """Credential fields that must never appear in the campaign file."""
        ...

    def account_problems(self, settings: Mapping[str, Any]) -> Sequence[tuple[str | None, str]]:
        """What is wrong with an account's own settings (a missing or non-https instance address): the
        key (None when it is missing) and the message."""
        ...

    def for_account(
        self, settings: Mapping[str, Any], workspace: Path | None = None
    ) -> tuple[NetworkRules, str | None]:
        """The rules of one account (where they differ per instance), and a note when they are defaults
        because the workspace knows nothing yet of the account's host."""
        ...


Networks = Mapping[str, NetworkRules]


def one_of(names: Sequence[str], *, quote: bool = False) -> str:
    """'a, b or c' (quoted as 'a', 'b' or 'c' when asked), for messages that list the choices."""
    shown = [repr(name) if quote else name for name in names]
    if len(shown) <= 1:
        return "".join(shown)
    return _("{first} or {last}").format(first=", ".join(shown[:-1]), last=shown[-1])
