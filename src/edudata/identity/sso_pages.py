"""Web sign-on through the school's identity provider (统一身份认证, Art. 54): CAS now, OIDC beside it.

``/login/cas`` sends the browser to the CAS server; it comes back to ``/login/cas/callback`` with a one-time
ticket that this server validates with CAS directly. The same URL receives the CAS server's single-logout POST.
A refusal (no account, disabled, blacklisted, bad ticket) is a page in Chinese and English, and audited.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from edudata.api.deps import client_address, get_session, secure_cookies
from edudata.audit.service import record
from edudata.errors import EduDataError, NotFound
from edudata.identity import cas
from edudata.identity.actions import refused
from edudata.identity.deps import form_data
from edudata.identity.sso import map_identity, sso_login
from edudata.identity.tokens import SESSION_COOKIE, open_session, revoke_session, revoke_sso_sessions
from edudata.org.models import Account
from edudata.web.templating import render

router = APIRouter(include_in_schema=False)


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def safe_next(value: str) -> str:
    from edudata.identity.pages import _safe_next

    return _safe_next(value)


def sso_links(request: Request, next_path: str) -> list[tuple[str, str, str]]:
    """The sign-on buttons of the login page: (href, 中文, English)."""
    settings = request.app.state.settings
    links = []
    if settings.cas_url:
        links.append(
            (
                f"/login/cas?next={quote(next_path, safe='/')}",
                "统一身份认证登录",
                "Sign in with the school's sign-on (CAS)",
            )
        )
    if settings.oidc_issuer:
        links.append(
            (
                f"/login/oidc?next={quote(next_path, safe='/')}",
                "统一身份认证登录（OIDC）",
                "Sign in with OpenID Connect",
            )
        )
    return links


def refusal_page(request: Request, session: Session, err: EduDataError) -> Response:
    """The refusal in both languages; one not audited yet (a refused ticket) goes through the refusal hooks."""
    if not getattr(err, "audited", False):
        refused(request, session, err)
    return render(request, "identity/sso_refused.html", {"error": err}, status_code=err.status)


def start_session(
    request: Request, session: Session, account_id: int, next_path: str, method: str, sso_ref: str | None
) -> Response:
    """Open a session for the account the IdP vouched for (a new secret; a planted cookie is useless)."""
    settings = request.app.state.settings
    old = request.cookies.get(SESSION_COOKIE)
    if old and len(old) <= 200:
        revoke_session(session, old)
    issued = open_session(session, account_id, settings, auth_method=method, sso_ref=sso_ref)
    session.commit()
    resp = RedirectResponse(next_path, status_code=303)
    resp.set_cookie(
        SESSION_COOKIE, issued.secret, max_age=settings.session_ttl_minutes * 60, httponly=True, samesite="lax",
        secure=secure_cookies(request), path="/",
    )  # fmt: skip
    return resp


def _cas_on(request: Request) -> None:
    if not request.app.state.settings.cas_url:
        raise NotFound("本平台未配置统一身份认证（CAS）", "CAS sign-on is not configured")


@router.get("/login/cas")
def cas_login(request: Request, next: str = "/") -> Response:  # noqa: A002 - the query parameter's name
    _cas_on(request)
    service = cas.callback_url(base_url(request), safe_next(next))
    return RedirectResponse(cas.login_url(request.app.state.settings, service), status_code=303)


@router.get("/login/cas/callback")
def cas_callback(
    request: Request,
    next: str = "/",  # noqa: A002
    ticket: str = "",
    session: Session = Depends(get_session),
) -> Response:
    """Validate the ticket with the CAS server, then let the account in — or say why not."""
    _cas_on(request)
    settings = request.app.state.settings
    next_path = safe_next(next)
    if not ticket or len(ticket) > 256:
        return RedirectResponse(f"/login/cas?next={quote(next_path, safe='/')}", status_code=303)
    try:
        identity = cas.validate(settings, cas.callback_url(base_url(request), next_path), ticket)
    except EduDataError as err:
        return refusal_page(request, session, err)
    who = map_identity(settings, "cas", identity.user, identity.attributes)
    try:
        login = sso_login(
            request.app.state.db, settings, who, address=client_address(request),
            request_id=getattr(request.state, "request_id", None),
        )  # fmt: skip
    except EduDataError as err:
        return refusal_page(request, session, err)
    return start_session(request, session, login.account_id, next_path, "cas", ticket)


@router.post("/login/cas/callback")
def cas_single_logout(request: Request, form: FormData = Depends(form_data)) -> Response:
    """The CAS server's single logout (SLO): end the sessions its ticket opened. Sent server to server, so no
    CSRF token; it can only end sessions, and only one whose ticket — a one-time secret — it names."""
    if not request.app.state.settings.cas_url:
        return Response(status_code=404)
    message = form.get("logoutRequest")
    ticket = cas.logout_ticket(message if isinstance(message, str) else "")
    if ticket:
        with request.app.state.db.session() as session:
            ended = revoke_sso_sessions(session, ticket)
            for account_id in ended:
                record(
                    session, operation="logout", account_id=account_id,
                    username=session.get(Account, account_id).username, source_ip=client_address(request),
                    request_id=getattr(request.state, "request_id", None), detail={"via": "cas-slo"},
                )  # fmt: skip
            session.commit()
    return Response(status_code=200)
