"""The leadership group's part in inspections and what follows a finding (Art. 61, 64, 67).

- **Content** (检查内容, Art. 61): the leadership group sets which checks inspections run. The statutory checks
  (:data:`STATUTORY` — duties the regulation itself states without discretion) are always in it: a content that
  leaves one out is refused, naming it. Until the group sets one, every registered check is in force.
- **Notices** (检查通知, Art. 61): the group issues a notice — title, mode, the checks (within the content),
  the units, the period, the text; the office's run carries it out (``notice_id``) with the notice's checks.
- **Escalation** (移交纪检监察, Art. 64): the office or the group passes a finding to the discipline inspection
  and supervision body, with the reason and the reference number, on record.
- **Interviews** (约谈, Art. 67): date, the unit, who interviewed whom, the findings concerned, the outcome.

Services flush, audit, and never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from edudata.audit.service import record
from edudata.errors import ValidationFailed
from edudata.identity.principal import Principal
from edudata.inspect.findings import visible_finding
from edudata.inspect.models import Escalation, InspectionContent, InspectionNotice, Interview
from edudata.inspect.registry import Check, all_checks, get_checks
from edudata.org.models import Unit
from edudata.policy import require

#: Checks no content may switch off, with the article that makes the duty unconditional.
STATUTORY: dict[str, str] = {
    "audit.chain": "59",  # 行为追溯: the log must be intact
    "audit.retention": "30",  # logs kept at least six months
    "org.sod_conflict": "30",  # incompatible posts separated
    "opendata.secrecy_review": "46",  # secrecy review before anything is opened
    "people.security_officer": "49",  # every unit names its security officer
    "privacy.pi_thresholds": "50",  # 200,000 / 1,000,000 people obligations
    "sharing.large_scale_unapproved": "50",
    "privacy.sensitive_unassessed": "51",
    "lifecycle.emergency_plan": "55",
    "lifecycle.offsite_backup": "60",  # important data backed up off site
}
DEFAULT_BODY_TO = "纪检监察部门"
MAX_TEXT = 4000


def _text(value: Any, field: str, zh: str, en: str, limit: int = MAX_TEXT, required: bool = True) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if required and not text:
        raise ValidationFailed(f"请填写{zh}", f"{en} is required", field=field)
    if len(text) > limit:
        raise ValidationFailed(
            f"{zh}不能超过 {limit} 字", f"{en} is limited to {limit} characters", field=field
        )
    return text


def _audit(session: Session, who: Principal, operation: str, **detail: Any) -> None:
    record(
        session, operation=operation, dataset="inspect_oversight", row_count=1, detail=detail,
        account_id=who.account_id, username=who.username, unit_code=who.unit_code, source_ip=who.source_ip,
    )  # fmt: skip


def statutory_codes() -> set[str]:
    """The statutory checks that are registered (a check whose domain is absent is not)."""
    return {c.code for c in all_checks() if c.code in STATUTORY}


def current_content(session: Session) -> InspectionContent | None:
    return session.scalar(select(InspectionContent).order_by(InspectionContent.id.desc()).limit(1))


def enabled_checks(session: Session) -> list[Check]:
    """The checks inspections run now: the leadership group's content (statutory ones always), else all."""
    content = current_content(session)
    every = all_checks()
    if content is None:
        return every
    wanted = set(content.checks) | statutory_codes()
    return [c for c in every if c.code in wanted]


def within_content(session: Session, codes: Sequence[str]) -> None:
    """Refuse checks the leadership group's content switched off (422 naming them)."""
    enabled = {c.code for c in enabled_checks(session)}
    off = [c for c in codes if c not in enabled]
    if off:
        raise ValidationFailed(
            f"检查项 {', '.join(off)[:120]} 不在网信领导小组确定的检查内容中（第六十一条）",
            f"check {', '.join(off)[:120]} is not in the inspection content the leadership group set (Art. 61)",
            field="checks",
            off=off,
        )


