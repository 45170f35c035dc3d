"""A thin client of TikTok's v2 API over requests (TikTok ships no Python SDK), like networks/graph/client.py.

Every v2 answer is ``{"data": {...}, "error": {"code", "message", "log_id"}}`` with ``error.code ==
"ok"`` on success (developers.tiktok.com/doc/tiktok-api-v2-error-handling). Failures are classified
from that structured code, never from the message:

- ``access_token_invalid`` (401): the access token is refreshed once and the call sent again; a
  refresh the token endpoint refuses asks for a new connection (``networks.oauth.refresh_refused``);
- ``scope_not_authorized`` / ``scope_permission_missed`` (401): NeedsReauth (connect again, granting it);
- ``rate_limit_exceeded`` (429): RateLimited (``Retry-After`` when sent, else the default backoff);
- ``spam_risk_too_many_posts`` / ``reached_active_user_cap`` (403): RateLimited for a day (the
  creator's daily cap, an unaudited app's 5 users a day);
- ``spam_risk_user_banned_from_posting`` (403): AccountPaused, a person must act on TikTok;
- ``internal_error`` and every 5xx: Transient, or Unconfirmed for a call that may have created;
- every other code (``invalid_params``, ``privacy_level_option_mismatch``,
  ``unaudited_client_can_only_post_to_private_accounts``, ``url_ownership_unverified``…): Rejected.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from typing import Any

import requests

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
    connection_failure,
)
from networks.oauth import refresh_refused
from networks.transport import prepare_session

NETWORK = "tiktok"
API = "https://open.tiktokapis.com"
TOKEN_URL = f"{API}/v2/oauth/token/"
JSON_TYPE = "application/json; charset=UTF-8"
DAY_S = 24 * 3600.0
REAUTH_CODES = ("scope_not_authorized", "scope_permission_missed")
DAILY_CAP_CODES = ("spam_risk_too_many_posts", "reached_active_user_cap")
BANNED_CODES = ("spam_risk_user_banned_from_posting",)

# TikTok rotates refresh tokens: "a successful refresh request will return a new refresh_token in
# place of the one you sent. The previous refresh token stops working once a new one is issued"
# (developers.tiktok.com/doc/oauth-refresh-a-user-access-token). Every client of this process follows
# the same chain, refreshes one at a time, and reuses an access token still valid (2 hours), so two
# adapters of one account never spend the same refresh token twice. Keyed by where the API is (the
# emulator's address, or the real one) and the app's client key.
_CHAIN_LOCK = threading.Lock()
_REPLACED: dict[tuple[str, str, str], str] = {}  # (where, client_key, refresh token) -> its successor
_ACCESS: dict[tuple[str, str, str], tuple[str, float, str | None, frozenset[str]]] = {}


def _error_of(response: requests.Response) -> tuple[str, str]:
    """(error.code, error.message) of a v2 answer; ("", "") when the body is not TikTok's JSON."""
    try:
        body = response.json()
    except ValueError:
        return "", ""
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        return str(error.get("code") or ""), str(error.get("message") or "")
    if isinstance(error, str):  # the OAuth endpoints: {"error": "invalid_grant", "error_description": …}
        return error, str(body.get("error_description") or "")
    return "", ""


def _retry_after(response: requests.Response) -> float:
    try:
        return max(1.0, float(response.headers["Retry-After"]))
    except (KeyError, ValueError):
        return DEFAULT_BACKOFF_S


def classify(response: requests.Response, *, creating: bool, what: str) -> NetworkError:
    """A refused or failed answer as what the caller can do about it."""
    code, message = _error_of(response)
    status = response.status_code
    if code == "access_token_invalid" or (status == 401 and not code):
        return NeedsReauth(NETWORK, _("TikTok refused the access token: run `clickable accounts add` again"))
    if code in REAUTH_CODES:
        return NeedsReauth(
            NETWORK,
            _(
                "TikTok says a permission is missing ({code}): run `clickable accounts add` again and grant it"
            ).format(code=code),
        )
    if code in BANNED_CODES:
        return AccountPaused(
            NETWORK,
            _("TikTok banned this creator from posting ({code})").format(code=code),
            advice=_("the creator must resolve it in the TikTok app; then `clickable delivery retry`"),
        )
    if code in DAILY_CAP_CODES:
        return RateLimited(
            NETWORK, _("TikTok's daily posting cap is reached ({code})").format(code=code), retry_after=DAY_S
        )
    if code == "rate_limit_exceeded" or status == 429:
        return RateLimited(
            NETWORK, _("rate limited ({what})").format(what=what), retry_after=_retry_after(response)
        )
    if status >= 500 or code == "internal_error":
        if creating:
            return Unconfirmed(
                NETWORK, _("server error {status} on create: reconcile before retrying").format(status=status)
            )
        return Transient(NETWORK, _("server error {status} ({what})").format(status=status, what=what))
    return Rejected(NETWORK, f"{code or status}: {message or what}")


