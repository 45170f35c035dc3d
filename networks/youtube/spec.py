"""What YouTube Shorts are, as clickable needs to know it (developers.google.com/youtube/v3).

Quota (revision history, 2025-12 and 2026-06): ``videos.insert`` has its own bucket of 100 calls a
day; every other call shares 10,000 units a day (``captions.insert`` 400, ``videos.list`` 1); the
day starts again at midnight Pacific time. Projects created after 2020-07-28 publish only private
videos until Google's audit: the account says which it is (``audited``).
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
    QuotaBucket,
    QuotaRules,
    SafeZone,
    TextRules,
    VideoRules,
)
from networks.youtube import text

if TYPE_CHECKING:
    from networks.base import Adapter
    from networks.emulator.part import EmulatorPart
    from networks.oauth import Connector

# videos.insert's mediaUpload.maxSize in the discovery document shipped with google-api-python-client
MAX_UPLOAD_BYTES = 274_877_906_944
PRIVACY_OPTIONS = ("public", "unlisted", "private")
INSERT_BUCKET = "videos.insert"
UNITS_BUCKET = "units"


def _adapter() -> type[Adapter]:
    from networks.youtube.adapter import YouTubeAdapter

    return YouTubeAdapter


def _emulator() -> type[EmulatorPart]:
    from networks.youtube.emulator import YouTubePart

    return YouTubePart


def _connect() -> type[Connector]:
    from networks.youtube.oauth import GoogleConnector

    return GoogleConnector


SPEC = NetworkSpec(
    name="youtube",
    label="YouTube",
    credentials=(
        CredentialField("client_id", secret=False, help=N_("OAuth client id of the Google Cloud project")),
        CredentialField("client_secret", help=N_("OAuth client secret of the Google Cloud project")),
        CredentialField("refresh_token", help=N_("refresh token of the channel (from `accounts add`)")),
    ),
    # googleapiclient calls the discovery document's rootUrl; the docs also name www.googleapis.com
    hosts=("youtube.googleapis.com", "www.googleapis.com", "oauth2.googleapis.com", "accounts.google.com"),
    text=TextRules(
        limit=text.DESCRIPTION_BYTES,
        unit="bytes of UTF-8",
        measure=text.measure,
        feed_cut=None,
        more_label="… plus",
    ),
    media=MediaRules(
        formats=("vertical", "square"),
        videos=(
            # a Short: vertical or square, up to 3 minutes (there is no API flag: the shape makes it one)
            VideoRules(
                "short",
                min_seconds=0.0,
                max_seconds=180.0,
                max_bytes=MAX_UPLOAD_BYTES,
                aspect_range=(9 / 16, 1.0),
                label=N_("Shorts"),
            ),
        ),
        video_required=N_("YouTube publishes videos"),
        caption_tracks=True,  # captions.insert, one track per language (snippet.language BCP-47)
        # the Shorts player: title, channel and description over the bottom, buttons down the right
        safe_zone=SafeZone(
            top=0.08, bottom=0.25, left=0.05, right=0.15, source="YouTube Shorts player, 2026"
        ),
    ),
    caps={"youtube": 100},
    metrics=MetricRules(
        names={
            "video": {  # videos.list part=statistics
                "statistics.viewCount": "views",
                "statistics.likeCount": "likes",
                "statistics.commentCount": "comments",
            }
        },
        # dislike counts are private since 2021-12-13: the API no longer gives them
        retired=("statistics.dislikeCount",),
    ),
    account_settings=(
        AccountSetting(
            "audited",
            help=N_("whether Google audited the project (unaudited projects publish only private videos)"),
            boolean=True,
        ),
    ),
    choices=(
        # a project Google has not audited publishes private videos only (support.google.com/youtube/answer/7300965)
        Choice(
            "privacy_status",
            options=PRIVACY_OPTIONS,
            help=N_("who may watch the video"),
            requires=(("public", "audited"), ("unlisted", "audited")),
            requires_why=N_("YouTube locks the uploads of an unaudited Google Cloud project private"),
        ),
        Choice(
            "made_for_kids",
            boolean=True,
            help=N_("status.selfDeclaredMadeForKids: whether the video is made for children"),
        ),
    ),
    quota=QuotaRules(
        buckets=(
            QuotaBucket(INSERT_BUCKET, 100, N_("videos.insert calls")),
            QuotaBucket(UNITS_BUCKET, 10_000, N_("quota units")),
        ),
        costs={
            "videos.insert": (INSERT_BUCKET, 1),
            "captions.insert": (UNITS_BUCKET, 400),
            "captions.list": (UNITS_BUCKET, 50),
            "videos.list": (UNITS_BUCKET, 1),
            "channels.list": (UNITS_BUCKET, 1),
            "playlistItems.list": (UNITS_BUCKET, 1),
        },
        reset_zone="America/Los_Angeles",
        source="https://developers.google.com/youtube/v3/determine_quota_cost",
    ),
    adapter=_adapter,
    emulator=_emulator,
    connect=_connect,
    docs="https://developers.google.com/youtube/v3/docs",
)
