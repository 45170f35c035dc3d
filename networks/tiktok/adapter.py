"""TikTok: creator_info first, then a FILE_UPLOAD in chunks to the creator's inbox (or a direct post).

Stages (networks.base.Adapter):

- ``upload_video``: every choice the campaign made is checked against what ``creator_info`` offers this
  creator (privacy levels, comments/duets/stitches the creator turned off, the longest video they may
  post) — a choice it does not offer is refused here, before any upload; then the init call (inbox:
  ``/v2/post/publish/inbox/video/init/``, scope video.upload; an audited account: direct post
  ``/v2/post/publish/video/init/``, scope video.publish, with the choices as ``post_info``), paced to
  TikTok's 6 init calls a minute per token, and every chunk but the last;
- ``create``: the last chunk, the call that makes the post exist (a timeout there is Unconfirmed);
- ``poll``: ``/v2/post/publish/status/fetch/`` every few seconds (30 a minute allowed) until
  ``PUBLISH_COMPLETE``, ``SEND_TO_USER_INBOX`` or ``FAILED``, within a deadline.

A post sent to the inbox is reported as such (``visibility="inbox"`` and a note): it is a draft the
creator finishes in the TikTok app, not a public post. Nothing of the tool's own is added to the
creator's content (TikTok's content sharing guidelines: no watermark, brand or promotional link).
"""

from __future__ import annotations

import logging
from collections import deque
from pathlib import Path
from typing import Any, Unpack

from campaign.i18n import _
from networks.base import (
    Adapter,
    AdapterOptions,
    Content,
    MediaHandle,
    MetricReading,
    NetworkError,
    Published,
    Rejected,
    Transient,
    fingerprint,
)
from networks.credentials import Credentials
from networks.media import VideoInfo
from networks.spec import normalise
from networks.tiktok.client import TikTokClient
from networks.tiktok.spec import PRIVACY_LEVELS, SPEC

log = logging.getLogger("clickable.tiktok")

MiB = 1024 * 1024
# developers.tiktok.com/doc/content-posting-api-media-transfer-guide ("Chunk restrictions")
MIN_CHUNK = 5 * MiB
MAX_CHUNK = 64 * MiB
MAX_FINAL_CHUNK = 128 * MiB
MAX_CHUNKS = 1000
CHUNK_BYTES = 16 * MiB  # what we send (between 5 and 64 MB)
INIT_PER_MINUTE = 6  # "Each user access_token is limited to 6 requests per minute" (init endpoints)
POLL_INTERVAL_S = 3.0  # status/fetch allows 30 requests a minute per token
LIST_PAGE = 20  # /v2/video/list/ max_count, /v2/video/query/ video_ids at most 20
VIDEO_FIELDS = "id,title,video_description,create_time,share_url"
METRIC_FIELDS = "id,view_count,like_count,comment_count,share_count"
BOOLEAN_CHOICES = (
    "disable_comment",
    "disable_duet",
    "disable_stitch",
    "brand_content_toggle",
    "brand_organic_toggle",
)
INBOX = "inbox"  # a draft in the creator's TikTok inbox: not public until they finish it in the app
# who can see a direct post, in the words the deliveries keep (delivery.visibility: public, private…)
VISIBILITY = {
    "PUBLIC_TO_EVERYONE": "public",
    "MUTUAL_FOLLOW_FRIENDS": "friends",
    "FOLLOWER_OF_CREATOR": "followers",
    "SELF_ONLY": "private",
}


