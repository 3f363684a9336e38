"""Use cases of state-secret data (Art. 57): mark and lift (定密、解密), register and approve each handling.

Marking revokes the active grants that cover the marked data, so nothing already shared keeps flowing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from edudata.access.grants import revoke_grant
from edudata.access.models import AccessGrant
from edudata.audit.service import record
from edudata.catalog.models import DataElement, Dataset
from edudata.clock import utcnow
from edudata.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from edudata.identity.principal import Principal
from edudata.policy import require
from edudata.secrecy.models import SecretMarking, SecretRegisterEntry

KINDS = {
    "make": ("制作", "making"),
    "copy": ("拷贝", "copying"),
    "transmit": ("传输", "transmission"),
    "destroy": ("销毁", "destruction"),
    "provide": ("对外提供", "provision outside the school"),
}


def _audit(session: Session, who: Principal, operation: str, dataset: str, **detail: Any) -> None:
    record(
        session,
        operation=operation,
        dataset=dataset,
        account_id=who.account_id,
        username=who.username,
        unit_code=who.unit_code,
        source_ip=who.source_ip,
        detail=detail,
    )


def _text(values: Mapping[str, Any], name: str, zh: str, en: str, limit: int, required: bool = True) -> str:
    value = str(values.get(name) or "").strip()
    if required and not value:
        raise ValidationFailed(f"须填写{zh}", f"{en} is required", field=name)
    if len(value) > limit:
        raise ValidationFailed(
            f"{zh}过长（至多 {limit} 字）", f"{en}: at most {limit} characters", field=name
        )
    return value


def _target(session: Session, values: Mapping[str, Any]) -> tuple[str, str]:
    code = _text(values, "dataset_code", "数据集", "dataset", 48)
    dataset = session.scalar(select(Dataset).where(Dataset.code == code))
    if dataset is None:
        raise NotFound(f"数据集 {code} 不存在", f"dataset {code} does not exist", field="dataset_code")
    element = _text(values, "element_code", "数据项", "element", 32, required=False)
    if element and not session.scalar(
        select(DataElement.id).where(DataElement.dataset_id == dataset.id, DataElement.code == element)
    ):
        raise NotFound(f"数据项 {element} 不存在", f"element {element} does not exist", field="element_code")
    return code, element


def mark(session: Session, who: Principal, values: Mapping[str, Any]) -> SecretMarking:
    """Mark a dataset or element 涉密 (Art. 57); the grants covering it are revoked in the same transaction."""
    require(who, "secrecy.marking.edit")
    code, element = _target(session, values)
    basis = _text(values, "basis", "定密依据", "basis", 2000)
    row = session.scalar(
        select(SecretMarking).where(SecretMarking.dataset_code == code, SecretMarking.element_code == element)
    )
    if row is not None and row.lifted_at is None:
        raise Conflict("已标记为涉密", "already marked as a state secret", field="element_code")
    row = row or SecretMarking(dataset_code=code, element_code=element)
    row.basis, row.marked_by, row.marked_at, row.lifted_by, row.lifted_at = (
        basis,
        who.username,
        utcnow(),
        None,
        None,
    )
    session.add(row)
    revoked = []
    for grant in session.scalars(
        select(AccessGrant).where(AccessGrant.dataset_code == code, AccessGrant.revoked_at.is_(None))
    ):
        if not element or element in (grant.elements or []):
            revoke_grant(session, grant.id, by=who.username, reason="涉密标记 / marked as a state secret")
            revoked.append(grant.id)
    session.flush()
    _audit(session, who, "secret_mark", code, element=element, revoked_grants=revoked)
    return row


def lift(session: Session, who: Principal, marking_id: int) -> SecretMarking:
    """Lift a marking (解密), recorded; data goes out again only through the ordinary reviews."""
    require(who, "secrecy.marking.edit")
    row = session.get(SecretMarking, marking_id)
    if row is None or row.lifted_at is not None:
        raise NotFound(f"涉密标记 {marking_id} 不存在或已解除", f"marking {marking_id} not found or lifted")
    row.lifted_by, row.lifted_at = who.username, utcnow()
    session.flush()
    _audit(session, who, "secret_lift", row.dataset_code, element=row.element_code)
    return row


def request_entry(session: Session, who: Principal, values: Mapping[str, Any]) -> SecretRegisterEntry:
    """Enter a handling of secret data in the register, pending the office's approval (Art. 57)."""
    require(who, "secrecy.register.request")
    code, element = _target(session, values)
    kind = str(values.get("kind") or "")
    if kind not in KINDS:
        raise ValidationFailed("环节不明", f"kind must be one of {', '.join(KINDS)}", field="kind")
    external = kind == "provide" or bool(values.get("external"))
    entry = SecretRegisterEntry(
        dataset_code=code,
        element_code=element,
        kind=kind,
        description=_text(
            values, "description", "类别、范围、载体与用途", "category, scope, carrier and use", 4000
        ),
        recipient=_text(
            values, "recipient", "接收方", "recipient", 200, required=kind in ("transmit", "provide")
        ),
        external=external,
        authority_approval=_text(
            values,
            "authority_approval",
            "主管部门批准文号",
            "the competent authority's approval",
            200,
            required=external,
        ),
        agreement_ref=_text(
            values,
            "agreement_ref",
            "与用户签订的保密协议编号",
            "the secrecy agreement signed with the user",
            200,
            required=external,
        ),
        requested_by=who.username,
    )
    session.add(entry)
    session.flush()
    _audit(session, who, "secret_register", code, entry=entry.id, kind=kind, external=external)
    return entry


