"""Sensitive personal information (敏感个人信息, Art. 51): before any collection into an element marked
sensitive, a necessity / scientific / ethics assessment (论证) and the unit leadership's collective decision
(单位领导班子集体决策) must be on file.

The catalogue keeps the marking (flag and type); this module keeps the assessment and the decision and answers
:func:`collection_refusal` / :func:`check_collection`, which the ingest domain calls for every batch.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from edudata.catalog.models import DataElement, Dataset
from edudata.errors import Conflict, NotFound, ValidationFailed
from edudata.privacy.attachments import get_attachment
from edudata.privacy.models import CollectiveDecision, SensitiveAssessment

CONCLUSIONS = ("necessary", "not_necessary")
OUTCOMES = ("approved", "rejected")


@dataclass(frozen=True)
class SensitiveStatus:
    dataset_code: str
    element_code: str
    element_name: str
    sensitive_type: str | None
    assessment_id: int | None
    decision_id: int | None
    collection_allowed: bool
    reason_zh: str
    reason_en: str


def _element(session: Session, dataset_code: str, element_code: str) -> DataElement:
    element = session.execute(
        select(DataElement)
        .join(Dataset)
        .where(Dataset.code == dataset_code, DataElement.code == element_code)
    ).scalar_one_or_none()
    if element is None:
        raise NotFound(
            f"数据集 {dataset_code} 没有数据元素 {element_code}",
            f"dataset {dataset_code} has no element {element_code}",
        )
    return element


def _text(value: str | None, field: str, zh: str, limit: int = 5000) -> str:
    value = (value or "").strip()
    if len(value) < 4 or len(value) > limit:
        raise ValidationFailed(
            f"{zh}须填写（4 至 {limit} 字）", f"{field} is required (4 to {limit} characters)", field=field
        )
    return value


def record_assessment(
    session: Session,
    *,
    dataset_code: str,
    element_code: str,
    necessity: str,
    scientific_basis: str,
    ethics: str,
    impact: str,
    conclusion: str,
    assessed_on: date,
    attachment_id: int | None = None,
    actor: str | None = None,
) -> SensitiveAssessment:
    """Record the 必要性、科学性、伦理性 assessment of collecting one sensitive element (Art. 51)."""
    element = _element(session, dataset_code, element_code)
    if not element.sensitive:
        raise Conflict(
            f"数据元素 {dataset_code}.{element_code} 未标记为敏感个人信息，无需论证",
            f"element {dataset_code}.{element_code} is not marked sensitive personal information",
        )
    if conclusion not in CONCLUSIONS:
        raise ValidationFailed(
            "论证结论须为 necessary 或 not_necessary", "conclusion: necessary or not_necessary"
        )
    if attachment_id is not None:
        get_attachment(session, attachment_id)
    row = SensitiveAssessment(
        dataset_code=dataset_code,
        element_code=element_code,
        necessity=_text(necessity, "necessity", "必要性论证"),
        scientific_basis=_text(scientific_basis, "scientific_basis", "科学性论证"),
        ethics=_text(ethics, "ethics", "伦理性论证"),
        impact=_text(impact, "impact", "对个人的影响"),
        conclusion=conclusion,
        assessed_on=assessed_on,
        attachment_id=attachment_id,
        recorded_by=actor,
    )
    session.add(row)
    session.flush()
    return row


def record_decision(
    session: Session,
    *,
    assessment_id: int,
    body: str,
    meeting: str,
    meeting_date: date,
    outcome: str,
    attachment_id: int,
    attendees: str = "",
    actor: str | None = None,
) -> CollectiveDecision:
    """Record the leadership's collective decision on an assessment; the minutes (attachment) are required."""
    assessment = session.get(SensitiveAssessment, assessment_id)
    if assessment is None:
        raise NotFound(f"没有编号为 {assessment_id} 的论证记录", f"no assessment {assessment_id}")
    if outcome not in OUTCOMES:
        raise ValidationFailed(
            "决策结果须为 approved 或 rejected", "outcome: approved or rejected", field="outcome"
        )
    if meeting_date < assessment.assessed_on:
        raise ValidationFailed(
            "集体决策日期不能早于论证日期", "the decision cannot predate the assessment", field="meeting_date"
        )
    get_attachment(session, attachment_id)
    row = CollectiveDecision(
        assessment_id=assessment_id,
        body=_text(body, "body", "决策机构", 200),
        meeting=_text(meeting, "meeting", "会议名称", 200),
        meeting_date=meeting_date,
        outcome=outcome,
        attendees=(attendees or "").strip()[:2000],
        attachment_id=attachment_id,
        recorded_by=actor,
    )
    session.add(row)
    session.flush()
    return row


