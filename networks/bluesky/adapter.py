"""Bluesky through the ``atproto`` package: posts on the account's PDS, videos through the video service.

Publishing a video follows https://docs.bsky.app/docs/tutorials/video ("recommended method"):
``getUploadLimits`` on the video service (a service token for ``did:web:video.bsky.app``), a service
token for the PDS (``com.atproto.server.getServiceAuth``, audience the PDS's ``did:web``, method
``com.atproto.repo.uploadBlob``), ``POST https://video.bsky.app/xrpc/app.bsky.video.uploadVideo``, then
``app.bsky.video.getJobStatus`` until the job hands back the video's blob. Each language's WebVTT
captions are uploaded as ``text/vtt`` blobs to the PDS, then the post is created once with an
``app.bsky.embed.video`` embed (video, alt text, aspect ratio, captions), its links and hashtags as
facets (UTF-8 byte offsets) and ``langs``.

The session (accessJwt, refreshJwt) lives in the client's memory only: the client refreshes it before
the access token expires; it is never stored. Errors are classified from the XRPC ``error`` codes
(``{"error": "ExpiredToken", "message": …}``) and the HTTP status, never from messages.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Unpack

from campaign.i18n import _
from campaign.logs import SECRETS
from networks.base import (
    DEFAULT_BACKOFF_S,
    Adapter,
    AdapterOptions,
    CaptionTrack,
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
from networks.bluesky import text
from networks.bluesky.spec import APP_PASSWORD, ENTRYWAY, SPEC, VIDEO_SERVICE
from networks.credentials import Credentials
from networks.media import VideoInfo
from networks.spec import normalise
from networks.transport import httpx_options

if TYPE_CHECKING:
    from atproto import Client

log = logging.getLogger("clickable.bluesky")

NETWORK = "bluesky"
POST = "app.bsky.feed.post"
UPLOAD_BLOB = "com.atproto.repo.uploadBlob"
UPLOAD_LIMITS = "app.bsky.video.getUploadLimits"
SERVICE_TOKEN_S = 30 * 60  # the video guide's advice; the PDS refuses more than an hour
JOB_DEADLINE_S = 300.0
JOB_POLL_S = 1.0
POSTS_BATCH = 25  # app.bsky.feed.getPosts: uris has at most 25 items
MAX_CAPTIONS = 20  # app.bsky.embed.video: captions has at most 20 items
MAX_CAPTION_BYTES = 20_000  # app.bsky.embed.video#caption: a text/vtt blob of at most 20,000 bytes
APP_PASSWORD_SCOPES = ("com.atproto.appPass", "com.atproto.appPassPrivileged")
# XRPC error codes that no retry fixes: a person must act (a new app password, the account restored)
REAUTH_CODES = frozenset(
    {
        "AuthenticationRequired",
        "AuthMissing",
        "ExpiredToken",
        "InvalidToken",
        "AccountTakedown",
        "AccountDeactivated",
        "AccountNotFound",
    }
)
METRIC_FIELDS = ("likeCount", "repostCount", "quoteCount", "replyCount", "bookmarkCount")


def classify(error: Exception, *, creating: bool, now: float) -> NetworkError:
    """An atproto failure as what the caller can do about it (XRPC codes and HTTP status only)."""
    from atproto_client.exceptions import RequestErrorBase
    from atproto_client.models.common import XrpcError

    response = error.response if isinstance(error, RequestErrorBase) else None
    if response is None:  # no answer: a timeout, a refused or dropped connection
        return connection_failure(NETWORK, error, creating=creating, what="Bluesky")
    status = response.status_code
    content = response.content
    code = content.error if isinstance(content, XrpcError) else None
    message = (content.message if isinstance(content, XrpcError) else None) or ""
    if status == 429 or code == "RateLimitExceeded":
        return RateLimited(NETWORK, _("rate limited (429)"), retry_after=retry_after(response.headers, now))
    if status == 401 or code in REAUTH_CODES:
        return NeedsReauth(
            NETWORK,
            _(
                "Bluesky refused the session ({code}): create a new app password, then run `clickable accounts add`"
            ).format(code=code or status),
        )
    if status >= 500:
        if creating:
            return Unconfirmed(
                NETWORK, _("server error {status} on create: reconcile before retrying").format(status=status)
            )
        return Transient(NETWORK, _("server error {status}").format(status=status))
    detail = f"{code}: {message}" if code and message else (code or message or f"HTTP {status}")
    return Rejected(NETWORK, detail)


def retry_after(headers: dict[str, Any], now: float) -> float:
    """Seconds until the rate-limit window resets (``ratelimit-reset``: epoch seconds), else a backoff."""
    reset = headers.get("ratelimit-reset")
    if reset is None:
        return DEFAULT_BACKOFF_S
    try:
        return max(1.0, float(reset) - now)
    except ValueError:
        return DEFAULT_BACKOFF_S


class BlueskyAdapter(Adapter):
    spec = SPEC

    def __init__(self, credentials: Credentials, **options: Unpack[AdapterOptions]) -> None:
        super().__init__(credentials, **options)
        self.handle = credentials.get("handle").removeprefix("@")
        self.host = (credentials.get("pds") if "pds" in credentials.values else "") or ENTRYWAY
        self.host = self.host.removeprefix("https://").rstrip("/")
        self._client: Client | None = None

    # -- the session -------------------------------------------------------------------------------

    def _new_client(self, base_url: str) -> Client:
        from atproto import Client
        from atproto_client.request import Request

        request = Request(**httpx_options(emulator_url=self.emulator_url, timeout=self.timeout))
        return Client(base_url=base_url, request=request)

    @property
    def client(self) -> Client:
        """The logged-in client (created, and the session opened, the first time it is needed)."""
        if self._client is None:
            self._client = self._login()
        return self._client

    def _login(self) -> Client:
        password = self.credentials.get("app_password")
        if not _is_app_password(password):
            raise NeedsReauth(
                NETWORK,
                _(
                    "the stored password is not an app password (xxxx-xxxx-xxxx-xxxx): create one in "
                    "Bluesky's settings (Privacy and security → App passwords), never use the main password, "
                    "then run `clickable accounts add`"
                ),
            )
        client = self._new_client(f"https://{self.host}")
        client.on_session_change(lambda _event, session: SECRETS.add(session.access_jwt, session.refresh_jwt))
        try:
            client.login(self.handle, password, fetch_bsky_profile=False)
        except Exception as error:
            raise classify(error, creating=False, now=self.clock()) from None
        session = client._session
        assert session is not None
        SECRETS.add(session.access_jwt, session.refresh_jwt)
        scope = session.access_jwt_payload.scope
        if scope not in APP_PASSWORD_SCOPES:  # the main password opens a com.atproto.access session
            raise NeedsReauth(
                NETWORK,
                _(
                    "these credentials are the account's main password, not an app password: create an app "
                    "password in Bluesky's settings and run `clickable accounts add`"
                ),
            )
        return client

    @property
    def did(self) -> str:
        session = self.client._session
        assert session is not None
        return str(session.did)

    def _pds_host(self) -> str:
        """The host of the account's PDS (named by its DID document at login)."""
        from urllib.parse import urlsplit

        return urlsplit(self.client._base_url).hostname or self.host

    def _call(self, call: Any, *args: Any, creating: bool = False, **kwargs: Any) -> Any:
        try:
            return call(*args, **kwargs)
        except Exception as error:
            classified = classify(error, creating=creating, now=self.clock())
            if isinstance(classified, NeedsReauth):
                self._client = None  # the next call opens a new session (after `accounts add`)
            raise classified from None

    def _service_token(self, audience: str, method: str) -> str:
        exp = int(datetime.now(UTC).timestamp()) + SERVICE_TOKEN_S  # the PDS checks it against real time
        token = self._call(
            self.client.com.atproto.server.get_service_auth, {"aud": audience, "lxm": method, "exp": exp}
        ).token
        SECRETS.add(token)
        return str(token)

    # -- video -----------------------------------------------------------------------------------

    def upload_video(
        self, content: Content, video: VideoInfo | None, handle: MediaHandle | None
    ) -> MediaHandle:
        from atproto_client.models.dot_dict import DotDict
        from atproto_client.models.utils import get_model_as_dict

        assert content.video is not None
        path = Path(content.video)
        size = path.stat().st_size
        captions = _caption_files(content.captions)  # refused here, before a byte of the video is sent
        alt = _alt_text(content)
        if alt is not None and text.graphemes(alt) > text.ALT_GRAPHEME_LIMIT:
            raise Rejected(
                NETWORK,
                _("the video's alt text has {length} graphemes, Bluesky takes at most {limit}").format(
                    length=text.graphemes(alt), limit=text.ALT_GRAPHEME_LIMIT
                ),
            )
        service = self._new_client(f"https://{VIDEO_SERVICE}")
        self._check_upload_limits(service, size)
        token = self._service_token(f"did:web:{self._pds_host()}", UPLOAD_BLOB)
        with path.open("rb") as stream:  # streamed, with its Content-Length: the video is never read whole
            answer = self._call(
                service.app.bsky.video.upload_video,
                None,
                params=DotDict({"did": self.did, "name": path.name}),
                headers={"Authorization": f"Bearer {token}", "Content-Length": str(size)},
                content=stream,
            )
        job = answer.job_status
        blob = self._wait_for_job(service, job)
        tracks = [
            {
                "lang": language,
                "file": get_model_as_dict(
                    self._call(
                        self.client.com.atproto.repo.upload_blob,
                        None,
                        headers={"Content-Type": "text/vtt"},
                        content=data,
                    ).blob
                ),
            }
            for language, data in captions
        ]
        extra: dict[str, Any] = {"blob": get_model_as_dict(blob), "captions": tracks}
        if video is not None and video.width and video.height:
            extra["aspectRatio"] = {"width": video.width, "height": video.height}
        return MediaHandle(NETWORK, str(blob.cid), size, size, extra)

    def _check_upload_limits(self, service: Client, size: int) -> None:
        token = self._service_token(f"did:web:{VIDEO_SERVICE}", UPLOAD_LIMITS)
        limits = self._call(
            service.app.bsky.video.get_upload_limits, headers={"Authorization": f"Bearer {token}"}
        )
        if limits.can_upload and (
            limits.remaining_daily_bytes is None or limits.remaining_daily_bytes >= size
        ):
            return
        if limits.remaining_daily_videos == 0 or (
            limits.remaining_daily_bytes is not None and limits.remaining_daily_bytes < size
        ):
            raise RateLimited(
                NETWORK,
                _("the account's daily video allowance is used up"),
                retry_after=_until_midnight_utc(),
            )
        raise Rejected(
            NETWORK,
            _(
                "Bluesky does not let this account upload videos ({why}): an account must have verified its "
                "e-mail address (Settings → Account) before it uploads a video"
            ).format(why=limits.message or limits.error or _("no reason given")),
        )

    def _wait_for_job(self, service: Client, job: Any) -> Any:
        deadline = self.clock() + JOB_DEADLINE_S
        while True:
            if job.blob is not None:  # completed, or already processed ("already_exists") with its blob
                return job.blob
            if job.state == "JOB_STATE_FAILED":
                raise Rejected(
                    NETWORK,
                    _("video processing failed: {why}").format(
                        why=job.message or job.error or job.failure_code or _("no reason given")
                    ),
                )
            if self.clock() > deadline:
                raise Transient(
                    NETWORK,
                    _("video processing did not finish within {seconds:.0f} s").format(
                        seconds=JOB_DEADLINE_S
                    ),
                )
            self.sleep(JOB_POLL_S)
            job = self._call(service.app.bsky.video.get_job_status, {"jobId": job.job_id}).job_status

    # -- create (once) ---------------------------------------------------------------------------

    def record(self, content: Content, media: MediaHandle | None) -> dict[str, Any]:
        """The ``app.bsky.feed.post`` record for ``content`` (its video already uploaded)."""
        record: dict[str, Any] = {
            "$type": POST,
            "text": content.text,
            "createdAt": datetime.fromtimestamp(self.clock(), UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
        }
        if content.language:
            record["langs"] = [content.language][: text.MAX_LANGS]
        if facets := text.facets(content.text):
            record["facets"] = facets
        if media is not None:
            embed: dict[str, Any] = {"$type": "app.bsky.embed.video", "video": media.extra["blob"]}
            alt = _alt_text(content)
            if alt:
                embed["alt"] = alt
            if media.extra.get("aspectRatio"):
                embed["aspectRatio"] = media.extra["aspectRatio"]
            if media.extra.get("captions"):
                embed["captions"] = media.extra["captions"]
            record["embed"] = embed
        return record

    def create(self, content: Content, media: MediaHandle | None) -> Published:
        # Bluesky refuses no duplicate: the same text twice on the account is refused here, from its posts
        if self.find_published(content.fingerprint, limit=50) is not None:
            raise Rejected(NETWORK, _("this account already published this text"), duplicate=True)
        created = self._call(
            self.client.com.atproto.repo.create_record,
            {"repo": self.did, "collection": POST, "record": self.record(content, media)},
            creating=True,
        )
        if not getattr(created, "uri", None):
            raise Unconfirmed(NETWORK, _("create answered without a post: reconcile before retrying"))
        return Published(NETWORK, str(created.uri), self._url(str(created.uri)))

    def _url(self, uri: str) -> str:
        return f"https://bsky.app/profile/{self.handle}/post/{uri.rsplit('/', 1)[-1]}"

    def poll(self, published: Published, *, deadline_s: float = 120.0) -> Published:
        return published  # the video service processed the video before the post was created

    # -- reading ---------------------------------------------------------------------------------

    def find_published(self, content_fingerprint: str, *, limit: int = 100) -> Published | None:
        """The account's newest posts, read from its repository on the PDS (``com.atproto.repo.listRecords``:
        the AppView's feeds may not have indexed a post created a moment ago)."""
        listed = self._call(
            self.client.com.atproto.repo.list_records,
            {"repo": self.did, "collection": POST, "limit": max(1, min(limit, 100))},
        )
        for item in listed.records:
            if fingerprint(str(getattr(item.value, "text", "") or "")) == content_fingerprint:
                return Published(NETWORK, str(item.uri), self._url(str(item.uri)))
        return None

    def fetch_metrics(self, remote_ids: list[str]) -> list[MetricReading]:
        readings: list[MetricReading] = []
        for start in range(0, len(remote_ids), POSTS_BATCH):
            batch = remote_ids[start : start + POSTS_BATCH]
            answered = self._call(self.client.app.bsky.feed.get_posts, {"uris": batch})
            found = set()
            for post in answered.posts:
                dumped = post.model_dump(by_alias=True)
                raw = {name: dumped[name] for name in METRIC_FIELDS if dumped.get(name) is not None}
                readings.append(MetricReading(str(post.uri), normalise(self.metric_names["post"], raw), raw))
                found.add(str(post.uri))
            readings += [
                MetricReading(uri, {}, {"error": "not found"}, missing=True)
                for uri in batch
                if uri not in found
            ]
        return readings

    def check_credentials(self) -> str:
        session = self._call(self.client.com.atproto.server.get_session)
        who = f"@{session.handle}"
        if session.email_confirmed is False:
            who += _(", e-mail address not verified: Bluesky refuses its videos")
        return who


def _is_app_password(value: str) -> bool:
    import re

    return re.fullmatch(APP_PASSWORD, value) is not None


def _alt_text(content: Content) -> str | None:
    """The video's description in the post's language, else the one the delivery chose."""
    if content.language and content.alt_texts.get(content.language):
        return content.alt_texts[content.language]
    return content.alt_text


def _caption_files(tracks: tuple[CaptionTrack, ...]) -> list[tuple[str, bytes]]:
    """(language, WebVTT bytes) per language: the VTT sidecar, or the SubRip one converted."""
    files: list[tuple[str, bytes]] = []
    for track in tracks:
        if track.vtt is not None:
            data = Path(track.vtt).read_bytes()
        elif track.srt is not None:
            import pysubs2

            data = pysubs2.load(str(track.srt), encoding="utf-8").to_string("vtt").encode("utf-8")
        else:
            continue
        if len(data) > MAX_CAPTION_BYTES:
            raise Rejected(
                NETWORK,
                _("the {language} captions weigh {size} bytes, Bluesky takes at most {limit}").format(
                    language=track.language, size=len(data), limit=MAX_CAPTION_BYTES
                ),
            )
        files.append((track.language, data))
    if len(files) > MAX_CAPTIONS:
        raise Rejected(
            NETWORK,
            _("{count} caption tracks, Bluesky takes at most {limit}").format(
                count=len(files), limit=MAX_CAPTIONS
            ),
        )
    return files


def _until_midnight_utc() -> float:
    now = datetime.now(UTC)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return max(60.0, 86_400 - (now - midnight).total_seconds())
