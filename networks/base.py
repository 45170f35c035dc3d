"""The adapter interface every network implements, and its error classes.

An adapter publishes in stages (upload the media → create the post once → poll → finalize), reads
metrics and finds a published post by its content fingerprint. It returns readings; it writes nothing
to the database. What the network allows (text, media, metrics) comes from its spec.

How a network's answer is classified (each adapter does it in one place, from structured codes only:
the HTTP status, headers, X's problem ``type``, Graph's ``error.code``/``error_subcode``; never from
the words of a message, which networks change and translate):

- ``NeedsReauth``: the credentials were refused; a person runs ``clickable accounts add``.
- ``AccountPaused``: the network stops the *account*, not this post (credits spent, a usage cap, an
  app not enrolled, an account blocked as spam): nothing is sent until a person acts or the pause ends.
- ``RateLimited``: too many calls in a window; retry after the window, not before.
- ``Rejected``: this content is refused for good (invalid, duplicate, processing failed).
- ``Transient`` / ``NotSent``: worth retrying with backoff; ``Unconfirmed``: a create call may have
  landed, reconcile before anything is sent again.

The one written exception to "structured codes only": X gives duplicate content no code of its own
(a 403 ``about:blank`` problem whose ``detail`` says so); ``networks/x/errors.py`` (``is_duplicate``)
is the only place that reads a message, and says why.
"""

from __future__ import annotations

import hashlib
import threading
import time
import unicodedata
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypedDict, Unpack

from campaign.i18n import _
from campaign.logs import redact
from campaign.texts import TextLength
from networks.spec import NetworkSpec

if TYPE_CHECKING:
    from networks.credentials import Credentials
    from networks.media import VideoInfo

# Normalised metric names, the same for every network (raw names are kept beside them).
NORMALISED_METRICS = (
    "views",
    "impressions",
    "likes",
    "comments",
    "shares",
    "saves",
    "link_clicks",
    "video_views",
    "watch_time",
)
DEFAULT_BACKOFF_S = 60.0  # a 429 without any reset header: wait this long, never retry at once
REQUEST_TIMEOUT_S = 20.0


class NetworkError(Exception):
    """A network refused or failed a call; subclasses say what the caller can do about it.

    The message is scrubbed of every secret the process knows as the error is made (a network's
    answer may repeat a token): whoever logs, stores or prints it shows none.
    """

    def __init__(self, network: str, message: str) -> None:
        self.network = network
        super().__init__(f"{network}: {redact(message)}")


class NeedsReauth(NetworkError):
    """The credentials were refused or expired: a human must run `clickable accounts add` again."""


class AccountPaused(NetworkError):
    """The network stopped this account, whatever it posts (an action blocked as spam, a policy block,
    credits spent, a usage cap): no retry helps before the pause ends, and none is a rejection of the post.

    The account's deliveries wait (the dispatcher records the pause on the account, ``doctor`` shows it).
    ``advice`` says what a person must do; ``until`` (UTC) is when the pause ends by itself, None when
    only a person ends it (then `clickable accounts resume ACCOUNT`, or `clickable delivery retry ID`).
    """

    def __init__(self, network: str, reason: str, *, advice: str, until: datetime | None = None) -> None:
        self.reason = redact(reason)
        self.advice = redact(advice)
        self.until = until
        super().__init__(network, f"{reason}: {advice}")


class RateLimited(NetworkError):
    """Too many calls: retry after ``retry_after`` seconds, not before."""

    def __init__(self, network: str, message: str, *, retry_after: float) -> None:
        self.retry_after = retry_after
        super().__init__(network, _("{message} (retry in {retry_after:.0f} s)").format(message=message, retry_after=retry_after))


class Rejected(NetworkError):
    """The network refused this content for good (duplicate, invalid, processing failed)."""

    def __init__(self, network: str, reason: str, *, duplicate: bool = False) -> None:
        self.reason = redact(reason)
        self.duplicate = duplicate
        super().__init__(network, reason)


class Transient(NetworkError):
    """A failure worth retrying with backoff (server error, timeout while uploading or reading)."""


