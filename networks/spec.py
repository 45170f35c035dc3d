"""A network's spec: everything the rest of clickable needs to know about one network, declared in one place.

Each network package (``networks/<name>/spec.py``) declares one :class:`NetworkSpec` and registers it under
the entry-point group ``clickable.networks``. Importing a spec is cheap: it names its adapter and its
emulator part through functions that import them only when they are used.

It satisfies ``campaign.rules.NetworkRules`` (what campaign checks need), so the campaign room can check a
file against any registered network without importing this package.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from campaign.i18n import N_, _
from campaign.texts import TextLength, count_hashtags

if TYPE_CHECKING:
    from networks.base import Adapter
    from networks.emulator.part import EmulatorPart
    from networks.oauth import Connector

ASPECT_TOLERANCE = 0.01  # a 1080×1920 render and a 540×960 copy are both 9:16


@dataclass(frozen=True)
class CredentialField:
    """One credential of an account on this network."""

    name: str
    secret: bool = True  # masked everywhere, never in the campaign file or the database
    required: bool = True  # `accounts add` prompts for it; an account without it has no credentials
    account_setting: bool = False  # an identifier that may also be written under the account in campaign.yaml
    help: str = ""  # marked with N_(), shown translated
    prompt: str = ""  # what `accounts add` asks (N_()), when the field's name does not say enough
    pattern: str | None = None  # a regular expression the whole value must match (checked before it is stored)
    pattern_hint: str = ""  # what a value must look like, for the error when it does not (N_())

    def problem(self, value: str) -> str | None:
        """Why ``value`` cannot be this credential (its pattern), or None."""
        import re

        if self.pattern is None or re.fullmatch(self.pattern, value):
            return None
        return _(self.pattern_hint) if self.pattern_hint else _("does not have the expected form")


@dataclass(frozen=True)
class AccountSetting:
    """A setting of an account on this network, written in campaign.yaml (never a secret)."""

    name: str
    help: str = ""
    boolean: bool = False  # true/false rather than text


@dataclass(frozen=True)
class Choice:
    """A decision the campaign file must make for every post on this network (required, no default).

    Written per post as ``choices: {<network>: {<name>: value}}``, or once for all the posts of an account
    as ``<name>: value`` under the account. ``campaign check`` reports a missing or invalid choice with
    its file and line.
    """

    name: str
    options: tuple[str, ...] = ()  # the allowed values (empty with boolean=True: true or false)
    boolean: bool = False
    help: str = ""
    # options an account may choose only when one of its boolean settings is true: (option, setting),
    # e.g. YouTube's ("public", "audited"); ``requires_why`` (N_()) says why, in campaign check's error
    requires: tuple[tuple[str, str], ...] = ()
    requires_why: str = ""


TextMeasure = Callable[[str], TextLength]


@dataclass(frozen=True)
class TextRules:
    """How the network counts a post's text, and how its feed shows it."""

    limit: int
    max_hashtags: int | None = None
    unit: str | None = None  # what ``limit`` counts when not code points ("bytes of UTF-8", "graphemes")
    measure: TextMeasure | None = None  # None: Unicode code points against ``limit`` (and hashtags)
    link_length: int | None = None  # characters a link counts, whatever its length (X: 23); None: as written
    links_clickable: bool = True  # Instagram shows a link in a caption as plain text
    # Characters the feed shows before it cuts the text ("… more"), for the post preview; None: all of it.
    # Approximate (the apps change it, and it differs between mobile and desktop): a hint, never a rule.
    feed_cut: int | None = None
    more_label: str = "… voir plus"  # what the French app shows where it cuts the text (its own words)
    # A link as the feed shows it: its address without "https://", cut after this many characters with
    # "…" (X shows a t.co link's display_url); None: as written. For the post preview, approximate.
    link_shown: int | None = None


@dataclass(frozen=True)
class VideoRules:
    """What one kind of video post takes (a network may have several: Facebook videos and Reels)."""

    kind: str
    min_seconds: float
    max_seconds: float
    max_bytes: int
    aspect: tuple[int, int] | None = None  # the one aspect ratio taken (width, height), e.g. (9, 16)
    aspect_range: tuple[float, float] | None = None  # or width/height from … to
    min_size: tuple[int, int] | None = None  # at least width × height pixels
    max_pixels: int | None = None  # at most width × height pixels (Mastodon's video_matrix_limit)
    cap: str | None = None  # the daily cap these posts count against (None: the network's own)
    label: str = N_("videos")  # how the network calls them, in messages ("Reels")


@dataclass(frozen=True)
class SafeZone:
    """The margins of a video the app covers with its buttons and captions, as fractions of its height
    (top, bottom) and width (left, right): text burned in there may be hidden."""

    top: float
    bottom: float
    left: float
    right: float
    source: str = ""


