"""Web pages of external provision (对外提供或发布, Art. 42, 58) and of unit heads (Art. 41), Chinese first.

The list and the written request form, each request with its stages, the leadership group's secrecy review and
the release record; the office names the units' heads. Every form calls the service the API route calls.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from edudata.api.deps import get_session
from edudata.api.policy import allow
from edudata.errors import EduDataError
from edudata.identity.actions import refused
from edudata.identity.deps import verify_csrf
from edudata.identity.principal import Principal
from edudata.policy import allowed, may_attempt
from edudata.sharing import external, heads, views
from edudata.sharing.models import ShareApplication
from edudata.sharing.pages import _error, _form, _text
from edudata.sharing.routes import committed
from edudata.web.flash import flash
from edudata.web.templating import render

router = APIRouter(include_in_schema=False)


def _granted_of_unit(session: Session, who: Principal) -> list[ShareApplication]:
    if not allowed(who, "sharing.external.request", unit_code=who.unit_code):
        return []
    stmt = (
        select(ShareApplication)
        .where(ShareApplication.applicant_unit_code == who.unit_code, ShareApplication.grant_id.is_not(None))
        .order_by(ShareApplication.id.desc())
        .limit(200)
    )
    return list(session.scalars(stmt))


def _list(
    request: Request, session: Session, who: Principal, *, error: dict | None = None, values: dict | None = None,
    status: int = 200,
) -> Response:  # fmt: skip
    return render(request, "sharing/external_list.html", {
        "requests": [external.view(session, r) for r in external.list_for(session, who)],
        "granted": _granted_of_unit(session, who), "kinds": external.KINDS, "error": error, "values": values or {},
    }, status_code=status)  # fmt: skip


@router.get("/sharing/external")
def external_list_page(
    request: Request,
    session: Session = Depends(get_session),
    who: Principal = Depends(allow("sharing.external.read")),
) -> Response:
    return _list(request, session, who)


@router.post("/sharing/external", dependencies=[Depends(verify_csrf)])
def external_create_page(
    request: Request,
    form: FormData = Depends(_form),
    session: Session = Depends(get_session),
    who: Principal = Depends(allow("sharing.external.request")),
) -> Response:
    values: dict[str, Any] = {k: _text(form, k) for k in (
        "kind", "recipient", "purpose", "justification", "security_measures")}  # fmt: skip
    app_id = _text(form, "application_id")
    values["application_id"] = int(app_id) if app_id.isdigit() and len(app_id) < 12 else None
    values["elements"] = [e for e in form.getlist("elements") if isinstance(e, str)] or None
    try:
        req = external.create(session, who, values)
        committed(request, session)
    except EduDataError as err:
        refused(request, session, err)
        return _list(request, session, who, error=_error(err), values=values, status=err.status)
    return RedirectResponse(f"/sharing/external/{req.id}", status_code=303)


def _detail(
    request: Request, session: Session, who: Principal, request_id: int, *, error: dict | None = None,
    status: int = 200,
) -> Response:  # fmt: skip
    req = external.visible(session, who, request_id)
    mine = who.account_id == req.requester_account_id
    stage = next((name for name, (s, *_rest) in external.STAGES.items() if s == req.status), None)
    may_decide = stage is not None and not mine and (
        (stage == "unit_head" and heads.is_head(session, who, req.unit_code))
        or (stage == "producer" and allowed(who, "sharing.external.approve_producer", unit_code=req.owner_unit_code))
        or (stage == "office" and allowed(who, "sharing.external.approve_office"))
        or (stage == "secrecy" and allowed(who, "sharing.external.secrecy_review"))
    )  # fmt: skip
    return render(request, "sharing/external_detail.html", {
        "req": external.view(session, req), "error": error, "stage": stage, "may_decide": may_decide,
        "path": PATHS.get(stage or "", ""), "may_release": req.status == "approved" and allowed(
            who, "sharing.external.release"),
    }, status_code=status)  # fmt: skip


@router.get("/sharing/external/{request_id}")
def external_detail_page(
    request_id: int,
    request: Request,
    session: Session = Depends(get_session),
    who: Principal = Depends(allow("sharing.external.read")),
) -> Response:
    return _detail(request, session, who, request_id)


PATHS = {"unit_head": "approve-unit", "producer": "approve-producer", "office": "approve-office",
         "secrecy": "secrecy-review"}  # fmt: skip


def _run(
    request: Request, session: Session, who: Principal, request_id: int, step: Callable[[Any], Any]
) -> Response:
    try:
        step(external.get(session, request_id))
        committed(request, session)
    except EduDataError as err:
        refused(request, session, err)
        return _detail(request, session, who, request_id, error=_error(err), status=err.status)
    state_zh, state_en = external.STATUS_LABELS[external.get(session, request_id).status]
    flash(request, f"已记录。当前状态：{state_zh}", f"Recorded. Status now: {state_en}")
    return RedirectResponse(f"/sharing/external/{request_id}", status_code=303)


def _stage_page(stage: str, path: str) -> None:
    action = external.STAGES[stage][2]

    def page(
        request_id: int,
        request: Request,
        form: FormData = Depends(_form),
        session: Session = Depends(get_session),
        who: Principal = Depends(allow(action)),
    ) -> Response:
        return _run(request, session, who, request_id, lambda req: external.decide(
            session, who, req, stage, decision=_text(form, "decision"), comment=_text(form, "comment")))  # fmt: skip

    page.__name__ = f"page_external_{stage}"
    router.post(f"/sharing/external/{{request_id}}/{path}", dependencies=[Depends(verify_csrf)])(page)


for _stage, _path in PATHS.items():
    _stage_page(_stage, _path)


@router.post("/sharing/external/{request_id}/release", dependencies=[Depends(verify_csrf)])
def external_release_page(
    request_id: int,
    request: Request,
    form: FormData = Depends(_form),
    session: Session = Depends(get_session),
    who: Principal = Depends(allow("sharing.external.release")),
) -> Response:
    values = {"channel": _text(form, "channel"), "document_sha256": _text(form, "document_sha256") or None}
    return _run(request, session, who, request_id, lambda req: external.release(session, who, req, values))


# ---- unit heads (Art. 41) ------------------------------------------------------------------------------------
def _heads(
    request: Request, session: Session, who: Principal, error: dict | None = None, status: int = 200
) -> Response:
    return render(request, "sharing/unit_heads.html", {
        "heads": [views.head_view(h) for h in heads.heads(session)], "error": error,
        "can_designate": may_attempt(who, "sharing.unit_head.designate"),
    }, status_code=status)  # fmt: skip


@router.get("/sharing/unit-heads")
def unit_heads_page(
    request: Request, session: Session = Depends(get_session), who: Principal = Depends(allow("sharing.read"))
) -> Response:
    return _heads(request, session, who)


@router.post("/sharing/unit-heads", dependencies=[Depends(verify_csrf)])
def designate_head_page(
    request: Request,
    form: FormData = Depends(_form),
    session: Session = Depends(get_session),
    who: Principal = Depends(allow("sharing.unit_head.designate")),
) -> Response:
    try:
        heads.designate(session, who, _text(form, "unit_code"), _text(form, "username"))
        session.commit()
    except EduDataError as err:
        refused(request, session, err)
        return _heads(request, session, who, _error(err), err.status)
    return RedirectResponse("/sharing/unit-heads", status_code=303)
