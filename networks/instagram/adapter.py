"""Instagram: Reels through resumable containers, status polling with a deadline, media_publish.

What a Graph error means here follows Instagram's error table
(developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/error-codes) through
the Graph client's classification: 9/2207042 (50 posts in 24 hours) waits until the oldest of them
leaves the window, 4/2207051 (blocked as spam) pauses the account for a person, -1 and -2 are
transient, and 9007/2207027 (container not ready) keeps polling the container before publishing again.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, Unpack

from campaign.i18n import _
from networks.base import (
    Adapter,
    AdapterOptions,
    Content,
    MediaHandle,
    MetricReading,
    Published,
    RateLimited,
    Rejected,
    Transient,
    Unconfirmed,
    fingerprint,
)
from networks.credentials import Credentials
from networks.graph.client import GraphClient, GraphError, GraphRateLimited
from networks.graph.insights import metric_reading
from networks.instagram.spec import SPEC
from networks.media import VideoInfo

POLL_INTERVAL_S = 2.0
CONTAINER_DEADLINE_S = 300.0
DAY_S = 86_400.0
NOT_READY = (9007, 2207027)  # "The media is not ready for publishing, please wait for a moment"
DAILY_LIMIT = (9, 2207042)  # "You reached maximum number of posts … Content Publishing API"


class InstagramAdapter(Adapter):
    spec = SPEC

    def __init__(self, credentials: Credentials, **options: Unpack[AdapterOptions]) -> None:
        super().__init__(credentials, **options)
        self.user = credentials.get("ig_user_id")
        self.client = GraphClient(
            "instagram",
            credentials.get("token"),
            emulator_url=self.emulator_url,
            timeout=self.timeout,
            clock=self.clock,
        )

    def upload_video(
        self, content: Content, video: VideoInfo | None, handle: MediaHandle | None
    ) -> MediaHandle:
        """Container, bytes, then wait until Instagram has processed them (all retry-safe)."""
        assert content.video is not None
        data = Path(content.video).read_bytes()
        if handle is None:
            container = self.client.request(
                "POST",
                f"{self.user}/media",
                data={
                    "media_type": "REELS",
                    "upload_type": "resumable",
                    "caption": content.text,
                    "share_to_feed": "true",
                },
            )
            handle = MediaHandle("instagram", str(container["id"]), 0, len(data))
        if handle.uploaded_bytes < len(data):
            self.client.request(
                "POST",
                "",
                data=data,
                headers={"offset": "0", "file_size": str(len(data))},
                url=f"{self.client.base_urls['rupload']}/ig-api-upload/{self.client.version}/{handle.remote_id}",
            )
            handle.uploaded_bytes = len(data)
        handle.extra["status"] = self._wait_for(handle.remote_id)
        return handle

    def _wait_for(self, container: str) -> str:
        """Poll the container until Instagram has processed it (FINISHED), or raise."""
        deadline = self.clock() + CONTAINER_DEADLINE_S
        while True:
            status = self.client.request("GET", container, params={"fields": "status_code,status"})
            code = status.get("status_code")
            if code in ("FINISHED", "PUBLISHED"):
                return str(code)
            if code in ("ERROR", "EXPIRED"):
                detail = str(status.get("status") or "")
                raise Rejected(
                    "instagram",
                    (
                        _("the Reel container is {state}: {detail}")
                        if detail
                        else _("the Reel container is {state}")
                    ).format(state=code, detail=detail),
                )
            if self.clock() > deadline:
                raise Transient(
                    "instagram",
                    _("the Reel container is still {state} after {seconds} s").format(
                        state=code, seconds=f"{CONTAINER_DEADLINE_S:.0f}"
                    ),
                )
            self.sleep(POLL_INTERVAL_S)

    def quota_left(self) -> int:
        body = self.client.request(
            "GET", f"{self.user}/content_publishing_limit", params={"fields": "quota_usage,config"}
        )
        entry = (body.get("data") or [{}])[0]
        total = int((entry.get("config") or {}).get("quota_total", self.spec.caps[self.network]))
        return total - int(entry.get("quota_usage", 0))

    def until_quota(self) -> float:
        """Seconds until the oldest post of the last 24 hours leaves the publishing window."""
        now = self.clock()
        media = self.client.request(
            "GET",
            f"{self.user}/media",
            params={
                "fields": "id,timestamp",
                "since": int(now - DAY_S),
                "limit": self.spec.caps[self.network] + 1,
            },
        )
        times = [
            instant
            for item in media.get("data", [])
            if (instant := _instant(item.get("timestamp"))) is not None and instant > now - DAY_S
        ]
        return max(60.0, min(times) + DAY_S - now) if times else 3600.0

    def create(self, content: Content, media: MediaHandle | None) -> Published:
        if media is None:
            raise Rejected(self.network, self.video_required_reason())
        if self.quota_left() <= 0:
            raise RateLimited(
                "instagram",
                _("{cap} posts in the last 24 hours (Instagram's limit)").format(
                    cap=self.spec.caps[self.network]
                ),
                retry_after=self.until_quota(),
            )
        deadline = self.clock() + CONTAINER_DEADLINE_S
        while True:
            try:
                body = self.client.request(
                    "POST", f"{self.user}/media_publish", data={"creation_id": media.remote_id}, creating=True
                )
                break
            except GraphRateLimited as error:
                if (error.code, error.subcode) != DAILY_LIMIT:
                    raise
                raise RateLimited(
                    "instagram",
                    _("{cap} posts in the last 24 hours (code 9/2207042)").format(
                        cap=self.spec.caps[self.network]
                    ),
                    retry_after=self.until_quota(),
                ) from None
            except GraphError as error:
                if (error.code, error.subcode) != NOT_READY:
                    raise
                if self.clock() > deadline:  # nothing was published: safe to try again later
                    raise Transient("instagram", _("the container is still not ready to publish")) from None
                self.sleep(POLL_INTERVAL_S)
                self._wait_for(media.remote_id)
        if not body.get("id"):
            raise Unconfirmed(
                "instagram", _("media_publish answered without an id: reconcile before retrying")
            )
        # the address is the media's permalink (a shortcode), read once published (poll)
        return Published("instagram", str(body["id"]), None, processing=True)

    def poll(self, published: Published, *, deadline_s: float = 120.0) -> Published:
        """The container was processed before media_publish: read the media's permalink."""
        if not published.processing:
            return published
        answer = self.client.request("GET", published.remote_id, params={"fields": "permalink"})
        return Published(published.network, published.remote_id, answer.get("permalink") or published.url)

    def find_published(self, content_fingerprint: str, *, limit: int = 100) -> Published | None:
        media = self.client.request(
            "GET", f"{self.user}/media", params={"fields": "id,caption,timestamp,permalink", "limit": limit}
        )
        for item in media.get("data", []):
            if fingerprint(item.get("caption", "")) == content_fingerprint:
                return Published("instagram", str(item["id"]), item.get("permalink"))
        return None

    def fetch_metrics(self, remote_ids: list[str]) -> list[MetricReading]:
        return [
            metric_reading(
                self.client,
                remote_id,
                "insights",
                self.metric_names["media"],
                account=self.user,
                retire=lambda name: self.retire_metric("media", name),
            )
            for remote_id in remote_ids
        ]

    def check_credentials(self) -> str:
        user = self.client.request("GET", self.user, params={"fields": "id,username"})
        return f"@{user.get('username')}"


def _instant(value: Any) -> float | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None
