"""Mastodon: Mastodon.py over our transport, on the account's own instance.

Stages: the instance's limits are read (``GET /api/v2/instance``, kept for an hour and written to the
workspace for `campaign check`) and the text checked against them before anything is uploaded; the video
goes to ``POST /api/v2/media`` with its alt text as ``description`` and is polled (``GET /api/v1/media/:id``)
until it is processed, with a deadline; the status is created once, with the delivery's own
``Idempotency-Key`` (so a retried create answers with the status it made), its ``visibility`` (a required
choice) and its ``language`` (ISO 639-1, from the territory's languages).
"""

from __future__ import annotations

import threading
import uuid
from datetime import datetime
from html.parser import HTMLParser
from typing import Any, Unpack

import requests
from mastodon import Mastodon
from mastodon.errors import (
    MastodonAPIError,
    MastodonError,
    MastodonNetworkError,
    MastodonNotFoundError,
    MastodonRatelimitError,
    MastodonServerError,
    MastodonUnauthorizedError,
)

from campaign.i18n import _
from campaign.texts import TextLength
from networks.base import (
    DEFAULT_BACKOFF_S,
    Adapter,
    AdapterOptions,
    Content,
    MediaHandle,
    MetricReading,
    NeedsReauth,
    NetworkError,
    Published,
    RateLimited,
    Rejected,
    Transient,
    Unconfirmed,
    connection_failure,
    fingerprint,
)
from networks.credentials import Credentials
from networks.mastodon import text as mastodon_text
from networks.mastodon.instances import InstanceLimits, remember
from networks.mastodon.spec import SPEC, VISIBILITIES
from networks.media import VideoInfo
from networks.spec import host_of, host_url_problem, normalise
from networks.transport import prepare_session

NETWORK = "mastodon"
LIMITS_TTL_S = 3600.0  # an instance's limits are read again after an hour
POLL_INTERVAL_S = 2.0
PROCESSING_DEADLINE_S = 300.0  # a video still processing after this is a transient failure
STATUSES_PAGE = 40  # GET /api/v1/accounts/:id/statuses: "Max 40 statuses"