@dataclass(frozen=True)
class MediaRules:
    """Which capsule format the network takes and what its videos must be."""

    formats: tuple[str, ...]  # capsule formats, preferred first (the first rendered one is sent)
    videos: tuple[VideoRules, ...]  # the first applies unless the adapter chooses another kind
    video_required: str | None = None  # why the network publishes only videos (N_()), else None
    caption_tracks: bool = False  # the network takes subtitle files beside the video
    alt_text: bool = False  # the network takes a text description of the video
    alt_text_max: int | None = None  # of at most this many characters (None: no documented limit)
    # How the app shows the video, for the post preview (approximate: the apps change):
    # the frame of the feed (width, height) when it crops the video (Instagram's feed: 4:5), None: whole;
    feed_frame: tuple[int, int] | None = None
    safe_zone: SafeZone | None = None  # and the parts its buttons and captions cover

    def video(self, kind: str | None = None) -> VideoRules:
        """The rules of ``kind`` (the first kind when None)."""
        for rules in self.videos:
            if kind is None or rules.kind == kind:
                return rules
        raise KeyError(kind)


@dataclass(frozen=True)
class MetricRules:
    """The network's metric names per kind of object, mapped to clickable's normalised names."""

    names: Mapping[str, Mapping[str, str]]  # object kind -> raw metric name -> normalised name
    retired: tuple[str, ...] = ()  # names the network stopped answering (kept here so nobody adds them back)
    # normalised names the network never gives (Mastodon counts no views): reports show "not given", not 0
    unavailable: tuple[str, ...] = ()


@dataclass(frozen=True)
class Prices:
    """What the network charges per call, in US dollars (shown as estimates, never billed by us)."""

    post: float
    post_with_url: float | None = None  # a post whose text holds a link, when it costs more
    read: float | None = None  # one post or metric read
    source: str = ""


@dataclass(frozen=True)
class QuotaBucket:
    """One daily allowance of a network's API: ``limit`` units a day, counted per account."""

    name: str
    limit: int
    label: str = ""  # how the network's docs call it (N_()), for doctor


@dataclass(frozen=True)
class QuotaRules:
    """What each call costs and how much a day allows, for networks that meter calls (YouTube's units).

    ``costs`` maps a call's name (as the adapter reports it) to (bucket, units). The day starts again at
    midnight in ``reset_zone``. The dispatcher makes no call that would take a bucket past its limit: a
    delivery whose calls do not fit waits for the next reset.
    """

    buckets: tuple[QuotaBucket, ...]
    costs: Mapping[str, tuple[str, int]]
    reset_zone: str = "UTC"
    source: str = ""

    def bucket(self, name: str) -> QuotaBucket:
        for bucket in self.buckets:
            if bucket.name == name:
                return bucket
        raise KeyError(name)

    def cost(self, calls: Iterable[str]) -> dict[str, int]:
        """Units per bucket that ``calls`` take (a call the rules do not name costs nothing)."""
        total: dict[str, int] = {}
        for call in calls:
            if call in self.costs:
                bucket, units = self.costs[call]
                total[bucket] = total.get(bucket, 0) + units
        return total


