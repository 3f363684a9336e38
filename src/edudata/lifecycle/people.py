"""People (Art. 12, 49, 53): confidentiality agreements, unit data-protection officers, training, offboarding.

- 附件3 (技术支持或服务单位保密协议): an account of a support unit, or holding ``tech_support``, cannot log in
  until its agreement is on file (the login condition :func:`agreement_condition`, added to identity's login).
- 附件4 (离岗保密承诺书): offboarding requires it, and in one transaction revokes every role, every grant issued to
  the account, every token and session, ends its officer appointments and disables the account — a live session
  is refused on its next request. Devices handed back and the one-year off-duty period (脱密期) are recorded.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from edudata import transition
from edudata.access.grants import end_for_account
from edudata.clock import today_in_china
from edudata.db import utcnow
from edudata.errors import Conflict, EduDataError, NotFound, PermissionDenied, ValidationFailed
from edudata.identity.models import ApiToken, WebSession
from edudata.identity.tokens import revoke_all
from edudata.lifecycle import duties
from edudata.lifecycle.models import Agreement, Offboarding, TrainingRecord, UnitOfficer
from edudata.org.models import Account, RoleAssignment, Unit, UnitType
from edudata.org.roles import Role
from edudata.org.service import get_unit, revoke_role, roles_of, set_disabled

KINDS = {"annex3": ("技术支持或服务单位保密协议（附件3）", "support-staff confidentiality agreement (Annex 3)"),
         "annex4": ("离岗保密承诺书（附件4）", "leaving commitment (Annex 4)")}  # fmt: skip
OFF_DUTY_YEARS = 1


def needs_annex3(session: Session, account: Account) -> bool:
    """Support-company staff: an account of a support unit, or one holding the technical-support role."""
    unit_type = session.execute(select(Unit.unit_type).where(Unit.id == account.unit_id)).scalar_one()
    if unit_type == UnitType.SUPPORT:
        return True
    return (
        session.execute(
            select(RoleAssignment.id).where(
                RoleAssignment.account_id == account.id, RoleAssignment.role == Role.TECH_SUPPORT
            )
        ).first()
        is not None
    )


def has_agreement(session: Session, account_id: int, kind: str) -> bool:
    stmt = select(Agreement.id).where(
        Agreement.account_id == account_id, Agreement.kind == kind, Agreement.revoked_at.is_(None)
    )
    return session.execute(stmt).first() is not None


def agreement_condition(session: Session, account: Account) -> EduDataError | None:
    """The login condition: support staff without 附件3 on file are refused (Art. 12)."""
    if needs_annex3(session, account) and not has_agreement(session, account.id, "annex3"):
        return PermissionDenied(
            "技术支持或服务单位人员须先签署保密协议（附件3）并由网信办备案后方可登录（第十二条）",
            "support staff may log in only once their confidentiality agreement (Annex 3) is on file (Art. 12)",
        )
    return None


def record_agreement(
    session: Session,
    *,
    account: Account,
    kind: str,
    signed_on: date,
    document_ref: str,
    document_sha256: str | None,
    recorded_by: str,
) -> Agreement:
    if kind not in KINDS:
        raise ValidationFailed("协议类型须为 annex3 或 annex4", "kind must be annex3 or annex4", field="kind")
    if signed_on > today_in_china():
        raise ValidationFailed("签署日期不能晚于今天", "the signing date is in the future", field="signed_on")
    row = Agreement(account_id=account.id, kind=kind, signed_on=signed_on, document_ref=document_ref.strip(),
                    document_sha256=document_sha256, recorded_by=recorded_by, recorded_at=utcnow())  # fmt: skip
    session.add(row)
    session.flush()
    return row


def appoint_officer(
    session: Session, *, unit_code: str, account: Account, appointed_on: date, by: str
) -> UnitOfficer:
    """Name a unit's data-protection officer (数据保护人员, Art. 49); an earlier appointment of the unit ends."""
    unit = get_unit(session, unit_code)
    if account.disabled:
        raise Conflict("已停用的账户不能任命", "a disabled account cannot be appointed")
    now = utcnow()
    session.execute(
        update(UnitOfficer)
        .where(UnitOfficer.unit_id == unit.id, UnitOfficer.ended_at.is_(None))
        .values(ended_at=now)
    )
    row = UnitOfficer(unit_id=unit.id, account_id=account.id, appointed_on=appointed_on, appointed_by=by)
    session.add(row)
    session.flush()
    return row


def officers(session: Session) -> list[dict[str, Any]]:
    rows = session.execute(
        select(UnitOfficer, Unit.code, Unit.name, Account.username)
        .join(Unit, Unit.id == UnitOfficer.unit_id)
        .join(Account, Account.id == UnitOfficer.account_id)
        .where(UnitOfficer.ended_at.is_(None))
        .order_by(Unit.code)
    ).all()
    return [{"unit_code": code, "unit_name": name, "username": user, "appointed_on": o.appointed_on.isoformat()}
            for o, code, name, user in rows]  # fmt: skip


def record_training(session: Session, *, account: Account, course: str, held_on: date, hours: int, passed: bool,
                    by: str) -> TrainingRecord:  # fmt: skip
    if hours < 1 or hours > 200:
        raise ValidationFailed("学时须在 1 到 200 之间", "hours must be 1 to 200", field="hours")
    row = TrainingRecord(account_id=account.id, course=course, held_on=held_on, hours=hours, passed=passed,
                         recorded_by=by, recorded_at=utcnow())  # fmt: skip
    session.add(row)
    session.flush()
    return row