class MastodonAdapter(Adapter):
    spec = SPEC

    def __init__(self, credentials: Credentials, **options: Unpack[AdapterOptions]) -> None:
        super().__init__(credentials, **options)
        instance = credentials.values.get("instance")
        address = instance.get_secret_value().strip() if instance is not None else ""
        problem = host_url_problem(address) if address else _("is missing")
        if problem is not None:
            raise NeedsReauth(
                NETWORK,
                _(
                    "the instance address of account {account} {problem}: write "
                    "`instance: https://social.example.org` under the account in campaign.yaml"
                ).format(account=credentials.account, problem=problem),
            )
        self.host = host_of(address)
        self.base_url = f"https://{self.host}"
        self.session = prepare_session(
            requests.Session(), emulator_url=self.emulator_url, timeout=self.timeout
        )
        self._seen = threading.local()  # the last answer of this thread's call (rate-limit headers)
        self.session.hooks["response"].append(self._keep)
        self._lock = threading.Lock()
        self._limits: tuple[InstanceLimits, float] | None = None
        self._client: Mastodon | None = None

    # -- the client and the instance --------------------------------------------------------------

    def _keep(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        self._seen.response = response

    def _mastodon(self, version: str | None = None) -> Mastodon:
        """Mastodon.py bound to the instance, through our session (timeouts, the emulator for sandboxes);
        it raises on a 429 instead of sleeping, and is told the instance's version instead of asking
        the deprecated /api/v1/instance."""
        return Mastodon(
            access_token=self.credentials.get("access_token"),
            api_base_url=self.base_url,
            session=self.session,
            request_timeout=self.timeout,
            ratelimit_method="throw",
            version_check_mode="created" if version else "none",
            mastodon_version=version,
            user_agent="clickable",
        )

    def limits(self) -> InstanceLimits:
        """The instance's limits (read once an hour), also kept in the workspace for `campaign check`."""
        with self._lock:
            if self._limits is not None and self.clock() - self._limits[1] < LIMITS_TTL_S:
                return self._limits[0]
        instance = self._call(self._mastodon().instance_v2, what=_("the instance"))
        limits = InstanceLimits.from_instance(instance)
        with self._lock:
            self._limits = (limits, self.clock())
            version = _version(limits.version)
            self._client = self._mastodon(version)
        remember(self.workspace, self.host, limits)
        return limits

    @property
    def client(self) -> Mastodon:
        if self._client is None:
            self.limits()
        assert self._client is not None
        return self._client

    # -- errors -----------------------------------------------------------------------------------

    def _call(self, call: Any, *args: Any, what: str, creating: bool = False, **kwargs: Any) -> Any:
        """``call(*args, **kwargs)`` (a Mastodon.py method), its failure classified."""
        try:
            return call(*args, **kwargs)
        except MastodonError as failure:
            raise self.classify(failure, creating=creating, what=what) from None

    def classify(self, failure: MastodonError, *, creating: bool, what: str) -> NetworkError:
        """Mastodon.py's errors into what the dispatcher acts on, from HTTP status codes (Mastodon's
        error entity carries no other code: https://docs.joinmastodon.org/entities/Error/)."""
        if isinstance(failure, MastodonNetworkError):
            return connection_failure(NETWORK, failure, creating=creating, what=what)
        if isinstance(failure, MastodonRatelimitError):
            return RateLimited(NETWORK, _("rate limited (429)"), retry_after=self._retry_after())
        status, message = _status(failure)
        if isinstance(failure, MastodonUnauthorizedError) or status == 401:
            return NeedsReauth(
                NETWORK,
                _(
                    "the access token was refused (401: {message}): run `clickable accounts add {account}`"
                ).format(message=message, account=self.credentials.account),
            )
        if status == 403:  # a scope the token lacks, or an account disabled, unconfirmed, not approved
            return NeedsReauth(
                NETWORK,
                _("the instance refuses this account (403: {message}): a person must look at it").format(
                    message=message
                ),
            )
        if isinstance(failure, MastodonServerError) or (status is not None and status >= 500):
            if creating:
                return Unconfirmed(
                    NETWORK,
                    _("server error {status} on create: reconcile before retrying").format(status=status),
                )
            return Transient(NETWORK, _("server error {status} from {what}").format(status=status, what=what))
        if status is None:  # an answer that is not Mastodon's JSON (a proxy's page)
            if creating:
                return Unconfirmed(
                    NETWORK, _("unreadable answer to the create call: reconcile before retrying")
                )
            return Transient(NETWORK, _("unreadable answer from {what}").format(what=what))
        return Rejected(NETWORK, f"{status}: {message}")

    def _retry_after(self) -> float:
        """Seconds until X-RateLimit-Reset (an ISO 8601 instant), from the 429 this thread just got."""
        response = getattr(self._seen, "response", None)
        reset = response.headers.get("X-RateLimit-Reset") if response is not None else None
        if not reset:
            return DEFAULT_BACKOFF_S
        try:
            instant = datetime.fromisoformat(reset.replace("Z", "+00:00")).timestamp()
        except ValueError:
            try:
                instant = float(reset)  # some servers (GoToSocial) send epoch seconds
            except ValueError:
                return DEFAULT_BACKOFF_S
        return max(1.0, instant - self.clock())

    # -- publishing -------------------------------------------------------------------------------

    def validate(self, content: Content) -> TextLength:
        limits = self.limits()
        return mastodon_text.measure(content.text, limits.max_characters, limits.characters_reserved_per_url)

    def _check_text(self, content: Content) -> None:
        length = self.validate(content)
        if not length.ok:
            raise Rejected(NETWORK, length.reason or _("text refused"))

    def upload_media(self, content: Content, handle: MediaHandle | None = None) -> MediaHandle | None:
        """Mastodon's documented limits first (no call), then the instance's own, text and video,
        before a byte of video is sent."""
        if content.video is None:
            self._check_text(content)
            return None
        video = self.check_video(content)
        self._check_text(content)
        self._check_instance_video(content, video)
        return self.upload_video(content, video, handle)

    def _check_instance_video(self, content: Content, video: VideoInfo | None) -> None:
        limits = self.limits()  # the instance's own limits, tighter or looser than Mastodon's defaults
        size = content.video.stat().st_size if content.video is not None else 0
        if size > limits.video_size_limit:
            raise Rejected(
                NETWORK,
                _("the video weighs {size} MB, the instance takes at most {limit} MB").format(
                    size=round(size / 1024**2), limit=round(limits.video_size_limit / 1024**2)
                ),
            )
        if video is not None and video.width * video.height > limits.video_matrix_limit:
            raise Rejected(
                NETWORK,
                _("the video is {width}×{height}, the instance takes at most {limit} pixels a frame").format(
                    width=video.width, height=video.height, limit=f"{limits.video_matrix_limit:,}"
                ),
            )

    def upload_video(
        self, content: Content, video: VideoInfo | None, handle: MediaHandle | None
    ) -> MediaHandle:
        assert content.video is not None
        if handle is not None and handle.extra.get("ready"):
            return handle
        notes: list[str] = []
        description = content.alt_text
        limit = self.limits().description_limit
        if description and len(description) > limit:
            description = description[: limit - 1].rstrip() + "…"
            notes.append(_("the alt text was cut to the instance's {limit} characters").format(limit=limit))
        if handle is None:
            media = self._call(
                self.client.media_post,
                str(content.video),
                mime_type="video/mp4",
                description=description or None,
                what=_("the media upload"),
            )
            handle = MediaHandle(NETWORK, str(media["id"]), 0, 0, {"notes": notes})
            if media.get("url"):
                handle.extra["ready"] = True
                return handle
        deadline = self.clock() + PROCESSING_DEADLINE_S
        while True:  # 206 while processing (Mastodon.py returns the attachment, url null), then 200
            media = self._call(self.client.media, handle.remote_id, what=_("the media status"))
            if media.get("url"):
                handle.extra["ready"] = True
                return handle
            if self.clock() > deadline:
                raise Transient(
                    NETWORK,
                    _("the video is still processed after {seconds:.0f} s").format(
                        seconds=PROCESSING_DEADLINE_S
                    ),
                )
            self.sleep(POLL_INTERVAL_S)

    def create(self, content: Content, media: MediaHandle | None) -> Published:
        self._check_text(content)
        visibility = content.choices.get("visibility")
        if visibility not in VISIBILITIES:
            raise Rejected(
                NETWORK,
                _("no visibility chosen ({options}): write it under the account or the post").format(
                    options=", ".join(VISIBILITIES)
                ),
            )
        key = content.idempotency_key or uuid.uuid4().hex  # without a delivery: a key of this call's own
        status = self._call(
            self.client.status_post,
            content.text,
            media_ids=[media.remote_id] if media is not None else None,
            visibility=str(visibility),
            language=post_language(content),
            idempotency_key=key,
            what=_("the create call"),
            creating=True,
        )
        if not status.get("id"):
            raise Unconfirmed(NETWORK, _("create answered without a status id: reconcile before retrying"))
        notes = list(media.extra.get("notes", ())) if media is not None else []
        separate = [track.language for track in content.captions if not track.burned_in]
        if media is not None and separate:
            notes.append(
                _(
                    "Mastodon takes no caption track: {languages} not sent (only subtitles burned into "
                    "the video are seen)"
                ).format(languages=", ".join(separate))
            )
        return Published(NETWORK, str(status["id"]), status.get("url") or None, notes=tuple(notes))

    def poll(self, published: Published, *, deadline_s: float = 120.0) -> Published:
        return published  # the video was processed before the status was created

    # -- reading ----------------------------------------------------------------------------------

    def _me(self) -> dict[str, Any]:
        return dict(self._call(self.client.account_verify_credentials, what=_("the account")))

    def find_published(self, content_fingerprint: str, *, limit: int = 100) -> Published | None:
        me = self._me()
        seen, max_id = 0, None
        while seen < limit:
            page = self._call(
                self.client.account_statuses,
                me["id"],
                limit=min(STATUSES_PAGE, limit - seen),
                max_id=max_id,
                exclude_reblogs=True,
                what=_("the account's statuses"),
            )
            for status in page:
                if fingerprint(plain_text(str(status.get("content") or ""))) == content_fingerprint:
                    return Published(NETWORK, str(status["id"]), status.get("url") or None)
            if not page:
                return None
            seen += len(page)
            max_id = page[-1]["id"]
        return None

    def fetch_metrics(self, remote_ids: list[str]) -> list[MetricReading]:
        readings = []
        names = self.metric_names["post"]
        for remote_id in remote_ids:
            try:
                status = self.client.status(remote_id)
            except MastodonNotFoundError:
                readings.append(MetricReading(remote_id, {}, {"error": "Record not found"}, missing=True))
                continue
            except MastodonError as failure:
                raise self.classify(failure, creating=False, what=_("a status")) from None
            raw = {name: status.get(name) for name in names if isinstance(status.get(name), int)}
            readings.append(MetricReading(remote_id, normalise(names, raw), raw))
        return readings

    def check_credentials(self) -> str:
        limits = self.limits()  # read and remembered: `campaign check` now knows the instance's limit
        me = self._me()
        return _("@{acct}@{host} (texts up to {limit} characters)").format(
            acct=me.get("acct"), host=self.host, limit=limits.max_characters
        )


def post_language(content: Content) -> str | None:
    """The post's ISO 639-1 code: the first of the territory's languages that has one (Réunion's
    [rcf, fr] gives fr); None lets the instance guess."""
    import langcodes

    for tag in content.languages:
        try:
            language = langcodes.Language.get(tag).language
        except (ValueError, langcodes.LanguageTagError):
            continue
        if language and len(language) == 2:
            return language
    return None


def _version(value: str) -> str | None:
    """``4.4.0-nightly…`` → ``4.4.0`` (what Mastodon.py's version checks take), None when unreadable."""
    import re

    found = re.match(r"(\d+)\.(\d+)\.(\d+)", value or "")
    return found.group(0) if found else None


def _status(failure: MastodonError) -> tuple[int | None, str]:
    """(HTTP status, Mastodon's error message) of a Mastodon.py API error."""
    args = failure.args
    if isinstance(failure, MastodonAPIError) and len(args) >= 4 and isinstance(args[1], int):
        return args[1], str(args[3] or args[2] or "")
    return None, str(args[0]) if args else type(failure).__name__


class _Text(HTMLParser):
    """A status's HTML content back to its text: paragraphs apart, line breaks kept, tags dropped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")
        elif tag == "p" and self.parts:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def plain_text(content: str) -> str:
    parser = _Text()
    parser.feed(content)
    parser.close()
    return "".join(parser.parts)
