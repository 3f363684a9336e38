"""Portal pages for citizens and organisations (有条件开放, Art. 44(2)): register, log in, apply, collect a key;
and the office's page deciding applications. Included by ``pages.py``.

Public forms use their own double-submit CSRF token (the ``edudata_csrf`` cookie equals a hidden field), so a
staff session in the same browser never interferes; the public session is the ``edudata_public`` cookie.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from edudata.api.deps import client_address, get_session, secure_cookies
from edudata.api.policy import allow
from edudata.errors import EduDataError, PermissionDenied
from edudata.identity import csrf
from edudata.identity.deps import CSRF_COOKIE, verify_csrf, web_principal
from edudata.identity.principal import Principal
from edudata.opendata import deps, public
from edudata.opendata.conditions import KINDS
from edudata.opendata.models import OpenView
from edudata.web.templating import render

router = APIRouter(include_in_schema=False)


def _page(request: Request, name: str, ctx: dict[str, Any], status_code: int = 200) -> Response:
    token = csrf.current_or_new(request, request.cookies.get(CSRF_COOKIE))
    request.state.csrf_token = token
    resp = render(request, name, ctx, status_code=status_code)
    if request.cookies.get(CSRF_COOKIE) != token:
        resp.set_cookie(
            CSRF_COOKIE,
            token,
            httponly=True,
            samesite="lax",
            secure=secure_cookies(request),
            path="/",
        )
    return resp


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    sent, expected = values.pop("csrf_token", ""), request.cookies.get(CSRF_COOKIE, "")
    if not await run_in_threadpool(csrf.check_pair, request, sent, expected):
        raise PermissionDenied(
            "表单已失效，请刷新页面后重试",
            "the form has expired; reload the page and try again",
            field="csrf_token",
        )
    return values


def _conditional_views(session: Session) -> list[dict[str, Any]]:
    """Published conditional views with their conditions, each answered on the application form (Art. 44(2))."""
    rows = session.scalars(
        select(OpenView)
        .where(OpenView.status == "published", OpenView.open_category == "conditional")
        .order_by(OpenView.code)
    )
    return [
        {
            "code": v.code,
            "title": v.title,
            "conditions": [
                {**c, "kind_label": KINDS.get(c["kind"], (c["kind"], c["kind"]))} for c in v.conditions or []
            ],
        }
        for v in rows
    ]


def _answers(values: dict[str, str]) -> dict[str, str | bool]:
    """The form's ``answer_<id>`` fields: text as written, a ticked commitment box (``yes``) as acceptance."""
    out: dict[str, str | bool] = {}
    for name, value in values.items():
        if name.startswith("answer_") and len(name) <= 16:
            out[name[7:]] = True if value == "yes" else value
    return out


@router.get("/open/register")
def register_page(request: Request, caller: Any = Depends(deps.open_caller)) -> Response:
    return _page(request, "opendata/register.html", {"values": {}, "error": None, "sent": None})


@router.post("/open/register")
async def register_submit(request: Request) -> Response:
    values = await _form(request)
    return await run_in_threadpool(_register, request, values)


def _register(request: Request, values: dict[str, str]) -> Response:
    with request.app.state.db.session() as session:
        deps.open_caller(request, session)
        try:
            user = public.register(
                session, request.app.state.settings, values, deps.base_url(request), client_address(request)
            )
            session.commit()
        except EduDataError as err:
            session.rollback()
            shown = {k: v for k, v in values.items() if k != "password"}
            return _page(
                request, "opendata/register.html", {"values": shown, "error": err, "sent": None}, err.status
            )
        return _page(request, "opendata/register.html", {"values": {}, "error": None, "sent": user.email})


@router.get("/open/login")
def login_page(request: Request, caller: Any = Depends(deps.open_caller)) -> Response:
    return _page(request, "opendata/login.html", {"error": None, "email": ""})


@router.post("/open/login")
async def login_submit(request: Request) -> Response:
    values = await _form(request)
    return await run_in_threadpool(_login, request, values)


