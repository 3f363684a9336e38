"""Web login (会话 + CSRF), logout, the home page and the account's own security page (Art. 54, 59).

The session cookie is HttpOnly and SameSite=Lax and holds a random secret whose SHA-256 is stored; each form
carries the session's CSRF token. Before login, the form's token is checked against a cookie (double submit).
"""

from __future__ import annotations

from urllib.parse import urlparse

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from edudata.api.deps import client_address, get_session, secure_cookies
from edudata.api.policy import allow
from edudata.db import commit
from edudata.errors import EduDataError, NotAuthenticated, ValidationFailed
from edudata.identity import (
    blacklist,
    cas,
    csrf,
    directory_pages,
    oidc,
    oidc_pages,
    service_account_pages,
    sso_pages,
    totp,
)
from edudata.identity.actions import audit, refused
from edudata.identity.deps import (
    CSRF_COOKIE,
    current_principal,
    form_data,
    form_text,
    verify_csrf,
)
from edudata.identity.passwords import verify_password
from edudata.identity.principal import Principal
from edudata.identity.service import authenticate, set_password
from edudata.identity.tokens import SESSION_COOKIE, find_session, open_session, revoke_session
from edudata.org.models import Account
from edudata.org.roles import role_name
from edudata.org.service import set_email
from edudata.policy import may_attempt
from edudata.web.templating import render

router = APIRouter(include_in_schema=False)
router.include_router(sso_pages.router)
router.include_router(directory_pages.router)
router.include_router(service_account_pages.router)
router.include_router(oidc_pages.router)


def _safe_next(value: str) -> str:
    """Only a path on this site (never ``//host`` or a scheme): no open redirect after login."""
    parsed = urlparse(value or "/")
    if parsed.scheme or parsed.netloc or not (parsed.path or "").startswith("/") or value.startswith("//"):
        return "/"
    return value if len(value) <= 500 else "/"


def _login_page(request: Request, next_path: str, *, username: str = "", errors: dict | None = None,
                message: tuple[str, str] | None = None, status: int = 200, totp_needed: bool = False) -> Response:  # fmt: skip
    token = csrf.current_or_new(request, request.cookies.get(CSRF_COOKIE))
    request.state.csrf_token = token
    ctx = {
        "sso_links": sso_pages.sso_links(request, next_path),
        "next": next_path,
        "username": username,
        "errors": errors or {},
        "message": message,
        "totp_needed": totp_needed,
    }
    resp = render(request, "identity/login.html", ctx, status_code=status)
    if request.cookies.get(CSRF_COOKIE) != token:
        secure = secure_cookies(request)
        resp.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="lax", secure=secure, path="/")
    return resp


@router.get("/login")
def login_form(request: Request, next: str = "/") -> Response:  # noqa: A002 - the query parameter's name
    return _login_page(request, _safe_next(next))


@router.post("/login", dependencies=[Depends(verify_csrf)])
def login(
    request: Request, form: FormData = Depends(form_data), session: Session = Depends(get_session)
) -> Response:
    """Check the login; on success open a session (new secret, so a planted cookie is useless) and go on."""
    settings = request.app.state.settings
    username, password, code = (
        form_text(form, "username"),
        form_text(form, "password"),
        form_text(form, "totp"),
    )
    next_path = _safe_next(form_text(form, "next"))
    errors: dict[str, tuple[str, str]] = {}
    if not username or len(username) > 150:
        errors["username"] = ("请输入用户名", "enter your username")
    if not password or len(password) > 256:
        errors["password"] = ("请输入密码", "enter your password")
    if errors:
        return _login_page(request, next_path, username=username[:150], errors=errors, status=422)
    try:
        login_ = authenticate(
            request.app.state.db, settings, username=username, password=password, totp_code=code or None,
            address=client_address(request), via="session", request_id=getattr(request.state, "request_id", None),
        )  # fmt: skip
    except EduDataError as err:
        field = err.field if err.field in ("username", "password", "totp") else None
        message = None if field else (err.zh, err.en)
        resp = _login_page(
            request, next_path, username=username, errors={field: (err.zh, err.en)} if field else {},
            message=message, status=err.status, totp_needed=bool(err.extra.get("totp_required")),
        )  # fmt: skip
        if "retry_after" in err.extra:
            resp.headers["Retry-After"] = str(err.extra["retry_after"])
        return resp
    old = request.cookies.get(SESSION_COOKIE)
    if old and len(old) <= 200:
        revoke_session(session, old)
    issued = open_session(session, login_.account_id, settings)
    session.commit()
    resp = RedirectResponse(next_path, status_code=303)
    resp.set_cookie(
        SESSION_COOKIE, issued.secret, max_age=settings.session_ttl_minutes * 60, httponly=True, samesite="lax",
        secure=secure_cookies(request), path="/",
    )  # fmt: skip
    return resp


