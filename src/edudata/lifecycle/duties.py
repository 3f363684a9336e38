"""Duties on people that a system can hold (Art. 49, 53), beside :mod:`edudata.lifecycle.people`:

- the off-duty year (脱岗管理期 1 年) is enforced: no role is granted to an offboarded account before it ends;
- devices not handed back need an exception approved by another office administrator or the leadership group;
- 附件3 can be revoked (the support person's login stops at once);
- the outsourcing firm's 《天津市教育数据安全保密承诺书》 is on file per support unit;
- security tests and risk assessments are registered with their findings and the date they are due.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from edudata.clock import today_in_china, utcnow
from edudata.errors import Conflict, NotFound, ValidationFailed
from edudata.lifecycle.models import Agreement, Offboarding, OutsourcingCommitment, SecurityAssessment
from edudata.org.models import Account, RoleAssignment, Unit
from edudata.org.service import get_unit, on_account_change
from edudata.policy import holders

ASSESSMENT_KINDS = {"test": ("安全测评", "security test"), "risk": ("风险评估", "risk assessment")}
APPROVER_ROLES = tuple(sorted(holders("lifecycle.device_exception.approve")))  # the policy names them


class OffDutyPeriod(Conflict):
    """A role asked for an account still inside its off-duty year (Art. 53)."""

    code, title_zh, title_en = "off-duty-period", "脱岗管理期内", "Inside the off-duty period"


def refuse_within_off_duty(
    session: Session, account: Account, event: str, role: str | None, by: str | None
) -> None:
    """``org.service`` listener: before a role is granted, refuse it while the account's off-duty year runs."""
    if event != "role_granting":
        return
    until = session.scalar(select(Offboarding.off_duty_until).where(Offboarding.account_id == account.id))
    if until is not None and today_in_china() <= until:
        raise OffDutyPeriod(
            f"{account.username} 于脱岗管理期内（至 {until.isoformat()}），不能再授予数据角色（第五十三条）",
            f"{account.username} is in the off-duty period until {until.isoformat()}: no data role may be granted "
            "back within it (Art. 53)",
            field="role",
            off_duty_until=until.isoformat(),
        )


on_account_change(refuse_within_off_duty)


def device_exception(
    session: Session, devices: list[dict[str, Any]], exception: dict[str, Any] | None, *, leaver: Account,
    performed_by: str,
) -> dict[str, Any] | None:  # fmt: skip
    """The approved exception an offboarding with devices not back needs (清退信息设备, Art. 53), checked."""
    outstanding = [str(d.get("asset", "")) for d in devices if not d.get("returned")]
    if not outstanding:
        return None
    if not exception or not str(exception.get("approved_by") or "").strip():
        raise ValidationFailed(
            f"信息设备未全部清退（{'、'.join(outstanding)[:200]}）：须交回，或由另一名网信办管理员或网信领导小组批准例外",
            f"devices not handed back ({', '.join(outstanding)[:200]}): hand them back, or have another office "
            "administrator or the leadership group approve an exception",
            field="device_exception",
            outstanding=outstanding,
        )
    approver = str(exception["approved_by"]).strip()
    reason = str(exception.get("reason") or "").strip()
    if not 4 <= len(reason) <= 1000:
        raise ValidationFailed("例外须说明理由", "the exception states its reason", field="device_exception")
    if approver in (performed_by, leaver.username):
        raise ValidationFailed(
            "例外须由办理人和离岗人以外的人批准", "the exception is approved by someone other than the performer "
            "and the leaver", field="device_exception",
        )  # fmt: skip
    holds = session.scalar(
        select(RoleAssignment.id)
        .join(Account, Account.id == RoleAssignment.account_id)
        .where(
            Account.username == approver, Account.disabled.is_(False), RoleAssignment.role.in_(APPROVER_ROLES)
        )
    )
    if holds is None:
        raise ValidationFailed(
            f"{approver} 不是在职的网信办管理员或网信领导小组成员",
            f"{approver} is not an active office administrator or leadership member",
            field="device_exception",
        )
    return {"approved_by": approver, "reason": reason, "outstanding": outstanding}


