"""Audit log API for the auditor role only (审计员; Art. 30 安全审计的权限分离): search and chain verification.

``office_admin`` may not read the log unless also an auditor; a refused attempt is recorded by the audit hooks.
Every search and verification is itself recorded, in the reader's own transaction.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.orm import Session

from edudata.api.deps import get_session, get_settings_dep
from edudata.audit.checkpoints import latest_checkpoint
from edudata.audit.search import MAX_PAGE_SIZE, AuditQuery, as_dict, search
from edudata.audit.service import record
from edudata.audit.verify import verify_chain
from edudata.config import Settings
from edudata.errors import ValidationFailed
from edudata.identity.deps import require_roles
from edudata.identity.principal import Principal

router = APIRouter(prefix="/api/v1/audit", tags=["audit 审计"])
Auditor = Annotated[Principal, Depends(require_roles("auditor"))]
WHEN = r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?)?$"


def parse_when(value: str | None, name: str) -> date | datetime | None:
    """A day (``2025-03-01``, the whole day) or an instant (``2025-03-01T08:30:00+08:00``; naive means UTC)."""
    if not value:
        return None
    try:
        return date.fromisoformat(value) if len(value) == 10 else datetime.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(
            f"{name}：日期或时间不合法", f"{name}: not a valid date or time", field=name
        ) from None


def actor(principal: Principal, request: Request) -> dict[str, Any]:
    """The audit fields naming who is reading."""
    return {
        "account_id": principal.account_id,
        "username": principal.username,
        "unit_code": principal.unit_code,
        "source_ip": principal.source_ip,
        "request_id": getattr(request.state, "request_id", None),
    }


@router.get("/records")
def list_records(
    principal: Auditor,
    request: Request,
    session: Session = Depends(get_session),
    account: str | None = Query(None, max_length=150, description="用户名或账户号 / username or account id"),
    unit: str | None = Query(None, max_length=32, description="单位代码 / unit code"),
    dataset: str | None = Query(None, max_length=200),
    operation: str | None = Query(None, max_length=64, pattern=r"^[a-z][a-z0-9_]*$"),
    result: Literal["success", "denied", "failed", "error"] | None = None,
    since: str | None = Query(None, pattern=WHEN, description="含 / inclusive; YYYY-MM-DD or ISO 8601"),
    until: str | None = Query(None, pattern=WHEN, description="含当日 / a date includes that day"),
    page: int = Query(1, ge=1, le=1_000_000),
    page_size: int = Query(50, ge=1, le=MAX_PAGE_SIZE),
) -> dict[str, Any]:
    """Search the audit log, newest first (auditor only; the search is itself recorded)."""
    query = AuditQuery(
        account,
        unit,
        dataset,
        operation,
        result,
        parse_when(since, "since"),
        parse_when(until, "until"),
        page,
        page_size,
    )
    rows, total = search(session, query)
    items = [as_dict(r) for r in rows]
    record(
        session,
        operation="query",
        dataset="audit_record",
        filter=query.describe(),
        row_count=len(items),
        **actor(principal, request),
    )
    session.commit()
    return {"items": items, "page": page, "page_size": page_size, "total": total}


@router.get("/verify")
def verify(
    principal: Auditor,
    request: Request,
    session: Session = Depends(get_session),
    settings: Settings = Depends(get_settings_dep),
) -> dict[str, Any]:
    """Verify the whole chain and its signed checkpoints (auditor only; recorded)."""
    result = verify_chain(session, settings)
    checkpoint = latest_checkpoint(session)
    record(
        session,
        operation="audit_verify",
        row_count=result.checked,
        detail={"intact": result.ok, "first_bad_seq": result.first_bad_seq},
        **actor(principal, request),
    )
    session.commit()
    return {
        "ok": result.ok,
        "checked": result.checked,
        "head_seq": result.head_seq,
        "first_bad_seq": result.first_bad_seq,
        "reason_zh": result.reason_zh,
        "reason_en": result.reason_en,
        "checkpoints": result.checkpoints,
        "latest_checkpoint": None
        if checkpoint is None
        else {
            "seq": checkpoint.seq,
            "signed_at": checkpoint.signed_at.isoformat(),
            "key_id": checkpoint.key_id,
        },
    }
