"""Handling a finding: the office assigns it to a unit with a deadline, the unit answers, the office closes it
with evidence (Art. 64 责令限期改正; Art. 67 约谈、整改、消除隐患). Services flush and never commit.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from edudata import transition
from edudata.clock import today_in_china
from edudata.db import utcnow
from edudata.errors import NotFound, ValidationFailed
from edudata.identity.principal import Principal
from edudata.inspect.models import Finding
from edudata.org.models import Unit
from edudata.policy import allowed, require

STATUSES = {
    "open": ("待处理", "open"),
    "assigned": ("已交办", "assigned"),
    "answered": ("已答复", "answered"),
    "closed": ("已关闭", "closed"),
}
MAX_TEXT = 4000
SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}


def get_finding(session: Session, finding_id: int) -> Finding:
    finding = session.get(Finding, finding_id)
    if finding is None:
        raise NotFound(
            f"问题 {finding_id} 不存在", f"finding {finding_id} does not exist", field="finding_id"
        )
    return finding


def responsible_unit(finding: Finding) -> str | None:
    return finding.assigned_unit_code or finding.unit_code


def may_see(principal: Principal, finding: Finding) -> bool:
    return allowed(principal, "inspect.finding.read", unit_code=responsible_unit(finding))


def visible_finding(session: Session, principal: Principal, finding_id: int) -> Finding:
    """The finding if ``principal`` may see it; another unit's finding is reported as absent (no probing)."""
    finding = get_finding(session, finding_id)
    if not may_see(principal, finding):
        raise NotFound(
            f"问题 {finding_id} 不存在", f"finding {finding_id} does not exist", field="finding_id"
        )
    return finding


def _text(value: str | None, field: str, zh: str, en: str) -> str:
    text = (value or "").strip()
    if not text:
        raise ValidationFailed(f"请填写{zh}", f"{en} is required", field=field)
    if len(text) > MAX_TEXT:
        raise ValidationFailed(
            f"{zh}不能超过 {MAX_TEXT} 字", f"{en} is limited to {MAX_TEXT} characters", field=field
        )
    return text


def _parse_deadline(value: str | date | None) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValidationFailed(
            "整改期限应为日期（YYYY-MM-DD）", "deadline must be a date (YYYY-MM-DD)", field="deadline"
        ) from None


_STATUS = {
    "open": ("待交办", "open"),
    "assigned": ("已交办", "assigned"),
    "answered": ("已答复", "answered"),
    "closed": ("已关闭", "closed"),
}


def _locked(session: Session, finding: Finding, *allowed: str) -> Finding:
    """The finding, locked for this transaction (compare-and-set, :mod:`edudata.transition`): a second close
    or answer at the same moment finds the state moved on and gets 409 naming who moved it."""
    finding = transition.lock_row(session, Finding, finding.id, what=("问题", "finding"))
    by, at = {
        "closed": (finding.closed_by, finding.closed_at),
        "answered": (finding.answered_by, finding.answered_at),
    }.get(finding.status, (finding.assigned_by, finding.assigned_at))
    transition.expect(
        finding, allowed, what=(f"问题 #{finding.id}", f"finding #{finding.id}"),
        state=_STATUS.get(finding.status, finding.status), by=by, at=at,
    )  # fmt: skip
    return finding


def assign(
    session: Session, finding: Finding, *, unit_code: str | None, deadline: str | date | None, by: str
) -> Finding:
    """Hand the finding to the unit that must correct it (its own unit by default) with a deadline."""
    finding = _locked(session, finding, "open", "assigned", "answered")
    unit_code = (unit_code or finding.unit_code or "").strip()
    if not unit_code or session.execute(select(Unit.id).where(Unit.code == unit_code)).first() is None:
        raise ValidationFailed(
            f"单位代码 {unit_code[:40]} 不存在", f"unknown unit code {unit_code[:40]}", field="unit_code"
        )
    when = _parse_deadline(deadline) or finding.deadline
    if when is not None and when < today_in_china():
        raise ValidationFailed("整改期限不能早于今天", "the deadline cannot be in the past", field="deadline")
    finding.assigned_unit_code = unit_code
    finding.deadline = when
    finding.assigned_by = by
    finding.assigned_at = utcnow()
    finding.status = "assigned"
    session.flush()
    return finding


