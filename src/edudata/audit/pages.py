"""The audit log page (/audit) for auditors: filters, results and the chain's status (Art. 30, 59).

Same rules as the API: auditors only (separation of duties), and every view is itself recorded.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
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
from edudata.audit.models import AuditRecord
from edudata.audit.routes import WHEN, actor, parse_when, retention_status
from edudata.audit.search import AuditQuery, as_dict, matching
from edudata.audit.sequencer import sequence_all
from edudata.audit.service import record
from edudata.audit.verify import verify_log as verify_chain
from edudata.clock import CHINA
from edudata.config import Settings
from edudata.identity.principal import Principal
from edudata.web.lists import listing
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
    from edudata.org.models import Account, Unit
    from edudata.web.labels import AUDIT_OPERATION

    units = session.execute(select(Unit.code, Unit.name, Unit.name_en).order_by(Unit.code)).all()
    datasets = session.execute(
        select(Dataset.code, Dataset.name, Dataset.name_en).order_by(Dataset.code)
    ).all()
    people = session.execute(
        select(Account.username, Account.display_name).order_by(Account.display_name, Account.username)
    ).all()
    return {
        "account_options": [(u, n or u) for u, n in people],
        "unit_options": [(c, n, e or n) for c, n, e in units],
        "dataset_options": [(c, n, e or n) for c, n, e in datasets],
        "operation_labels": sorted(AUDIT_OPERATION.items(), key=lambda kv: kv[1][0]),
    }


def _day_range(since: str | None, until: str | None) -> tuple[datetime | None, datetime | None]:
    """The date pickers' days as instants in Beijing time, the one time zone the pages show: from the start of
    ``since`` to the end of ``until`` (a whole day each); an instant is taken as it is."""
    start, end = parse_when(since, "since"), parse_when(until, "until")
    if isinstance(start, date) and not isinstance(start, datetime):
        start = datetime.combine(start, time.min, tzinfo=CHINA).astimezone(UTC)
    if isinstance(end, date) and not isinstance(end, datetime):
        end = datetime.combine(end + timedelta(days=1), time.min, tzinfo=CHINA).astimezone(UTC)
        end -= timedelta(microseconds=1)
    return start, end


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
    verify: bool = False,
) -> Response:
    """The log filtered by pickers (account, unit, dataset, operation, result, Beijing days), sorted by a column
    and paged on the server (``edudata.web.lists``); the search itself is recorded (Art. 30)."""
    filters = {"account": account, "unit": unit, "dataset": dataset, "operation": operation, "result": result}
    filters = {k: v for k, v in filters.items() if v}
    start, end = _day_range(since, until)
    query = AuditQuery(**filters, since=start, until=end)
    params = dict(request.query_params)
    if "page_size" in params and "size" not in params:  # the page's older address for the page size
        params["size"] = params["page_size"]
    kept = {**filters, **({"since": since} if since else {}), **({"until": until} if until else {})}
    found = listing(
        session, matching(query), params,
        sorts={"seq": AuditRecord.seq, "at": AuditRecord.at, "account": AuditRecord.username,
               "unit": AuditRecord.unit_code, "operation": AuditRecord.operation, "result": AuditRecord.result},
        default_sort="seq", default_desc=True, tiebreak=AuditRecord.seq, filters=kept, region="records-region",
        default_size=50, view=as_dict,
    )  # fmt: skip
    if verify:  # integrate and sign what is pending, so the answer covers every committed record
        sequence_all(request.app.state.db, settings, checkpoint=True)
    verified = verify_chain(session, settings) if verify else None
    who = actor(principal, request)
    record(
        session,
        operation="query",
        dataset="audit_record",
        filter=query.describe(),
        row_count=len(found.items),
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
    return render(
        request,
        "audit/records.html",
        {
            "q": query,
            "records": found.items,
            "list": found,
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
        fragment="audit/_records.html",
    )


from edudata.audit import trace_routes  # noqa: E402 - the access-trace page (行为追溯)

router.include_router(trace_routes.pages)
