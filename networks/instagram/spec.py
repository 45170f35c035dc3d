"""What an Instagram professional account is, as clickable needs to know it (Instagram Graph API)."""

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

MEGABYTE = 1024 * 1024


def _adapter() -> type[Adapter]:
    from networks.instagram.adapter import InstagramAdapter

    return InstagramAdapter


def _emulator() -> type[EmulatorPart]:
    from networks.instagram.emulator import InstagramPart

    return InstagramPart


SPEC = NetworkSpec(
    name="instagram",
    label="Instagram",
    credentials=(
        CredentialField(
            "ig_user_id",
            secret=False,
            account_setting=True,
            help=N_("id of the Instagram professional account"),
        ),
        CredentialField("token", help=N_("access token with instagram_content_publish")),
    ),
    hosts=("graph.facebook.com", "graph.instagram.com", "rupload.facebook.com"),
    text=TextRules(
        limit=2_200,
        max_hashtags=30,
        links_clickable=False,  # a link in a caption is plain text: the end card and QR code carry it
        # "only the first three lines of a caption will be displayed" (~125 characters,
        # help.instagram.com/1643471055915254)
        feed_cut=125,
        more_label="… plus",
    ),
    media=MediaRules(
        formats=("vertical", "square", "landscape"),
        videos=(
            # Content publishing, media_type=REELS: 3 s to 15 min, 300 MB, ratio 0.01:1 to 10:1 (9:16 advised)
            VideoRules(
                "reel",
                min_seconds=3.0,
                max_seconds=15 * 60.0,
                max_bytes=300 * MEGABYTE,
                aspect_range=(0.01, 10.0),
                label=N_("Reels"),
            ),
        ),
        video_required=N_("Instagram publishes Reels"),
        feed_frame=(4, 5),  # a Reel shared to the feed is shown cropped to 4:5 there
        # Meta's Reels safe zone (Reels and Stories unified, March 2026): text out of the top 14 %, the bottom 35 %
        # and 6 % on each side (shared/reference/accessibility-and-languages.md §3)
        safe_zone=SafeZone(top=0.14, bottom=0.35, left=0.06, right=0.06, source="Meta Reels safe zone, 2026"),
    ),
    caps={"instagram": 50},  # content_publishing_limit: 50 API-published posts per 24 hours
    metrics=MetricRules(
        names={
            "media": {  # GET /{ig-media-id}/insights
                "views": "views",
                "reach": "impressions",
                "likes": "likes",
                "comments": "comments",
                "shares": "shares",
                "saved": "saves",
                "ig_reels_video_view_total_time": "watch_time",
            }
        },
        # deprecated with Graph v22 (2025): "views" replaces them
        retired=("impressions", "plays", "clips_replays_count", "ig_reels_aggregated_all_plays_count"),
    ),
    adapter=_adapter,
    emulator=_emulator,
    docs="https://developers.facebook.com/docs/instagram-platform",
)
