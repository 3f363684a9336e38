"""Privacy pages (C6; Art. 50, 51, 54): the dashboard of the PI register and its outstanding obligations, the
sensitive-PI page (assessments and collective decisions with their minutes), and the releases made.

The office and data-protection officers keep these registers; the leadership group reads them. A refused
change is shown beside the form with its status; nothing is saved.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, UploadFile

from edudata.api.context import request_context
from edudata.api.deps import get_session
from edudata.api.policy import allow
from edudata.db import commit
from edudata.errors import EduDataError, ValidationFailed
from edudata.identity.actions import audit, refused
from edudata.identity.deps import form_data, form_text, verify_csrf
from edudata.identity.principal import Principal
from edudata.policy import allowed
from edudata.privacy import register, release, sensitive
from edudata.privacy.attachments import MAX_ATTACHMENT_BYTES, store_attachment
from edudata.privacy.models import DeidentifiedRelease, SensitiveAssessment
from edudata.web import labels
from edudata.web.i18n import request_lang, translator
from edudata.web.templating import render

router = APIRouter(include_in_schema=False)
OBLIGATION_NAMES = {
    "register_not_counted": ("尚未统计人数", "never counted"),
    "register_stale": ("统计已过期", "count out of date"),
    "pi_officer": ("个人信息保护负责人", "PI-protection officer"),
    "commission_filing": ("市教育两委备案", "city commission filing"),
    "app_certification": ("教育 APP 个人信息安全认证", "education-app PI security certification"),
    "protection_level": ("等级保护三级", "protection level 3"),
    "annual_pi_audit": ("年度安全审计", "yearly PI audit"),
    "sensitive_assessment": ("敏感个人信息论证与决策", "sensitive-PI assessment and decision"),
}


labels.register("obligation", OBLIGATION_NAMES)


def nav(principal: Principal, lang: str) -> list[dict[str, str]]:
    _ = translator(lang)
    # 个人信息保护 (/privacy) itself is in base.html's navigation on every page, from the policy.
    items = [{"href": "/privacy/sensitive", "label": _("敏感个人信息", "Sensitive PI")}]
    items.append({"href": "/privacy/releases", "label": _("去标识化发布", "De-identified releases")})
    return items


def _page(
    request: Request, principal: Principal, name: str, ctx: dict[str, Any], status: int = 200
) -> Response:
    base = {
        "nav_items": nav(principal, request_lang(request)),
        "may_keep": allowed(principal, "privacy.register.keep"),
        "errors": {},
        "obligation_names": OBLIGATION_NAMES,
    }
    return render(request, name, {**base, **ctx}, status_code=status)


def _dashboard(
    request: Request, session: Session, principal: Principal, status: int = 200, **ctx: Any
) -> Response:
    obligations = register.outstanding_obligations(session)
    context = {
        "systems": register.register(session),
        "obligations": obligations,
        "thresholds": (register.OFFICER_THRESHOLD, register.LEVEL3_THRESHOLD),
        "done": request.query_params.get("done", "")[:32],
        **ctx,
    }
    return _page(request, principal, "privacy/dashboard.html", context, status)


@router.get("/privacy")
def dashboard(
    request: Request,
    session: Session = Depends(get_session),
    principal: Principal = Depends(allow("privacy.register.read")),
) -> Response:
    return _dashboard(request, session, principal)


@router.post("/privacy/count", dependencies=[Depends(verify_csrf)])
def count_now(
    request: Request,
    session: Session = Depends(get_session),
    principal: Principal = Depends(allow("privacy.register.keep")),
) -> Response:
    register.refresh_register(principal, request_context(request, session))
    commit(session)
    return RedirectResponse("/privacy?done=counted", status_code=303)


def _day(form: FormData, name: str, required: bool = True) -> date | None:
    raw = form_text(form, name).strip()
    if not raw and not required:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ValidationFailed("日期格式应为 YYYY-MM-DD", "a date is YYYY-MM-DD", field=name) from None


def _upload(session: Session, form: FormData, name: str, actor: str, required: bool) -> int | None:
    file = form.get(name)
    if not isinstance(file, UploadFile) or not file.filename:
        if required:
            raise ValidationFailed("须上传附件（会议纪要等）", "attach the document (minutes …)", field=name)
        return None
    content = file.file.read(MAX_ATTACHMENT_BYTES + 1)  # the form is parsed; reading the spool blocks
    return store_attachment(session, file.filename, content, file.content_type, actor).id


@router.post("/privacy/systems/{code}", dependencies=[Depends(verify_csrf)])
def system_update(
    code: str,
    request: Request,
    form: FormData = Depends(form_data),
    session: Session = Depends(get_session),
    principal: Principal = Depends(allow("privacy.register.keep")),
) -> Response:
    """One form per system: officer, protection level, a filing or a PI audit (the fields filled in)."""
    action = form_text(form, "action")
    try:
        if action == "officer":
            level = form_text(form, "protection_level").strip()
            register.update_system(
                session,
                code,
                pi_officer_name=form_text(form, "pi_officer_name") or None,
                pi_officer_username=form_text(form, "pi_officer_username") or None,
                protection_level=int(level) if level.isdigit() else None,
            )
        elif action == "filing":
            attachment = _upload(session, form, "attachment", principal.username, False)
            register.record_filing(
                session,
                code,
                reference_no=form_text(form, "reference_no"),
                filed_on=_day(form, "filed_on"),
                attachment_id=attachment,
                actor=principal.username,
            )
        elif action == "pi_audit":
            attachment = _upload(session, form, "attachment", principal.username, False)
            register.record_pi_audit(
                session,
                code,
                audited_on=_day(form, "audited_on"),
                auditor=form_text(form, "auditor"),
                summary=form_text(form, "summary"),
                attachment_id=attachment,
                actor=principal.username,
            )
        else:
            raise ValidationFailed("未知的操作", "unknown action", field="action")
        audit(session, request, principal, f"privacy_system_{action}", system=code)
        commit(session)
    except EduDataError as err:
        refused(request, session, err)
        return _dashboard(request, session, principal, err.status, errors={code: (err.zh, err.en)})
    return RedirectResponse(f"/privacy?done={action}", status_code=303)


def _sensitive_page(
    request: Request, session: Session, principal: Principal, status: int = 200, **ctx: Any
) -> Response:
    statuses = sensitive.sensitive_elements(session)
    assessments = {
        a.id: a
        for a in session.execute(select(SensitiveAssessment).order_by(SensitiveAssessment.id)).scalars()
    }
    context = {
        "elements": statuses,
        "assessments": assessments,
        "done": request.query_params.get("done", "")[:32],
    }
    return _page(request, principal, "privacy/sensitive.html", {**context, **ctx}, status)


@router.get("/privacy/sensitive")
def sensitive_page(
    request: Request,
    session: Session = Depends(get_session),
    principal: Principal = Depends(allow("privacy.register.read")),
) -> Response:
    return _sensitive_page(request, session, principal)


@router.post("/privacy/sensitive", dependencies=[Depends(verify_csrf)])
def sensitive_record(
    request: Request,
    form: FormData = Depends(form_data),
    session: Session = Depends(get_session),
    principal: Principal = Depends(allow("privacy.register.keep")),
) -> Response:
    """Record an assessment (``action=assessment``) or the collective decision on one (``action=decision``)."""
    action = form_text(form, "action")
    target = form_text(form, "dataset") + "." + form_text(form, "element")
    try:
        if action == "assessment":
            row = sensitive.record_assessment(
                session,
                dataset_code=form_text(form, "dataset"),
                element_code=form_text(form, "element"),
                necessity=form_text(form, "necessity"),
                scientific_basis=form_text(form, "scientific_basis"),
                ethics=form_text(form, "ethics"),
                impact=form_text(form, "impact"),
                conclusion=form_text(form, "conclusion"),
                assessed_on=_day(form, "assessed_on"),
                attachment_id=_upload(session, form, "attachment", principal.username, False),
                actor=principal.username,
            )
            audit(session, request, principal, "privacy_assessment", id=row.id, element=target)
        elif action == "decision":
            raw_id = form_text(form, "assessment_id")
            if not raw_id.isdigit():
                raise ValidationFailed("缺少论证编号", "the assessment is missing", field="assessment_id")
            row = sensitive.record_decision(
                session,
                assessment_id=int(raw_id),
                body=form_text(form, "body"),
                meeting=form_text(form, "meeting"),
                meeting_date=_day(form, "meeting_date"),
                outcome=form_text(form, "outcome"),
                attendees=form_text(form, "attendees"),
                attachment_id=_upload(session, form, "attachment", principal.username, True),
                actor=principal.username,
            )
            audit(session, request, principal, "privacy_decision", id=row.id, element=target)
        else:
            raise ValidationFailed("未知的操作", "unknown action", field="action")
        commit(session)
    except EduDataError as err:
        refused(request, session, err)
        kept = {
            k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"
        }  # files are chosen again
        return _sensitive_page(request, session, principal, err.status, errors={target: (err.zh, err.en)},
                               typed={target: kept})  # fmt: skip
    return RedirectResponse(f"/privacy/sensitive?done={action}", status_code=303)


@router.get("/privacy/releases")
def releases_page(
    request: Request,
    session: Session = Depends(get_session),
    principal: Principal = Depends(allow("privacy.register.read")),
) -> Response:
    rows = session.execute(
        select(DeidentifiedRelease).order_by(DeidentifiedRelease.id.desc()).limit(200)
    ).scalars()
    return _page(
        request, principal, "privacy/releases.html", {"releases": [release.release_view(r) for r in rows]}
    )
