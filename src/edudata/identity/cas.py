"""CAS client (统一身份认证, CAS protocol 3.0 and 2.0): login redirect, service-ticket validation, single logout.

The browser brings back a one-time service ticket; the server checks it with the CAS server directly
(``/p3/serviceValidate`` for 3.0, which releases attributes, ``/serviceValidate`` for 2.0), so nothing the
browser says about who it is is believed. The CAS server's single-logout message (a SAML ``LogoutRequest``
POSTed to the service URL) names the ticket, which finds the session it opened (Art. 54).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET  # noqa: S405 - see _parse: the answer comes from the configured server
from dataclasses import dataclass, field
from urllib.parse import quote, urlencode

import httpx

from edudata.config import Settings
from edudata.errors import EduDataError, NotAuthenticated

CAS_NS = "{http://www.yale.edu/tp/cas}"
SAMLP_NS = "{urn:oasis:names:tc:SAML:2.0:protocol}"
#: Attributes every CAS 3.0 server adds about the login itself; they say nothing about the person.
_PROTOCOL_ATTRIBUTES = frozenset(
    ("authenticationDate", "longTermAuthenticationRequestTokenUsed", "isFromNewLogin")
)
MAX_RESPONSE = 256 * 1024


class IdpUnavailable(EduDataError):
    """The school's sign-on server could not be asked (502): nothing is decided, the person may try again."""

    status, code, title_zh, title_en = (
        502,
        "idp-unavailable",
        "统一身份认证服务不可用",
        "Sign-on server unavailable",
    )


@dataclass(frozen=True)
class CasIdentity:
    """Who the CAS server says signed in: the user and the released attributes (first value of each)."""

    user: str
    attributes: dict[str, str] = field(default_factory=dict)


def callback_url(base_url: str, next_path: str) -> str:
    """The service URL this platform gives CAS; it must be byte-identical at login and at validation."""
    return f"{base_url.rstrip('/')}/login/cas/callback?next={quote(next_path, safe='/')}"


def login_url(settings: Settings, service: str) -> str:
    return f"{settings.cas_url.rstrip('/')}/login?{urlencode({'service': service})}"


def logout_url(settings: Settings, service: str) -> str:
    return f"{settings.cas_url.rstrip('/')}/logout?{urlencode({'service': service})}"


def validate(settings: Settings, service: str, ticket: str) -> CasIdentity:
    """Ask the CAS server whether ``ticket`` was issued for ``service``; 401 when it says no."""
    path = "/p3/serviceValidate" if settings.cas_version == "3" else "/serviceValidate"
    try:
        answer = httpx.get(
            settings.cas_url.rstrip("/") + path, params={"service": service, "ticket": ticket}, timeout=10
        )
    except httpx.HTTPError as err:
        raise IdpUnavailable(
            "无法连接统一身份认证服务器，请稍后重试",
            f"the CAS server cannot be reached ({type(err).__name__})",
        ) from None
    if answer.status_code != 200 or len(answer.content) > MAX_RESPONSE:
        raise IdpUnavailable("统一身份认证服务器应答异常", f"the CAS server answered {answer.status_code}")
    return _parse(answer.content)


def _parse(body: bytes) -> CasIdentity:
    # The answer is fetched by this server from the configured CAS URL, not sent by the browser; expat
    # (≥ 2.4.1, bundled with Python 3.11) refuses entity amplification, and external entities are not loaded.
    try:
        root = ET.fromstring(body)  # noqa: S314
    except ET.ParseError:
        raise IdpUnavailable("统一身份认证服务器应答无法解析", "the CAS server's answer is not XML") from None
    failure = root.find(f"{CAS_NS}authenticationFailure")
    if failure is not None:
        code = (failure.get("code") or "INVALID_TICKET")[:40]
        raise NotAuthenticated(
            f"统一身份认证票据无效或已使用（{code}），请重新登录",
            f"the sign-on ticket is invalid or used ({code}); please sign in again",
            reason="cas_ticket_refused",
        )
    success = root.find(f"{CAS_NS}authenticationSuccess")
    user = success.findtext(f"{CAS_NS}user") if success is not None else None
    if not user or not user.strip():
        raise IdpUnavailable("统一身份认证服务器未给出用户", "the CAS server named no user")
    attributes: dict[str, str] = {}
    block = success.find(f"{CAS_NS}attributes")
    for element in list(block) if block is not None else []:
        name = element.tag.removeprefix(CAS_NS)
        if name not in _PROTOCOL_ATTRIBUTES and name not in attributes and element.text:
            attributes[name] = element.text.strip()
    for element in success.findall(f"{CAS_NS}attribute"):  # the older name="" value="" form
        name, value = element.get("name") or "", element.get("value") or ""
        if name and name not in _PROTOCOL_ATTRIBUTES and name not in attributes and value:
            attributes[name] = value.strip()
    return CasIdentity(user=user.strip(), attributes=attributes)


def logout_ticket(message: str) -> str | None:
    """The service ticket a single-logout ``LogoutRequest`` names (``SessionIndex``), or None."""
    if not message or len(message) > 64 * 1024:
        return None
    try:
        root = ET.fromstring(message)  # noqa: S314 - only the SessionIndex is read; it must match a hash we keep
    except ET.ParseError:
        return None
    index = root.findtext(f"{SAMLP_NS}SessionIndex")
    return index.strip() if index and index.strip() else None
