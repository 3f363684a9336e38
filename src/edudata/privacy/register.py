"""The personal-information register (Art. 50): distinct people per information system and dataset, and the
obligations their number brings.

- ≥ 200,000 people: the system's owner names a PI-protection officer (个人信息保护负责人) and files the system
  with the city education commissions (向市教育两委备案);
- ≥ 1,000,000 people: 网络安全等级保护 level 3 or higher and a yearly security audit of PI processing.

People are counted by the data path (:func:`edudata.access.datapath.count_people_across`) from the subject
reference the store keeps beside every row (the blind index of the ID number), so a student in five datasets
counts once and nothing is decrypted. Each count is kept (``privacy_person_count``); obligations are judged
on the latest one, so :func:`outstanding_obligations` needs only a session (the inspection domain calls it).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from edudata.access import datapath
from edudata.catalog.models import Dataset
from edudata.clock import today_in_china
from edudata.db import utcnow
from edudata.errors import Conflict, NotFound, ValidationFailed
from edudata.org.service import find_account, roles_of
from edudata.policy.roles import Role
from edudata.policy.thresholds import LARGE_SCALE_PEOPLE, VERY_LARGE_SCALE_PEOPLE
from edudata.privacy.models import AppCertification, CommissionFiling, InformationSystem, PersonCount, PIAudit
from edudata.privacy.sensitive import sensitive_elements

OFFICER_THRESHOLD = LARGE_SCALE_PEOPLE  # Art. 50, one definition (edudata.policy.thresholds)
LEVEL3_THRESHOLD = VERY_LARGE_SCALE_PEOPLE
AUDIT_INTERVAL = timedelta(days=365)
STALE_AFTER = timedelta(days=31)  # a register older than a month no longer shows what the systems hold
PLATFORM_SYSTEM = "edudata"


@dataclass(frozen=True)
class Obligation:
    """Something the regulation requires that is not on file (shown on the dashboard and in inspections)."""

    kind: str
    article: str
    system_code: str | None
    subject: str
    message_zh: str
    message_en: str
    people: int | None = None
    due_on: date | None = None

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["due_on"] = self.due_on.isoformat() if self.due_on else None
        return out


def ensure_platform_system(session: Session) -> InformationSystem:
    """The platform itself stores every governed dataset: it is a system of the register from the start."""
    system = session.execute(
        select(InformationSystem).where(InformationSystem.code == PLATFORM_SYSTEM)
    ).scalar_one_or_none()
    if system is None:
        system = InformationSystem(
            code=PLATFORM_SYSTEM,
            name="教育数据治理平台",
            owner_unit_code="0002",
            datasets=None,
            created_by="system",
        )
        session.add(system)
        session.flush()
    return system


def get_system(session: Session, code: str) -> InformationSystem:
    system = session.execute(
        select(InformationSystem).where(InformationSystem.code == code)
    ).scalar_one_or_none()
    if system is None:
        raise NotFound(f"没有代码为 {code} 的信息系统", f"no information system {code}")
    return system


def _known_datasets(session: Session) -> list[str]:
    return list(session.execute(select(Dataset.code).order_by(Dataset.code)).scalars())


def create_system(
    session: Session,
    *,
    code: str,
    name: str,
    owner_unit_code: str,
    datasets: list[str],
    actor: str | None,
    is_app: bool = False,
) -> InformationSystem:
    """Register a business system and the datasets it stores (Art. 50 counts people per system)."""
    if not code.isascii() or not code.replace("_", "").isalnum() or not 2 <= len(code) <= 48:
        raise ValidationFailed(
            "系统代码须为 2 至 48 位字母、数字或下划线", "code: 2-48 letters, digits or _", field="code"
        )
    if session.execute(select(InformationSystem.id).where(InformationSystem.code == code)).first():
        raise Conflict(f"信息系统 {code} 已存在", f"information system {code} exists")
    unknown = sorted(set(datasets) - set(_known_datasets(session)))
    if unknown or not datasets:
        raise ValidationFailed(
            f"目录中没有这些数据集：{', '.join(unknown)}" if unknown else "至少列出一个数据集",
            f"not in the catalogue: {', '.join(unknown)}" if unknown else "name at least one dataset",
            field="datasets",
        )
    name = (name or "").strip()
    if not 2 <= len(name) <= 100 or any(c in name for c in "<>\"';"):
        raise ValidationFailed("系统名称不合法", "the system name is not acceptable", field="name")
    system = InformationSystem(
        code=code,
        name=name,
        is_app=is_app,
        owner_unit_code=owner_unit_code,
        datasets=sorted(set(datasets)),
        created_by=actor,
    )
    session.add(system)
    session.flush()
    return system


def update_system(
    session: Session,
    code: str,
    *,
    pi_officer_username: str | None = None,
    pi_officer_name: str | None = None,
    pi_officer_since: date | None = None,
    protection_level: int | None = None,
) -> InformationSystem:
    """Name the PI-protection officer and/or record the MLPS protection level (等级保护, 1–5)."""
    system = get_system(session, code)
    if protection_level is not None:
        if not 1 <= protection_level <= 5:
            raise ValidationFailed(
                "等级保护级别须为 1 至 5", "protection level: 1 to 5", field="protection_level"
            )
        system.protection_level = protection_level
    if pi_officer_name is not None:
        name = pi_officer_name.strip()
        if not 2 <= len(name) <= 100 or any(c in name for c in "<>\"';"):
            raise ValidationFailed(
                "负责人姓名不合法", "the officer's name is not acceptable", field="pi_officer_name"
            )
        username = (pi_officer_username or "").strip()[:150] or None
        if username is not None:
            # The named account must hold the role, so the officer can use the registers (Art. 50 监督).
            account = find_account(session, username)
            if account is None or Role.DATA_PROTECTION_OFFICER not in roles_of(session, account.id):
                raise ValidationFailed(
                    f"账户 {username} 不存在或不是个人信息保护负责人角色",
                    f"account {username} does not exist or is not a data-protection officer",
                    field="pi_officer_username",
                )
        system.pi_officer_name = name
        system.pi_officer_username = username
        system.pi_officer_since = pi_officer_since or today_in_china()
    system.updated_at = utcnow()
    session.flush()
    return system


def record_filing(
    session: Session,
    code: str,
    *,
    reference_no: str,
    filed_on: date,
    authority: str = "市教育两委",
    attachment_id: int | None = None,
    actor: str | None = None,
) -> CommissionFiling:
    system = get_system(session, code)
    reference_no = (reference_no or "").strip()
    if not 2 <= len(reference_no) <= 100:
        raise ValidationFailed("须填写备案编号", "the filing reference is required", field="reference_no")
    if filed_on > today_in_china():
        raise ValidationFailed(
            "备案日期不能晚于今天", "the filing date cannot be in the future", field="filed_on"
        )
    row = CommissionFiling(
        system_id=system.id,
        authority=(authority or "市教育两委").strip()[:100],
        reference_no=reference_no,
        filed_on=filed_on,
        attachment_id=attachment_id,
        recorded_by=actor,
    )
    session.add(row)
    session.flush()
    return row


def record_certification(
    session: Session, code: str, *, certifier: str, certificate_no: str, certified_on: date,
    valid_until: date | None = None, actor: str | None = None,
) -> AppCertification:  # fmt: skip
    """Put an education app's PI security certification on file (Art. 50)."""
    system = get_system(session, code)
    if not system.is_app:
        raise ValidationFailed("该系统不是教育 APP", "this system is not an education app", field="code")
    if certified_on > today_in_china():
        raise ValidationFailed(
            "认证日期不能晚于今天", "the certification date is in the future", field="certified_on"
        )
    if valid_until is not None and valid_until < certified_on:
        raise ValidationFailed(
            "有效期早于认证日期", "valid_until is before certified_on", field="valid_until"
        )
    row = AppCertification(system_id=system.id, certifier=certifier.strip(), certificate_no=certificate_no.strip(),
                           certified_on=certified_on, valid_until=valid_until, recorded_by=actor)  # fmt: skip
    session.add(row)
    session.flush()
    return row


