"""Facebook Pages: text and link posts, Reels (start → rupload → finish), Page videos with captions.

Page videos use the resumable Page flow, ``POST /{page-id}/videos`` with ``upload_phase=start``,
``transfer`` (chunks the server asks for), ``finish`` (developers.facebook.com/docs/video-api/guides/publishing).
It needs the Page token alone, like every other call of this adapter. The other resumable flow,
``POST /{app-id}/uploads``, needs an app id and a User access token (graph-api/guides/upload): a second
token, which expires (60 days at most) where a Page token obtained from a long-lived User token does
not, for nothing the Page flow lacks.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any, Unpack

from campaign.i18n import _
from campaign.languages import language_name
from networks.base import (
    Adapter,
    AdapterOptions,
    CaptionTrack,
    Content,
    MediaHandle,
    MetricReading,
    NetworkError,
    Published,
    RateLimited,
    Rejected,
    Transient,
    Unconfirmed,
    fingerprint,
)
from networks.credentials import Credentials
from networks.facebook.locales import caption_locale
from networks.facebook.spec import SPEC
from networks.graph.client import GraphClient, GraphError
from networks.graph.insights import metric_reading
from networks.media import VideoInfo

POLL_INTERVAL_S = 2.0
DAY_S = 86_400.0
OFFSET_MISMATCH = 1363037  # a transfer at another offset than the server's: error_data gives its offsets
MAX_TRANSFERS = 100_000


class FacebookAdapter(Adapter):
    spec = SPEC

    def __init__(
        self, credentials: Credentials, *, reels: bool = True, **options: Unpack[AdapterOptions]
    ) -> None:
        super().__init__(credentials, **options)
        self.page = credentials.get("page_id")
        self.client = GraphClient(
            "facebook",
            credentials.get("page_token"),
            emulator_url=self.emulator_url,
            timeout=self.timeout,
            clock=self.clock,
        )
        self.reels = reels  # vertical videos go out as Reels; others as Page videos

    def video_kind(self, content: Content, video: VideoInfo | None) -> str:
        vertical = content.vertical
        if vertical is None:
            vertical = video.vertical if video is not None else True  # unreadable: the network decides
        return "reel" if self.reels and vertical else "video"

    def upload_video(
        self, content: Content, video: VideoInfo | None, handle: MediaHandle | None
    ) -> MediaHandle:
        assert content.video is not None
        data = Path(content.video).read_bytes()
        if self.video_kind(content, video) == "reel":
            return self._upload_reel(data, handle)
        return self._upload_page_video(data, handle)

    # -- Reels -------------------------------------------------------------------------------------

    def _upload_reel(self, data: bytes, handle: MediaHandle | None) -> MediaHandle:
        if handle is None:
            self._check_reels_left()
            started = self.client.request("POST", f"{self.page}/video_reels", data={"upload_phase": "start"})
            handle = MediaHandle("facebook", str(started["video_id"]), 0, len(data), {"kind": "reel"})
        if handle.uploaded_bytes < len(data):
            url = f"{self.client.base_urls['rupload']}/video-upload/{self.client.version}/{handle.remote_id}"
            self.client.request(
                "POST",
                "",
                data=data[handle.uploaded_bytes :],
                headers={"offset": str(handle.uploaded_bytes), "file_size": str(len(data))},
                url=url,
            )
            handle.uploaded_bytes = len(data)
        return handle

    def _check_reels_left(self) -> None:
        """The Page's own count of Reels in the last 24 hours (other tools publish too), before any byte is sent."""
        rules = self.spec.media.video("reel")
        cap = self.spec.caps.get(rules.cap or self.network)
        if cap is None:
            return
        now = self.clock()
        listed = self.client.request(
            "GET",
            f"{self.page}/video_reels",
            params={"fields": "id,created_time", "since": int(now - DAY_S), "limit": cap + 1},
        )
        times = sorted(
            instant
            for item in listed.get("data", [])
            if (instant := _instant(item.get("created_time"))) is not None and instant > now - DAY_S
        )
        if len(times) >= cap:
            wait = max(60.0, times[len(times) - cap] + DAY_S - now)
            raise RateLimited(
                self.network,
                _("the Page published {count} Reels in 24 hours (Meta allows {cap})").format(
                    count=len(times), cap=cap
                ),
                retry_after=wait,
            )

    # -- Page videos: start → transfer → finish ------------------------------------------------

    def _upload_page_video(self, data: bytes, handle: MediaHandle | None) -> MediaHandle:
        if handle is None:
            started = self.client.request(
                "POST",
                f"{self.page}/videos",
                host="video",
                data={"upload_phase": "start", "file_size": len(data)},
            )
            handle = MediaHandle(
                "facebook",
                str(started["video_id"]),
                int(started["start_offset"]),
                len(data),
                {
                    "kind": "video",
                    "session": str(started["upload_session_id"]),
                    "end": int(started["end_offset"]),
                },
            )
        start, end = handle.uploaded_bytes, int(handle.extra.get("end") or len(data))
        for _transfer in range(MAX_TRANSFERS):
            if start >= len(data):
                break
            try:
                answer = self.client.request(
                    "POST",
                    f"{self.page}/videos",
                    host="video",
                    data={
                        "upload_phase": "transfer",
                        "upload_session_id": handle.extra["session"],
                        "start_offset": str(start),
                    },
                    files={
                        "video_file_chunk": (
                            "chunk",
                            data[start : max(end, start + 1)],
                            "application/octet-stream",
                        )
                    },
                )
            except GraphError as error:
                if error.subcode != OFFSET_MISMATCH or "start_offset" not in error.data:
                    raise
                if int(error.data["start_offset"]) == start:
                    raise Transient(
                        self.network, _("the upload session refuses offset {offset}").format(offset=start)
                    ) from None
                answer = error.data  # resume where the server says it stands
            start, end = int(answer["start_offset"]), int(answer["end_offset"])
            handle.uploaded_bytes, handle.extra["end"] = start, end
        return handle

    def create(self, content: Content, media: MediaHandle | None) -> Published:
        if media is None:
            form = {"message": content.text}
            if content.link:
                form["link"] = content.link
            body = self.client.request("POST", f"{self.page}/feed", data=form, creating=True)
            if not body.get("id"):
                raise Unconfirmed(
                    "facebook", _("create answered without a post id: reconcile before retrying")
                )
            post_id = str(body["id"])
            return Published("facebook", post_id, _post_url(post_id))
        if media.extra.get("kind") == "reel":
            body = self.client.request(
                "POST",
                f"{self.page}/video_reels",
                data={
                    "upload_phase": "finish",
                    "video_id": media.remote_id,
                    "video_state": "PUBLISHED",
                    "description": content.text,
                },
                creating=True,
            )
            if not body.get("success"):
                raise Unconfirmed(
                    "facebook", _("Reel finish answered without success: reconcile before retrying")
                )
            return Published(
                "facebook",
                media.remote_id,
                f"https://www.facebook.com/reel/{media.remote_id}",
                processing=True,
                notes=self.upload_captions(media.remote_id, content.captions, content.languages),
            )
        body = self.client.request(
            "POST",
            f"{self.page}/videos",
            host="video",
            data={
                "upload_phase": "finish",
                "upload_session_id": media.extra["session"],
                "title": content.title or "",
                "description": content.text,
            },
            creating=True,
        )
        if not body.get("success"):
            raise Unconfirmed(
                "facebook", _("video finish answered without success: reconcile before retrying")
            )
        video_id = media.remote_id
        return Published(
            "facebook",
            video_id,
            f"https://www.facebook.com/{self.page}/videos/{video_id}",
            processing=True,
            notes=self.upload_captions(video_id, content.captions, content.languages),
        )

    def upload_captions(
        self, video_id: str, tracks: tuple[CaptionTrack, ...], languages: tuple[str, ...] = ()
    ) -> tuple[str, ...]:
        """Every track Facebook has a locale for, as ``POST /{video-id}/captions`` with a SubRip
        file named ``name.LOCALE.srt``; the first track not burned in is the default. The video is
        created already: a track that cannot go is a note, never an error."""
        plan, notes = caption_plan(tracks, languages)
        default = next((locale for track, locale in plan if not track.burned_in), None)
        for track, locale in plan:
            assert track.srt is not None
            stem = Path(track.srt).name.split(".")[0]
            files = {
                "captions_file": (
                    f"{stem}.{locale}.srt",
                    Path(track.srt).read_bytes(),
                    "application/x-subrip",
                )
            }
            data = {"default_locale": default} if default == locale else {}
            try:
                self.client.request("POST", f"{video_id}/captions", data=data, files=files)
            except (NetworkError, OSError) as error:
                notes.append(
                    _("caption track {language} ({locale}) not uploaded: {error}").format(
                        language=track.language, locale=locale, error=error
                    )
                )
        return tuple(notes)

    def poll(self, published: Published, *, deadline_s: float = 120.0) -> Published:
        if not published.processing:
            return published
        deadline = self.clock() + deadline_s
        while True:
            answer = self.client.request(
                "GET", published.remote_id, params={"fields": "status,permalink_url"}
            )
            status = (answer.get("status") or {}).get("video_status")
            if status == "ready":
                url = answer.get("permalink_url") or published.url
                if url and url.startswith("/"):
                    url = f"https://www.facebook.com{url}"
                return dataclasses.replace(published, processing=False, url=url)
            if status == "error":
                raise Rejected("facebook", _("the video could not be processed by Facebook"))
            if self.clock() > deadline:
                raise Transient(
                    "facebook",
                    _("video still processing after {seconds} s").format(seconds=f"{deadline_s:.0f}"),
                )
            self.sleep(POLL_INTERVAL_S)

    def find_published(self, content_fingerprint: str, *, limit: int = 100) -> Published | None:
        posts = self.client.request(
            "GET", f"{self.page}/posts", params={"fields": "id,message,created_time", "limit": limit}
        )
        for item in posts.get("data", []):
            if fingerprint(item.get("message", "")) == content_fingerprint:
                return Published("facebook", str(item["id"]), _post_url(str(item["id"])))
        reels = self.client.request(
            "GET", f"{self.page}/video_reels", params={"fields": "id,description", "limit": limit}
        )
        for item in reels.get("data", []):
            if fingerprint(item.get("description", "")) == content_fingerprint:
                return Published("facebook", str(item["id"]), f"https://www.facebook.com/reel/{item['id']}")
        return None

    def fetch_metrics(self, remote_ids: list[str]) -> list[MetricReading]:
        readings = []
        for remote_id in remote_ids:
            # Page posts are "{page}_{post}" (GET /{post-id}/insights); videos and Reels plain ids (video_insights)
            kind, edge = ("post", "insights") if "_" in remote_id else ("video", "video_insights")
            readings.append(
                metric_reading(
                    self.client,
                    remote_id,
                    edge,
                    self.metric_names[kind],
                    account=self.page,
                    retire=partial(self.retire_metric, kind),
                )
            )
        return readings

    def check_credentials(self) -> str:
        page = self.client.request("GET", self.page, params={"fields": "id,name"})
        return f"{page.get('name')} ({page.get('id')})"