def decide(
    session: Session, who: Principal, entry_id: int, approve: bool, note: str = ""
) -> SecretRegisterEntry:
    """Approve or reject a register entry; never by the person who entered it (审核与制作分离)."""
    require(who, "secrecy.register.approve")
    entry = session.get(SecretRegisterEntry, entry_id, with_for_update=True)
    if entry is None:
        raise NotFound(f"台账记录 {entry_id} 不存在", f"register entry {entry_id} does not exist")
    if entry.status != "pending":
        raise Conflict("该记录已审批", "this entry has already been decided")
    if entry.requested_by == who.username:
        raise PermissionDenied("登记人不能审批自己的登记", "the person who entered it cannot approve it")
    if not approve and not note.strip():
        raise ValidationFailed("驳回须说明理由", "a rejection states its reason", field="note")
    entry.status = "approved" if approve else "rejected"
    entry.decided_by, entry.decided_at, entry.decision_note = who.username, utcnow(), note.strip()[:2000]
    session.flush()
    _audit(session, who, "secret_register_decide", entry.dataset_code, entry=entry.id, status=entry.status)
    return entry


def markings(session: Session, include_lifted: bool = False) -> list[SecretMarking]:
    stmt = select(SecretMarking).order_by(SecretMarking.dataset_code, SecretMarking.element_code)
    if not include_lifted:
        stmt = stmt.where(SecretMarking.lifted_at.is_(None))
    return list(session.scalars(stmt))


def register(session: Session) -> list[SecretRegisterEntry]:
    return list(session.scalars(select(SecretRegisterEntry).order_by(SecretRegisterEntry.id.desc())))


def marking_view(m: SecretMarking) -> dict[str, Any]:
    return {
        "id": m.id,
        "dataset_code": m.dataset_code,
        "element_code": m.element_code or None,
        "basis": m.basis,
        "marked_by": m.marked_by,
        "marked_at": m.marked_at.isoformat(),
        "lifted_at": m.lifted_at.isoformat() if m.lifted_at else None,
    }


def entry_view(e: SecretRegisterEntry) -> dict[str, Any]:
    return {
        "id": e.id,
        "dataset_code": e.dataset_code,
        "element_code": e.element_code or None,
        "kind": e.kind,
        "description": e.description,
        "recipient": e.recipient,
        "external": e.external,
        "authority_approval": e.authority_approval,
        "agreement_ref": e.agreement_ref,
        "requested_by": e.requested_by,
        "requested_at": e.requested_at.isoformat(),
        "status": e.status,
        "decided_by": e.decided_by,
        "decision_note": e.decision_note,
    }
