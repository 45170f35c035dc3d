"""The shape of campaign.yaml, as pydantic models (structure only; meaning is checked in checks.py).

Networks are not named here: an account's ``network`` and its network's own settings are checked
against the registered networks' rules in checks.py.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

ChoiceValue = str | bool
MINUTES_PER_WEEK = 7 * 24 * 60


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class CampaignInfo(_Strict):
    id: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    name: str = Field(min_length=1)
    language: str = Field(min_length=2, max_length=8)
    author: str | None = None
    default_territories: list[str] | None = None
    utm: bool = True


class ApprovalPolicy(_Strict):
    required: bool = True
    two_person: bool = False


class TerritorySpec(_Strict):
    name: str = Field(min_length=1)
    timezone: str = Field(min_length=1)
    slots: list[str] | None = None  # overrides the accounts' slots in this territory
    quiet_hours: str | None = None  # default: schedule.quiet_hours
    languages: list[str] | None = None  # BCP 47 tags; the first the capsule has is burned in


class PriceSpec(_Strict):
    """What a network charges per call, in US dollars (for the estimates; campaign/costs.py)."""

    post: float | None = Field(default=None, ge=0, le=1000)
    post_with_url: float | None = Field(default=None, ge=0, le=1000)  # a post whose text holds a URL
    read: float | None = Field(default=None, ge=0, le=1000)  # one post or metric read


class ScheduleSpec(_Strict):
    """When posts may go out: quiet hours, daily caps, catch-up after downtime, what calls cost.

    ``caps`` overrides the networks' default daily caps (declared by each network's spec), cap by cap;
    ``prices`` the prices the networks' specs declare (X's since February 2026), price by price.
    """

    quiet_hours: str = "22:00-07:00"
    caps: dict[str, int] = Field(default_factory=dict)
    # bounded to a week: planning adds them to instants, and a timedelta has a range
    catch_up_minutes: int = Field(default=60, ge=0, le=MINUTES_PER_WEEK)
    lead_minutes: int = Field(default=5, ge=0, le=MINUTES_PER_WEEK)
    prices: dict[str, PriceSpec] = Field(default_factory=dict)


class AccountSpec(_Strict):
    """An account; keys beyond these are its network's own settings (a Page id), checked in checks.py."""

    model_config = ConfigDict(extra="allow", strict=True)
    network: str = Field(min_length=1)
    sandbox: bool = False
    handle: str | None = None
    territories: list[str] | None = None
    slots: list[str] | None = None

    def network_settings(self) -> dict[str, Any]:
        """The keys of this account that its network declares (everything not common to all accounts)."""
        return dict(self.model_extra or {})


class CapsuleRef(_Strict):
    script: str = Field(min_length=1)


class ChannelSpec(_Strict):
    name: str = Field(min_length=1)
    url: str | None = None
    phone: str | None = None
    sms: str | None = None
    description: str | None = None
    territories: list[str] | None = None
    audiences: list[Literal["child", "parent", "pro"]] | None = None
    hours: Any = None
    source: str | None = None
    checked: Any = None


class LandingSpec(_Strict):
    base_url: str = Field(min_length=1)
    neutral_url: str = "https://www.google.fr/search?q=m%C3%A9t%C3%A9o"
    channels: dict[str, ChannelSpec] = Field(min_length=1)


class VariantSpec(_Strict):
    text: str


class PostSpec(_Strict):
    id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
    text: str
    accounts: list[str] = Field(min_length=1)
    territories: list[str] | None = None
    at: str | datetime | None = None
    capsule: str | None = None
    link: bool | None = None
    author: str | None = None
    variants: dict[str, VariantSpec] | None = None
    choices: dict[str, dict[str, ChoiceValue]] | None = None  # network -> the decisions it requires


class TargetSpec(_Strict):
    """A goal for the report: e.g. 40 channel clicks a month in each of Mayotte and Guyane."""

    metric: Literal["channel_clicks", "landing_visits", "views"]
    value: int = Field(ge=1)  # for each territory
    per: Literal["campaign", "month"] = "campaign"
    territories: list[str] | None = None  # default: every territory, each with its own target
    channel: str | None = None  # only clicks towards this channel
    name: str | None = None  # how the report names it
    since: date | None = Field(default=None, strict=False)  # default: the campaign's first day
    until: date | None = Field(default=None, strict=False)  # the deadline (needed per campaign)


class CampaignFile(_Strict):
    campaign: CampaignInfo
    approval: ApprovalPolicy = Field(default_factory=ApprovalPolicy)
    territories: dict[str, TerritorySpec] = Field(min_length=1)
    accounts: dict[str, AccountSpec] = Field(min_length=1)
    capsules: dict[str, CapsuleRef] = Field(default_factory=dict)
    landing: LandingSpec
    schedule: ScheduleSpec = Field(default_factory=ScheduleSpec)
    posts: list[PostSpec] = Field(default_factory=list)
    targets: dict[str, TargetSpec] = Field(default_factory=dict)
