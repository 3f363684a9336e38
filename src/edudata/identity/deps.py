"""FastAPI dependencies for who is asking (身份认证与访问控制, Art. 54): API tokens, web sessions, CSRF.

Each request re-reads the token or session, the account, its roles and the blacklist, so a disabled or
blacklisted account, a revoked role or an expired token stops working on the very next request, on every app
server. The principal is put on ``request.state.principal`` for the audit hook and the page templates.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from datetime import timedelta

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from edudata.api.deps import client_address, get_session
from edudata.db import utcnow
from edudata.errors import NotAuthenticated, PermissionDenied
from edudata.identity import blacklist, csrf
from edudata.identity.principal import Principal
from edudata.identity.service import principal_for
from edudata.identity.tokens import SESSION_COOKIE, as_utc, find_session, find_token, is_live

#: Anonymous forms (the login page) carry a CSRF token that must equal this cookie (double submit).
CSRF_COOKIE = "edudata_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
_UNSAFE = frozenset(("POST", "PUT", "PATCH", "DELETE"))
_TOUCH = timedelta(minutes=5)


class LoginRequired(Exception):
    """Raised by :func:`web_principal`; answered with a redirect to ``/login?next=…`` (see ``hooks.py``)."""

    def __init__(self, next_path: str = "/") -> None:
        super().__init__(next_path)
        self.next_path = next_path


#: Bearer credentials of other domains, by secret prefix: the resolver gets the session, the secret and the
#: caller's address and returns the holder as the request's principal (no roles, its grant's id) for a live
#: credential, None for an unknown or revoked one (401), or raises a typed error it has audited itself (e.g. 403:
#: the holder may no longer use it). Sharing registers its grant-scoped keys here (Art. 40); they reach the data
#: API only.
CredentialResolver = Callable[[Session, str, str], "Principal | None"]
_CREDENTIALS: dict[str, CredentialResolver] = {}
GRANT_API_PREFIX = "/api/v1/data/"


def register_credential(prefix: str, resolver: CredentialResolver) -> None:
    _CREDENTIALS[prefix] = resolver


def _grant_principal(request: Request, session: Session, secret: str, address: str) -> Principal | None:
    for prefix, resolve in _CREDENTIALS.items():
        if not secret.startswith(prefix):
            continue
        found = resolve(session, secret, address)
        if found is None:
            raise NotAuthenticated("共享凭证无效或已撤销", "the grant credential is invalid or revoked")
        if not request.url.path.startswith(GRANT_API_PREFIX):
            raise PermissionDenied(
                "共享凭证只能用于数据接口 /api/v1/data/", "a grant credential works on /api/v1/data/ only"
            )
        if found.grant_id is None or found.roles:  # a grant holder's principal carries its grant, never roles
            raise PermissionDenied("共享凭证无效", "the grant credential is not valid")
        return found
    return None


def _secret_from_header(value: str) -> str:
    scheme, _, secret = value.partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret or len(secret) > 200:
        raise NotAuthenticated(
            "认证头格式不正确，应为 Bearer 令牌", "malformed Authorization header; use a Bearer token"
        )
    return secret


def current_principal(request: Request, session: Session = Depends(get_session)) -> Principal:
    """The caller, from ``Authorization: Bearer …`` (API) or the session cookie (web); 401 otherwise.

    Cookie-authenticated API calls that change something must also send the session's CSRF token in
    ``X-CSRF-Token`` (a page's script cannot be tricked into doing it from another site).
    """
    cached = getattr(request.state, "principal", None)
    if isinstance(cached, Principal):
        return cached
    now = utcnow()
    address = client_address(request)
    header = request.headers.get("authorization")
    granted = None
    if header:
        secret = _secret_from_header(header)
        granted = _grant_principal(request, session, secret, address)
    if granted is not None:
        account_id, via = granted.account_id, "grant"
    elif header:
        token = find_token(session, secret)
        if token is None or not is_live(token.expires_at, token.revoked_at, now):
            raise NotAuthenticated("令牌无效、已过期或已撤销", "the token is invalid, expired or revoked")
        account_id, via = token.account_id, "token"
    else:
        secret = request.cookies.get(SESSION_COOKIE)
        if not secret or len(secret) > 200:
            raise NotAuthenticated("请先登录", "please log in")
        web = find_session(session, secret)
        if web is None or not is_live(web.expires_at, web.revoked_at, now):
            raise NotAuthenticated("会话已过期，请重新登录", "your session has expired; please log in again")
        if request.method in _UNSAFE and request.url.path.startswith("/api/"):
            sent = request.headers.get(CSRF_HEADER, "")
            if not hmac.compare_digest(sent.encode(), web.csrf_token.encode()):
                raise PermissionDenied(
                    "缺少或错误的 CSRF 令牌", "missing or wrong CSRF token", field=CSRF_FIELD
                )
        request.state.csrf_token = web.csrf_token
        account_id, via = web.account_id, "session"
        if now - as_utc(web.last_seen_at) > _TOUCH:
            web.last_seen_at = now
            session.commit()
    principal = granted or principal_for(session, account_id, source_ip=address, via=via)
    if principal is None:
        raise PermissionDenied("账户已停用", "this account is disabled")
    listed = blacklist.refusal(session, principal.username, address)
    if listed == "address":
        raise PermissionDenied("来源地址已列入黑名单", "your address is blacklisted")
    if listed == "account":
        raise PermissionDenied("账户已列入黑名单", "this account is blacklisted")
    request.state.principal = principal
    return principal


def web_principal(request: Request, session: Session = Depends(get_session)) -> Principal:
    """For pages: the principal, or a redirect to the login page (then back here)."""
    try:
        return current_principal(request, session)
    except NotAuthenticated:
        path = request.url.path
        if request.url.query:
            path += "?" + request.url.query
        raise LoginRequired(path) from None


def _session_csrf(request: Request, secret: str) -> str | None:
    with request.app.state.db.session() as session:
        web = find_session(session, secret)
        if web is None or not is_live(web.expires_at, web.revoked_at, utcnow()):
            return None
        return web.csrf_token


async def verify_csrf(request: Request) -> None:
    """For web form POSTs: the hidden field ``csrf_token`` must equal the session's token (or, before login,
    the ``edudata_csrf`` cookie); 403 otherwise."""
    form = await request.form()
    sent = form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER) or ""
    if not isinstance(sent, str):
        sent = ""
    secret = request.cookies.get(SESSION_COOKIE)
    expected = None
    if secret and len(secret) <= 200:
        expected = await run_in_threadpool(_session_csrf, request, secret)
    if expected is not None:
        ok = bool(sent) and hmac.compare_digest(sent.encode(), expected.encode())
    else:  # before login: only a pair this server issued and signed (identity.csrf), never one made up
        expected = request.cookies.get(CSRF_COOKIE)
        ok = await run_in_threadpool(csrf.check_pair, request, sent, expected)
    if not ok or not expected:
        raise PermissionDenied(
            "表单已失效或缺少 CSRF 令牌，请刷新页面后重试",
            "the form has expired or lacks its CSRF token; reload the page and try again",
            field=CSRF_FIELD,
        )
    request.state.csrf_token = expected


async def form_data(request: Request) -> FormData:
    """The submitted form, parsed once (the CSRF check reads the same one), for synchronous page handlers."""
    return await request.form()


def form_text(form: FormData, name: str) -> str:
    """One text field of ``form`` ("" when absent or a file)."""
    value = form.get(name)
    return value if isinstance(value, str) else ""
