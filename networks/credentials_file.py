"""The workspace's credentials file, read as a hostile file: its shape is checked before any use.

A hand-edited file (a list at the top, a record that is a string, a date without its offset)
is one clear error naming the file and the fix, never a traceback. No message repeats a value:
any of them may be a secret.
"""

from __future__ import annotations

import json
import os
import stat
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from campaign.errors import ClickableError
from campaign.i18n import _
from campaign.yamlsource import UnreadableFile, read_bounded_text

# A file of a few accounts is a few KB: anything far larger is not one.
MAX_CREDENTIALS_BYTES = 1024 * 1024
EXPIRES_AT = "expires_at"
NETWORK = "network"
Records = dict[str, dict[str, str]]


class CredentialsFileError(ClickableError, ValueError):
    """The credentials file (or a keyring entry) cannot be used as it is."""

    def __init__(self, where: str, reason: str, fix: str | None = None) -> None:
        self.where = where
        self.reason = reason
        super().__init__(
            _("{where}: {reason}: {fix}").format(
                where=where,
                reason=reason,
                fix=fix
                or _("fix it, or remove it and run `clickable accounts add NAME` again for each account"),
            )
        )


def read_credentials_file(path: Path) -> Records:
    """The records of ``path`` ({} when there is no file), checked; CredentialsFileError otherwise."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return {}
    except OSError as error:
        raise CredentialsFileError(
            str(path), _("cannot be read ({reason})").format(reason=error.strerror or type(error).__name__)
        ) from None
    if not stat.S_ISREG(info.st_mode):
        raise CredentialsFileError(
            str(path),
            _("is not a regular file"),
            _("remove it, then run `clickable accounts add NAME` again"),
        )
    mode = stat.S_IMODE(info.st_mode)
    if mode & 0o077:
        raise CredentialsFileError(
            str(path),
            _("can be read by other users (mode {mode})").format(mode=f"{mode:o}"),
            _("run `chmod 600 {path}`").format(path=path),
        )
    try:
        text = read_bounded_text(path, limit=MAX_CREDENTIALS_BYTES)
    except UnreadableFile as error:
        raise CredentialsFileError(str(path), error.reason.split(":")[0]) from None
    return parse_credentials(text, str(path))


def parse_credentials(text: str, where: str) -> Records:
    """Check the text of a credentials file: a JSON object of accounts, each an object of text fields."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise CredentialsFileError(
            where,
            _("is not valid JSON ({problem} at line {line}, column {column})").format(
                problem=error.msg, line=error.lineno, column=error.colno
            ),
        ) from None
    except (ValueError, RecursionError):
        raise CredentialsFileError(where, _("is not valid JSON")) from None
    if not isinstance(document, dict):
        raise CredentialsFileError(
            where,
            _('must hold one JSON object of accounts, {{"account-name": {{...}}}}, not {kind}').format(
                kind=_kind(document)
            ),
        )
    return {str(account): check_record(record, where, str(account)) for account, record in document.items()}


def check_record(record: Any, where: str, account: str) -> dict[str, str]:
    """One account's record: an object whose values are all text, with a valid ``expires_at``."""
    if not isinstance(record, dict):
        raise CredentialsFileError(
            where,
            _("account '{account}' must be an object of fields, not {kind}").format(
                account=account, kind=_kind(record)
            ),
        )
    for name, value in record.items():
        if not isinstance(value, str):
            raise CredentialsFileError(
                where,
                _("account '{account}': field '{field}' must be text, not {kind}").format(
                    account=account, field=name, kind=_kind(value)
                ),
            )
    if record.get(EXPIRES_AT):
        parse_expiry(record[EXPIRES_AT], where, account)
    return dict(record)


def parse_expiry(value: str, where: str, account: str) -> datetime:
    """``expires_at`` as an aware UTC instant; CredentialsFileError for a bad or naive one."""
    fix = _(
        "write it as 2027-01-31T00:00:00+00:00, or run `clickable accounts add {account} --expires DATE`"
    ).format(account=account)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise CredentialsFileError(
            where, _("account '{account}': expires_at is not a date and time").format(account=account), fix
        ) from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise CredentialsFileError(
            where, _("account '{account}': expires_at has no UTC offset").format(account=account), fix
        )
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        raise CredentialsFileError(
            where, _("account '{account}': expires_at is out of range").format(account=account), fix
        ) from None


def _kind(value: object) -> str:
    if isinstance(value, list):
        return _("a list")
    if isinstance(value, dict):
        return _("an object")
    if isinstance(value, str):
        return _("a string")
    if isinstance(value, bool):
        return _("true/false")
    if isinstance(value, int | float):
        return _("a number")
    if value is None:
        return _("null")
    return type(value).__name__