def _login(request: Request, values: dict[str, str]) -> Response:
    with request.app.state.db.session() as session:
        deps.open_caller(request, session)
        try:
            _user, secret = public.login(
                session, values.get("email", ""), values.get("password", ""), client_address(request),
                request.app.state.settings,
            )  # fmt: skip
            session.commit()
        except EduDataError as err:
            session.rollback()
            return _page(
                request, "opendata/login.html", {"error": err, "email": values.get("email", "")}, err.status
            )
    resp = RedirectResponse("/open/account", status_code=303)
    resp.set_cookie(
        deps.PUBLIC_COOKIE,
        secret,
        max_age=public.SESSION_HOURS * 3600,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request),
        path="/",
    )
    return resp


def _account_ctx(session: Session, user: Any, **extra: Any) -> dict[str, Any]:
    return {
        "user": user,
        "applications": public.applications(session, user=user),
        "views": _conditional_views(session),
        "error": None,
        "key": None,
        **extra,
    }


@router.get("/open/account")
def account_page(request: Request, session: Session = Depends(get_session)) -> Response:
    user = public.user_for_session(session, request.cookies.get(deps.PUBLIC_COOKIE))
    if user is None:
        return RedirectResponse("/open/login", status_code=303)
    return _page(request, "opendata/account.html", _account_ctx(session, user))


@router.post("/open/account/{action}")
async def account_submit(action: str, request: Request) -> Response:
    values = await _form(request)
    return await run_in_threadpool(_account_action, request, action, values)


def _account_action(request: Request, action: str, values: dict[str, str]) -> Response:
    with request.app.state.db.session() as session:
        user = public.user_for_session(session, request.cookies.get(deps.PUBLIC_COOKIE))
        if user is None:
            return RedirectResponse("/open/login", status_code=303)
        try:
            key = None
            if action == "apply":
                public.apply(
                    session,
                    user,
                    values.get("view", ""),
                    values.get("purpose", ""),
                    values.get("usage", ""),
                    client_address(request),
                    _answers(values),
                )
            elif action == "key" and values.get("application", "").isdigit():
                _k, key = public.issue_key(session, user, int(values["application"]), client_address(request))
            else:
                raise PermissionDenied("不支持的操作", "unsupported action")
            session.commit()
        except EduDataError as err:
            session.rollback()
            return _page(request, "opendata/account.html", _account_ctx(session, user, error=err), err.status)
        if key is None:
            return RedirectResponse("/open/account", status_code=303)
        return _page(request, "opendata/account.html", _account_ctx(session, user, key=key))


# ---- the office ----


@router.get("/opendata/applications")
def applications_page(
    request: Request,
    session: Session = Depends(get_session),
    who: Principal = Depends(allow("opendata.application.decide")),
) -> Response:
    return render(
        request,
        "opendata/applications.html",
        {"items": public.applications(session), "error": None, "error_for": None, "typed": {}},
    )


@router.post(
    "/opendata/applications/{application_id}",
    dependencies=[Depends(verify_csrf), Depends(allow("opendata.application.decide"))],
)
async def application_decision(application_id: int, request: Request) -> Response:
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    return await run_in_threadpool(_decide, request, application_id, values)


def _decide(request: Request, application_id: int, values: dict[str, str]) -> Response:
    with request.app.state.db.session() as session:
        who = web_principal(request, session)
        try:
            checks = {k[6:]: v == "yes" for k, v in values.items() if k.startswith("check_") and len(k) <= 16}
            public.decide(
                session, who, application_id, values.get("decision", ""), values.get("reason", ""), checks
            )
            session.commit()
        except EduDataError as err:
            session.rollback()
            # The list again, with the message and the typed reason on the form of that application.
            return render(
                request,
                "opendata/applications.html",
                {"items": public.applications(session), "error": err, "error_for": application_id,
                 "typed": values},
                status_code=err.status,
            )  # fmt: skip
    return RedirectResponse("/opendata/applications", status_code=303)