def valid_certification(session: Session, system: InformationSystem, today: date) -> AppCertification | None:
    """The app's certification in force on ``today`` (no end date, or not yet past it)."""
    return (
        session.execute(
            select(AppCertification)
            .where(
                AppCertification.system_id == system.id,
                or_(AppCertification.valid_until.is_(None), AppCertification.valid_until >= today),
            )
            .order_by(AppCertification.certified_on.desc())
        )
        .scalars()
        .first()
    )


def record_pi_audit(
    session: Session,
    code: str,
    *,
    audited_on: date,
    auditor: str,
    summary: str = "",
    attachment_id: int | None = None,
    actor: str | None = None,
) -> PIAudit:
    system = get_system(session, code)
    auditor = (auditor or "").strip()
    if not 2 <= len(auditor) <= 200:
        raise ValidationFailed("须填写审计机构或人员", "the auditor is required", field="auditor")
    if audited_on > today_in_china():
        raise ValidationFailed(
            "审计日期不能晚于今天", "the audit date cannot be in the future", field="audited_on"
        )
    row = PIAudit(
        system_id=system.id,
        audited_on=audited_on,
        auditor=auditor,
        summary=(summary or "").strip()[:5000],
        attachment_id=attachment_id,
        recorded_by=actor,
    )
    session.add(row)
    session.flush()
    return row


