"""YouTube Shorts: google-api-python-client built from its shipped discovery document, over our transport.

A Short is a resumable ``videos.insert`` of the vertical capsule: the upload stage opens the session and
sends every chunk but the last; ``create`` sends the last chunk (the one whose answer is the video,
so the only call that can leave a video behind without our knowing it); ``poll`` reads the video's
processing with ``videos.list``; ``finalize`` inserts one caption track per language of the capsule
(``captions.insert``). Every call is counted (``Adapter.used_calls``) for the quota the spec declares.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Unpack
from zoneinfo import ZoneInfo

import requests

from campaign.i18n import _
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
from networks.media import VideoInfo
from networks.spec import normalise
from networks.youtube import captions as caption_files
from networks.youtube import text
from networks.youtube.spec import SPEC

log = logging.getLogger("clickable.youtube")
TOKEN_URI = "https://oauth2.googleapis.com/token"
SCOPES = (
    "https://www.googleapis.com/auth/youtube.upload",
    "https://www.googleapis.com/auth/youtube.force-ssl",
)
CHUNK_BYTES = 8 * 1024 * 1024  # a multiple of 256 KiB, as the resumable protocol wants
POLL_INTERVAL_S = 5.0
METRIC_BATCH = 50  # videos.list takes at most 50 ids
PLANNED_POLLS = 3  # videos.list calls a publication is expected to make (quota planning)
QUOTA_REASONS = ("quotaExceeded", "dailyLimitExceeded", "uploadLimitExceeded")
RATE_REASONS = ("rateLimitExceeded", "userRateLimitExceeded")


def until_reset(now: float) -> float:
    """Seconds until the next midnight Pacific time, when YouTube's daily quota starts again."""
    zone = ZoneInfo(SPEC.quota.reset_zone if SPEC.quota else "UTC")
    local = datetime.fromtimestamp(now, zone)
    midnight = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), zone)
    return max(1.0, midnight.timestamp() - now)


def _reason(content: bytes) -> tuple[str, str]:
    """(first errors[].reason, message) of Google's JSON error, or ("", "")."""
    try:
        body = json.loads(content or b"{}")
    except (ValueError, UnicodeDecodeError):
        return "", ""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return "", ""
    entries = error.get("errors") or [{}]
    return str(entries[0].get("reason") or error.get("status") or ""), str(error.get("message") or "")


def classify(error: Exception, *, creating: bool, now: float, what: str) -> Exception:
    """A client failure as what the caller can do about it, from Google's structured codes."""
    from google.auth import exceptions as auth_errors
    from googleapiclient.errors import HttpError

    network = "youtube"
    if isinstance(error, NetworkError):
        return error
    if isinstance(error, requests.RequestException):
        return connection_failure(network, error, creating=creating, what=what)
    if isinstance(error, auth_errors.RefreshError):
        details = error.args[1] if len(error.args) > 1 and isinstance(error.args[1], dict) else {}
        if getattr(error, "retryable", False):
            return Transient(network, _("Google's token endpoint failed: try again later"))
        return NeedsReauth(
            network,
            _("Google refused the refresh token ({code}): run `clickable accounts add` again").format(
                code=details.get("error", "refused")
            ),
        )
    if isinstance(error, HttpError):
        status = int(error.resp.status)
        reason, message = _reason(error.content)
        if status == 401:
            return NeedsReauth(network, _("credentials refused (401): run `clickable accounts add` again"))
        if reason in QUOTA_REASONS:
            return RateLimited(
                network,
                _("daily quota used up ({reason}): waits for midnight Pacific time").format(reason=reason),
                retry_after=until_reset(now),
            )
        if status == 429 or reason in RATE_REASONS:
            header = error.resp.get("retry-after")
            try:
                wait = float(header) if header is not None else DEFAULT_BACKOFF_S
            except ValueError:
                wait = DEFAULT_BACKOFF_S
            return RateLimited(network, _("rate limited ({status})").format(status=status), retry_after=wait)
        if status >= 500:
            if creating:
                return Unconfirmed(
                    network,
                    _("server error {status} on create: reconcile before retrying").format(status=status),
                )
            return Transient(network, _("server error {status}").format(status=status))
        return Rejected(network, f"{reason or status}: {message or what}")
    return error