def _post_url(post_id: str) -> str:
    """A Page post's address: /{page-id}/posts/{post-id} (the id Graph gives is "{page}_{post}")."""
    page, _, post = post_id.partition("_")
    return f"https://www.facebook.com/{page}/posts/{post}" if post else f"https://www.facebook.com/{post_id}"


def _instant(value: Any) -> float | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def caption_plan(
    tracks: tuple[CaptionTrack, ...], languages: tuple[str, ...] = ()
) -> tuple[list[tuple[CaptionTrack, str]], list[str]]:
    """Which track goes out under which Facebook locale, and a note for each one that does not.

    A tag goes out under its own language's locale. A tag Facebook has no locale for (Réunion
    Creole, Shimaore…) falls back to the nearest accepted one: the locale of the first of the
    audience's ``languages`` that has one (French for La Réunion's [rcf, fr]), unless that locale
    carries its own track; then it is left out, and the note says why.
    """
    exact = {track.language: caption_locale(track.language) for track in tracks}
    taken = {locale for locale in exact.values() if locale}
    plan: list[tuple[CaptionTrack, str]] = []
    notes: list[str] = []
    used: set[str] = set()
    for track in tracks:
        name = language_name(track.language)
        if track.srt is None or not Path(track.srt).is_file():
            notes.append(
                _("caption track {language} ({name}) not uploaded: its SubRip file is missing").format(
                    language=track.language, name=name
                )
            )
            continue
        locale = exact[track.language]
        if locale is None:
            nearest = next(
                (found for tag in languages if tag != track.language and (found := caption_locale(tag))), None
            )
            if nearest is None:
                notes.append(
                    _(
                        "caption track {language} ({name}) not uploaded: Facebook has no caption locale for it"
                    ).format(language=track.language, name=name)
                )
                continue
            if nearest in taken or nearest in used:  # the nearest language's own track is there
                notes.append(
                    _(
                        "caption track {language} ({name}) not uploaded: Facebook has no caption locale for it, "
                        "and the nearest, {locale}, carries its own track"
                    ).format(language=track.language, name=name, locale=nearest)
                )
                continue
            notes.append(
                _(
                    "caption track {language} ({name}) uploaded as {locale}: Facebook has no caption locale for it, {locale} is the nearest"
                ).format(language=track.language, name=name, locale=nearest)
            )
            locale = nearest
        if locale in used:
            notes.append(
                _("caption track {language} not uploaded: another track went out as {locale}").format(
                    language=track.language, locale=locale
                )
            )
            continue
        used.add(locale)
        plan.append((track, locale))
    return plan, notes
