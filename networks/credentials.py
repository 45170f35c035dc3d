"""Credentials: environment, OS keyring or a mode-600 file in the workspace; never the database."""

from __future__ import annotations

import json
import os
import re
import stat
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pydantic import SecretStr

from campaign.errors import ClickableError

CREDENTIALS_FILE = ".clickable-credentials.json"
KEYRING_SERVICE = "clickable"
FIELDS: dict[str, tuple[str, ...]] = {
    "x": ("consumer_key", "consumer_secret", "access_token", "access_token_secret"),
    "facebook": ("page_id", "page_token"),
    "instagram": ("ig_user_id", "token"),
}
# identifiers that are not secret, shown as they are
PUBLIC_FIELDS = {"page_id", "ig_user_id", "app_id"}


class MissingCredentials(ClickableError, LookupError):
    def __init__(self, account: str, network: str) -> None:
        variable = env_prefix(account)
        super().__init__(
            f"no credentials for account '{account}': run `clickable accounts add {account}` "
            f"or set {variable}{FIELDS[network][0].upper()} (and the other {network} fields)"
        )


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

    def get(self, name: str) -> str:
        return self.values[name].get_secret_value()

    def secrets(self) -> list[str]:
        return [value.get_secret_value() for key, value in self.values.items() if key not in PUBLIC_FIELDS]

    def __repr__(self) -> str:
        shown = {
            key: (value.get_secret_value() if key in PUBLIC_FIELDS else "**********")
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

    @property
    def file(self) -> Path:
        return self.workspace / CREDENTIALS_FILE

    def load(self, account: str, network: str) -> Credentials | None:
        names = FIELDS[network]
        prefix = env_prefix(account)
        from_env = {name: self.environ.get(prefix + name.upper()) for name in names}
        if all(from_env.values()):
            return Credentials(
                account, network, {k: SecretStr(str(v)) for k, v in from_env.items()}, "environment"
            )
        stored = self._keyring_get(account) if self._keyring_works() else None
        source = "keyring"
        if stored is None:
            stored = self._read_file().get(account)
            source = "file"
        if stored is None or not all(stored.get(name) for name in names):
            return None
        expires = datetime.fromisoformat(stored["expires_at"]) if stored.get("expires_at") else None
        return Credentials(
            account, network, {name: SecretStr(stored[name]) for name in names}, source, expires
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
        data = self._read_file()
        data[account] = record
        self._write_file(data)
        return str(self.file)

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
        return dict(json.loads(raw)) if raw else None

    def _read_file(self) -> dict[str, dict[str, str]]:
        if not self.file.is_file():
            return {}
        mode = stat.S_IMODE(self.file.stat().st_mode)
        if mode & 0o077:
            raise ClickableError(
                f"{self.file} can be read by other users (mode {mode:o}): run `chmod 600 {self.file}`"
            )
        try:
            return dict(json.loads(self.file.read_text("utf-8")))
        except (json.JSONDecodeError, ValueError):
            raise ClickableError(
                f"{self.file} is not valid JSON: fix it or remove it and run `clickable accounts add` again"
            ) from None

    def _write_file(self, data: dict[str, dict[str, str]]) -> None:
        handle, name = tempfile.mkstemp(dir=self.workspace, prefix=".credentials-")
        try:
            os.fchmod(handle, 0o600)
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                json.dump(data, stream, indent=2)
            os.replace(name, self.file)
        finally:
            Path(name).unlink(missing_ok=True)
