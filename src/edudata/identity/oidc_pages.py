"""Web sign-on over OpenID Connect (Art. 54): ``/login/oidc`` → the provider → ``/login/oidc/callback``.

State, nonce and the PKCE verifier wait in a short-lived HttpOnly cookie sealed with an HMAC (``csrf.seal_value``),
so a callback that this browser did not start is refused. The decision on the account is the same as for CAS
(:mod:`edudata.identity.sso`). ``/login/oidc/backchannel-logout`` receives the provider's logout token when the
person signs out there (OpenID Connect Back-Channel Logout 1.0) and ends the sessions of that provider session.
"""

from __future__ import annotations

import hmac
import json

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from edudata.api.deps import client_address, get_session, secure_cookies
from edudata.audit.service import record, record_now
from edudata.errors import EduDataError, NotAuthenticated, NotFound
from edudata.identity import csrf, oidc
from edudata.identity.deps import form_data
from edudata.identity.sso import map_identity, sso_login
from edudata.identity.sso_pages import base_url, refusal_page, safe_next, start_session
from edudata.identity.tokens import revoke_sso_sessions
from edudata.org.models import Account

router = APIRouter(include_in_schema=False)
STATE_COOKIE = "edudata_oidc"


def _on(request: Request) -> None:
    if not request.app.state.settings.oidc_issuer:
        raise NotFound("本平台未配置统一身份认证（OIDC）", "OpenID Connect sign-on is not configured")


def _redirect_uri(request: Request) -> str:
    return base_url(request) + "/login/oidc/callback"


@router.get("/login/oidc")
def oidc_login(request: Request, next: str = "/", session: Session = Depends(get_session)) -> Response:  # noqa: A002
    _on(request)
    try:
        started = oidc.start(request.app.state.settings, _redirect_uri(request))
    except EduDataError as err:
        return refusal_page(request, session, err)
    remembered = json.dumps([started.state, started.nonce, started.verifier, safe_next(next)])
    resp = RedirectResponse(started.url, status_code=303)
    resp.set_cookie(STATE_COOKIE, csrf.seal_value(request, remembered), max_age=600, httponly=True,
                    samesite="lax", secure=secure_cookies(request), path="/login/oidc")  # fmt: skip
    return resp


def _refused(zh: str, en: str) -> NotAuthenticated:
    return NotAuthenticated(zh, en, reason="oidc_state_refused")


@router.get("/login/oidc/callback")
def oidc_callback(
    request: Request,
    code: str = "",
    state: str = "",
    error: str = "",
    session: Session = Depends(get_session),
) -> Response:
    """Check the state, redeem the code with the verifier, validate the id token, then decide on the account."""
    _on(request)
    settings = request.app.state.settings
    opened = csrf.open_value(request, request.cookies.get(STATE_COOKIE))
    try:
        if error:
            raise NotAuthenticated(
                f"统一身份认证未完成（{error[:40]}）", f"the provider did not sign you in ({error[:40]})"
            )
        if opened is None:
            raise _refused(
                "登录请求已过期或并非由本浏览器发起，请重新登录",
                "the sign-on expired or was not started here",
            )
        expected, nonce, verifier, next_path = json.loads(opened)
        if not code or len(code) > 2000 or not hmac.compare_digest(state.encode(), expected.encode()):
            raise _refused("统一身份认证的 state 不符，请重新登录", "the sign-on state does not match")
        claims = oidc.finish(settings, code, _redirect_uri(request), nonce, verifier)
    except EduDataError as err:
        return refusal_page(request, session, err)
    values = {k: str(v) for k, v in claims.items() if isinstance(v, str | int)}
    who = map_identity(settings, "oidc", str(claims["sub"]), values)
    try:
        login = sso_login(
            request.app.state.db, settings, who, address=client_address(request),
            request_id=getattr(request.state, "request_id", None),
        )  # fmt: skip
    except EduDataError as err:
        return refusal_page(request, session, err)
    resp = start_session(request, session, login.account_id, safe_next(next_path), "oidc", claims.get("sid"))
    resp.delete_cookie(STATE_COOKIE, path="/login/oidc")
    return resp


class LogoutTokenRefused(EduDataError):
    """Back-Channel Logout 1.0, section 2.8: a logout token that fails validation is answered with 400."""

    code = "logout-token-refused"


@router.post("/login/oidc/backchannel-logout")
def oidc_backchannel_logout(request: Request, form: FormData = Depends(form_data)) -> Response:
    """The provider's back-channel logout (Art. 54): end the sessions its ``sid`` opened. Sent server to server,
    so no CSRF token; the logout token's signature (the provider's JWKS) is what makes it believable, and it
    can only end sessions. A refused token is audited and answered 400, as the specification asks."""
    _on(request)
    token = form.get("logout_token")
    address = client_address(request)
    request_id = getattr(request.state, "request_id", None)
    try:
        if not isinstance(token, str) or not token or len(token) > 8000:
            raise ValueError("no logout_token in the request")
        claims = oidc.validate_logout_token(request.app.state.settings, token)
        if not isinstance(claims.get("sid"), str):
            # Sessions here are keyed by the provider's session id only; the client asks for it
            # (backchannel_logout_session_required), so a token without one cannot be acted on.
            raise ValueError("the logout token names no sid, which this platform needs")
    except ValueError as err:
        record_now(
            request.app.state.db, operation="logout", result="denied", source_ip=address, request_id=request_id,
            detail={"via": "oidc-backchannel", "reason": str(err)[:300]},
        )  # fmt: skip
        refusal = LogoutTokenRefused("单点登出令牌未通过校验，未结束任何会话", f"{err}; no session was ended")
        refusal.audited = True
        raise refusal from None
    with request.app.state.db.session() as session:
        for account_id in revoke_sso_sessions(session, claims["sid"]):
            record(
                session, operation="logout", account_id=account_id,
                username=session.get(Account, account_id).username, source_ip=address, request_id=request_id,
                detail={"via": "oidc-backchannel", "sso_user": str(claims.get("sub", ""))[:150]},
            )  # fmt: skip
        session.commit()
    return Response(status_code=200, headers={"Cache-Control": "no-store"})
