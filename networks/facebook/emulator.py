"""Facebook Pages' part of the emulator: feed posts, Page videos, Reels, captions, insights.

What it relies on, as Meta documents it:

- Page videos, resumable with the Page token alone: ``POST /{page-id}/videos`` on graph-video with
  ``upload_phase=start`` (``file_size``) → ``transfer`` (``upload_session_id``, ``start_offset``,
  ``video_file_chunk``) → ``finish`` (developers.facebook.com/docs/video-api/guides/publishing);
  the server chooses each chunk (``start_offset``/``end_offset``).
- Reels: ``POST /{page-id}/video_reels`` start → bytes to rupload.facebook.com → finish; 3 to 90 s,
  9:16, at least 540×960, 30 Reels per Page in 24 hours (developers.facebook.com/docs/video-api/guides/reels-publishing).
  Meta documents these limits, not the error that enforces them: the part answers a Reel outside them
  at finish with code 6000, what Reels finish answers a file it refuses (seen by trypost, PR #361),
  and the 31st Reel of the day with code 9, Graph's "User is performing too many actions".
- Captions: ``POST /{video-id}/captions`` with ``captions_file`` named ``name.LOCALE.srt`` and an
  optional ``default_locale`` (AdVideo.json; developers.facebook.com/docs/graph-api/reference/video/captions).
"""

from __future__ import annotations

import hashlib
from typing import Any

from networks.emulator.messages import Reply, Request
from networks.emulator.part import Route
from networks.emulator.uploads import Upload, measure
from networks.facebook.locales import CAPTION_LOCALES
from networks.graph.emulator import OBJECT_MISSING, GraphPart, graph_error
from networks.media import video_problem

CHUNK_BYTES = 64 * 1024  # the chunk the server asks for at each transfer (small: tests send several)
DAY_S = 86_400.0
# POST /{video-id}/captions takes these and no others (Meta's AdVideo.json spec; tests check the list)
CAPTION_PARAMS = frozenset({"captions_file", "default_locale", "locales_to_delete"})


