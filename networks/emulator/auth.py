"""Credential checks the emulator's parts share: OAuth 1.0a signatures, bearer and OAuth tokens."""

from __future__ import annotations

from urllib.parse import parse_qsl

from oauthlib.oauth1.rfc5849 import signature, utils

from networks.emulator.messages import Request


def oauth1_valid(
    request: Request, *, consumer_key: str, consumer_secret: str, token: str, token_secret: str
) -> bool:
    """True when the request carries an HMAC-SHA1 OAuth 1.0a signature made with these credentials.

    The signature covers the real https URL (the Host header the client signed), the query and a
    form body, as RFC 5849 says.
    """
    header = request.headers.get("authorization", "")
    if not header.startswith("OAuth "):
        return False
    params = dict(utils.parse_authorization_header(header))
    if params.get("oauth_consumer_key") != consumer_key or params.get("oauth_token") != token:
        return False
    body = (
        list(parse_qsl(request.body.decode(), keep_blank_values=True))
        if request.content_type == "application/x-www-form-urlencoded"
        else None
    )
    collected = signature.collect_parameters(
        uri_query=request.raw_query,
        body=body,
        headers={"Authorization": header},
        exclude_oauth_signature=True,
    )
    base = signature.signature_base_string(
        request.method,
        signature.base_string_uri(f"https://{request.host}{request.path}"),
        signature.normalize_parameters(collected),
    )
    expected = signature.sign_hmac_sha1(base, consumer_secret, token_secret)
    return bool(signature.safe_string_equals(expected, utils.unescape(params.get("oauth_signature", ""))))


def header_token(request: Request, schemes: tuple[str, ...] = ("OAuth", "Bearer")) -> str | None:
    """The token of an ``Authorization: <scheme> <token>`` header, if it uses one of ``schemes``."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token if scheme in schemes and token else None