def revoke_agreement(session: Session, agreement_id: int) -> Agreement:
    """Withdraw an agreement from file (附件3 撤销): a support person without one is refused at the next login."""
    row = session.get(Agreement, agreement_id, with_for_update=True)
    if row is None:
        raise NotFound(f"协议 {agreement_id} 不存在", f"agreement {agreement_id} does not exist")
    if row.revoked_at is not None:
        raise Conflict("该协议已撤销", "this agreement is already revoked")
    row.revoked_at = utcnow()
    session.flush()
    if row.kind == "annex3":
        from edudata.identity.tokens import revoke_all

        revoke_all(session, row.account_id, row.revoked_at)  # live sessions end with the agreement
    return row


def record_outsourcing_commitment(
    session: Session, *, unit_code: str, signed_on: date, document_ref: str, by: str
) -> OutsourcingCommitment:
    unit = get_unit(session, unit_code)
    if signed_on > today_in_china():
        raise ValidationFailed("签署日期不能晚于今天", "the signing date is in the future", field="signed_on")
    row = OutsourcingCommitment(unit_id=unit.id, signed_on=signed_on, document_ref=document_ref.strip(),
                                recorded_by=by, recorded_at=utcnow())  # fmt: skip
    session.add(row)
    session.flush()
    return row


def record_assessment(
    session: Session, *, unit_code: str, values: dict[str, Any], by: str
) -> SecurityAssessment:
    """Register a security test or risk assessment; findings without a due date are refused."""
    unit = get_unit(session, unit_code)
    kind = values.get("kind")
    if kind not in ASSESSMENT_KINDS:
        raise ValidationFailed("类型须为 test 或 risk", "kind must be test or risk", field="kind")
    held_on, due_on = values["held_on"], values.get("due_on")
    if held_on > today_in_china():
        raise ValidationFailed(
            "测评日期不能晚于今天", "the assessment date is in the future", field="held_on"
        )
    findings = str(values.get("findings") or "").strip()
    if findings and due_on is None:
        raise ValidationFailed("有发现问题须写明整改期限", "findings need a due date", field="due_on")
    if due_on is not None and due_on < held_on:
        raise ValidationFailed(
            "整改期限早于测评日期", "the due date is before the assessment", field="due_on"
        )
    row = SecurityAssessment(unit_id=unit.id, kind=kind, held_on=held_on,
                             assessor=str(values.get("assessor") or "").strip()[:200], findings=findings[:4000],
                             due_on=due_on, recorded_by=by, recorded_at=utcnow())  # fmt: skip
    session.add(row)
    session.flush()
    return row


def close_assessment(session: Session, assessment_id: int, closed_on: date) -> SecurityAssessment:
    row = session.get(SecurityAssessment, assessment_id, with_for_update=True)
    if row is None:
        raise NotFound(f"测评 {assessment_id} 不存在", f"assessment {assessment_id} does not exist")
    if row.closed_on is not None:
        raise Conflict("该测评的问题已整改完毕", "this assessment's findings are already closed")
    if closed_on > today_in_china():
        raise ValidationFailed("整改日期不能晚于今天", "the closing date is in the future", field="closed_on")
    row.closed_on = closed_on
    session.flush()
    return row


def assessment_view(row: SecurityAssessment, unit_code: str) -> dict[str, Any]:
    today = today_in_china()
    return {
        "id": row.id,
        "unit_code": unit_code,
        "kind": row.kind,
        "held_on": row.held_on.isoformat(),
        "assessor": row.assessor,
        "findings": row.findings,
        "due_on": row.due_on.isoformat() if row.due_on else None,
        "closed_on": row.closed_on.isoformat() if row.closed_on else None,
        "overdue": bool(row.findings and row.closed_on is None and row.due_on and row.due_on < today),
    }


def assessments(session: Session) -> list[dict[str, Any]]:
    rows = session.execute(
        select(SecurityAssessment, Unit.code)
        .join(Unit, Unit.id == SecurityAssessment.unit_id)
        .order_by(SecurityAssessment.held_on.desc(), SecurityAssessment.id.desc())
    ).all()
    return [assessment_view(a, code) for a, code in rows]


def commitments(session: Session) -> list[dict[str, Any]]:
    rows = session.execute(
        select(OutsourcingCommitment, Unit.code, Unit.name)
        .join(Unit, Unit.id == OutsourcingCommitment.unit_id)
        .order_by(OutsourcingCommitment.id)
    ).all()
    return [{"id": c.id, "unit_code": code, "unit_name": name, "signed_on": c.signed_on.isoformat(),
             "document_ref": c.document_ref} for c, code, name in rows]  # fmt: skip