def _status(session: Session, element: DataElement) -> SensitiveStatus:
    dataset_code = element.dataset.code
    base = (dataset_code, element.code, element.name, element.sensitive_type)
    assessment = session.execute(
        select(SensitiveAssessment)
        .where(
            SensitiveAssessment.dataset_code == dataset_code,
            SensitiveAssessment.element_code == element.code,
        )
        .order_by(SensitiveAssessment.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if assessment is None:
        return SensitiveStatus(
            *base,
            None,
            None,
            False,
            "尚无必要性、科学性、伦理性论证",
            "no necessity/ethics assessment on file",
        )
    if assessment.conclusion != "necessary":
        return SensitiveStatus(
            *base,
            assessment.id,
            None,
            False,
            "论证结论为不必要收集",
            "the assessment found collection unnecessary",
        )
    decision = session.execute(
        select(CollectiveDecision)
        .where(CollectiveDecision.assessment_id == assessment.id)
        .order_by(CollectiveDecision.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if decision is None:
        return SensitiveStatus(
            *base,
            assessment.id,
            None,
            False,
            "尚无单位领导班子集体决策记录",
            "no collective leadership decision on file",
        )
    if decision.outcome != "approved":
        return SensitiveStatus(
            *base,
            assessment.id,
            decision.id,
            False,
            "集体决策未同意收集",
            "the collective decision refused collection",
        )
    return SensitiveStatus(
        *base, assessment.id, decision.id, True, "已论证并经集体决策同意", "assessed and approved"
    )


def sensitive_elements(session: Session, dataset_code: str | None = None) -> list[SensitiveStatus]:
    """Every element marked sensitive in the catalogue, with whether collection into it is allowed yet."""
    stmt = (
        select(DataElement)
        .join(Dataset)
        .where(DataElement.sensitive.is_(True))
        .options(selectinload(DataElement.dataset))
        .order_by(Dataset.code, DataElement.position, DataElement.id)
    )
    if dataset_code is not None:
        stmt = stmt.where(Dataset.code == dataset_code)
    return [_status(session, e) for e in session.execute(stmt).scalars()]


def collection_refusal(
    session: Session, dataset_code: str, element_codes: Iterable[str]
) -> list[SensitiveStatus]:
    """The sensitive elements among ``element_codes`` that may not be collected into yet (empty = all fine)."""
    wanted = set(element_codes)
    return [
        s
        for s in sensitive_elements(session, dataset_code)
        if s.element_code in wanted and not s.collection_allowed
    ]


def check_collection(session: Session, dataset_code: str, element_codes: Iterable[str]) -> None:
    """Refuse (409, naming each element and why) a collection carrying values of a sensitive element that has no
    approved assessment and collective decision yet (Art. 51). Call with the elements that hold values."""
    refused = collection_refusal(session, dataset_code, element_codes)
    if refused:
        raise Conflict(
            "敏感个人信息未经论证和集体决策，不得收集（第五十一条）："
            + "；".join(f"{s.element_code}（{s.reason_zh}）" for s in refused),
            "sensitive personal information may not be collected before assessment and collective decision "
            "(Art. 51): " + "; ".join(f"{s.element_code} ({s.reason_en})" for s in refused),
            elements=[s.element_code for s in refused],
        )