@router.post("/logout", dependencies=[Depends(verify_csrf)])
def logout(request: Request, session: Session = Depends(get_session)) -> Response:
    secret = request.cookies.get(SESSION_COOKIE, "")
    try:
        principal = current_principal(request, session)
    except EduDataError:
        principal = None
    web = find_session(session, secret) if secret and len(secret) <= 200 else None
    method = web.auth_method if web is not None else "password"
    if web is not None and revoke_session(session, secret) and principal is not None:
        audit(session, request, principal, "logout", via="session", auth_method=method)
    session.commit()
    resp = RedirectResponse(_after_logout(request, method), status_code=303)
    resp.delete_cookie(SESSION_COOKIE, path="/")
    return resp


def _after_logout(request: Request, method: str) -> str:
    """Where logging out leads: a session opened by the school's sign-on ends there too (single logout)."""
    settings = request.app.state.settings
    back = sso_pages.base_url(request) + "/login"
    if method == "cas" and settings.cas_url:
        return cas.logout_url(settings, back)
    if method == "oidc" and settings.oidc_issuer:
        return oidc.logout_url(settings, back) or "/login"
    return "/login"


def _links(principal: Principal) -> list[tuple[str, str, str]]:
    links = [("/catalog", "数据资源目录", "Data catalogue")]
    if may_attempt(principal, "audit.log.read"):
        links.append(("/audit", "审计日志", "Audit log"))
    if may_attempt(principal, "inspect.report.read"):
        links.append(("/inspect", "检查与报告", "Inspections and reports"))
    if may_attempt(principal, "inspect.finding.read"):
        links.append(("/inspect/findings", "检查问题", "Inspection findings"))
    if may_attempt(principal, "privacy.register.read"):
        links.append(("/privacy", "个人信息保护：处理登记与敏感信息", "Privacy: register and sensitive PI"))
    if may_attempt(principal, "lifecycle.read"):
        links.append(
            (
                "/lifecycle",
                "数据生命周期：销毁、备份与应急",
                "Data lifecycle: destruction, backup, emergencies",
            )
        )
    if may_attempt(principal, "org.account.edit"):
        links += [
            ("/admin/units", "单位管理", "Units"),
            ("/admin/accounts", "账户与角色", "Accounts and roles"),
            ("/admin/sod", "不相容岗位", "Separation of duties"),
            ("/admin/blacklist", "黑名单", "Blacklist"),
            ("/admin/directory", "人员与单位同步", "Directory sync"),
        ]
    if may_attempt(principal, "identity.service_account.manage"):
        links.append(("/admin/service-accounts", "服务账户", "Service accounts"))
    links.append(("/account", "账户安全", "Account security"))
    return links


@router.get("/")
def home(
    request: Request,
    principal: Principal = Depends(allow("identity.account.self")),
    session: Session = Depends(get_session),
) -> Response:
    roles = [(r, *role_name(r)) for r in sorted(principal.roles)]
    return render(
        request,
        "identity/home.html",
        {"roles": roles, "links": _links(principal), "dashboard": _dashboard(session, principal)},
    )


def _dashboard(session: Session, principal: Principal) -> list:
    """Role panels of what to do now (edudata.inspect.dashboard), when the inspect domain is installed."""
    from edudata.inspect.dashboard import panels

    return panels(session, principal)


# ---------------------------------------------------------------- own account: second factor, password, e-mail


def _account_page(
    request: Request, session: Session, principal: Principal, status: int = 200, **ctx
) -> Response:  # noqa: ANN003
    account = session.get(Account, principal.account_id)
    ctx.setdefault("errors", {})
    secret = request.cookies.get(SESSION_COOKIE, "")
    web = find_session(session, secret) if secret and len(secret) <= 200 else None
    ctx["sso_method"] = web.auth_method if web is not None and web.auth_method != "password" else ""
    return render(request, "identity/account.html", {"account": account, **ctx}, status_code=status)


@router.get("/account")
def account_page(
    request: Request,
    session: Session = Depends(get_session),
    principal: Principal = Depends(allow("identity.account.self")),
) -> Response:
    return _account_page(request, session, principal, done=request.query_params.get("done", "")[:32])


@router.post("/account/email", dependencies=[Depends(verify_csrf)])
def email_change(
    request: Request,
    form: FormData = Depends(form_data),
    session: Session = Depends(get_session),
    principal: Principal = Depends(allow("identity.account.self")),
) -> Response:
    """Set or clear one's own address for the platform's reminders (待办提醒), as ``PUT /api/v1/me/email`` does."""
    typed = "" if form_text(form, "clear") == "1" else form_text(form, "email")[:300]
    try:
        account = set_email(session, session.get(Account, principal.account_id), typed)
    except EduDataError as err:
        refused(request, session, err)
        return _account_page(
            request, session, principal, err.status, errors={"email": (err.zh, err.en)}, email_value=typed
        )
    audit(session, request, principal, "set_email", target=principal.username, cleared=account.email is None)
    commit(session)
    return RedirectResponse(f"/account?done=email_{'cleared' if account.email is None else 'set'}", 303)