def set_content(session: Session, who: Principal, checks: Sequence[str], note: str = "") -> InspectionContent:
    """The leadership group sets the inspection's content; leaving out a statutory check is refused."""
    require(who, "inspect.content.set")
    chosen = [c.code for c in get_checks(list(checks))]
    missing = sorted(statutory_codes() - set(chosen))
    if missing:
        raise ValidationFailed(
            f"法定检查项不能取消：{', '.join(missing)}（办法规定的义务，必须检查）",
            f"statutory checks cannot be switched off: {', '.join(missing)} (duties the regulation states)",
            field="checks",
            statutory=missing,
        )
    row = InspectionContent(
        checks=chosen, note=_text(note, "note", "说明", "the note", 1000, required=False), set_by=who.username
    )
    session.add(row)
    session.flush()
    _audit(session, who, "inspect_content_set", content_id=row.id, checks=chosen)
    return row


def _units(session: Session, units: Sequence[str] | None) -> list[str] | None:
    if not units:
        return None
    wanted = list(dict.fromkeys(units))
    known = set(session.scalars(select(Unit.code).where(Unit.code.in_(wanted))))
    unknown = [u for u in wanted if u not in known]
    if unknown:
        raise ValidationFailed(
            f"单位代码 {', '.join(unknown)[:80]} 不存在", f"unknown unit code {', '.join(unknown)[:80]}",
            field="units",
        )  # fmt: skip
    return wanted


def issue_notice(
    session: Session,
    who: Principal,
    *,
    title: str,
    mode: str,
    body: str,
    starts_on: date,
    ends_on: date,
    checks: Sequence[str] | None = None,
    units: Sequence[str] | None = None,
) -> InspectionNotice:
    """The leadership group issues an inspection notice; its checks are within the content (all of it by
    default), so a notice cannot ask for a check the content switched off."""
    require(who, "inspect.notice.issue")
    if mode not in ("special", "year_end"):
        raise ValidationFailed(
            "检查通知的方式应为 special（专项检查）或 year_end（年底检查）", "a notice's mode is special or year_end",
            field="mode",
        )  # fmt: skip
    if ends_on < starts_on:
        raise ValidationFailed(
            "检查结束日期不能早于开始日期", "the period ends before it starts", field="ends_on"
        )
    chosen = (
        [c.code for c in get_checks(list(checks))] if checks else [c.code for c in enabled_checks(session)]
    )
    within_content(session, chosen)
    notice = InspectionNotice(
        title=_text(title, "title", "标题", "the title", 200), mode=mode, checks=chosen,
        units=_units(session, units), body=_text(body, "body", "通知内容", "the notice's text"),
        starts_on=starts_on, ends_on=ends_on, issued_by=who.username,
    )  # fmt: skip
    session.add(notice)
    session.flush()
    _audit(session, who, "inspect_notice_issue", notice_id=notice.id, mode=mode, checks=len(chosen))
    return notice


def get_notice(session: Session, notice_id: int) -> InspectionNotice:
    notice = session.get(InspectionNotice, notice_id)
    if notice is None:
        raise ValidationFailed(
            f"检查通知 {notice_id} 不存在", f"inspection notice {notice_id} does not exist", field="notice_id"
        )
    return notice


def notices(session: Session) -> list[InspectionNotice]:
    return list(session.scalars(select(InspectionNotice).order_by(InspectionNotice.id.desc())))


def escalate(
    session: Session,
    who: Principal,
    finding_id: int,
    *,
    reason: str,
    referred_to: str = "",
    reference: str = "",
) -> Escalation:
    """Pass a finding to 纪检监察 (Art. 64: serious cases), with the reason and the reference, on record."""
    require(who, "inspect.finding.escalate")
    finding = visible_finding(session, who, finding_id)
    row = Escalation(
        finding_id=finding.id, referred_to=_text(referred_to or DEFAULT_BODY_TO, "referred_to", "移交机构", "the body", 200),
        reason=_text(reason, "reason", "移交理由", "the reason"),
        reference=_text(reference, "reference", "文号", "the reference", 200, required=False), escalated_by=who.username,
    )  # fmt: skip
    session.add(row)
    session.flush()
    _audit(
        session,
        who,
        "inspect_escalate",
        finding_id=finding.id,
        referred_to=row.referred_to,
        escalation=row.id,
    )
    return row