class NotSent(Transient):
    """The request certainly never reached the network (connection refused, DNS failure, connect
    timeout, refused before sending): safe to retry, never 'unconfirmed'. Adapters raise it (or let
    ``connection_failure`` choose) for a failure before the request left this machine."""


class Unconfirmed(NetworkError):
    """The create call may or may not have published: reconcile with find_published, never retry blindly."""


def certainly_not_sent(error: BaseException) -> bool:
    """True when ``error``, or an error it was raised from or during, shows that the request never
    left this machine: NotSent, or a connection that was never made (refused, name not resolved,
    connect timeout, proxy unreachable, certificate refused). A timeout or a connection lost after
    connecting is not "certainly not sent": the network may have received the request."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, NotSent) or _never_connected(current):
            return True
        current = current.__cause__ or current.__context__
    return False


def _never_connected(error: BaseException) -> bool:
    import ssl

    import requests
    from urllib3 import exceptions as urllib3_errors

    if isinstance(error, requests.ConnectTimeout) or _httpx_never_connected(error):
        return True
    reason: object = error
    if isinstance(error, requests.ConnectionError) and error.args:
        reason = getattr(error.args[0], "reason", error.args[0])  # requests wraps urllib3's MaxRetryError
    elif isinstance(error, urllib3_errors.MaxRetryError):
        reason = error.reason
    if isinstance(reason, urllib3_errors.ProxyError):  # the proxy itself could not be reached
        reason = getattr(reason, "original_error", reason)
    if isinstance(reason, urllib3_errors.SSLError) and reason.args:
        reason = reason.args[0]
    # NewConnectionError and NameResolutionError are ConnectTimeoutErrors in urllib3 2
    return isinstance(reason, urllib3_errors.ConnectTimeoutError | ssl.SSLCertVerificationError)


def _httpx_never_connected(error: BaseException) -> bool:
    """httpx (the client of atproto) names a connection never made ConnectError or ConnectTimeout."""
    if "httpx" not in type(error).__module__:
        return False  # not an httpx error: no need to import it
    import httpx

    return isinstance(error, httpx.ConnectError | httpx.ConnectTimeout)


def connection_failure(network: str, error: BaseException, *, creating: bool, what: str) -> NetworkError:
    """What an adapter raises when a call failed without an answer: NotSent when the request never
    left, Unconfirmed when a create call may have landed, else Transient."""
    kind = type(error).__name__
    if certainly_not_sent(error):
        return NotSent(network, _("{what} not sent: cannot connect ({kind})").format(what=what, kind=kind))
    if creating:
        return Unconfirmed(
            network,
            _("no answer to the create call ({kind}): reconcile before retrying").format(kind=kind),
        )
    return Transient(network, _("{kind} while talking to {what}").format(kind=kind, what=what))


@dataclass(frozen=True)
class CaptionTrack:
    """One language's subtitles for a video, as sidecar files (`capsule render` writes both)."""

    language: str  # BCP 47 tag, e.g. "fr", "rcf" (Réunion Creole), "swb" (Shimaore)
    srt: Path | None  # SubRip
    vtt: Path | None  # WebVTT, with "Language: <tag>" in its header
    burned_in: bool = False  # the video shows this language's subtitles already


@dataclass(frozen=True)
class Content:
    """What to publish: the text as it will appear, an optional video, and a fingerprint.

    ``captions`` holds every language's track of the video, the delivery's territory's languages
    first (in the territory's order): an adapter whose network takes caption tracks uploads each one
    it can, and says in ``Published.notes`` which it left out or sent under another tag, and why.
    ``alt_text`` describes the video, in ``alt_text_language`` (the territory's first language the
    capsule has one in), for networks that take a description. ``languages`` are the audience's (the
    territory's ``languages:``, in its order): where a network has no equivalent for a track's tag,
    the nearest is the first of these it has one for.
    """

    text: str
    video: Path | None = None
    link: str | None = None
    title: str | None = None
    captions: tuple[CaptionTrack, ...] = ()
    alt_text: str | None = None
    alt_text_language: str | None = None
    languages: tuple[str, ...] = ()
    language: str | None = None  # the language the text is written in (the campaign's), BCP 47
    alt_texts: dict[str, str] = field(default_factory=dict)  # the video's description in each language
    vertical: bool | None = None  # a 9:16 video (Reels where the network has them); None: read from the file
    # the decisions the network's spec requires (networks.spec.Choice), as campaign.yaml made them
    choices: dict[str, str | bool] = field(default_factory=dict)
    # the delivery's own key, the same on every attempt and after a restart: networks that honour an
    # idempotency key on create (NetworkSpec.idempotency_window_s) send it, so a retry is never a second post
    idempotency_key: str | None = None

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.text)


