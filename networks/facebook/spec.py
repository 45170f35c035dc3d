"""What a Facebook Page is, as clickable needs to know it (developers.facebook.com/docs/graph-api)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from campaign.i18n import N_
from networks.spec import (
    CredentialField,
    MediaRules,
    MetricRules,
    NetworkSpec,
    SafeZone,
    TextRules,
    VideoRules,
)

if TYPE_CHECKING:
    from networks.base import Adapter
    from networks.emulator.part import EmulatorPart

GIGABYTE = 1024 * 1024 * 1024


def _adapter() -> type[Adapter]:
    from networks.facebook.adapter import FacebookAdapter

    return FacebookAdapter


def _emulator() -> type[EmulatorPart]:
    from networks.facebook.emulator import FacebookPart

    return FacebookPart


SPEC = NetworkSpec(
    name="facebook",
    label="Facebook",
    credentials=(
        CredentialField("page_id", secret=False, account_setting=True, help=N_("id of the Facebook Page")),
        # a Page token is enough for every call, video uploads included (POST /{page-id}/videos)
        CredentialField("page_token", help=N_("Page access token")),
    ),
    hosts=("graph.facebook.com", "graph-video.facebook.com", "rupload.facebook.com"),
    text=TextRules(
        limit=63_206,
        # the mobile feed folds a post after about three lines (~125 characters) behind "See more"
        feed_cut=125,
        more_label="… Voir plus",
    ),
    media=MediaRules(
        formats=("vertical", "square", "landscape"),
        videos=(
            # Reels publishing API: 3-90 s, 9:16, at least 540×960; 30 Reels per Page per 24 h
            VideoRules(
                "reel",
                min_seconds=3.0,
                max_seconds=90.0,
                max_bytes=10 * GIGABYTE,  # no Reel size documented: the Video API's upload limit
                aspect=(9, 16),
                min_size=(540, 960),
                cap="facebook_reels",
                label=N_("Reels"),
            ),
            # Page videos (Video API): up to 240 minutes and 10 GB
            VideoRules("video", min_seconds=1.0, max_seconds=240 * 60.0, max_bytes=10 * GIGABYTE),
        ),
        caption_tracks=True,  # POST /{video-id}/captions, SubRip files named name.LOCALE.srt
        # Meta's Reels safe zone (Reels and Stories unified, March 2026): text out of the top 14 %, the bottom 35 %
        # and 6 % on each side (shared/reference/accessibility-and-languages.md §3)
        safe_zone=SafeZone(top=0.14, bottom=0.35, left=0.06, right=0.06, source="Meta Reels safe zone, 2026"),
    ),
    caps={"facebook": 50, "facebook_reels": 30},
    metrics=MetricRules(
        names={
            "post": {  # GET /{post-id}/insights
                "post_media_view": "views",
                "post_total_media_view_unique": "impressions",
                "post_reactions_like_total": "likes",
                "post_clicks": "link_clicks",
            },
            "video": {  # GET /{video-id}/video_insights (videos and Reels)
                "total_video_views": "video_views",
                "blue_reels_play_count": "views",
                "total_video_view_total_time": "watch_time",
                "post_video_likes_by_reaction_type": "likes",
            },
        },
        # the post_impressions family, retired by Meta in 2025 (replaced by post_media_view…)
        retired=(
            "post_impressions",
            "post_impressions_unique",
            "post_impressions_paid",
            "post_impressions_organic",
        ),
    ),
    adapter=_adapter,
    emulator=_emulator,
    docs="https://developers.facebook.com/docs/pages-api",
)