def answer(session: Session, finding: Finding, *, text: str, principal: Principal) -> Finding:
    """The responsible unit's answer: what it corrected, or why the finding is mistaken (once per assignment:
    the office assigns it again for another answer)."""
    finding = _locked(session, finding, "open", "assigned")
    require(principal, "inspect.finding.answer", unit_code=responsible_unit(finding))
    finding.answer = _text(text, "answer", "答复", "the answer")
    finding.answered_by = principal.username
    finding.answered_at = utcnow()
    finding.status = "answered"
    session.flush()
    return finding


def close(session: Session, finding: Finding, *, evidence: str, by: str) -> Finding:
    """Close with the evidence of correction (the office only). A later run that still sees it reopens it."""
    finding = _locked(session, finding, "open", "assigned", "answered")
    finding.close_evidence = _text(evidence, "evidence", "整改证据", "the evidence")
    finding.closed_by = by
    finding.closed_at = utcnow()
    finding.status = "closed"
    session.flush()
    return finding


def findings_query(
    *,
    principal: Principal | None = None,
    status: str | None = None,
    article: str | None = None,
    unit_code: str | None = None,
    check_code: str | None = None,
    current: bool = True,
    overdue_on: date | None = None,
) -> Select[tuple[Finding]]:
    """Findings filtered, unordered; ``current`` keeps those not resolved by a later run, ``overdue_on`` those past
    their deadline on that day and not closed. A unit sees its own (Art. 64)."""
    query = select(Finding)
    if current:
        query = query.where(Finding.resolved_run_id.is_(None))
    if status:
        query = query.where(Finding.status == status)
    if article:
        query = query.where(Finding.article == article)
    if check_code:
        query = query.where(Finding.check_code == check_code)
    if unit_code:
        query = query.where(func.coalesce(Finding.assigned_unit_code, Finding.unit_code) == unit_code)
    if overdue_on is not None:
        query = query.where(
            Finding.status != "closed", Finding.resolved_run_id.is_(None), Finding.deadline.is_not(None),
            Finding.deadline < overdue_on,
        )  # fmt: skip
    if principal is not None and not allowed(principal, "inspect.finding.read"):
        query = query.where(
            func.coalesce(Finding.assigned_unit_code, Finding.unit_code) == principal.unit_code
        )
    return query


#: Severity as a sort key: high first when ascending.
SEVERITY_RANK = case(SEVERITY_ORDER, value=Finding.severity, else_=3)


def list_findings(
    session: Session,
    *,
    principal: Principal | None = None,
    status: str | None = None,
    article: str | None = None,
    unit_code: str | None = None,
    check_code: str | None = None,
    current: bool = True,
    limit: int = 50,
    offset: int = 0,
    order: str = "deadline",
) -> tuple[list[Finding], int]:
    """Findings filtered (:func:`findings_query`) and paged."""
    query = findings_query(
        principal=principal, status=status, article=article, unit_code=unit_code, check_code=check_code,
        current=current,
    )  # fmt: skip
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    orders = {
        "deadline": (Finding.deadline.asc(), Finding.id),
        "severity": (case(SEVERITY_ORDER, value=Finding.severity, else_=3), Finding.id),
        "article": (Finding.article.asc(), Finding.id),
        "unit": (Finding.unit_code.asc(), Finding.id),
        "newest": (Finding.id.desc(),),
    }
    query = query.order_by(*orders.get(order, orders["deadline"])).limit(limit).offset(offset)
    return list(session.execute(query).scalars()), total