def _system_datasets(system: InformationSystem, known: list[str]) -> list[str]:
    return known if system.datasets is None else [c for c in system.datasets if c in set(known)]


def refresh_register(caller: datapath.Caller, ctx: datapath.Context) -> list[dict[str, Any]]:
    """Count every system's people now (through the data path) and keep the counts; returns them."""
    session = ctx.session
    ensure_platform_system(session)
    known = _known_datasets(session)
    now = utcnow()
    out = []
    for system in session.execute(select(InformationSystem).order_by(InformationSystem.id)).scalars():
        codes = _system_datasets(system, known)
        per, total = datapath.count_people_across(caller, ctx, codes) if codes else ({}, 0)
        session.add(
            PersonCount(counted_at=now, system_code=system.code, people=total, counted_by=caller.username)
        )
        for code, people in per.items():
            session.add(
                PersonCount(
                    counted_at=now,
                    system_code=system.code,
                    dataset_code=code,
                    people=people,
                    counted_by=caller.username,
                )
            )
        unlinked = [c for c in codes if c not in per]
        for code in unlinked:  # no ID-number element: people cannot be told apart across datasets
            session.add(
                PersonCount(
                    counted_at=now,
                    system_code=system.code,
                    dataset_code=code,
                    people=0,
                    linked=False,
                    counted_by=caller.username,
                )
            )
        out.append({"system": system.code, "people": total, "per_dataset": per, "unlinked": unlinked})
    session.flush()
    return out


