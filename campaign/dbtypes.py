"""Column types shared by the tables and the migrations."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel.sql.sqltypes import AutoString


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC instant on every database (SQLite keeps no offset: stored as naive UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC instant column")
        instant = value.astimezone(UTC)
        return instant.replace(tzinfo=None) if dialect.name == "sqlite" else instant

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class RedactedText(TypeDecorator[str]):
    """Text that may quote a network's answer (reasons, notes, errors): scrubbed of every secret the
    process knows before it is written, whoever writes it (ORM, bulk UPDATE or Core INSERT)."""

    impl = AutoString
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        from campaign.logs import redact

        return None if value is None else redact(str(value))


class RedactedJSON(TypeDecorator[Any]):
    """JSON (raw answers kept beside normalised numbers) with every string in it scrubbed of secrets."""

    impl = JSON
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        from campaign.logs import SECRETS

        return SECRETS.redact_value(value)
