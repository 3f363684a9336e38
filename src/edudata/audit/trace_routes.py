"""``POST /api/v1/audit/access-trace`` and the page ``/audit/access-trace`` (行为追溯, Art. 30, 59): who read a
person's, a dataset's or one record's data in a date range, through what, who could have, with inclusion proofs (auditor only;
every trace is itself recorded, with the person's keyed hash, never the number).

A POST (not a GET): the person's number travels in the body, so it never lands in an access log or a browser's
history."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from edudata.api.deps import get_session, get_settings_dep
from edudata.api.policy import allow
from edudata.audit.access_trace import TraceQuery, trace
from edudata.audit.redact import value_hash
from edudata.audit.responses import TraceOut
from edudata.audit.routes import actor
from edudata.audit.sequencer import sequence_all
from edudata.audit.service import record
from edudata.clock import today_in_china
from edudata.config import Settings
from edudata.crypto.keys import KeyManager
from edudata.errors import ValidationFailed
from edudata.identity.principal import Principal
from edudata.web.templating import render

router = APIRouter()  # included under /api/v1/audit by edudata.audit.routes
pages = APIRouter(include_in_schema=False)
MAX_DAYS = 3660


class TraceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    since: date
    until: date
    dataset: str | None = Field(None, max_length=64, pattern=r"^[A-Za-z0-9_]+$")
    person: str | None = Field(
        None, max_length=200, description="身份证件号、学号等 / an ID number, student number …"
    )
    row_id: int | None = Field(
        None, ge=1, le=2**63 - 1, description="数据集中一条记录的编号 / one record of the dataset (its id)"
    )


def run_trace(
    request: Request, session: Session, settings: Settings, principal: Principal, body: TraceIn
) -> dict[str, Any]:
    if body.until < body.since or (body.until - body.since) > timedelta(days=MAX_DAYS):
        raise ValidationFailed(
            "日期范围不合法（截止日期不早于起始日期，至多十年）",
            "invalid date range (until on or after since, at most ten years)",
            field="until",
        )
    if not body.dataset and not (body.person or "").strip():
        raise ValidationFailed(
            "请指定数据集或个人（证件号、学号等）",
            "name a dataset or a person (ID or student number)",
            field="dataset",
        )
    if body.row_id is not None and not body.dataset:
        raise ValidationFailed(
            "追溯一条记录时须指定其数据集",
            "a record is traced within its dataset: name the dataset",
            field="dataset",
        )
    person = (body.person or "").strip()
    hashed = value_hash(KeyManager(session, settings), person) if person else None
    query = TraceQuery(body.since, body.until, body.dataset or None, hashed, body.row_id)
    # Integrate and sign what is pending, so every read in the answer has its proof.
    sequence_all(request.app.state.db, settings, checkpoint=True)
    answer = trace(session, query)
    record(session, operation="query", dataset="audit_record", filter=query.describe(),
           row_count=len(answer["reads"]), **actor(principal, request))  # fmt: skip
    session.commit()
    return answer


@router.post("/access-trace", response_model=TraceOut)
def access_trace(
    body: TraceIn,
    request: Request,
    principal: Principal = Depends(allow("audit.access_trace.read")),
    session: Session = Depends(get_session),
    settings: Settings = Depends(get_settings_dep),
) -> dict[str, Any]:
    """Who read, and who could have read, a person's or a dataset's data between two days (Art. 30, 59)."""
    return run_trace(request, session, settings, principal, body)


@pages.get("/audit/access-trace")
def trace_form(
    request: Request, principal: Principal = Depends(allow("audit.access_trace.read"))
) -> Response:
    today = today_in_china()
    return render(request, "audit/access_trace.html",
                  {"answer": None, "since": (today - timedelta(days=30)).isoformat(), "until": today.isoformat(),
                   "dataset": "", "row_id": ""})  # fmt: skip


@pages.post("/audit/access-trace")
def trace_page(
    request: Request,
    since: date = Form(...),
    until: date = Form(...),
    dataset: str = Form("", max_length=64),
    person: str = Form("", max_length=200),
    row_id: str = Form("", max_length=20),
    principal: Principal = Depends(allow("audit.access_trace.read")),
    session: Session = Depends(get_session),
    settings: Settings = Depends(get_settings_dep),
) -> Response:
    row = row_id.strip()
    if row and not (row.isdigit() and 1 <= int(row) < 2**63):
        raise ValidationFailed(
            "记录编号须为正整数", "the record id must be a positive whole number", field="row_id"
        )
    body = TraceIn(since=since, until=until, dataset=dataset or None, person=person or None,
                   row_id=int(row) if row else None)  # fmt: skip
    answer = run_trace(request, session, settings, principal, body)
    return render(request, "audit/access_trace.html",
                  {"answer": answer, "since": since.isoformat(), "until": until.isoformat(), "dataset": dataset,
                   "row_id": row})  # fmt: skip
