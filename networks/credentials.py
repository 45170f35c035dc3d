"""Credentials: environment, OS keyring or a mode-600 file in the workspace; never the database."""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pydantic import SecretStr

from campaign.errors import ClickableError
from campaign.i18n import _
from campaign.logs import SECRETS
from campaign.vcs import exposed_to_git, tracked_by_git, tracked_message
from networks.credentials_file import (
    EXPIRES_AT,
    CredentialsFileError,
    check_record,
    parse_expiry,
    read_credentials_file,
)
from networks.registry import Registry, registry

CREDENTIALS_FILE = ".clickable-credentials.json"
KEYRING_SERVICE = "clickable"


class MissingCredentials(ClickableError, LookupError):
    def __init__(self, account: str, network: str, first_field: str) -> None:
        variable = env_prefix(account) + first_field.upper()
        super().__init__(
            _(
                "no credentials for account '{account}': run `clickable accounts add {account}` "
                "or set {variable} (and the other {network} fields)"
            ).format(account=account, variable=variable, network=network)
        )


class CredentialsTracked(ClickableError, PermissionError):
    """The credentials file is in git's index: storing secrets there would commit them."""

    def __init__(self, path: Path) -> None:
        super().__init__(tracked_message(path))


def _keyring_entry(account: str) -> str:
    return _("the OS keyring entry {service}/{account}").format(service=KEYRING_SERVICE, account=account)


def env_prefix(account: str) -> str:
    return "CLICKABLE_" + re.sub(r"[^A-Z0-9]", "_", account.upper()) + "_"


@dataclass(frozen=True)
class Credentials:
    """An account's secrets; every secret is a SecretStr, masked in repr, str and logs."""

    account: str
    network: str
    values: dict[str, SecretStr]
    source: str
    expires_at: datetime | None = None

    def __post_init__(self) -> None:
        SECRETS.add(*self.secrets())  # from now on masked in every log line, stored reason and error

    def get(self, name: str) -> str:
        return self.values[name].get_secret_value()

    @property
    def public_fields(self) -> frozenset[str]:
        """Identifiers the network's spec declares not secret (shown as they are); all others are masked."""
        networks = registry()
        return networks[self.network].public_fields() if self.network in networks else frozenset()

    def secrets(self) -> list[str]:
        public = self.public_fields
        return [value.get_secret_value() for key, value in self.values.items() if key not in public]

    def __repr__(self) -> str:
        public = self.public_fields
        shown = {
            key: (value.get_secret_value() if key in public else "**********")
            for key, value in self.values.items()
        }
        return f"Credentials(account={self.account!r}, network={self.network!r}, values={shown}, source={self.source!r})"

    __str__ = __repr__


@dataclass
class CredentialStore:
    """Lookup order: environment variables, then the OS keyring (when one works), then the file."""

    workspace: Path
    use_keyring: bool = True
    environ: dict[str, str] = field(default_factory=lambda: dict(os.environ))
    networks: Registry = field(default_factory=registry)

    @property
    def file(self) -> Path:
        return self.workspace / CREDENTIALS_FILE

    def load(self, account: str, network: str) -> Credentials | None:
        """The account's credentials (every required field of its network's spec), or None."""
        spec = self.networks[network]
        required, names = spec.required_fields(), spec.credential_names()
        prefix = env_prefix(account)
        from_env = {name: self.environ.get(prefix + name.upper()) for name in names}
        if all(from_env[name] for name in required):
            return Credentials(
                account,
                network,
                {key: SecretStr(str(value)) for key, value in from_env.items() if value},
                "environment",
            )
        stored = self._keyring_get(account) if self._keyring_works() else None
        source = "keyring"
        if stored is None:
            stored = self._read_file().get(account)
            source = "file"
        if stored is None or not all(stored.get(name) for name in required):
            return None
        expires = (
            parse_expiry(
                stored[EXPIRES_AT], str(self.file) if source == "file" else _keyring_entry(account), account
            )
            if stored.get(EXPIRES_AT)
            else None
        )
        return Credentials(
            account,
            network,
            {name: SecretStr(stored[name]) for name in names if stored.get(name)},
            source,
            expires,
        )

    def save(self, account: str, network: str, values: dict[str, str], expires_at: datetime | None) -> str:
        """Store the account's credentials; returns where ('keyring' or the file path)."""
        record: dict[str, str] = {**values, "network": network}
        if expires_at is not None:
            record["expires_at"] = expires_at.astimezone(UTC).isoformat()
        if self._keyring_works():
            import keyring

            keyring.set_password(KEYRING_SERVICE, account, json.dumps(record))
            return "keyring"
        data = self.ensure_can_save()
        data[account] = record
        self._write_file(data)
        return str(self.file)

    def ensure_can_save(self) -> dict[str, dict[str, str]]:
        """The file's records, once sure that saving into it is safe (call before asking for secrets).

        Refused: a file that cannot be read back as it is (it would be overwritten), and a file
        that git tracks (the secrets would be committed). Nothing to check with a keyring.
        """
        if self._keyring_works():
            return {}
        data = self._read_file()
        if tracked_by_git(self.file):
            raise CredentialsTracked(self.file)
        return data

    def exposed_to_git(self) -> bool:
        """Whether the file lies in a git work tree that does not ignore it."""
        return not self._keyring_works() and exposed_to_git(self.file)

    def _keyring_works(self) -> bool:
        if not self.use_keyring or self.environ.get("CLICKABLE_KEYRING", "1") == "0":
            return False
        try:
            import keyring
            from keyring.backends import fail
        except ImportError:
            return False
        backend = keyring.get_keyring()
        return not isinstance(backend, fail.Keyring) and "null" not in type(backend).__module__

    def _keyring_get(self, account: str) -> dict[str, str] | None:
        import keyring

        raw = keyring.get_password(KEYRING_SERVICE, account)
        if not raw:
            return None
        where = _keyring_entry(account)
        fix = _("run `clickable accounts add {account}` again").format(account=account)
        try:
            record = json.loads(raw)
        except (ValueError, RecursionError):
            raise CredentialsFileError(where, _("is not valid JSON"), fix) from None
        try:
            return check_record(record, where, account)
        except CredentialsFileError as error:
            raise CredentialsFileError(where, error.reason, fix) from None

    def _read_file(self) -> dict[str, dict[str, str]]:
        return read_credentials_file(self.file)

    def _write_file(self, data: dict[str, dict[str, str]]) -> None:
        handle, name = tempfile.mkstemp(dir=self.workspace, prefix=".credentials-")
        try:
            os.fchmod(handle, 0o600)
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                json.dump(data, stream, indent=2)
            os.replace(name, self.file)
        finally:
            Path(name).unlink(missing_ok=True)
