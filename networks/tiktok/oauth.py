"""Connecting a TikTok creator: Login Kit for Desktop on our loopback redirect (networks.oauth).

developers.tiktok.com/doc/login-kit-desktop: the browser goes to ``https://www.tiktok.com/v2/auth/authorize/``
with ``client_key`` (TikTok's name for the client id), the scopes comma-separated, a ``state`` and a
PKCE ``code_challenge`` — for desktop apps the SHA256 of the verifier **hex**-encoded, not RFC 7636's
base64url —, and comes back to ``http://127.0.0.1:PORT/`` (register ``http://127.0.0.1:*/`` in the
app's Login Kit settings). The code is exchanged at ``https://open.tiktokapis.com/v2/oauth/token/``
(form-encoded, with ``client_secret`` and the verifier). A reconnect that gets no refresh token keeps
the stored one (``keep_refresh_token``).
"""

from __future__ import annotations

import hashlib
import secrets
from urllib.parse import urlencode

import requests

from campaign.i18n import _
from networks.oauth import (
    Connector,
    ConnectRequest,
    LoopbackRedirect,
    OAuthError,
    authorize,
    keep_refresh_token,
)
from networks.tiktok.client import TOKEN_URL
from networks.transport import prepare_session

AUTH_URL = "https://www.tiktok.com/v2/auth/authorize/"
SCOPES = ("user.info.basic", "video.upload", "video.publish", "video.list")


def code_pair() -> tuple[str, str]:
    """(code_verifier, code_challenge) as Login Kit for Desktop documents them (hex SHA256)."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
    verifier = "".join(secrets.choice(alphabet) for _index in range(64))
    return verifier, hashlib.sha256(verifier.encode("ascii")).hexdigest()


def _client(request: ConnectRequest) -> tuple[str, str]:
    if request.emulator_url and not request.previous:
        try:
            values = requests.get(
                f"{request.emulator_url.rstrip('/')}/_emulator/credentials", timeout=5
            ).json()
            return str(values["tiktok"]["client_key"]), str(values["tiktok"]["client_secret"])
        except (requests.RequestException, ValueError, KeyError):
            raise OAuthError(
                _("the emulator does not answer at {url}").format(url=request.emulator_url)
            ) from None
    if request.previous and request.previous.get("client_key") and request.previous.get("client_secret"):
        return request.previous["client_key"], request.previous["client_secret"]
    key = request.prompt(_("client key"), False).strip()
    secret = request.prompt(_("client secret"), True).strip()
    if not key or not secret:
        raise OAuthError(_("the client key and secret cannot be empty: nothing was stored"))
    return key, secret


class TikTokConnector(Connector):
    def connect(self, request: ConnectRequest) -> dict[str, str]:
        client_key, client_secret = _client(request)
        verifier, challenge = code_pair()
        session = prepare_session(requests.Session(), emulator_url=request.emulator_url)
        with LoopbackRedirect() as redirect:
            query = {
                "client_key": client_key,
                "scope": ",".join(SCOPES),
                "response_type": "code",
                "redirect_uri": redirect.redirect_uri,
                "state": redirect.state,
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            }
            code = authorize(f"{AUTH_URL}?{urlencode(query)}", redirect, request, network="TikTok")
            try:
                response = session.post(
                    TOKEN_URL,
                    data={
                        "client_key": client_key,
                        "client_secret": client_secret,
                        "code": code,
                        "grant_type": "authorization_code",
                        "redirect_uri": redirect.redirect_uri,
                        "code_verifier": verifier,
                    },
                    headers={"Content-Type": "application/x-www-form-urlencoded"},
                )
            except requests.RequestException as error:
                raise OAuthError(
                    _("TikTok's token endpoint did not answer ({kind}): nothing was stored").format(
                        kind=type(error).__name__
                    )
                ) from None
        try:
            token = response.json()
        except ValueError:
            token = {}
        if response.status_code != 200 or not isinstance(token, dict) or "access_token" not in token:
            raise OAuthError(
                _("TikTok refused the authorization code ({error}): nothing was stored").format(
                    error=(token.get("error") if isinstance(token, dict) else None) or response.status_code
                )
            )
        granted = set(str(token.get("scope") or "").split(","))
        missing = [scope for scope in SCOPES if scope not in granted]
        if missing:
            raise OAuthError(
                _(
                    "the creator did not grant {scopes}: nothing was stored; connect again and allow them"
                ).format(scopes=", ".join(missing))
            )
        obtained = {
            "client_key": client_key,
            "client_secret": client_secret,
            "refresh_token": str(token.get("refresh_token") or ""),
            "open_id": str(token.get("open_id") or ""),
        }
        previous = (
            request.previous
            if request.previous and request.previous.get("client_key") == client_key
            else None
        )
        return keep_refresh_token(obtained, previous, network="TikTok")
