"""Connecting a YouTube channel: Google's installed-app OAuth flow (google-auth-oauthlib) on our loopback.

google-auth-oauthlib's ``InstalledAppFlow`` makes the authorization URL (offline access, PKCE S256)
and exchanges the code at Google's token endpoint; ``networks.oauth`` serves the loopback redirect,
checks the state and keeps the stored refresh token when Google sends none (a reconnect without
``--consent``). The app's client id and secret come from the client secrets file Google Cloud
Console gives (``--client-secrets``), else from the stored credentials, else they are asked. A
sandbox account connects to the emulator's OAuth endpoints, with its sandbox client.
"""

from __future__ import annotations

import json
from typing import Any

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
from networks.transport import prepare_session
from networks.youtube.adapter import SCOPES, TOKEN_URI

AUTH_URI = "https://accounts.google.com/o/oauth2/auth"


def client_config(request: ConnectRequest) -> dict[str, Any]:
    """Google's client secrets format ({"installed": {...}}) for this connection."""
    if request.client_secrets is not None:
        try:
            loaded = json.loads(request.client_secrets.read_text(encoding="utf-8"))
        except (OSError, ValueError, UnicodeDecodeError) as error:
            raise OAuthError(
                _(
                    "{path}: not a client secrets file ({error}); download it from Google Cloud Console"
                ).format(path=request.client_secrets, error=type(error).__name__)
            ) from None
        section = loaded.get("installed") or loaded.get("web") if isinstance(loaded, dict) else None
        if not isinstance(section, dict) or not section.get("client_id") or not section.get("client_secret"):
            raise OAuthError(
                _("{path}: no installed (desktop) client with client_id and client_secret in it").format(
                    path=request.client_secrets
                )
            )
        client_id, client_secret = str(section["client_id"]), str(section["client_secret"])
    elif request.emulator_url and not request.previous:
        try:
            values = requests.get(
                f"{request.emulator_url.rstrip('/')}/_emulator/credentials", timeout=5
            ).json()
            client_id, client_secret = values["youtube"]["client_id"], values["youtube"]["client_secret"]
        except (requests.RequestException, ValueError, KeyError):
            raise OAuthError(
                _("the emulator does not answer at {url}").format(url=request.emulator_url)
            ) from None
    elif request.previous and request.previous.get("client_id") and request.previous.get("client_secret"):
        client_id, client_secret = request.previous["client_id"], request.previous["client_secret"]
    else:
        client_id = request.prompt(_("client id"), False).strip()
        client_secret = request.prompt(_("client secret"), True).strip()
        if not client_id or not client_secret:
            raise OAuthError(_("the client id and secret cannot be empty: nothing was stored"))
    return {
        "installed": {
            "client_id": client_id,
            "client_secret": client_secret,
            "auth_uri": AUTH_URI,
            "token_uri": TOKEN_URI,
            "redirect_uris": ["http://127.0.0.1"],
        }
    }


class GoogleConnector(Connector):
    def connect(self, request: ConnectRequest) -> dict[str, str]:
        from google_auth_oauthlib.flow import InstalledAppFlow
        from oauthlib.oauth2.rfc6749.errors import OAuth2Error

        config = client_config(request)
        flow = InstalledAppFlow.from_client_config(config, scopes=list(SCOPES))
        prepare_session(flow.oauth2session, emulator_url=request.emulator_url)
        with LoopbackRedirect() as redirect:
            flow.redirect_uri = redirect.redirect_uri
            options = {"prompt": "consent"} if request.consent else {}
            url, _state = flow.authorization_url(
                state=redirect.state, include_granted_scopes="true", **options
            )
            code = authorize(url, redirect, request, network="YouTube")
        try:
            token = flow.fetch_token(code=code)
        except OAuth2Error as error:
            raise OAuthError(
                _("Google refused the authorization code ({error}): nothing was stored").format(
                    error=error.error
                )
            ) from None
        except requests.RequestException as error:
            raise OAuthError(
                _("Google's token endpoint did not answer ({kind}): nothing was stored").format(
                    kind=type(error).__name__
                )
            ) from None
        obtained = {
            "client_id": config["installed"]["client_id"],
            "client_secret": config["installed"]["client_secret"],
            "refresh_token": str(token.get("refresh_token") or ""),
        }
        if request.previous and request.previous.get("client_id") != obtained["client_id"]:
            previous = None  # another app: its refresh token is not this one's
        else:
            previous = request.previous
        return keep_refresh_token(obtained, previous, network="YouTube")