def chunk_plan(size: int, chunk_bytes: int = CHUNK_BYTES) -> tuple[int, int]:
    """(chunk_size, total_chunk_count) for a file of ``size`` bytes, by TikTok's chunk rules.

    A file under 5 MB is one chunk of its own size; otherwise chunks of ``chunk_bytes`` (kept within
    5–64 MB), their count the size divided by the chunk size rounded down, the last chunk taking the
    trailing bytes (so it is under twice the chunk size: at most 128 MB).
    """
    if size <= 0:
        raise ValueError("an empty file has no chunks")
    if size < MIN_CHUNK:
        return size, 1
    chunk = max(MIN_CHUNK, min(MAX_CHUNK, chunk_bytes, size))
    count = size // chunk
    if count > MAX_CHUNKS:  # a bigger chunk keeps the count within 1,000
        chunk = -(-size // MAX_CHUNKS)
        count = size // chunk
    return chunk, count


def chunk_spans(size: int, chunk: int, count: int) -> list[tuple[int, int]]:
    """(first byte, length) of each chunk, in order: the last one takes the trailing bytes."""
    spans = [(index * chunk, chunk) for index in range(count - 1)]
    first = (count - 1) * chunk
    spans.append((first, size - first))
    return spans


class TikTokAdapter(Adapter):
    spec = SPEC

    def __init__(
        self, credentials: Credentials, *, chunk_bytes: int = CHUNK_BYTES, **options: Unpack[AdapterOptions]
    ) -> None:
        super().__init__(credentials, **options)
        self.chunk_bytes = chunk_bytes
        self._client: TikTokClient | None = None
        self._inits: deque[float] = deque(maxlen=INIT_PER_MINUTE)  # when the last init calls were sent
        self.creator: dict[str, Any] | None = None  # creator_info's last answer

    @property
    def client(self) -> TikTokClient:
        if self._client is None:
            self._client = TikTokClient(
                client_key=self.credentials.get("client_key") or "",
                client_secret=self.credentials.get("client_secret") or "",
                refresh_token=self.credentials.get("refresh_token") or "",
                emulator_url=self.emulator_url,
                timeout=self.timeout,
                clock=self.clock,
                save=self.save_credentials,
            )
        return self._client

    @property
    def direct(self) -> bool:
        """Direct post only for an account marked audited in campaign.yaml; else the creator's inbox."""
        value = self.settings.get("audited", False)
        return value is True or str(value).lower() in ("true", "yes", "1")

    # -- the campaign's choices, against creator_info ----------------------------------------------

    def choices(self, content: Content) -> dict[str, Any]:
        """The six decisions, as campaign.yaml made them; a missing one is refused (no default)."""
        made: dict[str, Any] = {}
        for choice in self.spec.choices:
            value = content.choices.get(choice.name)
            if value is None:
                raise Rejected(
                    self.network,
                    _(
                        "no {name} choice for TikTok: write choices: {{tiktok: {{{name}: …}}}} in the post "
                        "or {name}: under the account (TikTok forbids a default)"
                    ).format(name=choice.name),
                )
            if choice.boolean:
                value = value if isinstance(value, bool) else str(value).lower() in ("true", "yes", "1")
            made[choice.name] = value
        if made["privacy_level"] not in PRIVACY_LEVELS:
            raise Rejected(
                self.network,
                _("privacy_level {value} is not one of TikTok's levels").format(value=made["privacy_level"]),
            )
        return made

    def creator_info(self) -> dict[str, Any]:
        """``POST /v2/post/publish/creator_info/query/``: what this creator may post, asked before each post."""
        self.creator = self.client.call("/v2/post/publish/creator_info/query/", {}, what="creator_info")
        return self.creator

    def refusal(self, made: dict[str, Any], creator: dict[str, Any], video: VideoInfo | None) -> str | None:
        """Why creator_info does not offer what the campaign chose, or None."""
        options = [str(item) for item in creator.get("privacy_level_options") or []]
        if made["privacy_level"] not in options:
            return _(
                "privacy_level {value} is not offered to @{user} (creator_info offers {options})"
            ).format(
                value=made["privacy_level"],
                user=creator.get("creator_username", "?"),
                options=", ".join(options),
            )
        for feature in ("comment", "duet", "stitch"):
            if creator.get(f"{feature}_disabled") and not made[f"disable_{feature}"]:
                return _(
                    "disable_{feature} is false but @{user} turned {feature}s off in TikTok "
                    "(creator_info {feature}_disabled): set disable_{feature}: true"
                ).format(feature=feature, user=creator.get("creator_username", "?"))
        if made["brand_content_toggle"] and made["privacy_level"] == "SELF_ONLY":
            # developers.tiktok.com/doc/content-sharing-guidelines: branded content cannot be private
            return _("branded content (brand_content_toggle) cannot be SELF_ONLY on TikTok")
        longest = creator.get("max_video_post_duration_sec")
        if (
            video is not None
            and video.seconds
            and isinstance(longest, int | float)
            and video.seconds > longest
        ):
            return _("the video lasts {seconds:g} s, @{user} may post at most {longest} s").format(
                seconds=round(video.seconds, 1), user=creator.get("creator_username", "?"), longest=longest
            )
        return None

    # -- upload (creator_info, init, every chunk but the last) -------------------------------------

    def _pace_init(self) -> None:
        """At most 6 init calls a minute per token: wait for the oldest of the last six to be a minute old."""
        now = self.clock()
        if len(self._inits) == INIT_PER_MINUTE and now - self._inits[0] < 60.0:
            wait = 60.0 - (now - self._inits[0])
            log.info("tiktok: %d init calls in the last minute, waiting %.0f s", INIT_PER_MINUTE, wait)
            self.sleep(wait)
            now += wait
        self._inits.append(now)

    def upload_video(
        self, content: Content, video: VideoInfo | None, handle: MediaHandle | None
    ) -> MediaHandle:
        assert content.video is not None
        path = Path(content.video)
        size = path.stat().st_size
        made = self.choices(content)  # a missing choice is refused before any call
        creator = self.creator_info()
        refused = self.refusal(made, creator, video)
        if refused is not None:
            raise Rejected(self.network, refused)
        if self.direct and self.find_published(content.fingerprint) is not None:
            # TikTok documents no duplicate check: the creator's own post of this caption is looked for first
            raise Rejected(
                self.network,
                _("@{user} already posted this caption").format(user=creator.get("creator_username", "?")),
                duplicate=True,
            )
        chunk, count = chunk_plan(size, self.chunk_bytes)
        source = {
            "source": "FILE_UPLOAD",
            "video_size": size,
            "chunk_size": chunk,
            "total_chunk_count": count,
        }
        self._pace_init()
        if self.direct:
            post_info: dict[str, Any] = {"title": content.text, **made}
            data = self.client.call(
                "/v2/post/publish/video/init/",
                {"post_info": post_info, "source_info": source},
                what="direct post init",
            )
        else:  # the inbox upload takes the video only: the creator writes the caption in the app
            data = self.client.call(
                "/v2/post/publish/inbox/video/init/", {"source_info": source}, what="inbox upload init"
            )
        publish_id, upload_url = str(data.get("publish_id") or ""), str(data.get("upload_url") or "")
        if not publish_id or not upload_url:
            raise Transient(self.network, _("the init call answered without publish_id or upload_url"))
        from urllib.parse import parse_qs, urlsplit

        from campaign.logs import SECRETS

        # the upload_url carries an upload token in its query: never in a log line (urllib3 logs URLs)
        SECRETS.add(*parse_qs(urlsplit(upload_url).query).get("upload_token", []))
        spans = chunk_spans(size, chunk, count)
        handle = MediaHandle(
            self.network,
            publish_id,
            0,
            size,
            {
                "upload_url": upload_url,
                "spans": spans,
                "path": str(path),
                "mode": "direct" if self.direct else INBOX,
                "choices": made,
                "creator": creator.get("creator_username"),
            },
        )
        with path.open("rb") as stream:
            for first, length in spans[:-1]:
                stream.seek(first)
                self.client.put_chunk(
                    upload_url, stream.read(length), first=first, total=size, creating=False
                )
                handle.uploaded_bytes = first + length
        return handle

    # -- create (the last chunk, once) -------------------------------------------------------------

    def create(self, content: Content, media: MediaHandle | None) -> Published:
        if media is None:
            raise Rejected(self.network, self.video_required_reason())
        first, length = media.extra["spans"][-1]
        with Path(media.extra["path"]).open("rb") as stream:
            stream.seek(first)
            chunk = stream.read(length)
        self.client.put_chunk(
            media.extra["upload_url"], chunk, first=first, total=media.total_bytes, creating=True
        )
        media.uploaded_bytes = media.total_bytes
        inbox = media.extra["mode"] == INBOX
        notes = [self._inbox_note(media.extra)] if inbox else []
        sidecars = [track.language for track in content.captions if not track.burned_in]
        if sidecars:
            burned = [track.language for track in content.captions if track.burned_in]
            notes.append(
                _(
                    "TikTok's API takes no subtitle file: the tracks {languages} were not sent "
                    "(subtitles burned into the video: {burned})"
                ).format(languages=", ".join(sidecars), burned=", ".join(burned) or "-")
            )
        return Published(
            self.network,
            media.remote_id,
            None,
            processing=True,
            visibility=INBOX if inbox else VISIBILITY[str(media.extra["choices"]["privacy_level"])],
            notes=tuple(notes),
        )

    def _inbox_note(self, extra: dict[str, Any]) -> str:
        made = extra["choices"]
        off = [feature for feature in ("comment", "duet", "stitch") if made[f"disable_{feature}"]]
        return _(
            "sent to @{user}'s TikTok inbox as a draft, not published: the creator finishes it in the TikTok "
            "app (caption, privacy {privacy}, turned off: {off}, commercial content: {brand})"
        ).format(
            user=extra.get("creator") or "?",
            privacy=made["privacy_level"],
            off=", ".join(off) or "-",
            brand=_("yes") if made["brand_content_toggle"] or made["brand_organic_toggle"] else _("no"),
        )

    # -- processing ----------------------------------------------------------------------------------

    def status(self, publish_id: str) -> dict[str, Any]:
        return self.client.call("/v2/post/publish/status/fetch/", {"publish_id": publish_id}, what="status")

    def poll(self, published: Published, *, deadline_s: float = 120.0) -> Published:
        deadline = self.clock() + deadline_s
        while True:
            data = self.status(published.remote_id)
            state = data.get("status")
            if state == "FAILED":
                raise Rejected(
                    self.network,
                    _("TikTok could not post the video ({reason})").format(
                        reason=data.get("fail_reason") or "?"
                    ),
                )
            if state == "SEND_TO_USER_INBOX":
                return Published(
                    self.network,
                    published.remote_id,
                    None,
                    processing=False,
                    visibility=INBOX,
                    notes=published.notes,
                )
            if state == "PUBLISH_COMPLETE":
                ids = [
                    str(item) for item in data.get("publicaly_available_post_id") or []
                ]  # TikTok's spelling
                remote_id = ids[0] if ids else published.remote_id
                url = self._url(remote_id) if ids else None
                return Published(
                    self.network,
                    remote_id,
                    url,
                    processing=False,
                    visibility=published.visibility,
                    notes=published.notes,
                )
            if self.clock() > deadline:
                raise Transient(
                    self.network,
                    _("TikTok did not finish the post within {seconds} s").format(seconds=round(deadline_s)),
                )
            self.sleep(POLL_INTERVAL_S)

    def _url(self, video_id: str) -> str:
        user = (self.creator or {}).get("creator_username")
        return (
            f"https://www.tiktok.com/@{user}/video/{video_id}"
            if user
            else f"https://www.tiktok.com/video/{video_id}"
        )

    # -- reading (Display API, scope video.list) ---------------------------------------------------

    def find_published(self, content_fingerprint: str, *, limit: int = 100) -> Published | None:
        cursor: int | None = None
        seen = 0
        while seen < limit:
            body: dict[str, Any] = {"max_count": LIST_PAGE}
            if cursor is not None:
                body["cursor"] = cursor
            data = self.client.call("/v2/video/list/", body, fields=VIDEO_FIELDS, what="video list")
            videos = data.get("videos") or []
            for video in videos:
                caption = video.get("title") or video.get("video_description") or ""
                if fingerprint(str(caption)) == content_fingerprint:
                    return Published(
                        self.network, str(video["id"]), video.get("share_url") or self._url(str(video["id"]))
                    )
            seen += len(videos)
            if not data.get("has_more") or not videos:
                return None
            cursor = data.get("cursor")
        return None

    def fetch_metrics(self, remote_ids: list[str]) -> list[MetricReading]:
        readings: list[MetricReading] = []
        videos = [remote_id for remote_id in remote_ids if "~" not in remote_id]
        for publish_id in (remote_id for remote_id in remote_ids if "~" in remote_id):
            readings.append(self._draft_reading(publish_id))
        for start in range(0, len(videos), LIST_PAGE):
            batch = videos[start : start + LIST_PAGE]
            data = self.client.call(
                "/v2/video/query/",
                {"filters": {"video_ids": batch}},
                fields=METRIC_FIELDS,
                what="video query",
            )
            found = {str(item.get("id")): item for item in data.get("videos") or []}
            for video_id in batch:
                item = found.get(video_id)
                if item is None:
                    readings.append(MetricReading(video_id, {}, {}, missing=True))
                    continue
                raw = {
                    key: value
                    for key, value in item.items()
                    if key != "id" and isinstance(value, int | float)
                }
                readings.append(MetricReading(video_id, normalise(self.metric_names["video"], raw), raw))
        return readings

    def _draft_reading(self, publish_id: str) -> MetricReading:
        """A post sent to the inbox has no numbers until the creator posts it in the app."""
        try:
            data = self.status(publish_id)
        except NetworkError:
            return MetricReading(publish_id, {}, {})
        ids = [str(item) for item in data.get("publicaly_available_post_id") or []]
        if data.get("status") == "PUBLISH_COMPLETE" and ids:
            [reading] = self.fetch_metrics(ids[:1])
            return MetricReading(
                publish_id, reading.normalised, {**reading.raw, "post_id": ids[0]}, reading.missing
            )
        return MetricReading(publish_id, {}, {}, data.get("status") == "FAILED")

    def check_credentials(self) -> str:
        creator = self.creator_info()
        return "@" + str(creator.get("creator_username") or creator.get("creator_nickname") or "?")
