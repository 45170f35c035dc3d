"""How X's answers are classified: the one place (both tweepy's calls and our own upload calls come here).

From structured parts of the answer only (docs.x.com/x-api/fundamentals/response-codes-and-errors):

- 401 → ``NeedsReauth``.
- 402 → ``AccountPaused`` until a person acts: the pay-per-use credits are spent
  (docs.x.com/x-api/getting-started/pricing). Not the post's fault: never ``Rejected``.
- 429 whose problem ``type`` is ``…/usage-capped`` (``UsageCapExceededProblem``, with its ``period``
  ``Daily`` or ``Monthly``) → ``AccountPaused`` until the period ends (midnight UTC, or the first of the
  next month: X sends no reset for the cap, and the 15-minute ``x-rate-limit-reset`` it does send says
  nothing about it). Any other 429 → ``RateLimited`` until every exhausted window resets.
- 403 whose problem ``type`` is ``…/client-forbidden`` (the app is not enrolled or not attached to a
  project) → ``AccountPaused`` until a person fixes the app in the developer console.
- 403 whose problem ``type`` is ``…/unsupported-authentication`` → ``NeedsReauth`` (wrong kind of token).
- 5xx → ``Unconfirmed`` on the create call, else ``Transient``; no answer → ``connection_failure``.
- any other 4xx → ``Rejected``.

The exception, written down here because it breaks the rule: **duplicate content has no code of its
own**. X answers ``403`` with the generic ``about:blank`` problem whose ``detail`` reads "You are not
allowed to create a Tweet with duplicate content." (akrherz/iembot#163, 2026-02; sferik/x-ruby#24).
``is_duplicate`` is the only function in clickable that looks at the words of a network's message; it
looks at X's ``detail`` of a 403 on the create call, nowhere else.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from campaign.i18n import _
from networks.base import (
    DEFAULT_BACKOFF_S,
    AccountPaused,
    NeedsReauth,
    NetworkError,
    RateLimited,
    Rejected,
    Transient,
    Unconfirmed,
)

NETWORK = "x"
PROBLEMS = "https://api.twitter.com/2/problems/"
CONSOLE = "https://console.x.com"


def problem_type(body: Any) -> str:
    """The problem ``type`` of an answer ("" when it has none)."""
    return str(body.get("type") or "") if isinstance(body, Mapping) else ""


def is_duplicate(status: int, body: Any) -> bool:
    """X's duplicate-content refusal: a 403 whose ``detail`` says "duplicate" (see the module's note)."""
    if status != 403 or not isinstance(body, Mapping):
        return False
    return problem_type(body) in ("", "about:blank") and "duplicate" in str(body.get("detail") or "").lower()


def is_missing(error: Mapping[str, Any]) -> bool:
    """A ``errors[]`` entry of a read that says the post no longer exists.

    Only ``resource-not-found`` means that: a field-authorization error (``not-authorized-for-field``)
    carries the post's ``resource_id`` too, for a post that is there (node-twitter-api-v2#432).
    """
    return str(error.get("type") or "").endswith("/resource-not-found") and bool(error.get("resource_id"))


def retry_after(headers: Mapping[str, Any], now: float) -> float:
    """Seconds until every exhausted X limit (15-min window, 24-hour caps) has reset."""
    resets = []
    for prefix in ("x-rate-limit", "x-user-limit-24hour", "x-app-limit-24hour"):
        remaining, reset = headers.get(f"{prefix}-remaining"), headers.get(f"{prefix}-reset")
        if reset is not None and (remaining is None or str(remaining) == "0" or prefix == "x-rate-limit"):
            try:
                resets.append(float(reset) - now)
            except ValueError:
                continue
    return max(1.0, max(resets)) if resets else DEFAULT_BACKOFF_S


def cap_ends(period: str, now: float) -> datetime:
    """When a usage cap of ``period`` ends: the next midnight UTC (Daily) or the next month's first."""
    instant = datetime.fromtimestamp(now, UTC)
    if period.lower() == "daily":
        return (instant + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    first = instant.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return (first + timedelta(days=32)).replace(day=1)


def classify(
    status: int, headers: Mapping[str, Any], body: Any, *, account: str, creating: bool, now: float
) -> NetworkError:
    """What the caller can act on, from X's answer ``status`` with its ``headers`` and JSON ``body``."""
    kind = problem_type(body)
    detail = _detail(status, body)
    resume = _("then run `clickable accounts resume {account}`").format(account=account)
    if status == 401:
        return NeedsReauth(
            NETWORK, f"credentials refused (401): run `clickable accounts add {account}` again"
        )
    if status == 402:
        return AccountPaused(
            NETWORK,
            _("X answered 402: the pay-per-use credits are spent ({detail})").format(detail=detail),
            advice=_(
                "buy credits (or turn on auto-recharge) in the X Developer Console ({console}), {resume}"
            ).format(console=CONSOLE, resume=resume),
        )
    if status == 429 and kind.endswith("/usage-capped"):
        period = str(body.get("period") or "Monthly")
        until = cap_ends(period, now)
        return AccountPaused(
            NETWORK,
            _("X's {period} usage cap is reached (429 usage-capped: {detail})").format(
                period=period.lower(), detail=detail
            ),
            advice=_(
                "publishing resumes by itself when the cap resets; to resume sooner, raise the cap in the "
                "X Developer Console ({console}), {resume}"
            ).format(console=CONSOLE, resume=resume),
            until=until,
        )
    if status == 429:
        return RateLimited(NETWORK, "rate limited (429)", retry_after=retry_after(headers, now))
    if status == 403 and kind.endswith("/client-forbidden"):
        return AccountPaused(
            NETWORK,
            _("X refuses the app (403 client-forbidden: {detail})").format(detail=detail),
            advice=_(
                "attach the app to a project and check its access in the X Developer Console ({console}), {resume}"
            ).format(console=CONSOLE, resume=resume),
        )
    if status == 403 and kind.endswith("/unsupported-authentication"):
        return NeedsReauth(
            NETWORK, f"X refuses this kind of token ({detail}): run `clickable accounts add {account}` again"
        )
    if status >= 500:
        if creating:
            return Unconfirmed(NETWORK, f"server error {status} on create: reconcile before retrying")
        return Transient(NETWORK, f"server error {status}")
    return Rejected(NETWORK, detail, duplicate=creating and is_duplicate(status, body))


def _detail(status: int, body: Any) -> str:
    """The readable part of an X error answer (its problem's detail and title, or v1.1-style messages)."""
    if isinstance(body, Mapping):
        parts = [str(body[key]) for key in ("detail", "title") if body.get(key)]
        parts += [
            str(item.get("message"))
            for item in body.get("errors") or []
            if isinstance(item, Mapping) and item.get("message")
        ]
        if parts:
            return "; ".join(dict.fromkeys(parts))
    return f"HTTP {status}"
