"""Instagram: Reels through resumable containers, status polling with a deadline, media_publish."""

from __future__ import annotations

from pathlib import Path
from typing import Unpack

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
from networks.graph.client import GraphClient, GraphError
from networks.graph.insights import metric_reading
from networks.instagram.spec import SPEC
from networks.media import VideoInfo

POLL_INTERVAL_S = 2.0
CONTAINER_DEADLINE_S = 300.0


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
        deadline = self.clock() + CONTAINER_DEADLINE_S
        while True:
            status = self.client.request("GET", handle.remote_id, params={"fields": "status_code,status"})
            code = status.get("status_code")
            if code in ("FINISHED", "PUBLISHED"):
                handle.extra["status"] = code
                return handle
            if code in ("ERROR", "EXPIRED"):
                raise Rejected(
                    "instagram", f"the Reel container is {code}: {status.get('status', '')}".strip(": ")
                )
            if self.clock() > deadline:
                raise Transient(
                    "instagram", f"the Reel container is still {code} after {CONTAINER_DEADLINE_S:.0f} s"
                )
            self.sleep(POLL_INTERVAL_S)

    def quota_left(self) -> int:
        body = self.client.request(
            "GET", f"{self.user}/content_publishing_limit", params={"fields": "quota_usage,config"}
        )
        entry = (body.get("data") or [{}])[0]
        total = int((entry.get("config") or {}).get("quota_total", 50))
        return total - int(entry.get("quota_usage", 0))

    def create(self, content: Content, media: MediaHandle | None) -> Published:
        if media is None:
            raise Rejected(self.network, self.video_required_reason())
        if self.quota_left() <= 0:
            raise RateLimited("instagram", "50 posts in the last 24 hours", retry_after=3600)
        try:
            body = self.client.request(
                "POST", f"{self.user}/media_publish", data={"creation_id": media.remote_id}, creating=True
            )
        except GraphError as error:
            if error.code == 9007 and error.subcode == 2207027:
                raise Transient("instagram", "the container is not ready yet") from None
            raise
        if not body.get("id"):
            raise Unconfirmed("instagram", "media_publish answered without an id: reconcile before retrying")
        return Published("instagram", str(body["id"]), f"https://www.instagram.com/reel/{body['id']}/")

    def poll(self, published: Published, *, deadline_s: float = 120.0) -> Published:
        return published  # the container was processed before media_publish

    def find_published(self, content_fingerprint: str, *, limit: int = 100) -> Published | None:
        media = self.client.request(
            "GET", f"{self.user}/media", params={"fields": "id,caption,timestamp", "limit": limit}
        )
        for item in media.get("data", []):
            if fingerprint(item.get("caption", "")) == content_fingerprint:
                return Published(
                    "instagram", str(item["id"]), f"https://www.instagram.com/reel/{item['id']}/"
                )
        return None

    def fetch_metrics(self, remote_ids: list[str]) -> list[MetricReading]:
        return [
            metric_reading(self.client, remote_id, "insights", self.metric_names["media"])
            for remote_id in remote_ids
        ]

    def check_credentials(self) -> str:
        user = self.client.request("GET", self.user, params={"fields": "id,username"})
        return f"@{user.get('username')}"