class FacebookPart(GraphPart):
    refuses_duplicates = True
    token_field = "page_token"
    account_field = "page_id"

    @classmethod
    def sandbox_credentials(cls, seed: int) -> dict[str, str]:
        token = hashlib.sha256(f"{seed}:page".encode()).hexdigest()[:32]
        return {"page_id": "100000000001", "page_token": "sbx-page-" + token}

    def routes(self) -> list[Route]:
        return [
            Route("POST", r"/(?P<page>\d+)/feed", "/{page-id}/feed", self.feed, creates=True),
            Route("GET", r"/(?P<page>\d+)/posts", "/{page-id}/posts", self.posts),
            Route("POST", r"/(?P<page>\d+)/videos", "/{page-id}/videos", self.videos, creates=True),
            Route("POST", r"/(?P<video>\d+)/captions", "/{video-id}/captions", self.captions),
            Route("POST", r"/(?P<page>\d+)/video_reels", "/{page-id}/video_reels", self.reels),
            Route("GET", r"/(?P<page>\d+)/video_reels", "/{page-id}/video_reels", self.reels_list),
            Route("POST", r"/video-upload/(?P<video>\d+)", "/video-upload/{video-id}", self.rupload_video),
            Route("GET", r"/(?P<node>[\d_]+)/insights", "/{id}/insights", self.insights),
            Route("GET", r"/(?P<node>\d+)/video_insights", "/{video-id}/video_insights", self.insights),
            Route("GET", r"/(?P<node>[\d_]+)", "/{id}", self.graph_node),
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sessions: dict[str, str] = {}  # upload_session_id -> video id

    def reset(self) -> None:
        self.sessions = {}

    def node_type(self, ident: str) -> str | None:
        if ident == self.account:
            return "Page"
        kind = (self.core.objects.get(ident) or {}).get("kind")
        if kind is None and any(
            item["id"] == ident and item["network"] == self.name for item in self.core.published
        ):
            kind = "post" if "_" in ident else "video"  # deleted: Page posts are "{page}_{post}"
        return {"post": "PagePost", "video": "AdVideo", "reel": "AdVideo"}.get(kind or "")

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
            if upload.finalized:
                upload.polls += 1
            state = upload.state
            status = {
                "video_status": {
                    "in_progress": "processing",
                    "succeeded": "ready",
                    "failed": "error",
                    "uploading": "upload",
                }[state],
                "uploading_phase": {"status": "in_progress" if state == "uploading" else "complete"},
                "processing_phase": {
                    "status": {"succeeded": "complete", "failed": "error"}.get(
                        state, "in_progress" if upload.finalized else "not_started"
                    )
                },
            }
            return Reply(200, {"id": node, "status": status}, self.usage())
        return Reply(200, {"id": node, "message": item.get("text", "")}, self.usage())

    def _page(self, page: str) -> Reply | None:
        if page != self.account:
            return graph_error(
                400,
                100,
                f"Unsupported post request. Object with ID '{page}' does not exist, cannot be loaded due to "
                "missing permissions, or does not support this operation",
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
                    {"id": item["id"], "message": item["text"], "created_time": self.created_time(item)}
                    for item in items
                ]
            },
            self.usage(),
        )

    # -- Page videos: start → transfer → finish, with the Page token ------------------------------

    def videos(self, request: Request, page: str) -> Reply:
        if (denied := self.auth(request) or self._page(page)) is not None:
            return denied
        params = request.params()
        phase = params.get("upload_phase", "").lower()
        if phase == "start":
            try:
                size = int(params.get("file_size", ""))
            except ValueError:
                return graph_error(400, 100, "(#100) The parameter file_size is required")
            video_id, session = self.core.next_id(), self.core.next_id()
            self.new_upload(video_id, kind="video", text="").total = size
            self.sessions[session] = video_id
            return Reply(
                200,
                {
                    "video_id": video_id,
                    "upload_session_id": session,
                    "start_offset": "0",
                    "end_offset": str(min(CHUNK_BYTES, size)),
                },
                self.usage(),
            )
        video_id = self.sessions.get(params.get("upload_session_id", ""), "")
        item = self.core.objects.get(video_id)
        if item is None:
            return graph_error(400, 100, "(#100) Invalid upload_session_id")
        upload: Upload = item["upload"]
        if phase == "transfer":
            return self._transfer(request, upload, params)
        if phase == "finish":
            return self._finish_video(page, video_id, item, params)
        return graph_error(400, 100, "(#100) upload_phase must be start, transfer or finish")

    def _offsets(self, upload: Upload) -> dict[str, str]:
        start = len(upload.data)
        return {"start_offset": str(start), "end_offset": str(min(start + CHUNK_BYTES, upload.total))}

    def _transfer(self, request: Request, upload: Upload, params: dict[str, str]) -> Reply:
        chunk = (
            request.multipart().get("video_file_chunk", b"")
            if request.content_type == "multipart/form-data"
            else b""
        )
        offset = params.get("start_offset", "")
        if offset != str(len(upload.data)):
            return graph_error(
                400,
                6001,
                "(#6001) There was a problem uploading your video. Please try again.",
                subcode=1363037,
                data=self._offsets(upload),
            )
        if not chunk:
            return graph_error(400, 100, "(#100) The parameter video_file_chunk is required")
        upload.data.extend(chunk[: upload.total - len(upload.data)])
        return Reply(200, self._offsets(upload), self.usage())

    def _finish_video(self, page: str, video_id: str, item: dict[str, Any], params: dict[str, str]) -> Reply:
        upload: Upload = item["upload"]
        if len(upload.data) < upload.total:
            return graph_error(400, 100, "(#100) The video was not fully uploaded")
        refused = self._out_of_spec(upload, "video")
        if refused is not None:
            return refused
        description = params.get("description", "")
        with self.core.lock:
            if item.get("text") or upload.finalized:
                return Reply(200, {"success": True}, self.usage())  # finish is idempotent
            upload.finalized = True
            item["text"] = description
            self.core.record(self.name, page, video_id, description, [video_id])
        return Reply(200, {"success": True}, self.usage())

    def _out_of_spec(self, upload: Upload, kind: str) -> Reply | None:
        """Meta's processing refuses a readable video outside the limits of its kind (see the docstring)."""
        info = measure(bytes(upload.data))
        if info is None:
            return None  # unreadable: accepted, then processing fails (video_status "error")
        problem = video_problem(self.spec.media.video(kind), info, len(upload.data))
        if problem is None:
            return None
        return graph_error(
            400,
            6000,
            "(#6000) There was a problem uploading your video file. Please try again with another file.",
            user_msg=problem,
        )

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

    # -- Reels: start → rupload → finish ------------------------------------------------------------

    def reels(self, request: Request, page: str) -> Reply:
        if (denied := self.auth(request) or self._page(page)) is not None:
            return denied
        params = request.params()
        phase = params.get("upload_phase", "").lower()
        if phase == "start":
            if self.reels_today() >= self.spec.caps[self.spec.media.video("reel").cap or self.name]:
                return graph_error(
                    400,
                    9,
                    "(#9) This Page has reached its limit of Reels published through the API in 24 hours.",
                    user_msg="30 Reels per Page per 24 hours",
                )
            video_id = self.core.next_id()
            self.new_upload(video_id, kind="reel", text="")
            version = request.path.strip("/").split("/")[0]
            return Reply(
                200,
                {
                    "video_id": video_id,
                    "upload_url": f"https://rupload.facebook.com/video-upload/{version}/{video_id}",
                },
                self.usage(),
            )
        if phase == "finish":
            video_id = params.get("video_id", "")
            reel = self.core.objects.get(video_id)
            if reel is None or not reel["upload"].data:
                return graph_error(400, 100, "(#100) The video was not uploaded")
            refused = self._out_of_spec(reel["upload"], "reel")
            if refused is not None:
                return refused
            description = params.get("description", "")
            with self.core.lock:
                if self.core.has_text(self.name, description):
                    return self.fault("duplicate")
                reel["text"] = description
                reel["upload"].finalized = True
                self.core.record(self.name, page, video_id, description, [video_id])
            return Reply(200, {"success": True}, self.usage())
        return graph_error(400, 100, "(#100) upload_phase must be start or finish")

    def reels_today(self) -> int:
        """Reels published on the Page in the last 24 hours (the network's own count)."""
        day_ago = self.core.now() - DAY_S
        return sum(
            1
            for item in self.core.published
            if item["network"] == self.name
            and (self.core.objects.get(item["id"]) or {}).get("kind") == "reel"
            and self.core.objects[item["id"]].get("created", 0) > day_ago
        )

    def reels_list(self, request: Request, page: str) -> Reply:
        if (denied := self.auth(request) or self._page(page)) is not None:
            return denied
        since = request.query.get("since")
        items = [
            item
            for item in self.core.published_on(self.name)
            if (self.core.objects.get(item["id"]) or {}).get("kind") == "reel"
            and self.core.objects[item["id"]].get("created", 0) >= _instant(since)
        ]
        return Reply(
            200,
            {
                "data": [
                    {"id": item["id"], "description": item["text"], "created_time": self.created_time(item)}
                    for item in items
                ]
            },
            self.usage(),
        )

    def rupload_video(self, request: Request, video: str) -> Reply:
        return self.rupload(request, video)


def _instant(value: str | None) -> float:
    """A Graph ``since``/``until`` value (Unix time or ISO 8601) as a Unix time; 0 when absent."""
    from datetime import datetime

    if not value:
        return 0.0
    if value.lstrip("-").isdigit():
        return float(value)
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
