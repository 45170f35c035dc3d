"""Facebook Pages' part of the emulator: feed posts, resumable video uploads, Reels, captions, insights."""

from __future__ import annotations

import hashlib
from typing import Any

from networks.emulator.messages import Reply, Request
from networks.emulator.part import Route
from networks.emulator.uploads import Upload
from networks.facebook.locales import CAPTION_LOCALES
from networks.graph.emulator import OBJECT_MISSING, GraphPart, graph_error

# POST /{video-id}/captions takes these and no others (Meta's AdVideo.json spec; tests check the list)
CAPTION_PARAMS = frozenset({"captions_file", "default_locale", "locales_to_delete"})


class FacebookPart(GraphPart):
    refuses_duplicates = True
    token_field = "page_token"
    account_field = "page_id"

    @classmethod
    def sandbox_credentials(cls, seed: int) -> dict[str, str]:
        token = hashlib.sha256(f"{seed}:page".encode()).hexdigest()[:32]
        return {"app_id": "880000000001", "page_id": "100000000001", "page_token": "sbx-page-" + token}

    def routes(self) -> list[Route]:
        return [
            Route("POST", r"/(?P<page>\d+)/feed", "/{page-id}/feed", self.feed, creates=True),
            Route("GET", r"/(?P<page>\d+)/posts", "/{page-id}/posts", self.posts),
            Route("POST", r"/(?P<app>\d+)/uploads", "/{app-id}/uploads", self.upload_start),
            Route("POST", r"/upload:(?P<session>\w+)", "/upload:{upload-id}", self.upload_chunk),
            Route("GET", r"/upload:(?P<session>\w+)", "/upload:{upload-id}", self.upload_status),
            Route("POST", r"/(?P<page>\d+)/videos", "/{page-id}/videos", self.videos, creates=True),
            Route("POST", r"/(?P<video>\d+)/captions", "/{video-id}/captions", self.captions),
            Route("POST", r"/(?P<page>\d+)/video_reels", "/{page-id}/video_reels", self.reels),
            Route("GET", r"/(?P<page>\d+)/video_reels", "/{page-id}/video_reels", self.reels_list),
            Route("POST", r"/video-upload/(?P<video>\d+)", "/video-upload/{video-id}", self.rupload_video),
            Route("GET", r"/(?P<node>[\d_]+)/insights", "/{id}/insights", self.insights),
            Route("GET", r"/(?P<node>\d+)/video_insights", "/{video-id}/video_insights", self.insights),
            Route("GET", r"/(?P<node>[\d_]+)", "/{id}", self.graph_node),
        ]

    def insight_values(self, numbers: dict[str, int]) -> dict[str, int]:
        return {
            "post_media_view": numbers["views"],
            "post_total_media_view_unique": numbers["reach"],
            "post_reactions_like_total": numbers["likes"],
            "post_clicks": numbers["link_clicks"],
            "total_video_views": numbers["views"],
            "blue_reels_play_count": numbers["views"],
            "total_video_view_total_time": numbers["watch_time"],
            "post_video_likes_by_reaction_type": numbers["likes"],
        }

    def account_node(self, request: Request) -> Reply:
        return Reply(200, {"id": self.account, "name": "ECPAT France (sandbox)"}, self.usage())

    def node(self, request: Request, node: str, item: dict[str, Any]) -> Reply:
        if item.get("kind") in ("video", "reel"):
            upload: Upload = item["upload"]
            upload.polls += 1
            state = {
                "in_progress": "processing",
                "succeeded": "ready",
                "failed": "error",
                "uploading": "upload",
            }[upload.state]
            return Reply(200, {"id": node, "status": {"video_status": state}}, self.usage())
        return Reply(200, {"id": node, "message": item.get("text", "")}, self.usage())

    def _page(self, page: str) -> Reply | None:
        if page != self.account:
            return graph_error(
                400,
                100,
                f"Unsupported post request. Object with ID '{page}' does not exist",
                subcode=OBJECT_MISSING,
            )
        return None

    def feed(self, request: Request, page: str) -> Reply:
        if (denied := self.auth(request) or self._page(page)) is not None:
            return denied
        params = request.params()
        message = params.get("message", "")
        if not message and not params.get("link"):
            return graph_error(400, 100, "(#100) Missing message or attachment")
        with self.core.lock:
            if self.core.has_text(self.name, message):
                return self.fault("duplicate")
            post_id = f"{page}_{self.core.next_id()}"
            self.core.objects[post_id] = {"network": self.name, "kind": "post", "text": message}
            self.core.record(self.name, page, post_id, message, [])
        return Reply(200, {"id": post_id}, self.usage())

    def posts(self, request: Request, page: str) -> Reply:
        if (denied := self.auth(request) or self._page(page)) is not None:
            return denied
        limit = int(request.query.get("limit", "25"))
        items = self.core.published_on(self.name)[:limit]
        return Reply(
            200,
            {
                "data": [
                    {"id": item["id"], "message": item["text"], "created_time": item["created_at"]}
                    for item in items
                ]
            },
            self.usage(),
        )

    def upload_start(self, request: Request, app: str) -> Reply:
        if (denied := self.auth(request)) is not None:
            return denied
        params = request.params()
        try:
            length = int(params.get("file_length", ""))
        except ValueError:
            return graph_error(400, 100, "(#100) file_length is required")
        session = self.core.next_id()
        self.core.uploads[f"upload:{session}"] = Upload(total=length)
        return Reply(200, {"id": f"upload:{session}"}, self.usage())

    def upload_chunk(self, request: Request, session: str) -> Reply:
        if (denied := self.auth(request)) is not None:
            return denied
        upload = self.core.uploads.get(f"upload:{session}")
        if upload is None:
            return graph_error(400, 100, "Invalid upload session")
        offset = int(request.headers.get("file_offset", "0"))
        if offset != len(upload.data):
            return graph_error(400, 1363037, f"Invalid file offset {offset}, expected {len(upload.data)}")
        upload.data.extend(request.body)
        handle = f"h:{session}" if len(upload.data) >= upload.total else ""
        return Reply(
            200,
            {"h": handle} if handle else {"id": f"upload:{session}", "file_offset": len(upload.data)},
            self.usage(),
        )

    def upload_status(self, request: Request, session: str) -> Reply:
        upload = self.core.uploads.get(f"upload:{session}")
        if upload is None:
            return graph_error(400, 100, "Invalid upload session")
        return Reply(200, {"id": f"upload:{session}", "file_offset": len(upload.data)}, self.usage())

    def videos(self, request: Request, page: str) -> Reply:
        if (denied := self.auth(request) or self._page(page)) is not None:
            return denied
        params = request.params()
        handle = params.get("fbuploader_video_file_chunk", "")
        upload = self.core.uploads.get("upload:" + handle.removeprefix("h:"))
        if upload is None or len(upload.data) < upload.total:
            return graph_error(400, 100, "(#100) Invalid or incomplete fbuploader_video_file_chunk")
        upload.finalized = True
        video_id = self.core.next_id()
        description = params.get("description", "")
        self.core.objects[video_id] = {
            "network": self.name,
            "kind": "video",
            "text": description,
            "upload": upload,
        }
        self.core.record(self.name, page, video_id, description, [video_id])
        return Reply(200, {"id": video_id}, self.usage())

    def captions(self, request: Request, video: str) -> Reply:
        """One caption track per call, its locale in the file's name (name.fr_FR.srt); tracks are
        kept per locale (``captions``), with the default one (``default_locale``)."""
        if (denied := self.auth(request)) is not None:
            return denied
        multipart = request.content_type == "multipart/form-data"
        parts = request.multipart() if multipart else {}
        fields = {
            **request.query,
            **{name: value.decode("utf-8", "replace") for name, value in parts.items()},
        }
        unknown = sorted(set(fields) - CAPTION_PARAMS - {"access_token", "appsecret_proof", "captions_file"})
        if unknown:
            return graph_error(
                400, 100, f"(#100) Param {unknown[0]} is not a valid parameter of /{{video-id}}/captions"
            )
        if video not in self.core.objects or not parts.get("captions_file"):
            return graph_error(400, 100, "(#100) captions_file is required")
        filename = request.multipart_filenames().get("captions_file", "")
        pieces = filename.rsplit(".", 2)
        if len(pieces) != 3 or pieces[2].lower() != "srt" or pieces[1] not in CAPTION_LOCALES:
            return graph_error(
                400, 385, "(#385) Sorry, the captions file you selected is in a format that we don't support."
            )
        default = fields.get("default_locale")
        if default is not None and default not in CAPTION_LOCALES:
            return graph_error(400, 100, f"(#100) Invalid locale: {default}")
        item = self.core.objects[video]
        if not isinstance(item.get("captions"), dict):
            item["captions"] = {}
        item["captions"][pieces[1]] = parts["captions_file"].decode("utf-8", "replace")
        if default is not None:
            item["default_locale"] = default
        return Reply(200, {"success": True}, self.usage())

    def reels(self, request: Request, page: str) -> Reply:
        if (denied := self.auth(request) or self._page(page)) is not None:
            return denied
        params = request.params()
        phase = params.get("upload_phase")
        if phase == "start":
            video_id = self.core.next_id()
            self.new_upload(video_id, kind="reel", text="")
            return Reply(
                200,
                {
                    "video_id": video_id,
                    "upload_url": f"https://rupload.facebook.com/video-upload/v22.0/{video_id}",
                },
                self.usage(),
            )
        if phase == "finish":
            video_id = params.get("video_id", "")
            reel = self.core.objects.get(video_id)
            if reel is None or not reel["upload"].data:
                return graph_error(400, 100, "(#100) The video was not uploaded")
            description = params.get("description", "")
            with self.core.lock:
                if self.core.has_text(self.name, description):
                    return self.fault("duplicate")
                reel["text"] = description
                reel["upload"].finalized = True
                self.core.record(self.name, page, video_id, description, [video_id])
            return Reply(200, {"success": True}, self.usage())
        return graph_error(400, 100, "(#100) upload_phase must be start or finish")

    def reels_list(self, request: Request, page: str) -> Reply:
        if (denied := self.auth(request) or self._page(page)) is not None:
            return denied
        items = [item for item in self.core.published_on(self.name) if item["media"]]
        return Reply(
            200, {"data": [{"id": item["id"], "description": item["text"]} for item in items]}, self.usage()
        )

    def rupload_video(self, request: Request, video: str) -> Reply:
        return self.rupload(request, video)
