"""Settings from the environment (CLICKABLE_ prefix), built once and passed in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from campaign.errors import CampaignNotFound, ClickableError
from campaign.i18n import _

CAMPAIGN_FILE_NAME = "campaign.yaml"
DATABASE_FILE_NAME = "clickable.db"
ENV_PREFIX = "CLICKABLE_"
# Periods and delays are bounded: a day at most (timeouts an hour), so that no timedelta overflows.
DAY_S = 86_400.0
HOUR_S = 3_600.0


class SettingsError(ClickableError, ValueError):
    """An environment variable holds a value the settings cannot take."""

    def __init__(self, error: ValidationError) -> None:
        first = error.errors(include_url=False)[0]
        name = ENV_PREFIX + "_".join(str(part) for part in first["loc"]).upper()
        super().__init__(
            _("{name}={value!r} is refused ({reason}): fix or unset it").format(
                name=name, value=first.get("input"), reason=first["msg"]
            )
        )


class Settings(BaseSettings):
    """Where the workspace is and how to reach the database.

    The workspace is the folder holding ``campaign.yaml``: ``CLICKABLE_HOME`` when set, else the
    current folder or its nearest parent with a ``campaign.yaml``.
    """

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")

    home: Path | None = Field(default=None, description="workspace folder (holds campaign.yaml)")
    database_url: str | None = Field(default=None, description="SQLAlchemy URL; default SQLite file")
    emulator_url: str = Field(default="http://127.0.0.1:8765", description="network emulator")
    request_timeout_s: float = Field(
        default=20.0, gt=0, le=HOUR_S, description="timeout of every network call"
    )
    backoff_s: float = Field(
        default=60.0, gt=0, le=DAY_S, description="first retry delay after a transient error"
    )
    heartbeat_s: float = Field(default=10.0, gt=0, le=HOUR_S, description="daemon heartbeat period")
    stale_after_s: float = Field(
        default=45.0, gt=0, le=DAY_S, description="a daemon silent this long is taken for dead"
    )
    reconcile_s: float = Field(
        default=60.0, gt=0, le=DAY_S, description="period of reconciliation and recovery"
    )
    max_sleep_s: float = Field(
        default=60.0, gt=0, le=DAY_S, description="longest the daemon sleeps without looking for new plans"
    )

    @classmethod
    def from_environment(cls, **values: Any) -> Settings:
        """The settings from the environment (and ``values``); SettingsError names a bad variable."""
        try:
            return cls(**values)
        except ValidationError as error:
            raise SettingsError(error) from None

    def workspace(self) -> Path:
        """The workspace folder; raises CampaignNotFound when there is none."""
        if self.home is not None:
            return self.home.expanduser().resolve()
        start = Path.cwd().resolve()
        for folder in (start, *start.parents):
            if (folder / CAMPAIGN_FILE_NAME).is_file():
                return folder
        raise CampaignNotFound(str(start))

    def campaign_file(self) -> Path:
        path = self.workspace() / CAMPAIGN_FILE_NAME
        if not path.is_file():
            raise CampaignNotFound(str(path.parent))
        return path

    def resolved_database_url(self, workspace: Path | None = None) -> str:
        """The database URL: CLICKABLE_DATABASE_URL, else a SQLite file in the workspace."""
        if self.database_url:
            return self.database_url
        folder = workspace if workspace is not None else self.workspace()
        return f"sqlite:///{folder / DATABASE_FILE_NAME}"