def _plus_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def cut_off(
    session: Session, account: Account, *, performed_by: str, reason: str, now: datetime | None = None
) -> dict[str, Any]:
    """The offboarding path's revocations (Art. 30, 53): every role, every grant issued to the account, every
    token and session, its officer appointments; then the account is disabled. Returns what was revoked.

    :func:`offboard` calls it with the signed 附件4; the directory sync calls it when a person leaves the
    personnel directory (the office completes the 附件4 record and the devices afterwards with ``offboard``).
    """
    now = now or utcnow()
    roles = sorted(roles_of(session, account.id))
    for role in roles:
        revoke_role(session, account, role, performed_by, leaving=True)  # the departure itself (Art. 53)
    grants = end_for_account(session, account.id, by=performed_by, reason=reason, now=now)
    live = {}
    for label, model in (("tokens", ApiToken), ("sessions", WebSession)):
        live[label] = session.execute(
            select(func.count())
            .select_from(model)
            .where(model.account_id == account.id, model.revoked_at.is_(None))
        ).scalar_one()
    revoke_all(session, account.id, now)
    ended = session.execute(
        update(UnitOfficer).where(UnitOfficer.account_id == account.id, UnitOfficer.ended_at.is_(None))
        .values(ended_at=now)
    ).rowcount  # fmt: skip
    set_disabled(session, account, True, performed_by)
    return {"roles": roles, "grants": int(grants or 0), "officer_appointments": int(ended or 0), **live}


def offboard(
    session: Session,
    *,
    account: Account,
    left_on: date,
    devices: list[dict[str, Any]],
    commitment: dict[str, Any] | None,
    performed_by: str,
    now: datetime | None = None,
    device_exception: dict[str, Any] | None = None,
    exit_education_on: date | None = None,
) -> Offboarding:
    """One action (离岗): 附件4 required; devices back or an approved exception (Art. 53); roles, grants, tokens,
    sessions, appointments revoked; account disabled; the off-duty year then refuses any role granted back."""
    now = now or utcnow()
    if account.username == performed_by:
        raise PermissionDenied("不能为本人办理离岗", "you cannot offboard yourself")
    if exit_education_on is not None and exit_education_on > today_in_china():
        raise ValidationFailed(
            "离岗保密教育日期不能晚于今天",
            "the exit education date is in the future",
            field="exit_education_on",
        )
    excepted = duties.device_exception(
        session, devices, device_exception, leaver=account, performed_by=performed_by
    )
    # Compare-and-set (edudata.transition): the account is locked, so two offboardings at once record one.
    account = transition.lock_row(session, Account, account.id, what=("账户", "account"))
    done = session.scalar(select(Offboarding).where(Offboarding.account_id == account.id))
    if done is not None:
        raise transition.conflict(
            (f"{account.username} 的离岗", f"offboarding of {account.username}"), ("已办理离岗", "offboarded"),
            by=done.performed_by, at=done.performed_at,
        )  # fmt: skip
    annex4 = session.execute(
        select(Agreement).where(Agreement.account_id == account.id, Agreement.kind == "annex4",
                                Agreement.revoked_at.is_(None)).order_by(Agreement.id.desc())
    ).scalars().first()  # fmt: skip
    if commitment:
        annex4 = record_agreement(session, account=account, kind="annex4", signed_on=commitment["signed_on"],
                                  document_ref=commitment["document_ref"],
                                  document_sha256=commitment.get("document_sha256"), recorded_by=performed_by)  # fmt: skip
    if annex4 is None:
        raise ValidationFailed(
            "离岗须先签署离岗保密承诺书（附件4）", "offboarding requires the signed leaving commitment (Annex 4)",
            field="commitment",
        )  # fmt: skip
    revoked = cut_off(session, account, performed_by=performed_by, reason="offboarding 离岗", now=now)
    row = Offboarding(
        account_id=account.id, left_on=left_on, off_duty_until=_plus_years(left_on, OFF_DUTY_YEARS),
        commitment_id=annex4.id,
        devices=[{"asset": str(d.get("asset", ""))[:100], "returned": bool(d.get("returned")),
                  "note": str(d.get("note", ""))[:200]} for d in devices],
        revoked=revoked,
        performed_by=performed_by, performed_at=now, device_exception=excepted, exit_education_on=exit_education_on,
    )  # fmt: skip
    session.add(row)
    session.flush()
    return row


def get_offboarding(session: Session, account: Account) -> Offboarding:
    row = session.execute(
        select(Offboarding).where(Offboarding.account_id == account.id)
    ).scalar_one_or_none()
    if row is None:
        raise NotFound(f"{account.username} 未办理离岗", f"{account.username} has not been offboarded")
    return row


def offboarding_view(row: Offboarding, username: str) -> dict[str, Any]:
    return {
        "username": username,
        "left_on": row.left_on.isoformat(),
        "off_duty_until": row.off_duty_until.isoformat(),
        "commitment_id": row.commitment_id,
        "devices": row.devices,
        "devices_outstanding": [d["asset"] for d in row.devices if not d["returned"]],
        "revoked": row.revoked,
        "performed_by": row.performed_by,
        "performed_at": row.performed_at.isoformat(),
        "device_exception": row.device_exception,
        "exit_education_on": row.exit_education_on.isoformat() if row.exit_education_on else None,
    }