@dataclass(frozen=True)
class NetworkSpec:
    """One social network, declared."""

    name: str  # the entry-point name and the ``network:`` value of campaign.yaml
    label: str  # how people call it
    credentials: tuple[CredentialField, ...]
    hosts: tuple[str, ...]  # the API hosts the adapter calls (and its emulator part serves)
    text: TextRules
    media: MediaRules
    caps: Mapping[str, int]  # default daily caps by cap name (campaign.yaml's schedule.caps overrides)
    metrics: MetricRules
    adapter: Callable[[], type[Adapter]]  # imports the adapter when called, never at import time
    emulator: Callable[[], type[EmulatorPart]] | None = None
    # Networks with instances (Mastodon): the credential field holding the account's own host. Declare it
    # a CredentialField(secret=False, account_setting=True): it may be written under the account in
    # campaign.yaml, the adapter reads it from its credentials, the emulator part answers it (``serves``).
    account_host: str | None = None
    account_settings: tuple[AccountSetting, ...] = ()
    choices: tuple[Choice, ...] = ()
    prices: Prices | None = None
    quota: QuotaRules | None = None  # calls metered in daily units (YouTube), enforced by the dispatcher
    # how `accounts add` connects an account (an OAuth flow on a loopback redirect), imported when
    # called; None: it prompts for each credential field
    connect: Callable[[], type[Connector]] | None = None
    docs: str = ""  # the network's own API reference
    # The network honours an idempotency key on its create call for this long (Mastodon: Idempotency-Key,
    # 1 h): the dispatcher hands each delivery a key of its own (Content.idempotency_key), and an
    # unconfirmed delivery whose first attempt is younger than this is sent again with the same key
    # (the network answers with the post it has) instead of being looked for.
    idempotency_window_s: float | None = None
    # Networks whose rules differ per account (Mastodon: per instance): the account's own spec, from its
    # settings in campaign.yaml and what the workspace learned of its host, with a note when defaults are
    # used because nothing is known yet (see ``for_account``).
    account_rules: AccountRulesHook | None = None

    @property
    def video_required(self) -> str | None:
        return self.media.video_required

    def for_account(
        self, settings: Mapping[str, Any], workspace: Path | None = None
    ) -> tuple[NetworkSpec, str | None]:
        """This network's rules for one account (its instance's limits), and a note when they are defaults."""
        if self.account_rules is None:
            return self, None
        return self.account_rules(self, settings, workspace)

    def account_problems(self, settings: Mapping[str, Any]) -> list[tuple[str | None, str]]:
        """What is wrong with an account's settings in campaign.yaml: (the key, or None when one is
        missing, message). Networks with instances need their host, as an https address."""
        if self.account_host is None:
            return []
        value = settings.get(self.account_host)
        example = _("e.g. {key}: https://social.example.org").format(key=self.account_host)
        if value is None or value == "":
            return [
                (
                    None,
                    _("a {network} account needs its instance's address: add {example}").format(
                        network=self.label, example=example
                    ),
                )
            ]
        problem = host_url_problem(value)
        if problem is not None:
            return [
                (
                    self.account_host,
                    _("{key} {value!r} {problem}: write the instance's https address, {example}").format(
                        key=self.account_host, value=value, problem=problem, example=example
                    ),
                )
            ]
        return []

    def measure_text(self, text: str) -> TextLength:
        """The text's length as this network counts it, with the reason when it is refused."""
        if self.text.measure is not None:
            return self.text.measure(text)
        return count_characters(self, text)

    def cap_key(self, has_video: bool) -> str:
        """The daily cap a post counts against (video posts may have their own, like Facebook Reels)."""
        if has_video and self.media.videos and self.media.videos[0].cap:
            return self.media.videos[0].cap
        return self.name

    def secret_fields(self) -> tuple[str, ...]:
        return tuple(item.name for item in self.credentials if item.secret)

    def public_fields(self) -> frozenset[str]:
        return frozenset(item.name for item in self.credentials if not item.secret)

    def required_fields(self) -> tuple[str, ...]:
        return tuple(item.name for item in self.credentials if item.required)

    def credential_names(self) -> tuple[str, ...]:
        return tuple(item.name for item in self.credentials)

    def campaign_settings(self) -> tuple[str, ...]:
        """Keys an account of this network may carry in campaign.yaml, besides the common ones."""
        names = [item.name for item in self.credentials if item.account_setting and not item.secret]
        names += [item.name for item in self.account_settings]
        names += [choice.name for choice in self.choices]
        if self.account_host and self.account_host not in names:
            names.append(self.account_host)
        return tuple(dict.fromkeys(names))


AccountRulesHook = Callable[[NetworkSpec, Mapping[str, Any], Path | None], tuple[NetworkSpec, str | None]]


def host_url_problem(value: object) -> str | None:
    """Why ``value`` is not the https address of a host (an instance), or None."""
    if not isinstance(value, str):
        return _("is not text")
    try:
        parts = urlsplit(value.strip())
        if parts.port == 0:  # reading the port refuses one that is not a number up to 65535
            return _("is not an address")
    except ValueError:
        return _("is not an address")
    if parts.scheme != "https":
        return _("does not start with https://")
    host = parts.hostname or ""
    if not host or "." not in host or parts.username or parts.password:
        return _("names no host")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        return _("has more than a host")
    return None


def host_of(url: str) -> str:
    """The lower-case host of an instance address (``https://Social.Example.org/`` → ``social.example.org``)."""
    return (urlsplit(url.strip()).hostname or "").lower()


def count_characters(spec: NetworkSpec, text: str) -> TextLength:
    """Unicode code points against the limit, then hashtags (Facebook, Instagram)."""
    limit = spec.text.limit
    length = len(text)
    if not text.strip():
        return TextLength(spec.name, length, limit, False, _("empty text"))
    if length > limit:
        reason = _("{length} characters, {network} allows {limit}").format(
            length=length, network=spec.name, limit=limit
        )
        return TextLength(spec.name, length, limit, False, reason)
    if spec.text.max_hashtags is not None:
        hashtags = count_hashtags(text)
        if hashtags > spec.text.max_hashtags:
            reason = _("{count} hashtags, {network} allows {limit}").format(
                count=hashtags, network=spec.label, limit=spec.text.max_hashtags
            )
            return TextLength(spec.name, length, limit, False, reason)
    return TextLength(spec.name, length, limit, True)


def normalise(mapping: Mapping[str, str], raw: Mapping[str, Any]) -> dict[str, float]:
    """Sum raw values into normalised names; raw names the mapping does not know are ignored."""
    result: dict[str, float] = {}
    for raw_name, value in raw.items():
        name = mapping.get(raw_name)
        if name is not None and isinstance(value, int | float):
            result[name] = result.get(name, 0) + value
    return result