def _latest(session: Session, system_code: str) -> tuple[PersonCount | None, list[PersonCount]]:
    total = session.execute(
        select(PersonCount)
        .where(PersonCount.system_code == system_code, PersonCount.dataset_code.is_(None))
        .order_by(PersonCount.counted_at.desc(), PersonCount.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if total is None:
        return None, []
    parts = session.execute(
        select(PersonCount)
        .where(
            PersonCount.system_code == system_code,
            PersonCount.dataset_code.is_not(None),
            PersonCount.counted_at == total.counted_at,
        )
        .order_by(PersonCount.dataset_code)
    ).scalars()
    return total, list(parts)


def _first_reached(session: Session, system_code: str, threshold: int) -> date | None:
    first = session.execute(
        select(func.min(PersonCount.counted_at)).where(
            PersonCount.system_code == system_code,
            PersonCount.dataset_code.is_(None),
            PersonCount.people >= threshold,
        )
    ).scalar_one_or_none()
    return first.date() if isinstance(first, datetime) else first


def audit_due_on(session: Session, system: InformationSystem) -> date | None:
    """When the next yearly PI audit is due: a year after the last one; the first is due on the day the
    system was first counted at 1,000,000 people or more (it must exist from then on)."""
    last = session.execute(
        select(func.max(PIAudit.audited_on)).where(PIAudit.system_id == system.id)
    ).scalar_one_or_none()
    if last is not None:
        return last + AUDIT_INTERVAL
    return _first_reached(session, system.code, LEVEL3_THRESHOLD)


def system_view(session: Session, system: InformationSystem) -> dict[str, Any]:
    total, parts = _latest(session, system.code)
    filing = (
        session.execute(
            select(CommissionFiling)
            .where(CommissionFiling.system_id == system.id)
            .order_by(CommissionFiling.id.desc())
        )
        .scalars()
        .first()
    )
    last_audit = (
        session.execute(
            select(PIAudit).where(PIAudit.system_id == system.id).order_by(PIAudit.audited_on.desc())
        )
        .scalars()
        .first()
    )
    people = total.people if total else None
    return {
        "code": system.code,
        "name": system.name,
        "owner_unit_code": system.owner_unit_code,
        "datasets": system.datasets,
        "is_app": system.is_app,
        "people": people,
        "counted_at": total.counted_at.isoformat() if total else None,
        "per_dataset": [
            {"dataset": p.dataset_code, "people": p.people if p.linked else None, "linked": p.linked}
            for p in parts
        ],
        "officer_required": people is not None and people >= OFFICER_THRESHOLD,
        "level3_required": people is not None and people >= LEVEL3_THRESHOLD,
        "pi_officer": system.pi_officer_name,
        "pi_officer_username": system.pi_officer_username,
        "protection_level": system.protection_level,
        "filing": {"reference_no": filing.reference_no, "filed_on": filing.filed_on.isoformat()}
        if filing
        else None,
        "last_pi_audit": last_audit.audited_on.isoformat() if last_audit else None,
        "pi_audit_due_on": (d.isoformat() if (d := audit_due_on(session, system)) else None)
        if people is not None and people >= LEVEL3_THRESHOLD
        else None,
    }


def register(session: Session) -> list[dict[str, Any]]:
    ensure_platform_system(session)
    systems = session.execute(select(InformationSystem).order_by(InformationSystem.id)).scalars()
    return [system_view(session, s) for s in systems]


def outstanding_obligations(session: Session, today: date | None = None) -> list[Obligation]:
    """Every Art. 50 / Art. 51 obligation not met on the platform's own records, for the privacy dashboard and
    the inspection domain: register not counted or stale, PI-protection officer, commission filing,
    protection level 3, yearly PI audit (with its due date), sensitive elements without assessment/decision."""
    today = today or today_in_china()
    found: list[Obligation] = []
    systems = list(session.execute(select(InformationSystem).order_by(InformationSystem.id)).scalars())
    if not any(s.code == PLATFORM_SYSTEM for s in systems):
        systems.insert(
            0, InformationSystem(code=PLATFORM_SYSTEM, name="教育数据治理平台", owner_unit_code="0002")
        )
    for system in systems:
        label = f"{system.name}（{system.code}）"
        total, _ = _latest(session, system.code)
        if total is None:
            found.append(
                Obligation(
                    "register_not_counted", "Art. 50", system.code, label,
                    f"{label}尚未统计存储的个人信息人数", f"{system.code}: people stored were never counted",
                )
            )  # fmt: skip
            continue
        if today - total.counted_at.date() > STALE_AFTER:
            found.append(
                Obligation(
                    "register_stale", "Art. 50", system.code, label,
                    f"{label}的人数统计已超过 31 天，请重新统计", f"{system.code}: the count is older than 31 days",
                    total.people,
                )
            )  # fmt: skip
        people = total.people
        if people >= OFFICER_THRESHOLD and system.id is not None:
            if not system.pi_officer_name:
                found.append(
                    Obligation(
                        "pi_officer", "Art. 50", system.code, label,
                        f"{label}存储 {people:,} 人的个人信息（≥ 20 万），须明确个人信息保护负责人",
                        f"{system.code} stores PI of {people:,} people (≥ 200,000): name a PI-protection officer",
                        people,
                    )
                )  # fmt: skip
            has_filing = session.execute(
                select(CommissionFiling.id).where(CommissionFiling.system_id == system.id)
            ).first()
            if not has_filing:
                found.append(
                    Obligation(
                        "commission_filing", "Art. 50", system.code, label,
                        f"{label}存储 {people:,} 人的个人信息（≥ 20 万），须向市教育两委备案",
                        f"{system.code} stores PI of {people:,} people (≥ 200,000): file it with the city commissions",
                        people,
                    )
                )  # fmt: skip
        uncertified = system.is_app and valid_certification(session, system, today) is None
        if people >= OFFICER_THRESHOLD and system.id is not None and uncertified:
            found.append(
                Obligation(
                    "app_certification", "Art. 50", system.code, label,
                    f"教育 APP {label}存储 {people:,} 人的个人信息（≥ 20 万），须通过个人信息安全认证并备案",
                    f"education app {system.code} stores PI of {people:,} people (≥ 200,000): it needs a valid "
                    "personal-information security certification on file",
                    people,
                )
            )  # fmt: skip
        if people >= LEVEL3_THRESHOLD and system.id is not None:
            if (system.protection_level or 0) < 3:
                found.append(
                    Obligation(
                        "protection_level", "Art. 50", system.code, label,
                        f"{label}存储 {people:,} 人的个人信息（≥ 100 万），网络安全等级保护应定为三级及以上",
                        f"{system.code} stores PI of {people:,} people (≥ 1,000,000): protection level 3 or higher",
                        people,
                    )
                )  # fmt: skip
            due = audit_due_on(session, system)
            if due is not None and due <= today:
                found.append(
                    Obligation(
                        "annual_pi_audit", "Art. 50", system.code, label,
                        f"{label}的年度个人信息处理安全审计已于 {due.isoformat()} 到期",
                        f"{system.code}: the yearly PI processing audit was due on {due.isoformat()}",
                        people, due,
                    )
                )  # fmt: skip
    for status in sensitive_elements(session):
        if not status.collection_allowed:
            subject = f"{status.dataset_code}.{status.element_code}"
            found.append(
                Obligation(
                    "sensitive_assessment", "Art. 51", None, subject,
                    f"敏感个人信息「{status.element_name}」（{subject}）：{status.reason_zh}，收集将被拒绝",
                    f"sensitive PI {subject}: {status.reason_en}; collection is refused",
                )
            )  # fmt: skip
    return found