def fingerprint(text: str) -> str:
    """A content fingerprint that survives the networks' whitespace and Unicode normalisation."""
    folded = " ".join(unicodedata.normalize("NFC", text).split())
    return hashlib.sha256(folded.encode("utf-8")).hexdigest()[:32]


@dataclass
class MediaHandle:
    """An uploaded (or uploading) video: what create needs, and how to resume."""

    network: str
    remote_id: str
    uploaded_bytes: int = 0
    total_bytes: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Published:
    network: str
    remote_id: str
    url: str | None = None
    processing: bool = False  # True: created, the network is still processing the video
    # what went otherwise than asked without failing the post (a caption track left out, and why):
    # the dispatcher records them with the publication
    notes: tuple[str, ...] = ()
    visibility: str | None = (
        None  # who can see it, when the network says (YouTube: public, unlisted, private)
    )


@dataclass(frozen=True)
class MetricReading:
    remote_id: str
    normalised: dict[str, float]
    raw: dict[str, Any]
    missing: bool = False  # the network no longer knows this post


class AdapterOptions(TypedDict, total=False):
    """How every adapter reaches its network: the emulator's address in tests, timeouts, time."""

    emulator_url: str | None
    timeout: float
    sleep: Callable[[float], None]
    clock: Callable[[], float]
    settings: Mapping[str, Any]  # the account's settings in campaign.yaml (never secrets)
    # called with the credential values the network replaced (a rotated refresh token: TikTok's
    # previous one stops working): the credential store keeps them for the next run
    save_credentials: Callable[[Mapping[str, str]], None]
    # the workspace, where an adapter may keep what the network told of the account (never a secret):
    # Mastodon keeps its instance's limits there for `campaign check`
    workspace: Path | None


