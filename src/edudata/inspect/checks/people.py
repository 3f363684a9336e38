"""People checks (Art. 49, 53): a named security officer in every unit that produces data, security tests and
risk assessments held each year with their findings corrected by the due date, outsourcing commitments on file."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import func, select

from edudata.clock import today_in_china
from edudata.inspect.registry import CheckContext, Hit, check
from edudata.lifecycle.models import OutsourcingCommitment, SecurityAssessment, UnitOfficer
from edudata.org.models import Account, Unit, UnitType

#: A unit's last security test or risk assessment may be at most this many days old (定期, Art. 49).
ASSESSMENT_DAYS = 366


def _producer_units(ctx: CheckContext) -> list[Unit]:
    """Units that own a dataset of the catalogue (数据生产单位): each answers for its data's security."""
    from edudata.catalog.models import Dataset

    return list(
        ctx.session.scalars(
            select(Unit).where(Unit.id.in_(select(Dataset.owner_unit_id).distinct())).order_by(Unit.code)
        )
    )


@check(
    "people.security_officer",
    article="49",
    severity="medium",
    requires=("lifecycle", "catalog"),
    zh="数据生产单位明确数据安全管理责任人",
    en="Every data-producing unit names its security officer",
)
def security_officer(ctx: CheckContext) -> Iterator[Hit]:
    """A unit owning a dataset with no active appointment of an enabled account."""
    named = set(
        ctx.session.scalars(
            select(UnitOfficer.unit_id)
            .join(Account, Account.id == UnitOfficer.account_id)
            .where(UnitOfficer.ended_at.is_(None), Account.disabled.is_(False))
        )
    )
    for unit in _producer_units(ctx):
        if unit.id not in named:
            yield Hit(
                unit.code,
                f"unit:{unit.code}",
                f"{unit.name}（{unit.code}）未明确数据安全管理责任人",
                f"{unit.code} has named no security officer",
                {"unit_code": unit.code},
            )


@check(
    "people.security_assessment",
    article="49",
    severity="medium",
    requires=("lifecycle", "catalog"),
    zh="定期开展安全测评和风险评估，发现问题按期整改",
    en="Security tests and risk assessments held yearly, findings corrected by their due date",
)
def security_assessment(ctx: CheckContext) -> Iterator[Hit]:
    """A producing unit without a test or assessment in the last year, and findings past their due date."""
    today = today_in_china(ctx.now)
    last = dict(
        ctx.session.execute(
            select(SecurityAssessment.unit_id, func.max(SecurityAssessment.held_on)).group_by(
                SecurityAssessment.unit_id
            )
        ).all()
    )
    for unit in _producer_units(ctx):
        held = last.get(unit.id)
        if held is None or (today - held).days > ASSESSMENT_DAYS:
            yield Hit(
                unit.code,
                f"assessment:{unit.code}",
                f"{unit.code} 近一年未开展安全测评或风险评估" + (f"（最近一次 {held}）" if held else ""),
                f"{unit.code} held no security test or risk assessment in the last year"
                + (f" (last {held})" if held else ""),
                {"unit_code": unit.code, "last_held_on": held.isoformat() if held else None},
            )
    overdue = ctx.session.execute(
        select(SecurityAssessment, Unit.code)
        .join(Unit, Unit.id == SecurityAssessment.unit_id)
        .where(
            SecurityAssessment.findings != "",
            SecurityAssessment.closed_on.is_(None),
            SecurityAssessment.due_on < today,
        )
    ).all()
    for row, code in overdue:
        yield Hit(
            code,
            f"finding:{row.id}",
            f"{code} 的安全测评问题逾期未整改（期限 {row.due_on}）",
            f"{code}: assessment findings not corrected by {row.due_on}",
            {"assessment": row.id, "due_on": row.due_on.isoformat()},
        )


@check(
    "people.outsourcing_commitment",
    article="53",
    severity="medium",
    requires=("lifecycle",),
    zh="外包服务公司签订数据安全保密承诺书",
    en="Outsourcing firms have signed the data-security secrecy commitment",
)
def outsourcing_commitment(ctx: CheckContext) -> Iterator[Hit]:
    """A support unit (外包服务单位) with enabled accounts and no commitment on file."""
    signed = set(ctx.session.scalars(select(OutsourcingCommitment.unit_id)))
    units = ctx.session.scalars(
        select(Unit)
        .where(
            Unit.unit_type == UnitType.SUPPORT,
            Unit.id.in_(select(Account.unit_id).where(Account.disabled.is_(False))),
        )
        .order_by(Unit.code)
    )
    for unit in units:
        if unit.id not in signed:
            yield Hit(
                unit.code,
                f"unit:{unit.code}",
                f"外包服务单位 {unit.name}（{unit.code}）未签订《天津市教育数据安全保密承诺书》",
                f"support unit {unit.code} has no signed secrecy commitment on file",
                {"unit_code": unit.code},
            )
