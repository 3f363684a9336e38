"""Audit log API for the auditor role only (审计员; Art. 30 安全审计的权限分离): search, verification, proofs.

The office administrator may not read the log unless also an auditor; a refused attempt is recorded by the audit hooks.
Every search and verification is itself recorded, in the reader's own transaction.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from edudata.api.deps import get_session, get_settings_dep
from edudata.api.paging import Page, PageQuery, keyset_page, paging
from edudata.api.policy import allow
from edudata.audit import proofs
from edudata.audit.checkpoints import latest_checkpoint, log_vkey
from edudata.audit.models import AuditCosignature, AuditEpoch
from edudata.audit.redact import value_hash
from edudata.audit.responses import (
    CheckpointOut,
    ConsistencyProofOut,
    InclusionProofOut,
    RetentionOut,
    VerifyOut,
)
from edudata.audit.retention import RETENTION_MONTHS, latest_cutoff
from edudata.audit.search import MAX_PAGE_SIZE, AuditQuery, as_dict, search
from edudata.audit.sequencer import sequence_all
from edudata.audit.service import record
from edudata.audit.verify import verify_log
from edudata.clock import today_in_china
from edudata.config import Settings
from edudata.crypto.keys import KeyManager
from edudata.errors import ValidationFailed
from edudata.identity.principal import Principal

router = APIRouter(prefix="/api/v1/audit", tags=["audit 审计"])
Auditor = Annotated[Principal, Depends(allow("audit.log.read"))]
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


class AuditRecordOut(BaseModel):
    """One audit record as the API shows it (Art. 59: who, when, what, on which data, with what result)."""

    seq: int | None
    at: str = Field(description="UTC, ISO 8601 (…Z)")
    account_id: int | None
    username: str | None
    unit_code: str | None
    source_ip: str | None
    operation: str
    dataset: str | None
    elements: Any
    row_count: int | None
    filter: Any
    result: str
    request_id: str | None
    detail: Any
    position: int | None
    leaf_hash: str | None


@router.get("/records", response_model=Page[AuditRecordOut])
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
    page: PageQuery = Depends(paging(50, MAX_PAGE_SIZE)),
    value: str | None = Query(
        None,
        max_length=200,
        description="筛选条件中用过的值（如身份证件号），按其密钥哈希查找 / a value used in filters, matched by its keyed hash",
    ),
    settings: Settings = Depends(get_settings_dep),
) -> dict[str, Any]:
    """Search the audit log, newest first (auditor only; the search is itself recorded).

    ``value`` answers "who queried this person" (Art. 30, 59): the log keeps filter values as keyed hashes only
    (docs/audit.md), so the value is hashed here and the hash searched; the value itself is not recorded."""
    mentions = value_hash(KeyManager(session, settings), value) if value else None
    query = AuditQuery(
        account,
        unit,
        dataset,
        operation,
        result,
        parse_when(since, "since"),
        parse_when(until, "until"),
        1,
        page.limit + 1,  # one more than served: whether a next page exists
        mentions,
        before=page.key(),  # the last seq served (newest first)
    )
    rows, total = search(session, query)
    items = [as_dict(r) for r in rows]
    record(
        session,
        operation="query",
        dataset="audit_record",
        filter=query.describe(),
        row_count=min(len(items), page.limit),
        **actor(principal, request),
    )
    session.commit()
    return keyset_page(items, total, page, lambda item: item["seq"])


def _epochs(session: Session) -> list[dict[str, Any]]:
    rows = session.query(AuditEpoch).order_by(AuditEpoch.epoch).all()
    return [
        {
            "epoch": e.epoch,
            "base": e.base,
            "started_at": e.started_at.isoformat(),
            "gap_from": e.gap_from,
            "gap_to": e.gap_to,
            "lost": None if e.gap_from is None else e.gap_to - e.gap_from,
            "witness": e.witness,
            "evidence": e.evidence if e.gap_from is not None else None,
        }
        for e in rows
    ]


@router.get("/verify", response_model=VerifyOut)
def verify(
    principal: Auditor,
    request: Request,
    session: Session = Depends(get_session),
    settings: Settings = Depends(get_settings_dep),
) -> dict[str, Any]:
    """Verify every leaf, the tree and every signed checkpoint (auditor only; recorded). Rollbacks found against a
    witness are listed under ``gaps``. What is pending is integrated and signed first: the answer covers every
    record committed before the request."""
    sequence_all(request.app.state.db, settings, checkpoint=True)
    result = verify_log(session, settings)
    checkpoint = latest_checkpoint(session)
    record(
        session,
        operation="audit_verify",
        row_count=result.checked,
        detail={"intact": result.ok, "first_bad_seq": result.first_bad_seq, "gaps": len(result.gaps)},
        **actor(principal, request),
    )
    session.commit()
    return {
        "ok": result.ok,
        "checked": result.checked,
        "head_seq": result.head_seq,
        "first_bad_seq": result.first_bad_seq,
        "record_seq": result.record_seq,
        "reason_zh": result.reason_zh,
        "reason_en": result.reason_en,
        "checkpoints": result.checkpoints,
        "pending": result.pending,
        "epoch": result.epoch,
        "gaps": [
            {
                "epoch": g.epoch,
                "gap_from": g.gap_from,
                "gap_to": g.gap_to,
                "witness": g.witness,
                "found_at": g.started_at,
            }
            for g in result.gaps
        ],
        "latest_checkpoint": None
        if checkpoint is None
        else {
            "epoch": checkpoint.epoch,
            "size": checkpoint.size,
            "seq": checkpoint.seq,
            "signed_at": checkpoint.signed_at.isoformat(),
            "key_id": checkpoint.key_id,
            "note": checkpoint.note,
        },
    }


@router.get("/checkpoint", response_model=CheckpointOut)
def checkpoint(
    principal: Auditor,
    session: Session = Depends(get_session),
    settings: Settings = Depends(get_settings_dep),
) -> dict[str, Any]:
    """The latest signed checkpoint (C2SP note), its witnesses' cosignatures, the log's key and the epochs."""
    cp = latest_checkpoint(session)
    lines = []
    if cp is not None:
        lines = [
            c.line
            for c in session.query(AuditCosignature)
            .filter_by(epoch=cp.epoch, size=cp.size)
            .order_by(AuditCosignature.witness)
        ]
    return {
        "log_key": log_vkey(settings),
        "note": None if cp is None else cp.note + "".join(lines),
        "epoch": None if cp is None else cp.epoch,
        "size": None if cp is None else cp.size,
        "epochs": _epochs(session),
    }


@router.get("/proofs/inclusion/{seq}", response_model=InclusionProofOut)
def inclusion_proof(
    seq: int,
    principal: Auditor,
    request: Request,
    session: Session = Depends(get_session),
    size: int | None = Query(None, ge=1),
) -> dict[str, Any]:
    """Proof that record ``seq`` is in the log of a signed size (latest unless ``size``); recorded."""
    proof = proofs.inclusion(session, seq, size)
    record(
        session,
        operation="audit_proof",
        filter=f"seq={seq}",
        detail={"kind": "inclusion"},
        **actor(principal, request),
    )
    session.commit()
    return proof


@router.get("/proofs/consistency", response_model=ConsistencyProofOut)
def consistency_proof(
    principal: Auditor,
    request: Request,
    session: Session = Depends(get_session),
    old: int = Query(..., ge=0),
    new: int | None = Query(None, ge=1),
    epoch: int | None = Query(None, ge=1),
) -> dict[str, Any]:
    """Proof that the tree of size ``old`` is a prefix of the one of ``new`` (both signed); recorded."""
    proof = proofs.consistency(session, old, new, epoch)
    record(
        session,
        operation="audit_proof",
        filter=f"old={old} new={new}",
        detail={"kind": "consistency"},
        **actor(principal, request),
    )
    session.commit()
    return proof


def retention_status() -> dict[str, Any]:
    """Art. 30's rule as it stands today: six calendar months in Beijing time, the latest cut-off a purge may name."""
    return {
        "today": today_in_china().isoformat(),
        "months": RETENTION_MONTHS,
        "timezone": "Asia/Shanghai",
        "latest_cutoff": latest_cutoff().isoformat(),
        "rule_zh": "审计日志保留不少于六个自然月（北京时间）；只能清理截止日之前的记录（第三十条）",
        "rule_en": "audit logs are kept at least six calendar months (Beijing time); only records before the "
        "cut-off may be purged (Art. 30)",
    }


@router.get("/retention", response_model=RetentionOut)
def retention(principal: Auditor) -> dict[str, Any]:
    """Today's retention boundary (Art. 30): a purge naming a later cut-off than ``latest_cutoff`` is refused."""
    return retention_status()


from edudata.audit import trace_routes  # noqa: E402 - its routes join this router (行为追溯)

router.include_router(trace_routes.router)
