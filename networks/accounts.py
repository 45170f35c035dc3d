"""From an account of the campaign to a ready adapter: credentials from the store or the emulator."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import requests
from pydantic import SecretStr

from campaign.errors import ClickableError
from campaign.i18n import _
from campaign.logs import SecretRegistry
from networks.base import Adapter
from networks.credentials import Credentials, CredentialStore, MissingCredentials


class EmulatorUnreachable(ClickableError, ConnectionError):
    def __init__(self, url: str) -> None:
        super().__init__(
            _(
                "the network emulator does not answer at {url}: start it with `clickable emulator serve` "
                "or set CLICKABLE_EMULATOR_URL"
            ).format(url=url)
        )


@dataclass(frozen=True)
class AccountRef:
    """What the adapters need to know of an account (no secret)."""

    name: str
    network: str
    sandbox: bool
    settings: dict[str, Any]


def emulator_credentials(account: AccountRef, emulator_url: str) -> Credentials:
    try:
        response = requests.get(f"{emulator_url.rstrip('/')}/_emulator/credentials", timeout=5)
        response.raise_for_status()
        values = response.json()[account.network]
    except (requests.RequestException, ValueError, KeyError):
        raise EmulatorUnreachable(emulator_url) from None
    return Credentials(
        account.name,
        account.network,
        {key: SecretStr(str(value)) for key, value in values.items()},
        "emulator",
    )


def load_credentials(
    account: AccountRef, *, store: CredentialStore, emulator_url: str, registry: SecretRegistry | None = None
) -> Credentials:
    spec = store.networks[account.network]
    stored = store.load(account.name, account.network) if not account.sandbox or spec.connect else None
    # a sandbox account of a network connected by OAuth uses what `accounts add` got from the
    # emulator's consent page, when it has run; else the emulator's own sandbox credentials
    credentials = (
        stored if stored is not None or not account.sandbox else emulator_credentials(account, emulator_url)
    )
    if credentials is None:
        raise MissingCredentials(account.name, account.network, spec.required_fields()[0])
    # identifiers written under the account in campaign.yaml (a Page id) win over the stored ones; the
    # account's own host (a Mastodon instance) also for a sandbox: the emulator serves any instance
    overrides = {
        item.name: SecretStr(str(account.settings[item.name]))
        for item in spec.credentials
        if item.account_setting
        and account.settings.get(item.name)
        and (not account.sandbox or item.name == spec.account_host)
    }
    if overrides:
        credentials = Credentials(
            credentials.account,
            credentials.network,
            {**credentials.values, **overrides},
            credentials.source,
            credentials.expires_at,
        )
    if registry is not None:
        registry.add(*credentials.secrets())
    return credentials


def build_adapter(
    account: AccountRef,
    *,
    store: CredentialStore,
    emulator_url: str,
    registry: SecretRegistry | None = None,
    **options: Any,
) -> Adapter:
    """The adapter for ``account``: sandbox accounts publish to the emulator, others to the network.

    The network's adapter is imported here, the first time an account of that network is used.
    """
    credentials = load_credentials(account, store=store, emulator_url=emulator_url, registry=registry)
    factory = store.networks.adapter_class(account.network)
    options.setdefault("settings", dict(account.settings))
    options.setdefault("save_credentials", _saver(account, credentials, store, registry))
    options.setdefault("workspace", store.workspace)
    return factory(credentials, emulator_url=emulator_url if account.sandbox else None, **options)


def _saver(
    account: AccountRef, credentials: Credentials, store: CredentialStore, registry: SecretRegistry | None
) -> Callable[[Mapping[str, str]], None]:
    """Keep the values a network replaced (a rotated refresh token) in the store, with the others."""
    from campaign.logs import SECRETS

    current = {key: value.get_secret_value() for key, value in credentials.values.items()}

    def save(changed: Mapping[str, str]) -> None:
        current.update(changed)
        SECRETS.add(*(value for key, value in changed.items() if key not in credentials.public_fields))
        if registry is not None:
            registry.add(*(value for key, value in changed.items() if key not in credentials.public_fields))
        store.save(account.name, account.network, dict(current), credentials.expires_at)

    return save
