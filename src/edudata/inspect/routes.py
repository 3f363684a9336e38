"""Inspection API (Art. 61-64, 67): checks, runs in three modes, reports (JSON and PDF), findings' handling.

Every run, assignment, answer and closure is audited; reading a report is audited too (it names units' faults).
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from edudata.answers import Out
from edudata.api.deps import get_session, get_settings_dep
from edudata.api.paging import Page, PageQuery, page_of, paginate, paginate_list, paging
from edudata.api.policy import allow
from edudata.audit.service import record
from edudata.clock import today_in_china
from edudata.config import Settings
from edudata.db import commit
from edudata.identity.principal import Principal
from edudata.inspect import oversight, service
from edudata.inspect.findings import list_findings, visible_finding
from edudata.inspect.models import InspectionRun
from edudata.inspect.registry import all_checks, article_label
from edudata.inspect.report import build_report, finding_dict, render_pdf, unit_names
from edudata.inspect.responses import (
    ContentOut,
    EscalationsOut,
    FindingDetailOut,
    FindingOut,
    InterviewOut,
    NoticeOut,
    ReportOut,
)
from edudata.inspect.runs import get_run

router = APIRouter(prefix="/api/v1/inspect", tags=["inspect 检查"])


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RunIn(_Body):
    mode: Literal["daily", "special", "year_end"]
    checks: list[str] | None = Field(None, max_length=200)
    units: list[str] | None = Field(None, max_length=500)
    seed: int | None = Field(None, ge=0, le=2**31 - 1)
    title: str = Field("", max_length=200)
    notice_id: int | None = Field(None, ge=1, le=2**31 - 1)


class ContentIn(_Body):
    checks: list[str] = Field(max_length=200)
    note: str = Field("", max_length=1000)


class NoticeIn(_Body):
    title: str = Field(min_length=1, max_length=200)
    mode: Literal["special", "year_end"]
    body: str = Field(min_length=1, max_length=4000)
    starts_on: date
    ends_on: date
    checks: list[str] | None = Field(None, max_length=200)
    units: list[str] | None = Field(None, max_length=500)


class EscalateIn(_Body):
    reason: str = Field(min_length=1, max_length=4000)
    referred_to: str = Field("", max_length=200)
    reference: str = Field("", max_length=200)


class InterviewIn(_Body):
    held_on: date
    unit_code: str = Field(min_length=1, max_length=32)
    interviewers: list[str] = Field(min_length=1, max_length=30)
    interviewees: list[str] = Field(min_length=1, max_length=30)
    subject: str = Field(min_length=1, max_length=500)
    outcome: str = Field(min_length=1, max_length=4000)
    finding_ids: list[int] = Field(default_factory=list, max_length=50)


class AssignIn(_Body):
    unit_code: str | None = Field(None, max_length=32)
    deadline: str | None = Field(None, max_length=10)


class AnswerIn(_Body):
    answer: str = Field(min_length=1, max_length=4000)


class CloseIn(_Body):
    evidence: str = Field(min_length=1, max_length=4000)


def _rid(request: Request) -> str | None:
    return getattr(request.state, "request_id", None)


class CheckOut(Out):
    """A registered check: the article it enforces, its severity and scope."""

    code: str
    article: str
    article_zh: str
    title_zh: str
    title_en: str
    severity: str
    scope: str
    doc: str | None


class RunOut(Out):
    """An inspection run and its counts of new, open and resolved findings."""

    id: int
    mode: str
    status: str
    started_at: str
    started_by: str | None
    new: int | None
    open: int | None
    resolved: int | None


@router.get("/checks", response_model=Page[CheckOut])
def checks(
    page: PageQuery = Depends(paging(100, 500)), principal: Principal = Depends(allow("inspect.finding.read"))
) -> dict[str, Any]:
    """Every registered check with its article, severity and scope."""
    items = [
        {
            "code": c.code,
            "article": c.article,
            "article_zh": article_label(c.article)[0],
            "title_zh": c.title_zh,
            "title_en": c.title_en,
            "severity": c.severity,
            "scope": c.scope,
            "doc": c.doc,
        }
        for c in all_checks()
    ]
    return paginate_list(items, page)


@router.post("/runs", status_code=201, response_model=ReportOut)
def start_run(
    body: RunIn,
    request: Request,
    principal: Principal = Depends(allow("inspect.run")),
    session: Session = Depends(get_session),
    settings: Settings = Depends(get_settings_dep),
) -> dict[str, Any]:
    """Run an inspection now (office administrators): daily spot check, special check or year-end check."""
    run = service.start_run(
        session, principal, body.mode, checks=body.checks, units=body.units, seed=body.seed, title=body.title,
        settings=settings, notice_id=body.notice_id,
    )  # fmt: skip
    report = build_report(session, run, today_in_china())
    commit(session)
    return report


@router.get("/runs", response_model=Page[RunOut])
def runs(
    principal: Principal = Depends(allow("inspect.report.read")),
    session: Session = Depends(get_session),
    page: PageQuery = Depends(paging(50, 200)),
) -> dict[str, Any]:
    return paginate(
        session,
        select(InspectionRun).order_by(InspectionRun.id.desc()),
        page,
        lambda r: {
            "id": r.id,
            "mode": r.mode,
            "status": r.status,
            "started_at": r.started_at.isoformat(),
            "started_by": r.started_by,
            "new": r.new_count,
            "open": r.open_count,
            "resolved": r.resolved_count,
        },
    )


def _report(
    session: Session, principal: Principal, request: Request, run_id: int, form: str
) -> dict[str, Any]:
    run = get_run(session, run_id)
    report = build_report(session, run, today_in_china())
    record(
        session, operation="query", dataset="inspect_report", row_count=report["counts"]["current"],
        detail={"run_id": run_id, "format": form}, **service.actor_fields(principal, _rid(request)),
    )  # fmt: skip
    session.commit()
    return report


@router.get("/runs/{run_id}", response_model=ReportOut)
def report(
    run_id: int,
    request: Request,
    principal: Principal = Depends(allow("inspect.report.read")),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    """The inspection report as JSON: summary by article and unit, findings new / still open / resolved."""
    return _report(session, principal, request, run_id, "json")


@router.get(
    "/runs/{run_id}/report.pdf", response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "the report as PDF"}},
)  # fmt: skip
def report_pdf(
    run_id: int,
    request: Request,
    lang: Literal["zh", "en"] = "zh",
    principal: Principal = Depends(allow("inspect.report.read")),
    session: Session = Depends(get_session),
) -> Response:
    """The inspection report as PDF (Chinese first; ``lang=en`` for English)."""
    from edudata.inspect.pages import report_html

    data = _report(session, principal, request, run_id, "pdf")
    pdf = render_pdf(report_html(data, lang, request.app.state.settings.school_name))
    return Response(
        pdf, media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="inspection-{run_id}.pdf"'},
    )  # fmt: skip


@router.get("/findings", response_model=Page[FindingOut])
def findings(
    principal: Principal = Depends(allow("inspect.finding.read")),
    session: Session = Depends(get_session),
    status: Literal["open", "assigned", "answered", "closed"] | None = None,
    article: str | None = Query(None, max_length=32),
    unit: str | None = Query(None, max_length=32),
    check: str | None = Query(None, max_length=64),
    include_resolved: bool = False,
    page: PageQuery = Depends(paging(50, 500)),
) -> dict[str, Any]:
    """Findings (a unit sees its own): filter by status, article, unit or check; paged."""
    rows, total = list_findings(
        session, principal=principal, status=status, article=article, unit_code=unit, check_code=check,
        current=not include_resolved, limit=page.limit, offset=page.offset,
    )  # fmt: skip
    today = today_in_china()
    names = unit_names(session)
    return page_of([finding_dict(f, today, names) for f in rows], total, page)


@router.get("/findings/{finding_id}", response_model=FindingDetailOut)
def finding(
    finding_id: int,
    principal: Principal = Depends(allow("inspect.finding.read")),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    return {
        **finding_dict(
            visible_finding(session, principal, finding_id), today_in_china(), unit_names(session)
        ),
        "escalations": oversight.escalations_of(session, finding_id),
        "interviews": oversight.interviews(session, finding_id),
    }


@router.post("/findings/{finding_id}/assign", response_model=FindingOut)
def assign(
    finding_id: int, body: AssignIn, principal: Principal = Depends(allow("inspect.finding.assign")),
    session: Session = Depends(get_session),
) -> dict[str, Any]:  # fmt: skip
    """Assign to the responsible unit with a deadline (office administrators)."""
    f = service.assign(
        session, principal, visible_finding(session, principal, finding_id), body.unit_code, body.deadline
    )
    commit(session)
    return finding_dict(f, today_in_china())


@router.post("/findings/{finding_id}/answer", response_model=FindingOut)
def answer(
    finding_id: int, body: AnswerIn, principal: Principal = Depends(allow("inspect.finding.answer")),
    session: Session = Depends(get_session),
) -> dict[str, Any]:  # fmt: skip
    """The responsible unit's answer (what was corrected)."""
    f = service.answer(session, principal, visible_finding(session, principal, finding_id), body.answer)
    commit(session)
    return finding_dict(f, today_in_china())