class Adapter(ABC):
    """One social network. Publishing is staged so that only ``create`` is not safe to repeat."""

    spec: ClassVar[NetworkSpec]

    def __init__(self, credentials: Credentials, **options: Unpack[AdapterOptions]) -> None:
        self.credentials = credentials
        self.emulator_url = options.get("emulator_url")
        self.timeout = options.get("timeout", REQUEST_TIMEOUT_S)
        self.sleep = options.get("sleep", time.sleep)
        self.clock = options.get("clock", time.time)
        self.settings: Mapping[str, Any] = dict(options.get("settings") or {})
        self.save_credentials: Callable[[Mapping[str, str]], None] | None = options.get("save_credentials")
        self._calls: list[str] = []  # calls made, by name, for networks that meter them (spec.quota)
        self._calls_lock = threading.Lock()
        self.workspace = options.get("workspace")
        # object kind -> raw name -> normalised name: a copy, so that a name can be retired for this adapter
        self.metric_names: dict[str, dict[str, str]] = {
            kind: dict(names) for kind, names in self.spec.metrics.names.items()
        }
        # object kind -> names the network refused while this adapter read metrics (the collector stores them)
        self.retired_metrics: dict[str, set[str]] = {}

    @property
    def network(self) -> str:
        return self.spec.name

    def retire_metric(self, kind: str, name: str) -> None:
        """The network refused metric ``name`` of ``kind`` objects: stop asking it (see networks.metrics)."""
        self.metric_names.get(kind, {}).pop(name, None)
        self.retired_metrics.setdefault(kind, set()).add(name)

    def forget_metrics(self, retired: Mapping[str, Iterable[str]]) -> None:
        """Names retired by earlier runs (kind -> names, as the collector stored them): never asked."""
        for kind, names in retired.items():
            for name in names:
                self.metric_names.get(kind, {}).pop(name, None)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.credentials!r})"  # the credentials' repr shows no secret

    def count_call(self, call: str) -> None:
        """Note one call to the network by the name its quota rules use (``videos.insert``)."""
        with self._calls_lock:
            self._calls.append(call)

    def used_calls(self) -> list[str]:
        """The calls made since the last time this was asked (then forgotten): what to count against quota."""
        with self._calls_lock:
            calls, self._calls = self._calls, []
        return calls

    def planned_calls(self, content: Content) -> list[str]:
        """The calls publishing ``content`` is expected to make, for a network whose spec meters them."""
        return []

    def planned_metric_calls(self, remote_ids: list[str]) -> list[str]:
        """The calls ``fetch_metrics(remote_ids)`` will make, for a network whose spec meters them."""
        return []

    def validate(self, content: Content) -> TextLength:
        """Check the text (and the presence of a video) against the network's spec before anything is sent."""
        length = self.spec.measure_text(content.text)
        if content.video is None and self.spec.media.video_required:
            return TextLength(self.network, length.length, length.limit, False, self.video_required_reason())
        return length

    def video_required_reason(self) -> str:
        why = self.spec.media.video_required or ""
        return _("{why}: a video is required").format(why=_(why))

    def upload_media(self, content: Content, handle: MediaHandle | None = None) -> MediaHandle | None:
        """Upload the video (idempotent, resumable from ``handle``); None when there is no video.

        A video outside the network's documented limits is refused here, before a byte is sent.
        """
        if content.video is None:
            if self.spec.media.video_required:
                raise Rejected(self.network, self.video_required_reason())
            return None
        video = self.check_video(content)
        return self.upload_video(content, video, handle)

    def video_kind(self, content: Content, video: VideoInfo | None) -> str | None:
        """Which of the spec's video kinds this post is (None: the first); Facebook tells Reels apart."""
        return None

    def check_video(self, content: Content) -> VideoInfo | None:
        """The video measured, or Rejected when the network's rules for its kind refuse it."""
        from networks.media import probe, video_problem

        assert content.video is not None
        path = Path(content.video)
        video = probe(path)
        rules = self.spec.media.video(self.video_kind(content, video))
        problem = video_problem(rules, video, path.stat().st_size)
        if problem is not None:
            raise Rejected(self.network, problem)
        return video

    @abstractmethod
    def upload_video(
        self, content: Content, video: VideoInfo | None, handle: MediaHandle | None
    ) -> MediaHandle:
        """Upload ``content.video`` (already checked), resuming from ``handle`` when given."""

    @abstractmethod
    def create(self, content: Content, media: MediaHandle | None) -> Published:
        """Create the post. Called once: a timeout or 5xx here raises Unconfirmed."""

    @abstractmethod
    def poll(self, published: Published, *, deadline_s: float = 120.0) -> Published:
        """Wait (read-only) until the network has processed the post's media, or raise."""

    def finalize(self, published: Published) -> Published:
        """Last step after processing (most networks need none)."""
        return published

    @abstractmethod
    def find_published(self, content_fingerprint: str, *, limit: int = 100) -> Published | None:
        """The post on this account whose text has ``content_fingerprint``, if there is one."""

    @abstractmethod
    def fetch_metrics(self, remote_ids: list[str]) -> list[MetricReading]:
        """Engagement numbers, normalised plus raw; posts the network lost come back ``missing``."""

    @abstractmethod
    def check_credentials(self) -> str:
        """A cheap authenticated call; returns who the credentials belong to."""

    def publish(self, content: Content) -> Published:
        """All stages in order (for tools and tests; the dispatcher runs them one by one)."""
        media = self.upload_media(content)
        published = self.create(content, media)
        return self.finalize(self.poll(published))