@router.post("/account/totp", dependencies=[Depends(verify_csrf)])
def totp_enrol(
    request: Request,
    session: Session = Depends(get_session),
    principal: Principal = Depends(allow("identity.account.self")),
) -> Response:
    """Show a new secret once; it becomes required only after a code from it is confirmed."""
    account = session.get(Account, principal.account_id)
    try:
        secret, uri = totp.begin(session, account, request.app.state.settings)
    except EduDataError as err:
        refused(request, session, err)
        return _account_page(request, session, principal, err.status, errors={"totp": (err.zh, err.en)})
    audit(session, request, principal, "totp_enrol")
    commit(session)
    return _account_page(request, session, principal, secret=secret, otpauth_uri=uri)


@router.post("/account/totp/confirm", dependencies=[Depends(verify_csrf)])
def totp_confirm(
    request: Request,
    form: FormData = Depends(form_data),
    session: Session = Depends(get_session),
    principal: Principal = Depends(allow("identity.account.self")),
) -> Response:
    account = session.get(Account, principal.account_id)
    try:
        totp.confirm(session, account, form_text(form, "code")[:16], request.app.state.settings)
    except EduDataError as err:
        refused(request, session, err)
        return _account_page(request, session, principal, err.status, errors={"code": (err.zh, err.en)})
    audit(session, request, principal, "totp_enable")
    commit(session)
    return RedirectResponse("/account?done=totp", status_code=303)


@router.post("/account/password", dependencies=[Depends(verify_csrf)])
def password_change(
    request: Request,
    form: FormData = Depends(form_data),
    session: Session = Depends(get_session),
    principal: Principal = Depends(allow("identity.account.self")),
) -> Response:
    """Change one's password; every session ends, this one included (log in again)."""
    account = session.get(Account, principal.account_id)
    try:
        if not verify_password(account.password_hash, form_text(form, "current_password")[:256]):
            raise NotAuthenticated("当前密码错误", "the current password is wrong", field="current_password")
        set_password(session, account, form_text(form, "new_password")[:256])
    except EduDataError as err:
        refused(request, session, err)
        field = "current_password" if err.field == "current_password" else "new_password"
        return _account_page(request, session, principal, err.status, errors={field: (err.zh, err.en)})
    audit(session, request, principal, "password_change")
    commit(session)
    resp = RedirectResponse("/login", status_code=303)
    resp.delete_cookie(SESSION_COOKIE, path="/")
    return resp


# ---------------------------------------------------------------- blacklist (黑名单, Art. 59)


def _blacklist_page(request: Request, session: Session, status: int = 200, **ctx) -> Response:  # noqa: ANN003
    ctx.setdefault("errors", {})
    ctx.setdefault("values", {})
    return render(
        request,
        "identity/blacklist.html",
        {"entries": blacklist.active_entries(session), **ctx},
        status_code=status,
    )


@router.get("/admin/blacklist")
def blacklist_page(
    request: Request,
    session: Session = Depends(get_session),
    principal: Principal = Depends(allow("identity.blacklist.edit")),
) -> Response:
    return _blacklist_page(request, session)


@router.post("/admin/blacklist", dependencies=[Depends(verify_csrf)])
def blacklist_add(
    request: Request,
    form: FormData = Depends(form_data),
    session: Session = Depends(get_session),
    principal: Principal = Depends(allow("identity.blacklist.edit")),
) -> Response:
    values = {k: form_text(form, k) for k in ("kind", "value", "reason")}
    try:
        if len(values["value"]) > 150:
            raise ValidationFailed(
                "value：不能超过 150 个字符", "value: at most 150 characters", field="value"
            )
        entry = blacklist.add(session, **values, created_by=principal.username)
    except EduDataError as err:
        refused(request, session, err)
        errors = {err.field or "value": (err.zh, err.en)}
        return _blacklist_page(request, session, err.status, errors=errors, values=values)
    audit(session, request, principal, "blacklist_add", kind=entry.kind, value=entry.value)
    commit(session)
    return RedirectResponse("/admin/blacklist", status_code=303)


@router.post("/admin/blacklist/{entry_id}/remove", dependencies=[Depends(verify_csrf)])
def blacklist_remove(
    entry_id: int,
    request: Request,
    session: Session = Depends(get_session),
    principal: Principal = Depends(allow("identity.blacklist.edit")),
) -> Response:
    entry = blacklist.deactivate(session, entry_id)
    audit(session, request, principal, "blacklist_remove", kind=entry.kind, value=entry.value)
    commit(session)
    return RedirectResponse("/admin/blacklist", status_code=303)