@router.post("/findings/{finding_id}/close", response_model=FindingOut)
def close(
    finding_id: int, body: CloseIn, principal: Principal = Depends(allow("inspect.finding.assign")),
    session: Session = Depends(get_session),
) -> dict[str, Any]:  # fmt: skip
    """Close with evidence of correction (office administrators)."""
    f = service.close(session, principal, visible_finding(session, principal, finding_id), body.evidence)
    commit(session)
    return finding_dict(f, today_in_china())


# ---- the leadership group's content and notices (Art. 61), escalation (Art. 64), interviews (Art. 67)


@router.get("/content", response_model=ContentOut)
def content(
    principal: Principal = Depends(allow("inspect.report.read")), session: Session = Depends(get_session)
) -> dict[str, Any]:
    """The inspection content in force: every check, whether it is in, and whether it is statutory."""
    return oversight.content_dict(session)


@router.put("/content", response_model=ContentOut)
def set_content(
    body: ContentIn,
    principal: Principal = Depends(allow("inspect.content.set")),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    """The leadership group sets which checks inspections run; statutory checks cannot be left out."""
    oversight.set_content(session, principal, body.checks, body.note)
    commit(session)
    return oversight.content_dict(session)


@router.get("/notices", response_model=Page[NoticeOut])
def notices(
    page: PageQuery = Depends(paging(50, 500)),
    principal: Principal = Depends(allow("inspect.report.read")),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    """The leadership group's inspection notices, newest first."""
    return paginate_list(oversight.notices(session), page, oversight.notice_dict)


@router.post("/notices", status_code=201, response_model=NoticeOut)
def issue_notice(
    body: NoticeIn,
    principal: Principal = Depends(allow("inspect.notice.issue")),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    """The leadership group issues an inspection notice (检查通知); the office's run carries it out."""
    notice = oversight.issue_notice(
        session, principal, title=body.title, mode=body.mode, body=body.body, starts_on=body.starts_on,
        ends_on=body.ends_on, checks=body.checks, units=body.units,
    )  # fmt: skip
    commit(session)
    return oversight.notice_dict(notice)


@router.post("/findings/{finding_id}/escalate", status_code=201, response_model=EscalationsOut)
def escalate(
    finding_id: int,
    body: EscalateIn,
    principal: Principal = Depends(allow("inspect.finding.escalate")),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    """Pass a finding to 纪检监察 (Art. 64) with the reason and the reference, on record."""
    oversight.escalate(
        session,
        principal,
        finding_id,
        reason=body.reason,
        referred_to=body.referred_to,
        reference=body.reference,
    )
    commit(session)
    return {"finding_id": finding_id, "escalations": oversight.escalations_of(session, finding_id)}


@router.get("/interviews", response_model=Page[InterviewOut])
def interviews(
    page: PageQuery = Depends(paging(50, 500)),
    principal: Principal = Depends(allow("inspect.report.read")),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    """Interviews (约谈), the latest first."""
    return paginate_list(oversight.interviews(session), page)


@router.post("/interviews", status_code=201, response_model=InterviewOut)
def record_interview(
    body: InterviewIn,
    principal: Principal = Depends(allow("inspect.interview.record")),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    """Record an interview (约谈, Art. 67): date, unit, people on both sides, findings, outcome."""
    row = oversight.record_interview(
        session, principal, held_on=body.held_on, unit_code=body.unit_code, interviewers=body.interviewers,
        interviewees=body.interviewees, subject=body.subject, outcome=body.outcome, finding_ids=body.finding_ids,
    )  # fmt: skip
    commit(session)
    return next(i for i in oversight.interviews(session) if i["id"] == row.id)
