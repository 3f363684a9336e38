"""Proposal and three-level review of open data (三级审核, Art. 46, 58).

1. A producer unit's data officer (or the office) proposes a dataset or a derived view, with open category,
   licence, update frequency and description. Art. 56 is checked first: what may never be opened cannot
   even be proposed.
2. The producer unit's reviewer (单位审核人) approves or refuses.
3. The office (网信办) approves or refuses, recording its secrecy review (保密审查, Art. 46).
4. The leadership group (网信领导小组) approves the entry into the open catalogue (Art. 58); it is published
   at once (first version materialised) and refreshed on its schedule afterwards.

Levels go in this order only; a refusal at any level needs a reason and ends the proposal. Nobody reviews a
proposal of their own (separation of duties, Art. 30). Every step is audited.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from edudata import transition
from edudata.audit import service as audit
from edudata.catalog.frequency import resolve_frequency
from edudata.catalog.models import DataElement, Dataset
from edudata.config import Settings
from edudata.db import utcnow
from edudata.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from edudata.identity.principal import Principal
from edudata.opendata import conditions as open_conditions
from edudata.opendata import definitions
from edudata.opendata.models import OpenReview, OpenView
from edudata.org.models import Unit
from edudata.policy import may_attempt, require
from edudata.secrecy.guard import refuse_secret

VIEW_CODE = re.compile(r"^[a-z][a-z0-9_-]{1,63}$")
#: status → (the level that acts next, the policy action it takes, the status after approval)
LEVELS: dict[str, tuple[str, str, str]] = {
    "proposed": ("unit", "opendata.review.unit", "unit_approved"),
    "unit_approved": ("office", "opendata.review.office", "office_approved"),
    "office_approved": ("leadership", "opendata.review.leadership", "published"),
}
LEVEL_NAMES = {
    "unit": ("单位审核", "unit review"),
    "office": ("网信办审核（含保密审查）", "office review with secrecy review"),
    "leadership": ("网信领导小组审定", "leadership approval"),
}
STATUS_NAMES = {
    "proposed": ("待单位审核", "awaiting unit review"),
    "unit_approved": ("待网信办审核", "awaiting office review"),
    "office_approved": ("待领导小组审定", "awaiting leadership approval"),
    "published": ("已发布", "published"),
    "refused": ("未通过", "refused"),
}
SECRECY_CHECKS = ("no_state_secret", "no_personal_privacy", "no_security_risk")


#: The fields checked here by the names the forms give them (an error names the field in words, issue 18).
_FIELD_NAMES = {
    "title": ("标题", "Title"),
    "title_en": ("英文标题", "English title"),
    "description": ("说明", "Description"),
    "reason": ("意见或理由", "Comment or reason"),
    "secrecy.conclusion": ("审查结论", "Conclusion"),
}


def _text(value: Any, field: str, max_length: int, required: bool = True) -> str:
    text = value.strip() if isinstance(value, str) else ""
    zh, en = _FIELD_NAMES.get(field, (field, field))
    if required and not text:
        raise ValidationFailed(f"{zh}：必填", f"{en}: required", field=field)
    if len(text) > max_length:
        raise ValidationFailed(f"{zh}：超过 {max_length} 字", f"{en}: longer than {max_length}", field=field)
    return text


def _audit(session: Session, who: Principal, operation: str, view: OpenView, **detail: Any) -> None:
    audit.record(
        session,
        operation=operation,
        account_id=who.account_id,
        username=who.username,
        unit_code=who.unit_code,
        source_ip=who.source_ip,
        dataset=view.dataset_code,
        detail={"view": view.code, **detail},
    )


def get_view(session: Session, code: str) -> OpenView:
    view = session.scalar(select(OpenView).where(OpenView.code == code[:64]))
    if view is None:
        raise NotFound(f"没有开放数据“{code[:64]}”", f"no open-data view '{code[:64]}'")
    return view


def dataset_of(session: Session, code: str) -> Dataset:
    dataset = session.scalar(
        select(Dataset).where(Dataset.code == str(code)[:64]).options(selectinload(Dataset.elements))
    )
    if dataset is None:
        raise NotFound(
            f"数据资源目录中没有数据集“{str(code)[:64]}”", f"no dataset '{str(code)[:64]}' in the catalogue"
        )
    return dataset


def owner_unit_code(session: Session, dataset: Dataset) -> str:
    return session.scalar(select(Unit.code).where(Unit.id == dataset.owner_unit_id)) or ""


def propose(session: Session, who: Principal, values: Mapping[str, Any], settings: Settings) -> OpenView:
    """Record a proposal (Art. 46 step 1) after the Art. 56 checks; ``values`` as the API receives them."""
    dataset = dataset_of(session, values.get("dataset") or "")
    unit_code = owner_unit_code(session, dataset)
    require(who, "opendata.view.propose", unit_code=unit_code)
    open_category = str(values.get("open_category") or "")
    definitions.check_openable(dataset, open_category)
    kind = str(values.get("kind") or "dataset")
    definition = definitions.clean_definition(
        dataset, kind, values.get("definition"), settings.opendata_min_cell
    )
    refuse_secret(  # 涉密 never opened (Art. 44(1), 56-57)
        session, dataset.code, definitions.source_elements(definition, dataset.subject_element), "opendata"
    )
    code = str(values.get("code") or dataset.code.replace("_", "-")).strip().lower()
    if not VIEW_CODE.match(code):
        raise ValidationFailed(
            "code：小写字母开头，含小写字母、数字、-、_",
            "code: lower-case letters, digits, - and _",
            field="code",
        )
    if session.scalar(select(OpenView.id).where(OpenView.code == code)) is not None:
        raise Conflict(f"开放数据代码 {code} 已存在", f"open-data code {code} already exists", field="code")
    licence = str(values.get("licence") or "")
    if licence not in definitions.LICENCES:
        raise ValidationFailed(
            f"licence：应为 {', '.join(definitions.LICENCES)} 之一",
            f"licence: one of {', '.join(definitions.LICENCES)}",
            field="licence",
        )
    frequency, seconds = resolve_frequency(
        session, values.get("update_frequency") or dataset.update_frequency
    )
    keywords = values.get("keywords") or []
    if (
        not isinstance(keywords, list)
        or len(keywords) > 20
        or not all(isinstance(k, str) and len(k) <= 30 for k in keywords)
    ):
        raise ValidationFailed(
            "keywords：至多 20 个、每个不超过 30 字",
            "keywords: at most 20 of 30 characters",
            field="keywords",
        )
    view = OpenView(
        code=code,
        dataset_code=dataset.code,
        unit_code=unit_code,
        kind=kind,
        title=_text(values.get("title") or dataset.name, "title", 200),
        title_en=_text(values.get("title_en") or dataset.name_en, "title_en", 200, required=False),
        description=_text(values.get("description"), "description", 4000),
        keywords=[k.strip() for k in keywords if k.strip()],
        open_category=open_category,
        licence=licence,
        update_frequency=frequency,
        refresh_seconds=seconds,
        definition=definition,
        conditions=open_conditions.clean_conditions(values.get("conditions"), open_category),
        status="proposed",
        proposed_by=who.username,
        proposed_at=utcnow(),
    )
    session.add(view)
    session.flush()
    _audit(session, who, "opendata_propose", view, kind=kind, open_category=open_category)
    return view


def state_conditions(session: Session, who: Principal, code: str, conditions: Any) -> OpenView:
    """The provider states (or restates) a conditional view's conditions (Art. 44(2)): who may apply, for what,
    with which commitments. Applications answered under the earlier conditions can no longer be approved."""
    view = get_view(session, code)
    require(who, "opendata.view.conditions", unit_code=view.unit_code)
    if view.open_category != "conditional":
        raise ValidationFailed(
            "无条件开放的数据不设开放条件", "unconditionally open data has no conditions", field="conditions"
        )
    view = transition.lock_row(session, OpenView, view.id, what=("开放数据", "open-data view"))
    view.conditions = open_conditions.clean_conditions(conditions, view.open_category)
    session.flush()
    _audit(session, who, "opendata_conditions", view, conditions=[c["id"] for c in view.conditions])
    return view


def _check_reviewer(session: Session, who: Principal, view: OpenView, level: str, action: str) -> None:
    require(who, action, unit_code=view.unit_code)
    if who.username == view.proposed_by or session.scalar(
        select(OpenReview.id).where(OpenReview.view_id == view.id, OpenReview.reviewer == who.username)
    ):
        raise PermissionDenied(
            "不能审核自己提出或已审核过的开放申请（第三十条 职责分离）",
            "nobody reviews their own proposal or reviews it twice (Art. 30, separation of duties)",
        )


def _locked(session: Session, who: Principal, view: OpenView) -> OpenView:
    """The view, locked for this transaction (compare-and-set, :mod:`edudata.transition`): when the level the
    caller reviews was decided meanwhile — two approvals at the same moment — 409 naming who decided it."""
    view = transition.lock_row(session, OpenView, view.id, what=("开放数据", "open-data view"))
    mine = {level for level, action, _after in LEVELS.values() if may_attempt(who, action)}
    if LEVELS.get(view.status, ("",))[0] in mine:
        return view
    decided = session.scalar(
        select(OpenReview)
        .where(OpenReview.view_id == view.id, OpenReview.level.in_(mine or {""}))
        .order_by(OpenReview.id.desc())
        .limit(1)
    )
    if decided is not None:
        raise transition.conflict(
            (f"开放数据“{view.code}”", f"view {view.code}"), STATUS_NAMES.get(view.status, view.status),
            by=decided.reviewer, at=decided.at,
        )  # fmt: skip
    return view


def review(
    session: Session,
    who: Principal,
    code: str,
    *,
    decision: str,
    reason: str = "",
    secrecy: Mapping[str, Any] | None = None,
) -> OpenView:
    """The next level's decision. ``secrecy`` (office only): every check of :data:`SECRECY_CHECKS` true and a
    conclusion; approval is impossible without it."""
    view = _locked(session, who, get_view(session, code))
    if view.status not in LEVELS:
        raise Conflict(
            f"开放数据“{view.code}”当前状态为{STATUS_NAMES[view.status][0]}，无需再审核",
            f"view {view.code} is {STATUS_NAMES[view.status][1]}; there is nothing to review",
        )
    level, role, after = LEVELS[view.status]
    _check_reviewer(session, who, view, level, role)
    if decision not in ("approve", "refuse"):
        raise ValidationFailed(
            "decision：应为 approve 或 refuse", "decision: approve or refuse", field="decision"
        )
    reason = _text(reason, "reason", 2000, required=decision == "refuse")
    record = None
    if level == "office":
        record = _secrecy_record(secrecy, decision)
    session.add(
        OpenReview(
            view_id=view.id,
            level=level,
            decision=decision,
            reviewer=who.username,
            reason=reason,
            secrecy=record,
            at=utcnow(),
        )
    )
    if decision == "refuse":
        view.status, view.refusal_reason = "refused", reason
    else:
        view.status = after
    session.flush()
    _audit(session, who, f"opendata_review_{level}", view, decision=decision, reason=reason[:200])
    return view


def _secrecy_record(secrecy: Mapping[str, Any] | None, decision: str) -> dict[str, Any] | None:
    """保密审查 (Art. 46): what the office checked and concluded, kept with its decision."""
    secrecy = dict(secrecy or {})
    checks = {c: secrecy.get(c) is True for c in SECRECY_CHECKS}
    conclusion = _text(secrecy.get("conclusion"), "secrecy.conclusion", 1000, required=False)
    missing = [c for c, ok in checks.items() if not ok] + ([] if conclusion else ["conclusion"])
    if decision == "approve" and missing:
        raise ValidationFailed(
            f"保密审查未完成：须确认并填写 {', '.join(missing)}（第四十六条）",
            f"the secrecy review is incomplete: confirm or fill in {', '.join(missing)} (Art. 46)",
            field="secrecy",
        )
    return {**checks, "conclusion": conclusion}


def reviews_of(session: Session, view: OpenView) -> list[dict[str, Any]]:
    rows = session.scalars(select(OpenReview).where(OpenReview.view_id == view.id).order_by(OpenReview.id))
    return [
        {
            "level": r.level,
            "decision": r.decision,
            "reviewer": r.reviewer,
            "reason": r.reason,
            "secrecy": r.secrecy,
            "at": r.at.isoformat(),
        }
        for r in rows
    ]


def pending_for(session: Session, who: Principal) -> list[OpenView]:
    """Proposals waiting for a level this person may act on."""
    statuses = [s for s, (_level, action, _) in LEVELS.items() if may_attempt(who, action)]
    if not statuses:
        return []
    views = session.scalars(select(OpenView).where(OpenView.status.in_(statuses)).order_by(OpenView.id)).all()
    return [v for v in views if v.status != "proposed" or v.unit_code == who.unit_code]


def element_dictionary(session: Session, dataset_code: str) -> dict[str, DataElement]:
    return {e.code: e for e in dataset_of(session, dataset_code).elements}