class YouTubeAdapter(Adapter):
    spec = SPEC

    def __init__(
        self, credentials: Credentials, *, chunk_bytes: int = CHUNK_BYTES, **options: Unpack[AdapterOptions]
    ) -> None:
        super().__init__(credentials, **options)
        self.chunk_bytes = chunk_bytes
        self._service: Any = None
        self._service_lock = threading.Lock()
        # video id -> the post's content, for the caption tracks finalize inserts
        self._pending: dict[str, Content] = {}

    # -- the client -----------------------------------------------------------------------------------

    @property
    def service(self) -> Any:
        """The YouTube client, built once from the discovery document shipped in the package."""
        with self._service_lock:
            if self._service is None:
                import google_auth_httplib2
                from google.oauth2.credentials import Credentials as GoogleCredentials
                from googleapiclient.discovery import build

                from networks.youtube.http import RequestsHttp

                google = GoogleCredentials(
                    token=None,
                    refresh_token=self.credentials.get("refresh_token"),
                    client_id=self.credentials.get("client_id"),
                    client_secret=self.credentials.get("client_secret"),
                    token_uri=TOKEN_URI,
                    scopes=list(SCOPES),
                )
                http = google_auth_httplib2.AuthorizedHttp(
                    google, http=RequestsHttp(emulator_url=self.emulator_url, timeout=self.timeout)
                )
                self._service = build(
                    "youtube", "v3", http=http, static_discovery=True, cache_discovery=False
                )
            return self._service

    def _execute(self, call: str, request: Any, *, creating: bool = False) -> Any:
        self.count_call(call)
        try:
            return request.execute(num_retries=0)
        except Exception as error:
            raise classify(error, creating=creating, now=self.clock(), what=call) from None

    # -- quota ----------------------------------------------------------------------------------------

    def planned_calls(self, content: Content) -> list[str]:
        # each track may take every tag of its fallbacks (a refused captions.insert costs its 400 units
        # too): reserved at worst, the calls not made are given back after the delivery
        attempts = sum(len(caption_files.fallbacks(track.language, content)) for track in caption_files.tracks(content))
        return ["videos.insert", *["videos.list"] * PLANNED_POLLS, *["captions.insert"] * attempts]

    def planned_metric_calls(self, remote_ids: list[str]) -> list[str]:
        return ["videos.list"] * -(-len(remote_ids) // METRIC_BATCH)

    # -- upload (every chunk but the last) ------------------------------------------------------------

    def _choices(self, content: Content) -> tuple[str, bool]:
        privacy = content.choices.get("privacy_status")
        kids = content.choices.get("made_for_kids")
        if privacy is None or kids is None:
            missing = "privacy_status" if privacy is None else "made_for_kids"
            raise Rejected(
                self.network,
                _(
                    "no {name} choice for YouTube: write choices: {{youtube: {{{name}: …}}}} in the post "
                    "or {name}: under the account"
                ).format(name=missing),
            )
        if str(privacy) not in ("public", "unlisted", "private"):
            raise Rejected(
                self.network,
                _("privacy_status {value} is not public, unlisted or private").format(value=privacy),
            )
        made_for_kids = kids if isinstance(kids, bool) else str(kids).lower() in ("true", "yes", "1")
        return str(privacy), made_for_kids

    def metadata(self, content: Content) -> dict[str, Any]:
        privacy, made_for_kids = self._choices(content)
        snippet: dict[str, Any] = {
            "title": text.title(content.text, content.title),
            "description": content.text,
            "categoryId": "29",  # Nonprofits & Activism
        }
        tags = text.tags(content.text)
        if tags:
            snippet["tags"] = tags
        return {
            "snippet": snippet,
            "status": {
                "privacyStatus": privacy,
                "selfDeclaredMadeForKids": made_for_kids,
                "embeddable": True,
            },
        }

    def upload_video(
        self, content: Content, video: VideoInfo | None, handle: MediaHandle | None
    ) -> MediaHandle:
        from googleapiclient.http import MediaFileUpload

        assert content.video is not None
        path = Path(content.video)
        size = path.stat().st_size
        body = self.metadata(content)  # refuses a missing choice before anything is sent
        media = MediaFileUpload(str(path), mimetype="video/mp4", chunksize=self.chunk_bytes, resumable=True)
        request = self.service.videos().insert(part="snippet,status", body=body, media_body=media)
        handle = MediaHandle(
            self.network,
            "",
            0,
            size,
            {"request": request, "media": media, "privacy": body["status"]["privacyStatus"]},
        )
        try:
            while size - request.resumable_progress > self.chunk_bytes:  # all but the last chunk
                if request.resumable_uri is None:
                    self.count_call("videos.insert")
                request.next_chunk(num_retries=0)
                handle.uploaded_bytes = request.resumable_progress
                handle.remote_id = _upload_id(request.resumable_uri)
        except Exception as error:
            media.stream().close()
            raise classify(error, creating=False, now=self.clock(), what="videos.insert (upload)") from None
        return handle

    # -- create (the last chunk, once) ----------------------------------------------------------------

    def create(self, content: Content, media: MediaHandle | None) -> Published:
        if media is None:
            raise Rejected(self.network, self.video_required_reason())
        request = media.extra["request"]
        started = request.resumable_uri is not None
        try:
            response = None
            while response is None:
                if request.resumable_uri is None:
                    self.count_call("videos.insert")
                _status, response = request.next_chunk(num_retries=0)
        except Exception as error:
            # the session was never opened: no video can exist; else the last chunk may have landed
            creating = started or request.resumable_uri is not None
            raise classify(error, creating=creating, now=self.clock(), what="videos.insert") from None
        finally:
            media.extra["media"].stream().close()
        video_id = str(response.get("id") or "")
        if not video_id:
            raise Unconfirmed(
                self.network, _("the upload answered without a video id: reconcile before retrying")
            )
        status = response.get("status") or {}
        if status.get("uploadStatus") == "rejected":
            reason = status.get("rejectionReason", "rejected")
            raise Rejected(
                self.network,
                _("YouTube rejected the video ({reason})").format(reason=reason),
                duplicate=reason == "duplicate",
            )
        self._pending[video_id] = content
        return self._published(video_id, status, asked=media.extra["privacy"], processing=True)

    def _published(
        self, video_id: str, status: dict[str, Any], *, asked: str | None, processing: bool
    ) -> Published:
        visibility = status.get("privacyStatus") or asked
        notes: tuple[str, ...] = ()
        if visibility == "private" and asked not in (None, "private"):
            notes = (
                _(
                    "uploaded private, not {asked}: the Google Cloud project is not audited, so YouTube locks "
                    "its uploads private (request the audit, then set audited: true)"
                ).format(asked=asked),
            )
        return Published(
            self.network,
            video_id,
            f"https://www.youtube.com/shorts/{video_id}",
            processing=processing,
            visibility=visibility,
            notes=notes,
        )

    # -- processing, then captions --------------------------------------------------------------------

    def poll(self, published: Published, *, deadline_s: float = 120.0) -> Published:
        deadline = self.clock() + deadline_s
        while True:
            answer = self._execute(
                "videos.list",
                self.service.videos().list(part="status,processingDetails", id=published.remote_id),
            )
            items = answer.get("items") or []
            if not items:
                raise Rejected(self.network, _("video {id} is gone").format(id=published.remote_id))
            status = items[0].get("status") or {}
            upload = status.get("uploadStatus")
            if upload in ("failed", "rejected", "deleted"):
                why = status.get("failureReason") or status.get("rejectionReason") or upload
                raise Rejected(
                    self.network, _("YouTube could not process the video ({reason})").format(reason=why)
                )
            if upload == "processed":
                return Published(
                    published.network,
                    published.remote_id,
                    published.url,
                    processing=False,
                    visibility=status.get("privacyStatus") or published.visibility,
                    notes=published.notes,
                )
            if self.clock() > deadline:
                raise Transient(
                    self.network,
                    _("video processing did not finish within {seconds} s").format(seconds=round(deadline_s)),
                )
            self.sleep(POLL_INTERVAL_S)

    def finalize(self, published: Published) -> Published:
        """One caption track per language; a refused tag falls back (fr-RE → fr → und), with the reason."""
        notes = list(published.notes)
        content = self._pending.pop(published.remote_id, None)
        for track in caption_files.tracks(content) if content is not None else []:
            try:
                used, refused = self._insert_caption(published.remote_id, track, content)
            except NetworkError as error:
                notes.append(
                    _("caption track {language} not uploaded: {error}").format(
                        language=track.language, error=error
                    )
                )
                continue
            if refused:
                notes.append(
                    _("caption track {language} refused by YouTube ({reason}): uploaded as {used}").format(
                        language=track.language, reason=refused, used=used
                    )
                )
        return Published(
            published.network,
            published.remote_id,
            published.url,
            processing=published.processing,
            visibility=published.visibility,
            notes=tuple(notes),
        )

    def _insert_caption(
        self, video_id: str, track: caption_files.Track, content: Content | None = None
    ) -> tuple[str, str | None]:
        """Insert ``track``; returns the language tag used and why the first one was refused."""
        from googleapiclient.http import MediaFileUpload

        refused: str | None = None
        for language in caption_files.fallbacks(track.language, content):
            media = MediaFileUpload(str(track.path), mimetype="application/octet-stream", resumable=False)
            body = {
                "snippet": {
                    "videoId": video_id,
                    "language": language,
                    "name": track.name(language),
                    "isDraft": False,
                }
            }
            try:
                self._execute(
                    "captions.insert",
                    self.service.captions().insert(part="snippet", body=body, media_body=media),
                )
                return language, refused
            except Rejected as error:
                if "invalidMetadata" not in error.reason:
                    if "captionExists" in error.reason:
                        return language, refused  # an earlier attempt inserted it
                    raise
                refused = refused or "invalidMetadata"
            finally:
                media.stream().close()
        raise Rejected(
            self.network, _("no language tag accepted for {language}").format(language=track.language)
        )

    # -- reading ----------------------------------------------------------------------------------------

    def _uploads_playlist(self) -> str:
        answer = self._execute(
            "channels.list", self.service.channels().list(part="contentDetails", mine=True)
        )
        items = answer.get("items") or []
        if not items:
            raise Rejected(self.network, _("this Google account has no YouTube channel"))
        return str(items[0]["contentDetails"]["relatedPlaylists"]["uploads"])

    def find_published(self, content_fingerprint: str, *, limit: int = 100) -> Published | None:
        playlist = self._uploads_playlist()
        answer = self._execute(
            "playlistItems.list",
            self.service.playlistItems().list(part="snippet", playlistId=playlist, maxResults=min(limit, 50)),
        )
        for item in answer.get("items") or []:
            snippet = item.get("snippet") or {}
            if fingerprint(snippet.get("description", "")) == content_fingerprint:
                video_id = str(snippet.get("resourceId", {}).get("videoId", ""))
                return Published(self.network, video_id, f"https://www.youtube.com/shorts/{video_id}")
        return None

    def fetch_metrics(self, remote_ids: list[str]) -> list[MetricReading]:
        readings: list[MetricReading] = []
        for batch in _batches(remote_ids, METRIC_BATCH):
            answer = self._execute(
                "videos.list", self.service.videos().list(part="statistics", id=",".join(batch))
            )
            seen = set()
            for item in answer.get("items") or []:
                raw: dict[str, Any] = {}
                for name, value in (item.get("statistics") or {}).items():
                    try:
                        raw[f"statistics.{name}"] = int(value)
                    except (TypeError, ValueError):
                        continue
                seen.add(str(item["id"]))
                readings.append(
                    MetricReading(str(item["id"]), normalise(self.metric_names["video"], raw), raw)
                )
            readings += [
                MetricReading(video_id, {}, {}, missing=True) for video_id in batch if video_id not in seen
            ]
        return readings

    def check_credentials(self) -> str:
        answer = self._execute("channels.list", self.service.channels().list(part="snippet", mine=True))
        items = answer.get("items") or []
        if not items:
            raise Rejected(self.network, _("this Google account has no YouTube channel"))
        snippet = items[0].get("snippet") or {}
        return str(snippet.get("customUrl") or snippet.get("title") or items[0]["id"])


def _upload_id(uri: str | None) -> str:
    from urllib.parse import parse_qs, urlsplit

    return (parse_qs(urlsplit(uri or "").query).get("upload_id") or [""])[0]


def _batches(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
