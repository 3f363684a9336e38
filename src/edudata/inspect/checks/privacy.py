"""Privacy checks: obligations by the number of people stored (Art. 50) and sensitive PI collected only after
an assessment and a collective decision (Art. 51). Both read the privacy domain's own register."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select

from edudata.clock import today_in_china
from edudata.inspect.registry import CheckContext, Hit, check
from edudata.privacy.models import InformationSystem
from edudata.privacy.register import outstanding_obligations
from edudata.privacy.sensitive import sensitive_elements
from edudata.store.models import StoreTable

THRESHOLD_KINDS = (
    "pi_officer",
    "commission_filing",
    "app_certification",
    "protection_level",
    "annual_pi_audit",
)


@check(
    "privacy.pi_thresholds",
    article="50",
    severity="high",
    requires=("privacy",),
    zh="存储 20 万 / 100 万人以上个人信息的系统履行负责人、备案、APP 认证、等保三级与年度审计义务",
    en="Systems storing PI of 200,000 / 1,000,000+ people meet the officer, filing, level 3 and audit duties",
)
def pi_thresholds(ctx: CheckContext) -> Iterator[Hit]:
    """From :func:`edudata.privacy.register.outstanding_obligations`: a PI-protection officer and a commission
    filing at 200,000 people, protection level 3 and a yearly PI audit at 1,000,000. The system's owner unit is
    responsible. (A register never counted is the privacy dashboard's reminder, not a finding.)"""
    owners = dict(
        ctx.session.execute(select(InformationSystem.code, InformationSystem.owner_unit_code)).all()
    )
    for o in outstanding_obligations(ctx.session, today_in_china(ctx.now)):
        if o.kind not in THRESHOLD_KINDS:
            continue
        yield Hit(
            owners.get(o.system_code or "", ctx.office_unit_code),
            f"{o.kind}:{o.system_code}",
            o.message_zh,
            o.message_en,
            {"system": o.system_code, "obligation": o.kind, "people": o.people,
             "due_on": o.due_on.isoformat() if o.due_on else None},
        )  # fmt: skip


@check(
    "privacy.sensitive_unassessed",
    article="51",
    severity="high",
    requires=("privacy", "store", "catalog"),
    zh="敏感个人信息经论证和集体决策后方可收集",
    en="Sensitive PI collected only after an assessment and a collective decision",
)
def sensitive_unassessed(ctx: CheckContext) -> Iterator[Hit]:
    """A sensitive element (民族、宗教、生物特征、健康、金融账号、行踪 …) of a dataset that holds data (it has a governed
    table) without an approved necessity assessment and leadership decision. The dataset's owner is responsible."""
    from edudata.catalog.models import Dataset
    from edudata.org.models import Unit

    collected = dict(
        ctx.session.execute(
            select(Dataset.code, Unit.code)
            .join(StoreTable, StoreTable.dataset_code == Dataset.code)
            .join(Unit, Unit.id == Dataset.owner_unit_id)
        ).all()
    )
    for s in sensitive_elements(ctx.session):
        if s.collection_allowed or s.dataset_code not in collected:
            continue
        yield Hit(
            collected[s.dataset_code],
            f"element:{s.dataset_code}.{s.element_code}",
            f"敏感个人信息 {s.dataset_code}.{s.element_code}（{s.element_name}）已有数据，但{s.reason_zh}",
            f"sensitive PI {s.dataset_code}.{s.element_code} holds data but {s.reason_en}",
            {"dataset": s.dataset_code, "element": s.element_code, "assessment_id": s.assessment_id,
             "decision_id": s.decision_id},
        )  # fmt: skip
