"""Inspection pages (/inspect): start a run, read its report (web and PDF), handle findings (Art. 61-64, 67).

Refused input (an unknown check or unit, an empty answer, a deadline in the past) is shown beside its field and
changes nothing. Lists page, sort and filter through the query string, so every view has its own address.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from edudata.api.deps import get_session, get_settings_dep
from edudata.api.policy import allow
from edudata.audit.service import record
from edudata.clock import today_in_china
from edudata.config import Settings
from edudata.db import commit
from edudata.errors import EduDataError, ValidationFailed
from edudata.identity.actions import refused
from edudata.identity.deps import form_data, form_text, verify_csrf
from edudata.identity.principal import Principal
from edudata.inspect import oversight, service
from edudata.inspect.findings import (
    SEVERITY_RANK,
    STATUSES,
    findings_query,
    responsible_unit,
    visible_finding,
)
from edudata.inspect.models import Finding
from edudata.inspect.registry import SEVERITY_NAMES, all_checks, article_label
from edudata.inspect.report import build_report, finding_dict, render_pdf, unit_names
from edudata.inspect.runs import MODES, get_run, list_runs
from edudata.org.service import list_units
from edudata.policy import allowed
from edudata.web import labels
from edudata.web.i18n import translator
from edudata.web.lists import listing
from edudata.web.templating import TEMPLATES, render

router = APIRouter(include_in_schema=False)
PAGE = 25
labels.register("finding_status", STATUSES)
labels.register("inspection_mode", MODES)


def nav(principal: Principal, lang: str) -> list[dict[str, str]]:
    _ = translator(lang)
    # "检查与报告" (oversight) and, for units, "检查问题" are in base.html's navigation on every page.
    items = [{"href": "/", "label": _("我的待办", "My tasks")}]
    if allowed(principal, "inspect.report.read"):
        items.append({"href": "/inspect/findings", "label": _("检查问题", "Findings")})
    return items


def _render(
    request: Request, principal: Principal, name: str, ctx: dict[str, Any], status: int = 200,
    fragment: str | None = None,
) -> Response:  # fmt: skip
    from edudata.web.i18n import request_lang

    base = {
        "nav_items": nav(principal, request_lang(request)),
        "modes": MODES,
        "severity_names": SEVERITY_NAMES,
        "status_names": STATUSES,
        "article_label": article_label,
    }
    return render(request, name, {**base, **ctx}, status_code=status, fragment=fragment)


def _index(
    request: Request, session: Session, principal: Principal, status: int = 200, **ctx: Any
) -> Response:
    page = max(1, int(ctx.pop("page", 1)))
    runs = list_runs(session, PAGE + 1, (page - 1) * PAGE)
    ctx.setdefault("errors", {})
    ctx.setdefault("values", {"mode": "special"})
    return _render(
        request,
        principal,
        "inspect/index.html",
        {
            "runs": runs[:PAGE],
            "page": page,
            "more": len(runs) > PAGE,
            "checks": all_checks(),
            "units": [u for u in list_units(session) if u.unit_type != "school"],
            "may_run": allowed(principal, "inspect.run"),
            **ctx,
        },
        status,
    )


@router.get("/inspect")
def index(
    request: Request,
    page: int = Query(1, ge=1, le=100_000),
    principal: Principal = Depends(allow("inspect.report.read")),
    session: Session = Depends(get_session),
) -> Response:
    return _index(request, session, principal, page=page)


@router.post("/inspect/runs", dependencies=[Depends(verify_csrf)])
def start(
    request: Request,
    form: FormData = Depends(form_data),
    principal: Principal = Depends(allow("inspect.run")),
    session: Session = Depends(get_session),
    settings: Settings = Depends(get_settings_dep),
) -> Response:
    mode = form_text(form, "mode")
    checks = [c for c in form.getlist("checks") if isinstance(c, str)][:200]
    units = [u for u in form.getlist("units") if isinstance(u, str)][:500]
    title = form_text(form, "title")[:200]
    try:
        run = service.start_run(
            session,
            principal,
            mode,
            checks=checks or None,
            units=units or None,
            title=title,
            settings=settings,
        )
        commit(session)
    except EduDataError as err:
        refused(request, session, err)
        values = {"mode": mode, "checks": checks, "units": units, "title": title}
        return _index(
            request,
            session,
            principal,
            err.status,
            errors={err.field or "mode": (err.zh, err.en)},
            values=values,
        )
    return RedirectResponse(f"/inspect/runs/{run.id}", status_code=303)


def _report_data(session: Session, principal: Principal, run_id: int, form: str) -> dict[str, Any]:
    run = get_run(session, run_id)
    data = build_report(session, run, today_in_china())
    record(
        session, operation="query", dataset="inspect_report", row_count=data["counts"]["current"],
        detail={"run_id": run_id, "format": form}, **service.actor_fields(principal),
    )  # fmt: skip
    session.commit()
    return data


@router.get("/inspect/runs/{run_id}")
def run_page(
    run_id: int,
    request: Request,
    principal: Principal = Depends(allow("inspect.report.read")),
    session: Session = Depends(get_session),
) -> Response:
    data = _report_data(session, principal, run_id, "html")
    return _render(request, principal, "inspect/run.html", {"r": data})


def report_html(data: dict[str, Any], lang: str, school_name: str) -> str:
    """The printable report (the PDF's source): standalone HTML with its own print CSS and CJK fonts."""
    template = TEMPLATES.env.get_template("inspect/report_print.html")
    return template.render(
        r=data, lang=lang, _=translator(lang), school_name=school_name, today=today_in_china().isoformat(),
        severity_names=SEVERITY_NAMES, status_names=STATUSES,
    )  # fmt: skip


@router.get("/inspect/runs/{run_id}/report.pdf")
def run_pdf(
    run_id: int,
    request: Request,
    principal: Principal = Depends(allow("inspect.report.read")),
    session: Session = Depends(get_session),
) -> Response:
    from edudata.web.i18n import request_lang

    data = _report_data(session, principal, run_id, "pdf")
    pdf = render_pdf(report_html(data, request_lang(request), request.app.state.settings.school_name))
    return Response(
        pdf, media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="inspection-{run_id}.pdf"'},
    )  # fmt: skip


@router.get("/inspect/findings")
def findings_page(
    request: Request,
    principal: Principal = Depends(allow("inspect.finding.read")),
    session: Session = Depends(get_session),
) -> Response:
    """The findings, filtered by pickers (status, check, unit, overdue), sorted by a column and paged on the
    server; a unit's officer sees its own unit's findings only (``findings_query``)."""
    params = request.query_params
    chosen = {key: params.get(key, "")[:64] for key in ("status", "article", "unit", "check", "overdue")}
    chosen["status"] = chosen["status"] if chosen["status"] in STATUSES else ""
    chosen["overdue"] = "1" if chosen["overdue"] in ("1", "true", "on") else ""
    today = today_in_china()
    stmt = findings_query(
        principal=principal, status=chosen["status"] or None, article=chosen["article"] or None,
        unit_code=chosen["unit"] or None, check_code=chosen["check"] or None,
        overdue_on=today if chosen["overdue"] else None,
    )  # fmt: skip
    names = unit_names(session)
    found = listing(
        session, stmt, params,
        sorts={"deadline": Finding.deadline, "severity": SEVERITY_RANK, "article": Finding.article,
               "unit": func.coalesce(Finding.assigned_unit_code, Finding.unit_code), "newest": Finding.id,
               "status": Finding.status},
        default_sort="deadline", tiebreak=Finding.id, filters=chosen, region="findings-region",
        default_size=PAGE, view=lambda f: finding_dict(f, today, names),
    )  # fmt: skip
    every_unit = allowed(principal, "inspect.finding.read")
    return _render(
        request,
        principal,
        "inspect/findings.html",
        {
            "items": found.items,
            "list": found,
            "f": chosen,
            "checks": all_checks(),
            "unit_options": [(u.code, u.name) for u in list_units(session)] if every_unit else [],
        },
        fragment="inspect/_findings.html",
    )


def _finding_page(
    request: Request, session: Session, principal: Principal, finding_id: int, status: int = 200, **ctx: Any
) -> Response:
    finding = visible_finding(session, principal, finding_id)
    ctx.setdefault("errors", {})
    return _render(
        request,
        principal,
        "inspect/finding.html",
        {
            "f": finding_dict(finding, today_in_china(), unit_names(session)),
            "units": [u for u in list_units(session) if u.unit_type != "school"],
            "may_office": allowed(principal, "inspect.finding.assign"),
            "may_escalate": allowed(principal, "inspect.finding.escalate"),
            "escalations": oversight.escalations_of(session, finding.id),
            "interviews": oversight.interviews(session, finding.id),
            "may_answer": allowed(principal, "inspect.finding.answer", unit_code=responsible_unit(finding)),
            **ctx,
        },
        status,
    )


@router.get("/inspect/findings/{finding_id}")
def finding_page(
    finding_id: int,
    request: Request,
    principal: Principal = Depends(allow("inspect.finding.read")),
    session: Session = Depends(get_session),
) -> Response:
    return _finding_page(
        request, session, principal, finding_id, done=request.query_params.get("done", "")[:16]
    )


def _act(
    request: Request, session: Session, principal: Principal, finding_id: int, action: str, form: FormData
) -> Response:
    finding = visible_finding(session, principal, finding_id)
    try:
        if action == "assign":
            service.assign(
                session,
                principal,
                finding,
                form_text(form, "unit_code") or None,
                form_text(form, "deadline") or None,
            )
        elif action == "escalate":
            oversight.escalate(
                session, principal, finding.id, reason=form_text(form, "reason"),
                referred_to=form_text(form, "referred_to"), reference=form_text(form, "reference"),
            )  # fmt: skip
        elif action == "answer":
            service.answer(session, principal, finding, form_text(form, "answer"))
        else:
            service.close(session, principal, finding, form_text(form, "evidence"))
        commit(session)
    except EduDataError as err:
        refused(request, session, err)
        values = {k: form_text(form, k) for k in ("unit_code", "deadline", "answer", "evidence", "reason",
                                                  "referred_to", "reference")}  # fmt: skip
        field = (
            err.field
            or {"assign": "unit_code", "answer": "answer", "close": "evidence", "escalate": "reason"}[action]
        )
        return _finding_page(
            request,
            session,
            principal,
            finding_id,
            err.status,
            errors={field: (err.zh, err.en)},
            values=values,
        )
    return RedirectResponse(f"/inspect/findings/{finding_id}?done={action}", status_code=303)


@router.post("/inspect/findings/{finding_id}/assign", dependencies=[Depends(verify_csrf)])
def assign_form(finding_id: int, request: Request, form: FormData = Depends(form_data),
                principal: Principal = Depends(allow("inspect.finding.assign")), session: Session = Depends(get_session)) -> Response:  # fmt: skip
    return _act(request, session, principal, finding_id, "assign", form)


@router.post("/inspect/findings/{finding_id}/answer", dependencies=[Depends(verify_csrf)])
def answer_form(finding_id: int, request: Request, form: FormData = Depends(form_data),
                principal: Principal = Depends(allow("inspect.finding.answer")), session: Session = Depends(get_session)) -> Response:  # fmt: skip
    return _act(request, session, principal, finding_id, "answer", form)


@router.post("/inspect/findings/{finding_id}/close", dependencies=[Depends(verify_csrf)])
def close_form(finding_id: int, request: Request, form: FormData = Depends(form_data),
               principal: Principal = Depends(allow("inspect.finding.assign")), session: Session = Depends(get_session)) -> Response:  # fmt: skip
    return _act(request, session, principal, finding_id, "close", form)


@router.post("/inspect/findings/{finding_id}/escalate", dependencies=[Depends(verify_csrf)])
def escalate_form(finding_id: int, request: Request, form: FormData = Depends(form_data),
                  principal: Principal = Depends(allow("inspect.finding.escalate")), session: Session = Depends(get_session)) -> Response:  # fmt: skip
    return _act(request, session, principal, finding_id, "escalate", form)


# ---- the leadership group's content and notices (Art. 61), interviews (Art. 67)


def _oversight(
    request: Request, session: Session, principal: Principal, status: int = 200, **ctx: Any
) -> Response:
    ctx.setdefault("errors", {})
    ctx.setdefault("values", {})
    return _render(
        request,
        principal,
        "inspect/oversight.html",
        {
            "content": oversight.content_dict(session),
            "notices": [oversight.notice_dict(n) for n in oversight.notices(session)],
            "interviews": oversight.interviews(session),
            "units": [u for u in list_units(session) if u.unit_type != "school"],
            "may_set": allowed(principal, "inspect.content.set"),
            "may_issue": allowed(principal, "inspect.notice.issue"),
            "may_interview": allowed(principal, "inspect.interview.record"),
            "may_run": allowed(principal, "inspect.run"),
            **ctx,
        },
        status,
    )


@router.get("/inspect/oversight")
def oversight_page(
    request: Request,
    principal: Principal = Depends(allow("inspect.report.read")),
    session: Session = Depends(get_session),
) -> Response:
    """The inspection content, the notices and the interviews on one page (Art. 61, 67)."""
    return _oversight(request, session, principal, done=request.query_params.get("done", "")[:16])


def _oversight_act(request: Request, session: Session, principal: Principal, form: FormData, action: str,
                   change: Any) -> Response:  # fmt: skip
    try:
        change()
        commit(session)
    except EduDataError as err:
        refused(request, session, err)
        values = {k: form_text(form, k) for k in form.keys()}  # noqa: SIM118 - FormData
        return _oversight(
            request, session, principal, err.status, errors={f"{action}.{err.field or 'form'}": (err.zh, err.en)},
            values=values,
        )  # fmt: skip
    return RedirectResponse(f"/inspect/oversight?done={action}", status_code=303)


def _day(form: FormData, name: str) -> date:
    try:
        return date.fromisoformat(form_text(form, name))
    except ValueError:
        raise ValidationFailed("应为日期（YYYY-MM-DD）", "a date (YYYY-MM-DD)", field=name) from None


@router.post("/inspect/content", dependencies=[Depends(verify_csrf)])
def content_form(request: Request, form: FormData = Depends(form_data),
                 principal: Principal = Depends(allow("inspect.content.set")), session: Session = Depends(get_session)) -> Response:  # fmt: skip
    checks = [c for c in form.getlist("checks") if isinstance(c, str)][:200]
    return _oversight_act(request, session, principal, form, "content",
                          lambda: oversight.set_content(session, principal, checks, form_text(form, "note")))  # fmt: skip


@router.post("/inspect/notices", dependencies=[Depends(verify_csrf)])
def notice_form(request: Request, form: FormData = Depends(form_data),
                principal: Principal = Depends(allow("inspect.notice.issue")), session: Session = Depends(get_session)) -> Response:  # fmt: skip
    checks = [c for c in form.getlist("checks") if isinstance(c, str)][:200]
    units = [u for u in form.getlist("units") if isinstance(u, str)][:500]
    return _oversight_act(request, session, principal, form, "notice", lambda: oversight.issue_notice(
        session, principal, title=form_text(form, "title"), mode=form_text(form, "mode"), body=form_text(form, "body"),
        starts_on=_day(form, "starts_on"), ends_on=_day(form, "ends_on"), checks=checks or None, units=units or None,
    ))  # fmt: skip


@router.post("/inspect/interviews", dependencies=[Depends(verify_csrf)])
def interview_form(request: Request, form: FormData = Depends(form_data),
                   principal: Principal = Depends(allow("inspect.interview.record")), session: Session = Depends(get_session)) -> Response:  # fmt: skip
    ids = [
        int(i) for i in form_text(form, "finding_ids").replace("，", ",").split(",") if i.strip().isdigit()
    ][:50]
    return _oversight_act(request, session, principal, form, "interview", lambda: oversight.record_interview(
        session, principal, held_on=_day(form, "held_on"), unit_code=form_text(form, "unit_code"),
        interviewers=form_text(form, "interviewers"), interviewees=form_text(form, "interviewees"),
        subject=form_text(form, "subject"), outcome=form_text(form, "outcome"), finding_ids=ids,
    ))  # fmt: skip
