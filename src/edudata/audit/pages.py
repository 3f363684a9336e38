"""The audit log page (/audit) for auditors: filters, results and the chain's status (Art. 30, 59).

Same rules as the API: auditors only (separation of duties), and every view is itself recorded.
"""

from __future__ import annotations

import math
from typing import Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from edudata.api.deps import get_session, get_settings_dep
from edudata.api.policy import allow
from edudata.audit.checkpoints import latest_checkpoint
from edudata.audit.head import read_head
from edudata.audit.routes import WHEN, actor, parse_when, retention_status
from edudata.audit.search import MAX_PAGE_SIZE, AuditQuery, as_dict, search
from edudata.audit.sequencer import sequence_all
from edudata.audit.service import record
from edudata.audit.verify import verify_log as verify_chain
from edudata.config import Settings
from edudata.identity.principal import Principal
from edudata.web.templating import render

router = APIRouter(include_in_schema=False)

RESULT_LABELS = [
    ("success", "成功", "success"),
    ("denied", "拒绝", "denied"),
    ("failed", "失败", "failed"),
    ("error", "错误", "error"),
]


def _pickers(session: Session) -> dict:
    """The filters' choices: units, datasets and operations by name (a picker, not free text)."""
    from edudata.catalog.models import Dataset
    from edudata.org.models import Unit
    from edudata.web.labels import AUDIT_OPERATION

    units = session.execute(select(Unit.code, Unit.name, Unit.name_en).order_by(Unit.code)).all()
    datasets = session.execute(
        select(Dataset.code, Dataset.name, Dataset.name_en).order_by(Dataset.code)
    ).all()
    return {
        "unit_options": [(c, n, e or n) for c, n, e in units],
        "dataset_options": [(c, n, e or n) for c, n, e in datasets],
        "operation_labels": sorted(AUDIT_OPERATION.items(), key=lambda kv: kv[1][0]),
    }


@router.get("/audit")
def audit_page(
    request: Request,
    principal: Principal = Depends(allow("audit.log.read")),
    session: Session = Depends(get_session),
    settings: Settings = Depends(get_settings_dep),
    account: str | None = Query(None, max_length=150),
    unit: str | None = Query(None, max_length=32),
    dataset: str | None = Query(None, max_length=200),
    operation: str | None = Query(None, max_length=64),
    result: Literal["success", "denied", "failed", "error", ""] | None = None,
    since: str | None = Query(None, pattern=WHEN + "|^$"),
    until: str | None = Query(None, pattern=WHEN + "|^$"),
    page: int = Query(1, ge=1, le=1_000_000),
    page_size: int = Query(50, ge=1, le=MAX_PAGE_SIZE),
    verify: bool = False,
) -> Response:
    filters = {"account": account, "unit": unit, "dataset": dataset, "operation": operation, "result": result}
    filters = {k: v for k, v in filters.items() if v}
    query = AuditQuery(
        **filters,
        since=parse_when(since, "since"),
        until=parse_when(until, "until"),
        page=page,
        page_size=page_size,
    )
    rows, total = search(session, query)
    if verify:  # integrate and sign what is pending, so the answer covers every committed record
        sequence_all(request.app.state.db, settings, checkpoint=True)
    verified = verify_chain(session, settings) if verify else None
    who = actor(principal, request)
    record(
        session,
        operation="query",
        dataset="audit_record",
        filter=query.describe(),
        row_count=len(rows),
        **who,
    )
    if verified is not None:
        record(
            session,
            operation="audit_verify",
            row_count=verified.checked,
            detail={"intact": verified.ok, "first_bad_seq": verified.first_bad_seq},
            **who,
        )
    session.commit()
    kept = {**filters, **({"since": since} if since else {}), **({"until": until} if until else {})}
    return render(
        request,
        "audit/records.html",
        {
            "q": query,
            "records": [as_dict(r) for r in rows],
            "total": total,
            "pages": max(1, math.ceil(total / page_size)),
            "head": read_head(session),
            "checkpoint": latest_checkpoint(session),
            "verified": verified,
            "results": RESULT_LABELS,
            **_pickers(session),
            "since": since,
            "until": until,
            "query_string": urlencode(kept),
            "retention": retention_status(),
        },
    )


from edudata.audit import trace_routes  # noqa: E402 - the access-trace page (行为追溯)

router.include_router(trace_routes.pages)
