"""What TikTok is, as clickable needs to know it (developers.tiktok.com/doc/content-posting-api-get-started).

A TikTok post is a video. The person makes every posting decision (TikTok's UX guidelines forbid a
default: developers.tiktok.com/doc/content-sharing-guidelines): privacy level, whether comments,
duets and stitches are off, and the commercial-content disclosure are required choices, checked
against what ``creator_info`` offers before any upload. An account not marked ``audited`` sends each
post to the creator's TikTok inbox as a draft (scope ``video.upload``), which the person finishes in
the app; an audited one posts directly (scope ``video.publish``). Before TikTok's audit, a direct post
can only be ``SELF_ONLY``, from at most 5 users a day, to private accounts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from campaign.i18n import N_
from networks.spec import (
    AccountSetting,
    Choice,
    CredentialField,
    MediaRules,
    MetricRules,
    NetworkSpec,
    SafeZone,
    TextRules,
    VideoRules,
)
from networks.tiktok import text

if TYPE_CHECKING:
    from networks.base import Adapter
    from networks.emulator.part import EmulatorPart
    from networks.oauth import Connector

# developers.tiktok.com/doc/content-posting-api-reference-direct-post (post_info.privacy_level)
PRIVACY_LEVELS = ("PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "FOLLOWER_OF_CREATOR", "SELF_ONLY")
# developers.tiktok.com/doc/content-posting-api-media-transfer-guide#video_restrictions: 4 GB, 360 to
# 4096 px a side; creators post 3 minutes, some 5 or 10 (creator_info's max_video_post_duration_sec)
MAX_VIDEO_BYTES = 4 * 1024**3
MAX_SECONDS = 600.0


def _adapter() -> type[Adapter]:
    from networks.tiktok.adapter import TikTokAdapter

    return TikTokAdapter


def _emulator() -> type[EmulatorPart]:
    from networks.tiktok.emulator import TikTokPart

    return TikTokPart


def _connect() -> type[Connector]:
    from networks.tiktok.oauth import TikTokConnector

    return TikTokConnector


SPEC = NetworkSpec(
    name="tiktok",
    label="TikTok",
    credentials=(
        CredentialField("client_key", secret=False, help=N_("client key of the TikTok developer app")),
        CredentialField("client_secret", help=N_("client secret of the TikTok developer app")),
        CredentialField("refresh_token", help=N_("refresh token of the creator (from `accounts add`)")),
        CredentialField(
            "open_id", secret=False, required=False, help=N_("the creator's open_id for this app")
        ),
    ),
    # the API, the upload host its upload_url names, and the consent page of Login Kit
    hosts=("open.tiktokapis.com", "open-upload.tiktokapis.com", "www.tiktok.com"),
    text=TextRules(
        limit=text.CAPTION_UTF16,
        unit="UTF-16 units",
        measure=text.measure,
        links_clickable=False,  # a link in a TikTok caption is plain text: the end card and QR code carry it
        feed_cut=80,  # the For You feed shows about two lines over the video, then "plus"
        more_label="… plus",
    ),
    media=MediaRules(
        formats=("vertical", "tiktok"),
        videos=(
            VideoRules(
                "video",
                min_seconds=0.0,
                max_seconds=MAX_SECONDS,
                max_bytes=MAX_VIDEO_BYTES,
                aspect_range=(9 / 16, 16 / 9),
                min_size=(360, 360),
                label=N_("TikTok videos"),
            ),
        ),
        video_required=N_("TikTok publishes videos"),
        # the app: username and caption over the bottom, the button rail down the right
        safe_zone=SafeZone(
            top=250 / 1920, bottom=420 / 1920, left=0.06, right=170 / 1080, source="TikTok app, 2026"
        ),
    ),
    caps={"tiktok": 15},  # direct posts are capped per creator per day (spam_risk_too_many_posts)
    metrics=MetricRules(
        names={
            # developers.tiktok.com/doc/tiktok-api-v2-video-object (Display API /v2/video/query/)
            "video": {
                "view_count": "views",
                "like_count": "likes",
                "comment_count": "comments",
                "share_count": "shares",
            }
        },
    ),
    account_settings=(
        AccountSetting(
            "audited",
            help=N_(
                "whether TikTok audited the app: then posts go out directly; else each post goes to the "
                "creator's inbox as a draft (before the audit a direct post can only be SELF_ONLY)"
            ),
            boolean=True,
        ),
    ),
    choices=(
        Choice("privacy_level", options=PRIVACY_LEVELS, help=N_("who may watch the video")),
        Choice("disable_comment", boolean=True, help=N_("whether comments are turned off")),
        Choice("disable_duet", boolean=True, help=N_("whether duets are turned off")),
        Choice("disable_stitch", boolean=True, help=N_("whether stitches are turned off")),
        Choice(
            "brand_content_toggle",
            boolean=True,
            help=N_("commercial content: a paid partnership promoting a third-party brand"),
        ),
        Choice(
            "brand_organic_toggle",
            boolean=True,
            help=N_("commercial content: promoting the creator's own business"),
        ),
    ),
    adapter=_adapter,
    emulator=_emulator,
    connect=_connect,
    docs="https://developers.tiktok.com/doc/content-posting-api-get-started",
)