def escalations_of(session: Session, finding_id: int) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(Escalation).where(Escalation.finding_id == finding_id).order_by(Escalation.id)
    )
    return [
        {"id": e.id, "referred_to": e.referred_to, "reason": e.reason, "reference": e.reference,
         "escalated_by": e.escalated_by, "escalated_at": e.escalated_at.isoformat()}
        for e in rows
    ]  # fmt: skip


def _names(value: Any, field: str, zh: str, en: str) -> list[str]:
    items = (
        value
        if isinstance(value, list)
        else str(value or "").replace("，", ",").replace("、", ",").split(",")
    )
    names = [str(n).strip()[:100] for n in items if str(n).strip()]
    if not names or len(names) > 30:
        raise ValidationFailed(f"请填写{zh}（至多 30 人）", f"{en}: one to 30 people", field=field)
    return names


def record_interview(
    session: Session,
    who: Principal,
    *,
    held_on: date,
    unit_code: str,
    interviewers: Any,
    interviewees: Any,
    subject: str,
    outcome: str,
    finding_ids: Sequence[int] = (),
) -> Interview:
    """Record an interview (约谈, Art. 67): date, unit, people on both sides, the findings concerned, outcome."""
    require(who, "inspect.interview.record")
    from edudata.clock import today_in_china

    if held_on > today_in_china():
        raise ValidationFailed("约谈日期不能晚于今天", "the interview date is in the future", field="held_on")
    unit = _units(session, [unit_code] if unit_code else None)
    if not unit:
        raise ValidationFailed("请选择被约谈单位", "the unit interviewed is required", field="unit_code")
    ids = [visible_finding(session, who, int(i)).id for i in dict.fromkeys(finding_ids)][:50]
    row = Interview(
        held_on=held_on, unit_code=unit[0],
        interviewers=_names(interviewers, "interviewers", "约谈人", "the interviewers"),
        interviewees=_names(interviewees, "interviewees", "被约谈人", "the people interviewed"),
        finding_ids=ids, subject=_text(subject, "subject", "约谈事由", "the subject", 500),
        outcome=_text(outcome, "outcome", "约谈结果", "the outcome"), recorded_by=who.username,
    )  # fmt: skip
    session.add(row)
    session.flush()
    _audit(session, who, "inspect_interview", interview=row.id, unit=row.unit_code, findings=ids)
    return row


def interviews(session: Session, finding_id: int | None = None) -> list[dict[str, Any]]:
    rows = session.scalars(select(Interview).order_by(Interview.held_on.desc(), Interview.id.desc()))
    out = [
        {"id": i.id, "held_on": i.held_on.isoformat(), "unit_code": i.unit_code, "interviewers": i.interviewers,
         "interviewees": i.interviewees, "finding_ids": i.finding_ids, "subject": i.subject, "outcome": i.outcome,
         "recorded_by": i.recorded_by}
        for i in rows
    ]  # fmt: skip
    return [i for i in out if finding_id in i["finding_ids"]] if finding_id is not None else out


def notice_dict(n: InspectionNotice) -> dict[str, Any]:
    return {
        "id": n.id, "title": n.title, "mode": n.mode, "checks": n.checks, "units": n.units, "body": n.body,
        "starts_on": n.starts_on.isoformat(), "ends_on": n.ends_on.isoformat(), "issued_by": n.issued_by,
        "issued_at": n.issued_at.isoformat(),
    }  # fmt: skip


def content_dict(session: Session) -> dict[str, Any]:
    content = current_content(session)
    enabled = {c.code for c in enabled_checks(session)}
    statutory = statutory_codes()
    return {
        "set_by": content.set_by if content else None,
        "set_at": content.set_at.isoformat() if content else None,
        "note": content.note if content else "",
        "checks": [
            {"code": c.code, "article": c.article, "title_zh": c.title_zh, "title_en": c.title_en,
             "enabled": c.code in enabled, "statutory": c.code in statutory}
            for c in all_checks()
        ],
    }  # fmt: skip
