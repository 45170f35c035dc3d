"""Instagram's part of the emulator: Reels containers, resumable upload, media_publish, quota, insights.

What it relies on, as Meta documents it (developers.facebook.com/docs/instagram-platform/content-publishing,
.../instagram-graph-api/reference/error-codes):

- a Reel is a container (``POST /{ig-user-id}/media``, ``media_type=REELS``, ``upload_type=resumable``),
  bytes to rupload.facebook.com, ``status_code`` polled until FINISHED, then ``media_publish``;
- Reels last 3 s to 15 min, weigh at most 300 MB, with a width/height ratio of 0.01 to 10: a video outside
  them ends its container in ERROR with subcode 2207026 (unsupported video);
- 50 API-published posts per 24 hours (``content_publishing_limit``); the 51st ``media_publish`` gets
  code 9 / subcode 2207042;
- a published media's address is its ``permalink`` (``https://www.instagram.com/reel/<shortcode>/``),
  never its numeric id.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from networks.emulator.messages import Reply, Request
from networks.emulator.part import Route
from networks.emulator.uploads import Upload, measure
from networks.graph.emulator import OBJECT_MISSING, GraphPart, graph_error
from networks.media import video_problem

DAILY_PUBLISHING_LIMIT = 50


class InstagramPart(GraphPart):
    token_field = "token"
    account_field = "ig_user_id"

    @classmethod
    def sandbox_credentials(cls, seed: int) -> dict[str, str]:
        token = hashlib.sha256(f"{seed}:ig".encode()).hexdigest()[:32]
        return {"ig_user_id": "17840000000001", "token": "sbx-ig-" + token}

    def routes(self) -> list[Route]:
        return [
            Route("POST", r"/(?P<ig>\d+)/media", "/{ig-user-id}/media", self.container),
            Route("GET", r"/(?P<ig>\d+)/media", "/{ig-user-id}/media", self.media_list),
            Route(
                "POST",
                r"/(?P<ig>\d+)/media_publish",
                "/{ig-user-id}/media_publish",
                self.publish,
                creates=True,
            ),
            Route(
                "GET",
                r"/(?P<ig>\d+)/content_publishing_limit",
                "/{ig-user-id}/content_publishing_limit",
                self.limit,
            ),
            Route(
                "POST",
                r"/ig-api-upload/(?P<container>\d+)",
                "/ig-api-upload/{container-id}",
                self.rupload_container,
            ),
            Route("GET", r"/(?P<node>[\d_]+)/insights", "/{id}/insights", self.insights),
            Route("GET", r"/(?P<node>[\d_]+)", "/{id}", self.graph_node),
        ]

    def node_type(self, ident: str) -> str | None:
        if ident == self.account:
            return "IGUser"
        kind = (self.core.objects.get(ident) or {}).get("kind")
        if kind is None and any(
            item["id"] == ident and item["network"] == self.name for item in self.core.published
        ):
            kind = "media"  # deleted
        return {"container": "IGContainer", "media": "IGMedia"}.get(kind or "")

    def insight_values(self, numbers: dict[str, int]) -> dict[str, int]:
        return {
            "views": numbers["views"],
            "reach": numbers["reach"],
            "likes": numbers["likes"],
            "comments": numbers["comments"],
            "shares": numbers["shares"],
            "saved": numbers["saves"],
            "ig_reels_video_view_total_time": numbers["watch_time"],
        }

    def account_node(self, request: Request) -> Reply:
        return Reply(200, {"id": self.account, "username": "ecpat_sandbox"}, self.usage())

    def node(self, request: Request, node: str, item: dict[str, Any]) -> Reply:
        if item.get("kind") == "container":
            status = self.status(node)
            detail = (
                f"Error: {item.get('error') or 'video processing failed'} (2207026)"
                if status == "ERROR"
                else status.title()
            )
            return Reply(200, {"id": node, "status_code": status, "status": detail}, self.usage())
        return Reply(
            200,
            {
                "id": node,
                "caption": item.get("text", ""),
                "permalink": permalink(node, self.core.seed),
                "media_product_type": "REELS",
            },
            self.usage(),
        )

    def rupload_container(self, request: Request, container: str) -> Reply:
        return self.rupload(request, container)

    def container(self, request: Request, ig: str) -> Reply:
        if (denied := self.auth(request)) is not None:
            return denied
        if ig != self.account:
            return graph_error(400, 100, f"Object with ID '{ig}' does not exist", subcode=OBJECT_MISSING)
        params = request.params()
        if params.get("media_type") != "REELS":
            return graph_error(400, 100, "(#100) media_type must be REELS for videos")
        container = self.core.next_id()
        self.new_upload(container, kind="container", text=params.get("caption", ""))
        body: dict[str, Any] = {"id": container}
        if params.get("upload_type") == "resumable":
            version = request.path.strip("/").split("/")[0]
            body["uri"] = f"https://rupload.facebook.com/ig-api-upload/{version}/{container}"
        return Reply(200, body, self.usage())

    def status(self, container: str) -> str:
        item = self.core.objects[container]
        if item.get("published"):
            return "PUBLISHED"
        upload: Upload = item["upload"]
        if not upload.data:
            return "IN_PROGRESS"
        upload.finalized = True
        state = upload.state
        upload.polls += 1
        if state == "succeeded" and item.get("error") is None:
            info = measure(bytes(upload.data))
            item["error"] = (
                video_problem(self.spec.media.video("reel"), info, len(upload.data)) if info else None
            )
        if state == "succeeded" and item.get("error"):
            return "ERROR"
        return {"in_progress": "IN_PROGRESS", "succeeded": "FINISHED", "failed": "ERROR"}.get(
            state, "IN_PROGRESS"
        )

    def publish(self, request: Request, ig: str) -> Reply:
        if (denied := self.auth(request)) is not None:
            return denied
        container = request.params().get("creation_id", "")
        item = self.core.objects.get(container)
        if item is None or item.get("kind") != "container":
            return graph_error(400, 100, "(#100) Invalid creation_id")
        upload: Upload = item["upload"]
        if item.get("published") or upload.state != "succeeded":
            return graph_error(
                400,
                9007,
                "Media ID is not available",
                subcode=2207027,
                user_msg="The media is not ready for publishing, please wait for a moment",
            )
        if self.published_today() >= DAILY_PUBLISHING_LIMIT:
            message = "You reached maximum number of posts that is allowed to be published by Content Publishing API."
            return graph_error(400, 9, message, subcode=2207042, user_msg=message)
        with self.core.lock:
            media_id = self.core.next_id()
            item["published"] = media_id
            self.core.objects[media_id] = {"network": self.name, "kind": "media", "text": item["text"]}
            self.core.record(self.name, ig, media_id, item["text"], [container])
        return Reply(200, {"id": media_id}, self.usage())

    def limit(self, request: Request, ig: str) -> Reply:
        if (denied := self.auth(request)) is not None:
            return denied
        used = self.published_today()
        return Reply(
            200,
            {
                "data": [
                    {
                        "quota_usage": used,
                        "config": {"quota_total": DAILY_PUBLISHING_LIMIT, "quota_duration": 86400},
                    }
                ]
            },
            self.usage(),
        )

    def published_today(self) -> int:
        day_ago = self.core.now() - 86_400
        return sum(
            1
            for item in self.core.published_on(self.name)
            if self.core.objects[item["id"]].get("created", 0) > day_ago
        )

    def media_list(self, request: Request, ig: str) -> Reply:
        if (denied := self.auth(request)) is not None:
            return denied
        items = self.core.published_on(self.name)[: int(request.query.get("limit", "25"))]
        return Reply(
            200,
            {
                "data": [
                    {
                        "id": item["id"],
                        "caption": item["text"],
                        "timestamp": self.created_time(item),
                        "permalink": permalink(item["id"], self.core.seed),
                    }
                    for item in items
                ]
            },
            self.usage(),
        )


def permalink(media_id: str, seed: int) -> str:
    """A media's address: a shortcode (11 URL-safe characters), never the numeric id."""
    digest = hashlib.sha256(f"{seed}:{media_id}".encode()).digest()
    return f"https://www.instagram.com/reel/{base64.urlsafe_b64encode(digest).decode()[:11]}/"
