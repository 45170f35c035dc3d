"""Facebook Pages: text and link posts, Reels (start → rupload → finish), videos with captions."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Unpack

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
    Rejected,
    Transient,
    Unconfirmed,
    fingerprint,
)
from networks.credentials import Credentials
from networks.facebook.locales import caption_locale
from networks.facebook.spec import SPEC
from networks.graph.client import GraphClient
from networks.graph.insights import metric_reading
from networks.media import VideoInfo

POLL_INTERVAL_S = 2.0


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
        self.reels = reels  # vertical videos go out as Reels; others through the resumable upload API

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
            if handle is None:
                started = self.client.request(
                    "POST", f"{self.page}/video_reels", data={"upload_phase": "start"}
                )
                handle = MediaHandle("facebook", str(started["video_id"]), 0, len(data), {"kind": "reel"})
            if handle.uploaded_bytes < len(data):
                self.client.request(
                    "POST",
                    f"video-upload/{self.client.version}/{handle.remote_id}",
                    host="rupload",
                    data=data[handle.uploaded_bytes :],
                    headers={"offset": str(handle.uploaded_bytes), "file_size": str(len(data))},
                    url=f"{self.client.base_urls['rupload']}/video-upload/{self.client.version}/{handle.remote_id}",
                )
                handle.uploaded_bytes = len(data)
            return handle
        # resumable upload API: a session, then bytes from the offset the server confirms
        if handle is None:
            app_id = self.credentials.values.get("app_id")
            owner = app_id.get_secret_value() if app_id else self.page
            session = self.client.request(
                "POST",
                f"{owner}/uploads",
                params={
                    "file_name": Path(content.video).name,
                    "file_length": len(data),
                    "file_type": "video/mp4",
                },
            )
            handle = MediaHandle("facebook", str(session["id"]), 0, len(data), {"kind": "video"})
        else:
            status = self.client.request("GET", handle.remote_id)
            handle.uploaded_bytes = int(status.get("file_offset", 0))
        answer = self.client.request(
            "POST",
            handle.remote_id,
            data=data[handle.uploaded_bytes :],
            headers={"file_offset": str(handle.uploaded_bytes)},
        )
        handle.uploaded_bytes = len(data)
        handle.extra["h"] = answer.get("h")
        if not handle.extra["h"]:
            raise Transient("facebook", "the upload session did not return a file handle")
        return handle

    def create(self, content: Content, media: MediaHandle | None) -> Published:
        if media is None:
            form = {"message": content.text}
            if content.link:
                form["link"] = content.link
            body = self.client.request("POST", f"{self.page}/feed", data=form, creating=True)
            if not body.get("id"):
                raise Unconfirmed("facebook", "create answered without a post id: reconcile before retrying")
            post_id = str(body["id"])
            return Published("facebook", post_id, f"https://www.facebook.com/{post_id}")
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
                    "facebook", "Reel finish answered without success: reconcile before retrying"
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
                "fbuploader_video_file_chunk": media.extra["h"],
                "title": content.title or "",
                "description": content.text,
            },
            creating=True,
        )
        if not body.get("id"):
            raise Unconfirmed("facebook", "video create answered without an id: reconcile before retrying")
        video_id = str(body["id"])
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
            status = (
                self.client.request("GET", published.remote_id, params={"fields": "status"}).get("status")
                or {}
            ).get("video_status")
            if status == "ready":
                return dataclasses.replace(published, processing=False)
            if status == "error":
                raise Rejected("facebook", "the video could not be processed by Facebook")
            if self.clock() > deadline:
                raise Transient("facebook", f"video still processing after {deadline_s:.0f} s")
            self.sleep(POLL_INTERVAL_S)

    def find_published(self, content_fingerprint: str, *, limit: int = 100) -> Published | None:
        posts = self.client.request(
            "GET", f"{self.page}/posts", params={"fields": "id,message,created_time", "limit": limit}
        )
        for item in posts.get("data", []):
            if fingerprint(item.get("message", "")) == content_fingerprint:
                return Published("facebook", str(item["id"]), f"https://www.facebook.com/{item['id']}")
        reels = self.client.request(
            "GET", f"{self.page}/video_reels", params={"fields": "id,description", "limit": limit}
        )
        for item in reels.get("data", []):
            if fingerprint(item.get("description", "")) == content_fingerprint:
                return Published("facebook", str(item["id"]), f"https://www.facebook.com/reel/{item['id']}")
        return None

    def fetch_metrics(self, remote_ids: list[str]) -> list[MetricReading]:
        return [
            metric_reading(self.client, remote_id, "insights", self.metric_names["post"])
            if "_" in remote_id  # page posts are "{page}_{post}"; videos and Reels are plain ids
            else metric_reading(self.client, remote_id, "video_insights", self.metric_names["video"])
            for remote_id in remote_ids
        ]

    def check_credentials(self) -> str:
        page = self.client.request("GET", self.page, params={"fields": "id,name"})
        return f"{page.get('name')} ({page.get('id')})"


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