class TikTokClient:
    """The calls clickable makes, with the access token refreshed from the stored refresh token."""

    def __init__(
        self,
        *,
        client_key: str,
        client_secret: str,
        refresh_token: str,
        emulator_url: str | None,
        timeout: float,
        clock: Callable[[], float],
        save: Callable[[Mapping[str, str]], None] | None = None,
    ) -> None:
        self.where = emulator_url or API
        self.save = save
        self.client_key = client_key
        self.client_secret = client_secret
        self.refresh_token = refresh_token
        self.timeout = timeout
        self.clock = clock
        self.session = prepare_session(requests.Session(), emulator_url=emulator_url, timeout=timeout)
        self._access: str | None = None
        self._expires = 0.0
        self.open_id: str | None = None
        self.scopes: frozenset[str] = frozenset()

    def __repr__(self) -> str:
        return f"TikTokClient(client_key={self.client_key!r})"  # never the secret or the tokens

    # -- tokens ------------------------------------------------------------------------------------

    def _latest(self) -> str:
        """The newest refresh token of this token's chain in this process."""
        token = self.refresh_token
        while (self.where, self.client_key, token) in _REPLACED:
            token = _REPLACED[(self.where, self.client_key, token)]
        return token

    def refresh(self, *, force: bool = False) -> str:
        """An access token from the refresh token (developers.tiktok.com/doc/oauth-refresh-a-user-access-token):
        one still valid in this process, else a refresh, whose new refresh token is kept (``save``)."""
        with _CHAIN_LOCK:
            given, self.refresh_token = self.refresh_token, self._latest()
            key = (self.where, self.client_key, self.refresh_token)
            cached = _ACCESS.get(key)
            if cached is not None and not force and self.clock() < cached[1]:
                self._access, self._expires, self.open_id, self.scopes = cached
                return self._access
            try:
                return self._refresh(key)
            except NeedsReauth:
                if self.refresh_token == given:
                    raise
                # the chain this process followed is not the one the server knows (another API at
                # the same address): the token we were given, once
                for stale in [item for item in _REPLACED if item[:2] == key[:2]]:
                    _REPLACED.pop(stale, None)
                self.refresh_token = given
                return self._refresh((self.where, self.client_key, given))

    def _refresh(self, key: tuple[str, str, str]) -> str:
        try:
            response = self.session.post(
                TOKEN_URL,
                data={
                    "client_key": self.client_key,
                    "client_secret": self.client_secret,
                    "grant_type": "refresh_token",
                    "refresh_token": self.refresh_token,
                },
                headers={"Content-Type": "application/x-www-form-urlencoded", "Cache-Control": "no-cache"},
                timeout=self.timeout,
            )
        except requests.RequestException as error:
            raise connection_failure(NETWORK, error, creating=False, what="TikTok's token endpoint") from None
        code, _message = _error_of(response)
        if response.status_code >= 500:
            raise Transient(NETWORK, _("TikTok's token endpoint failed: try again later"))
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code != 200 or code or not body.get("access_token"):
            raise refresh_refused(NETWORK, code or str(response.status_code))
        self._access = str(body["access_token"])
        from campaign.logs import SECRETS

        SECRETS.add(self._access)  # scrubbed from every log line and stored reason
        self._expires = self.clock() + float(body.get("expires_in") or 7200) - 60
        self.open_id = str(body.get("open_id") or "") or None
        self.scopes = frozenset(str(body.get("scope") or "").replace(" ", ",").split(",")) - {""}
        rotated = str(body.get("refresh_token") or "")
        if rotated and rotated != self.refresh_token:
            SECRETS.add(rotated)
            _REPLACED[key] = rotated
            self.refresh_token = rotated
            key = (self.where, self.client_key, rotated)
            if self.save is not None:
                self.save({"refresh_token": rotated})
        _ACCESS[key] = (self._access, self._expires, self.open_id, self.scopes)
        return self._access

    def access_token(self) -> str:
        if self._access is None or self.clock() >= self._expires:
            return self.refresh()
        return self._access

    # -- the API -----------------------------------------------------------------------------------

    def call(
        self,
        path: str,
        body: dict[str, Any] | None = None,
        *,
        fields: str | None = None,
        what: str,
        creating: bool = False,
    ) -> dict[str, Any]:
        """POST ``path`` with a JSON body; the answer's ``data``. Refreshes once on access_token_invalid."""
        for attempt in (1, 2):
            token = self.access_token()
            try:
                response = self.session.post(
                    f"{API}{path}",
                    params={"fields": fields} if fields else None,
                    data=json.dumps(body if body is not None else {}),
                    headers={"Authorization": f"Bearer {token}", "Content-Type": JSON_TYPE},
                    timeout=self.timeout,
                )
            except requests.RequestException as error:
                raise connection_failure(NETWORK, error, creating=creating, what=what) from None
            code, _message = _error_of(response)
            if response.status_code == 200 and code == "ok":
                data = response.json().get("data")
                return data if isinstance(data, dict) else {}
            if code == "access_token_invalid" and attempt == 1:
                self.refresh(force=True)  # expired early or revoked: refresh, then once more
                continue
            raise classify(response, creating=creating, what=what)
        raise AssertionError("unreachable")

    def put_chunk(
        self, upload_url: str, data: bytes, *, first: int, total: int, creating: bool
    ) -> requests.Response:
        """One chunk to the upload_url, in order (developers.tiktok.com/doc/content-posting-api-media-transfer-guide)."""
        last = first + len(data) - 1
        try:
            response = self.session.put(
                upload_url,
                data=data,
                headers={
                    "Content-Type": "video/mp4",
                    "Content-Length": str(len(data)),
                    "Content-Range": f"bytes {first}-{last}/{total}",
                },
                timeout=self.timeout,
            )
        except requests.RequestException as error:
            raise connection_failure(NETWORK, error, creating=creating, what="TikTok's upload") from None
        if response.status_code not in (200, 201, 206):
            raise classify(response, creating=creating, what="TikTok's upload")
        return response
