"""OpenID Connect relying party (统一身份认证 over OIDC, Art. 54): discovery, authorization code with PKCE,
id-token validation (joserfc), RP-initiated logout and back-channel logout.

The id token's signature is checked against the provider's published keys (``jwks_uri``), and its issuer,
audience, expiry and nonce against this login; the profile claims come from the userinfo endpoint when the
provider keeps them out of the id token, and must name the same subject.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from dataclasses import dataclass
from urllib.parse import urlencode

import httpx
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from edudata.config import Settings
from edudata.errors import NotAuthenticated
from edudata.identity.cas import IdpUnavailable

_DISCOVERY: dict[str, tuple[float, dict]] = {}
DISCOVERY_TTL = 300.0  # seconds; a provider's keys rotate, so the document (and its jwks_uri) is re-read


@dataclass(frozen=True)
class Started:
    """What the browser is sent with, and what this server must remember until it comes back."""

    url: str
    state: str
    nonce: str
    verifier: str


def _get(url: str, **kw) -> dict:  # noqa: ANN003
    try:
        r = httpx.get(url, timeout=10, **kw)
    except httpx.HTTPError as err:
        raise IdpUnavailable(
            "无法连接统一身份认证服务器（OIDC）",
            f"the OIDC provider cannot be reached ({type(err).__name__})",
        ) from None
    if r.status_code != 200:
        raise IdpUnavailable("统一身份认证服务器应答异常", f"the OIDC provider answered {r.status_code}")
    return r.json()


def discovery(settings: Settings) -> dict:
    issuer = settings.oidc_issuer.rstrip("/")
    cached = _DISCOVERY.get(issuer)
    if cached and time.monotonic() - cached[0] < DISCOVERY_TTL:
        return cached[1]
    doc = _get(f"{issuer}/.well-known/openid-configuration")
    if doc.get("issuer", "").rstrip("/") != issuer:
        raise IdpUnavailable("OIDC 发现文档的签发者不符", "the discovery document names another issuer")
    _DISCOVERY[issuer] = (time.monotonic(), doc)
    return doc


def start(settings: Settings, redirect_uri: str) -> Started:
    """The authorization request: code flow, S256 PKCE, a fresh state and nonce."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    query = {
        "response_type": "code", "client_id": settings.oidc_client_id, "redirect_uri": redirect_uri,
        "scope": settings.oidc_scopes, "state": state, "nonce": nonce, "code_challenge": challenge,
        "code_challenge_method": "S256",
    }  # fmt: skip
    return Started(
        f"{discovery(settings)['authorization_endpoint']}?{urlencode(query)}", state, nonce, verifier
    )


def finish(settings: Settings, code: str, redirect_uri: str, nonce: str, verifier: str) -> dict:
    """Exchange the code (with the PKCE verifier), validate the id token, return the person's claims."""
    doc = discovery(settings)
    try:
        answer = httpx.post(
            doc["token_endpoint"],
            data={"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri, "code_verifier": verifier},
            auth=(settings.oidc_client_id, settings.oidc_client_secret), timeout=10,
        )  # fmt: skip
    except httpx.HTTPError as err:
        raise IdpUnavailable(
            "无法连接统一身份认证服务器（OIDC）",
            f"the token endpoint cannot be reached ({type(err).__name__})",
        ) from None
    if answer.status_code != 200 or "id_token" not in answer.json():
        raise NotAuthenticated("统一身份认证授权码无效或已使用，请重新登录", "the authorization code was refused; please sign in again",
                               reason="oidc_code_refused")  # fmt: skip
    tokens = answer.json()
    claims = validate_id_token(settings, doc, tokens["id_token"], nonce)
    if doc.get("userinfo_endpoint") and tokens.get("access_token"):
        info = _get(doc["userinfo_endpoint"], headers={"Authorization": f"Bearer {tokens['access_token']}"})
        if info.get("sub") != claims["sub"]:
            raise IdpUnavailable("用户信息与身份令牌不符", "userinfo names another subject than the id token")
        claims = {**info, **claims}
    return claims


def validate_id_token(settings: Settings, doc: dict, id_token: str, nonce: str) -> dict:
    """Signature (the provider's JWKS), then iss, aud, exp, iat and nonce; 401 when any fails."""
    keys = KeySet.import_key_set(_get(doc["jwks_uri"]))
    algorithms = doc.get("id_token_signing_alg_values_supported") or ["RS256"]
    try:
        token = jwt.decode(id_token, keys, algorithms=[a for a in algorithms if a != "none"])
        jwt.JWTClaimsRegistry(
            iss={"essential": True, "value": doc["issuer"]},
            aud={"essential": True, "value": settings.oidc_client_id},
            exp={"essential": True},
            iat={"essential": True},
            sub={"essential": True},
            nonce={"essential": True, "value": nonce},
            leeway=60,
        ).validate(token.claims)
    except (JoseError, ValueError) as err:
        raise NotAuthenticated(
            "统一身份认证的身份令牌未通过校验，请重新登录",
            f"the id token failed validation ({type(err).__name__})",
            reason="oidc_id_token_refused",
        ) from None
    return dict(token.claims)


BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"


def validate_logout_token(settings: Settings, logout_token: str) -> dict:
    """OpenID Connect Back-Channel Logout 1.0, section 2.6: the logout token is a JWT signed with the provider's
    keys (never ``none``), for this client, with ``iat`` and ``exp``, the back-channel logout event, ``sid`` or
    ``sub``, and no ``nonce`` (so an id token cannot be replayed as a logout token). ``ValueError`` when not."""
    doc = discovery(settings)
    keys = KeySet.import_key_set(_get(doc["jwks_uri"]))
    algorithms = doc.get("id_token_signing_alg_values_supported") or ["RS256"]
    try:
        token = jwt.decode(logout_token, keys, algorithms=[a for a in algorithms if a != "none"])
        jwt.JWTClaimsRegistry(
            iss={"essential": True, "value": doc["issuer"]},
            aud={"essential": True, "value": settings.oidc_client_id},
            iat={"essential": True},
            exp={"essential": True},
            leeway=60,
        ).validate(token.claims)
    except (JoseError, ValueError) as err:
        raise ValueError(f"the logout token failed validation ({type(err).__name__})") from None
    claims = dict(token.claims)
    events = claims.get("events")
    if not isinstance(events, dict) or not isinstance(events.get(BACKCHANNEL_EVENT), dict):
        raise ValueError("the logout token carries no back-channel logout event")
    if "nonce" in claims:
        raise ValueError("the logout token carries a nonce")
    if not isinstance(claims.get("sid"), str) and not isinstance(claims.get("sub"), str):
        raise ValueError("the logout token names neither sid nor sub")
    return claims


def logout_url(settings: Settings, post_logout_redirect_uri: str) -> str | None:
    """RP-initiated logout at the provider, when it offers it."""
    try:
        endpoint = discovery(settings).get("end_session_endpoint")
    except IdpUnavailable:
        return None
    if not endpoint:
        return None
    query = {"client_id": settings.oidc_client_id, "post_logout_redirect_uri": post_logout_redirect_uri}
    return f"{endpoint}?{urlencode(query)}"
