"""What Mastodon is, as clickable needs to know it (https://docs.joinmastodon.org/api/).

Every account lives on its own instance (``instance: https://social.example.org`` under the account in
campaign.yaml) whose limits are its own: the text limit and how links count are read from the instance
(``GET /api/v2/instance``), kept in the workspace, and used by `campaign check` once known.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from campaign.i18n import N_, _
from campaign.texts import TextLength
from networks.mastodon import text
from networks.spec import (
    Choice,
    CredentialField,
    MediaRules,
    MetricRules,
    NetworkSpec,
    SafeZone,
    TextRules,
    VideoRules,
    host_of,
    host_url_problem,
)

if TYPE_CHECKING:
    from networks.base import Adapter
    from networks.emulator.part import EmulatorPart

IDEMPOTENCY_WINDOW_S = 3600.0  # "Idempotency keys are stored for up to 1 hour" (methods/statuses/#create)
VISIBILITIES = ("public", "unlisted", "private")  # "direct" is a private mention, not a campaign post


def _adapter() -> type[Adapter]:
    from networks.mastodon.adapter import MastodonAdapter

    return MastodonAdapter


def _emulator() -> type[EmulatorPart]:
    from networks.mastodon.emulator import MastodonPart

    return MastodonPart


def _measure(limit: int, url_length: int) -> Any:
    def measure(value: str) -> TextLength:
        return text.measure(value, limit, url_length)

    return measure


def account_rules(
    spec: NetworkSpec, settings: Mapping[str, Any], workspace: Path | None
) -> tuple[NetworkSpec, str | None]:
    """The spec of one account: its instance's text limit when the workspace knows it, else Mastodon's
    default with a note saying how to read the real one."""
    from networks.mastodon.instances import known_limits

    address = settings.get("instance")
    if not isinstance(address, str) or host_url_problem(address) is not None:
        return spec, None  # campaign check reports the address itself
    limits = known_limits(workspace, host_of(address))
    if limits is None:
        return spec, _(
            "the text limit of {instance} is not known yet: texts are counted against Mastodon's "
            "default, {limit}; `clickable accounts check` reads the instance's own"
        ).format(instance=address, limit=text.DEFAULT_LIMIT)
    if (limits.max_characters, limits.characters_reserved_per_url) == (
        spec.text.limit,
        spec.text.link_length,
    ):
        return spec, None
    rules = dataclasses.replace(
        spec.text,
        limit=limits.max_characters,
        link_length=limits.characters_reserved_per_url,
        measure=_measure(limits.max_characters, limits.characters_reserved_per_url),
    )
    return dataclasses.replace(spec, text=rules), None


SPEC = NetworkSpec(
    name="mastodon",
    label="Mastodon",
    credentials=(
        CredentialField(
            "instance",
            secret=False,
            required=False,  # written under the account in campaign.yaml, not prompted
            account_setting=True,
            help=N_("https address of the account's instance, e.g. https://social.example.org"),
        ),
        CredentialField(
            "access_token",
            help=N_("access token of the account on its instance (scopes read and write)"),
        ),
    ),
    hosts=(),  # every instance is its own host: see account_host
    account_host="instance",
    text=TextRules(
        limit=text.DEFAULT_LIMIT,  # the instance's own, once known (account_rules); Mastodon's default here
        unit="graphemes",
        measure=text.measure,
        link_length=text.DEFAULT_URL_LENGTH,
        feed_cut=None,  # the web and mobile apps show a status whole (a content warning aside)
        link_shown=30,  # a link shows without its scheme, cut with "…" after 30 characters
    ),
    media=MediaRules(
        formats=("vertical", "square", "landscape"),
        videos=(
            # no duration limit; the instance's video_size_limit and video_matrix_limit (defaults here)
            VideoRules(
                "video",
                min_seconds=0.0,
                max_seconds=math.inf,
                max_bytes=103_809_024,
                max_pixels=8_294_400,
            ),
        ),
        alt_text=True,  # the media's description
        # Mastodon's default description_limit (configuration.media_attachments, methods/instance/#v2);
        # an instance with a smaller one gets the text cut, with a note
        alt_text_max=1_500,
        # the web app shows a video whole, with its player's controls over the bottom
        safe_zone=SafeZone(top=0.0, bottom=0.1, left=0.0, right=0.0),
    ),
    # No daily cap in the API (300 calls per 5 minutes an account); instances' rules frown on floods
    caps={"mastodon": 20},
    metrics=MetricRules(
        names={
            "post": {  # the Status entity's counters (https://docs.joinmastodon.org/entities/Status/)
                "favourites_count": "likes",
                "reblogs_count": "shares",
                "replies_count": "comments",
            }
        },
        unavailable=("views", "impressions", "video_views", "watch_time", "link_clicks", "saves"),
    ),
    choices=(
        Choice(
            "visibility",
            options=VISIBILITIES,
            help=N_(
                "who sees the post: public (public timelines), unlisted (not in public timelines) "
                "or private (followers only)"
            ),
        ),
    ),
    adapter=_adapter,
    emulator=_emulator,
    docs="https://docs.joinmastodon.org/api/",
    idempotency_window_s=IDEMPOTENCY_WINDOW_S,
    account_rules=account_rules,
)
