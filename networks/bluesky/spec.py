"""What Bluesky is, as clickable needs to know it.

Ground truth: the AT Protocol lexicons (https://github.com/bluesky-social/atproto/tree/main/lexicons),
from which the ``atproto`` package generates its models; the video guide
(https://docs.bsky.app/docs/tutorials/video) and the rich-text guide
(https://docs.bsky.app/docs/advanced-guides/post-richtext).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from campaign.i18n import N_
from networks.bluesky import text
from networks.spec import CredentialField, MediaRules, MetricRules, NetworkSpec, TextRules, VideoRules

if TYPE_CHECKING:
    from networks.base import Adapter
    from networks.emulator.part import EmulatorPart

ENTRYWAY = "bsky.social"  # where a Bluesky-hosted account logs in (its PDS is named in its DID document)
VIDEO_SERVICE = "video.bsky.app"
APP_PASSWORD = r"[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}"


def _adapter() -> type[Adapter]:
    from networks.bluesky.adapter import BlueskyAdapter

    return BlueskyAdapter


def _emulator() -> type[EmulatorPart]:
    from networks.bluesky.emulator import BlueskyPart

    return BlueskyPart


SPEC = NetworkSpec(
    name="bluesky",
    label="Bluesky",
    credentials=(
        CredentialField(
            "handle",
            secret=False,
            account_setting=True,
            help=N_("the account's handle, e.g. ecpat-france.bsky.social"),
            prompt=N_("handle (e.g. ecpat-france.bsky.social)"),
        ),
        CredentialField(
            "app_password",
            help=N_("an app password of the account, never its main password"),
            prompt=N_(
                "app password (Settings → Privacy and security → App passwords; never the account's main password)"
            ),
            pattern=APP_PASSWORD,
            pattern_hint=N_(
                "an app password has the form xxxx-xxxx-xxxx-xxxx: create one in Bluesky's settings "
                "(Privacy and security → App passwords), never give the account's main password"
            ),
        ),
        CredentialField(
            "pds",
            secret=False,
            required=False,
            account_setting=True,
            help=N_("host of the account's PDS when it is not hosted by Bluesky (default bsky.social)"),
        ),
    ),
    hosts=(ENTRYWAY, VIDEO_SERVICE),
    # no account_host: that is for networks whose every account names its instance (Mastodon); a Bluesky
    # account is on bsky.social unless its `pds` says otherwise
    text=TextRules(
        limit=text.GRAPHEME_LIMIT,
        measure=text.measure,
        unit="graphemes",
        feed_cut=None,  # a post is shown whole (300 graphemes at most)
        more_label="",
    ),
    media=MediaRules(
        formats=("vertical", "square", "landscape"),
        videos=(
            # app.bsky.embed.video: video/mp4 up to 300,000,000 bytes (the lexicon: "formerly limited to
            # 100mb"); the video service takes up to 3 minutes
            VideoRules("video", min_seconds=0.0, max_seconds=180.0, max_bytes=300_000_000),
        ),
        caption_tracks=True,  # app.bsky.embed.video#caption: one text/vtt blob per language, up to 20
        alt_text=True,
        # app.bsky.embed.video: alt ≤ 1,000 graphemes; 1,000 characters never make more graphemes
        alt_text_max=text.ALT_GRAPHEME_LIMIT,
    ),
    caps={"bluesky": 50},
    metrics=MetricRules(
        names={
            "post": {  # app.bsky.feed.defs#postView (app.bsky.feed.getPosts); Bluesky gives no views
                "likeCount": "likes",
                "repostCount": "shares",
                "quoteCount": "shares",
                "replyCount": "comments",
                "bookmarkCount": "saves",
            }
        },
        unavailable=("views", "impressions", "video_views", "watch_time", "link_clicks"),  # not in postView
    ),
    adapter=_adapter,
    emulator=_emulator,
    docs="https://docs.bsky.app/docs/category/http-reference",
)
