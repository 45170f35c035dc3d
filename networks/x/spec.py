"""What X is, as clickable needs to know it (docs.x.com; pricing checked 2026-02-06)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from campaign.i18n import N_
from networks.spec import (
    AccountSetting,
    CredentialField,
    MediaRules,
    MetricRules,
    NetworkSpec,
    Prices,
    SafeZone,
    TextRules,
    VideoRules,
)
from networks.x import text

if TYPE_CHECKING:
    from networks.base import Adapter
    from networks.emulator.part import EmulatorPart

MEGABYTE = 1024 * 1024


def _adapter() -> type[Adapter]:
    from networks.x.adapter import XAdapter

    return XAdapter


def _emulator() -> type[EmulatorPart]:
    from networks.x.emulator import XPart

    return XPart


SPEC = NetworkSpec(
    name="x",
    label="X",
    credentials=(
        CredentialField("consumer_key", help=N_("API key of the X app")),
        CredentialField("consumer_secret", help=N_("API key secret of the X app")),
        CredentialField("access_token", help=N_("access token of the account (OAuth 1.0a)")),
        CredentialField("access_token_secret", help=N_("access token secret of the account")),
    ),
    # the server of X's OpenAPI document (api.twitter.com still answers: the emulator serves both)
    hosts=("api.x.com",),
    text=TextRules(
        limit=text.WEIGHTED_LIMIT,
        measure=text.measure,
        link_length=text.LINK_LENGTH,
        feed_cut=None,  # a standard post is shown whole (280 weighted characters at most)
        link_shown=text.LINK_SHOWN,
    ),
    media=MediaRules(
        formats=("x", "vertical", "square", "landscape"),
        videos=(
            VideoRules(
                "video",
                min_seconds=0.5,
                max_seconds=140.0,
                max_bytes=512 * MEGABYTE,
                aspect_range=(1 / 3, 3.0),
            ),
        ),
        caption_tracks=True,  # POST /2/media/subtitles (not sent yet)
        alt_text=True,  # POST /2/media/metadata (not sent yet)
        alt_text_max=1000,  # AltText.text maxLength in X's OpenAPI
        # the player's controls and the "sound on" badge over the bottom of a video in the timeline
        safe_zone=SafeZone(top=0.0, bottom=0.12, left=0.0, right=0.0),
    ),
    caps={"x": 100},
    metrics=MetricRules(
        names={
            "post": {  # GET /2/tweets: field group . name -> normalised name
                "public_metrics.impression_count": "impressions",
                "public_metrics.like_count": "likes",
                "public_metrics.reply_count": "comments",
                "public_metrics.retweet_count": "shares",
                "public_metrics.bookmark_count": "saves",
                "non_public_metrics.url_link_clicks": "link_clicks",
                "non_public_metrics.impression_count": "views",
            }
        }
    ),
    account_settings=(
        AccountSetting(
            "link",
            help=N_(
                "text (the default): the post's tracked link is in its text; none: left out of the text "
                "(X charges $0.20 a post holding a URL, $0.015 one without), the capsule's end card and "
                "QR code carry it"
            ),
        ),
    ),
    prices=Prices(
        post=0.015,
        post_with_url=0.20,
        read=0.005,
        source="https://docs.x.com/x-api/getting-started/pricing",
    ),
    adapter=_adapter,
    emulator=_emulator,
    docs="https://docs.x.com/x-api",
)
