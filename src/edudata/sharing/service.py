"""Share applications (附件1) and the use commitment (附件2): apply, see the 最小化 nudge, sign, submit.

Rules (Art. 37-41):
- only a user unit's ``applicant`` applies, for a dataset of another unit; 不予共享 datasets and elements cannot be
  requested (Art. 39) — the API refuses them exactly like the page, naming the elements;
- the row scope is a filter built from shareable elements stored in the clear (never an encrypted identifier);
- the form shows how many rows and distinct people the selection covers and which elements are sensitive, counted
  through the data path (audited, no record leaves) so the applicant can ask for less (最小化, Art. 38);
- submission needs the applicant's signature of the current commitment text (Art. 41): account, time, address and
  the SHA-256 of the words signed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from edudata import transition
from edudata.access import datapath, filters
from edudata.access.specs import load_spec
from edudata.audit import service as audit
from edudata.audit.redact import redact
from edudata.catalog.service import get_dataset
from edudata.clock import CHINA, today_in_china  # noqa: F401 - today_in_china is re-exported
from edudata.crypto.keys import KeyManager
from edudata.db import utcnow
from edudata.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from edudata.identity.principal import Principal
from edudata.policy import allowed, require
from edudata.policy.thresholds import LARGE_SCALE_PEOPLE, effective, reaches
from edudata.secrecy.guard import refuse_secret
from edudata.sharing.models import (
    ShareApplication,
    ShareReview,
    SharingPolicy,
)

ESTIMATE_LIMIT = 30  # estimates per account per minute
DELIVERY = {
    "api": ("接口调用", "API"),
    "export": ("一次性导出", "one-off export"),
    # 用而不存 (Art. 51): the grant only answers yes/no checks of the elements; nothing is delivered.
    "verify": ("核验（用而不存）", "verification only (use without storing)"),
}
MAX_PERIOD_DAYS = 3 * 366
#: What the data is for (Art. 32: only for the school's educational work). Statistics, research and decision
#: analysis are the uses Art. 54 names: they are delivered de-identified.
PURPOSES: dict[str, tuple[str, str]] = {
    "business": ("业务办理", "business"),
    "statistics": ("统计分析", "statistical analysis"),
    "research": ("科学研究", "scientific research"),
    "decision": ("决策分析", "decision analysis"),
}
ANALYTIC_PURPOSES = frozenset({"statistics", "research", "decision"})
#: Words of the written purpose that make it an Art. 54 analysis whatever kind the applicant picked.
ANALYTIC_WORDS: tuple[tuple[str, str], ...] = (
    ("统计", "statistics"),
    ("statistic", "statistics"),
    ("科研", "research"),
    ("研究", "research"),
    ("research", "research"),
    ("决策分析", "decision"),
    ("决策支持", "decision"),
)
#: Art. 10(1): the authoritative basic data of staff, students (and the school itself, Art. 13) is had by
#: applying; any other data exchange needs the three-party agreement of user unit, producer unit and office.
BASIC_NATURES = frozenset({"school", "staff", "students"})
#: Unit types inside the school that may apply (Art. 4(3): sharing is for the school's own units only).
INTERNAL_UNIT_TYPES = frozenset({"school", "leadership_group", "office", "producer", "user"})
STATUS_LABELS: dict[str, tuple[str, str]] = {
    "draft": ("草稿（待签署承诺书并提交）", "draft (sign and submit)"),
    "pending_producer": ("待数据生产单位审核", "awaiting the producer unit"),
    "pending_office": ("待网信办审核", "awaiting the office"),
    "pending_commission": (
        "待上传市教委批准文件（第五十条）",
        "awaiting the commission's approval (Art. 50)",
    ),
    "pending_agreement": (
        "待备案三方授权协议（第十条）",
        "awaiting the three-party agreement on file (Art. 10)",
    ),
    "pending_release": ("待去标识化发布（第四十二条）", "awaiting de-identified release (Art. 42)"),
    "granted": ("已授权", "granted"),
    "refused": ("已驳回", "refused"),
    "revoked": ("已撤销", "revoked"),
}


def end_of_period(day: date) -> datetime:
    """A grant for ``day`` ends at the following midnight, Beijing time (stored in UTC)."""
    return datetime.combine(day + timedelta(days=1), datetime.min.time(), CHINA).astimezone(UTC)


def audit_step(
    session: Session, actor: Principal | None, operation: str, app: ShareApplication, **detail: Any
) -> None:
    """Every step of an application is audited in its own transaction's commit (Art. 30, 59)."""
    who: dict[str, Any] = {"username": "policy", "source_ip": "local"}
    if actor is not None:
        who = {
            "account_id": actor.account_id,
            "username": actor.username,
            "unit_code": actor.unit_code,
            "source_ip": actor.source_ip,
        }
    if detail.get("filter") is not None:  # the row scope's values as keyed hashes (docs/audit.md)
        scope = detail["filter"]
        detail["filter"] = redact(
            KeyManager(session), scope if isinstance(scope, dict | str) else filters.to_json(scope)
        )
    audit.record(
        session,
        operation=operation,
        dataset=app.dataset_code,
        elements=list(app.elements),
        detail={"application_id": app.id, "status": app.status, **detail},
        **who,
    )


def what(app: ShareApplication) -> tuple[str, str]:
    return f"共享申请 #{app.id}", f"application #{app.id}"


def status_label(status: str) -> tuple[str, str]:
    return STATUS_LABELS.get(status, (status, status))


def last_decider(session: Session, app: ShareApplication) -> tuple[str | None, datetime | None]:
    """Who last moved the application on, and when (for the 409 of a request that came second)."""
    if app.status == "revoked":
        from edudata.access.models import AccessGrant

        grant = session.get(AccessGrant, app.grant_id) if app.grant_id else None
        if grant is not None and grant.revoked_by:
            return grant.revoked_by, grant.revoked_at
    if app.status == "draft":
        return None, None
    review = session.scalar(
        select(ShareReview)
        .where(ShareReview.application_id == app.id, ShareReview.decided_at.is_not(None))
        .order_by(ShareReview.decided_at.desc(), ShareReview.id.desc())
        .limit(1)
    )
    if review is not None:
        return review.reviewer_username, review.decided_at
    return app.applicant_username, app.submitted_at


def lock_application(session: Session, app: ShareApplication, *allowed: str) -> ShareApplication:
    """Lock the application for this transaction (compare-and-set, :mod:`edudata.transition`) and, when
    ``allowed`` states are named, check it is still in one of them — else 409 naming who decided it."""
    locked = transition.lock_row(session, ShareApplication, app.id, what=("共享申请", "application"))
    if allowed and locked.status not in allowed:
        by, at = last_decider(session, locked)
        raise transition.conflict(what(locked), status_label(locked.status), by=by, at=at)
    return locked


def policy(session: Session) -> SharingPolicy:
    found = session.get(SharingPolicy, 1)
    if found is None:
        found = SharingPolicy(id=1)
        session.add(found)
        session.flush()
    return found


def large_scale_threshold(session: Session) -> int:
    """The Art. 50 gate in force: the office's threshold when lower, never above the statutory 200,000."""
    return effective(LARGE_SCALE_PEOPLE, policy(session).large_scale_threshold)


def set_policy(session: Session, actor: Principal, values: Mapping[str, Any]) -> SharingPolicy:
    """The office sets auto-approval of 无条件共享, the review deadline, the minimum k and the Art. 50 threshold."""
    require(actor, "sharing.policy.edit")
    p = policy(session)
    limits = {
        "review_working_days": (1, 30),
        "min_k": (2, 1000),
        "large_scale_threshold": (1, LARGE_SCALE_PEOPLE),
    }
    for key, value in values.items():
        if key == "auto_approve_unconditional":
            p.auto_approve_unconditional = bool(value)
        elif key in limits:
            low, high = limits[key]
            if not isinstance(value, int) or not low <= value <= high:
                raise ValidationFailed(
                    f"{key} 应为 {low} 到 {high} 之间的整数（法定门槛只能调低，第五十条）",
                    f"{key} must be an integer {low}-{high} (a statutory threshold may be lowered only, Art. 50)",
                    field=key,
                )
            setattr(p, key, value)
        else:
            raise ValidationFailed(f"未知的策略项 {key}", f"unknown policy setting {key}", field=key)
    p.updated_by, p.updated_at = actor.username, utcnow()
    session.flush()
    audit.record(
        session,
        operation="share_policy",
        account_id=actor.account_id,
        username=actor.username,
        unit_code=actor.unit_code,
        source_ip=actor.source_ip,
        detail={k: getattr(p, k) for k in ("auto_approve_unconditional", *limits)},
    )
    return p


def _required(values: Mapping[str, Any], name: str, zh: str, limit: int = 4000) -> str:
    text = str(values.get(name) or "").strip()
    if not text:
        raise ValidationFailed(f"请填写{zh}", f"{name} is required", field=name)
    if len(text) > limit:
        raise ValidationFailed(
            f"{zh}过长（至多 {limit} 字）", f"{name} is too long (max {limit})", field=name
        )
    return text


def _date(value: Any, name: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValidationFailed(
            f"{name} 应为日期（YYYY-MM-DD）", f"{name} must be a date", field=name
        ) from None


def check_selection(
    session: Session, dataset_code: str, elements: Sequence[str], row_filter: Any
) -> tuple[Any, list[str], dict | None]:
    """Validate a request's dataset, elements and row filter (Art. 39: 不予共享 cannot be requested)."""
    dataset = get_dataset(session, dataset_code)
    if dataset.share_category == "none":
        raise ValidationFailed(
            f"数据集“{dataset.name}”为不予共享，不能申请（第三十九条）",
            f"dataset {dataset.code} is not shared and cannot be requested (Art. 39)",
            field="dataset_code",
        )
    by_code = {e.code: e for e in dataset.elements}
    chosen = list(dict.fromkeys(str(e) for e in elements))
    if not chosen:
        raise ValidationFailed("请至少选择一个数据项", "choose at least one element", field="elements")
    unknown = [e for e in chosen if e not in by_code]
    if unknown:
        raise ValidationFailed(
            f"数据集中没有数据项 {', '.join(unknown)[:200]}", f"no such elements: {', '.join(unknown)[:200]}",
            field="elements",
        )  # fmt: skip
    refused = [e for e in chosen if by_code[e].share_category == "none"]
    if refused:
        names = "、".join(f"{by_code[e].name}（{e}）" for e in refused)
        raise ValidationFailed(
            f"{names} 为不予共享数据项，不能申请（第三十九条）",
            f"elements {', '.join(refused)} are not shared and cannot be requested (Art. 39)",
            field="elements",
            not_shared=refused,
        )
    spec = load_spec(session, dataset_code)
    node = filters.parse(row_filter)
    for code in filters.elements_used(node):
        element = spec.element(code)
        if element is None or element.encrypted or element.share_category == "none":
            raise ValidationFailed(
                f"行范围条件不能使用数据项 {code}（不存在、加密存储或不予共享）",
                f"the row scope cannot use element {code} (unknown, encrypted or not shared)",
                field="row_filter",
            )
    refuse_secret(session, dataset.code, chosen, "sharing")  # 涉密 never shared (Art. 56-57)
    order = [e.code for e in dataset.elements]
    return dataset, sorted(chosen, key=order.index), filters.to_json(node)


def sensitive_of(session: Session, dataset_code: str, elements: Sequence[str]) -> list[str]:
    """Elements that are sensitive PI (Art. 51) or graded 重要数据 (stored encrypted)."""
    spec = load_spec(session, dataset_code)
    return [e for e in elements if (el := spec.element(e)) and (el.sensitive_type or el.encrypted)]


def estimate(
    ctx: datapath.Context, actor: Principal, dataset_code: str, elements: Sequence[str], row_filter: Any
) -> dict[str, Any]:
    """The 最小化 nudge: rows and distinct people covered, the sensitive elements chosen, and advice.

    Rate-limited per account (``ESTIMATE_LIMIT`` a minute): each answer is an aggregate, but many answers are
    what an inference attack needs (docs/privacy.md)."""
    from edudata.privacy.verify import admit

    admit(actor, ctx, "estimate", ESTIMATE_LIMIT, timedelta(minutes=1), ("覆盖范围估算", "estimates"))
    dataset, chosen, node = check_selection(ctx.session, dataset_code, elements, row_filter)
    coverage = datapath.count_people(actor, ctx, dataset.code, filter=node)
    people = coverage.people
    sensitive = sensitive_of(ctx.session, dataset.code, chosen)
    advice: list[dict[str, str]] = []
    if sensitive:
        advice.append({
            "zh": f"所选数据项含敏感或重要数据：{'、'.join(sensitive)}，请确认确属必要（第三十八条、第五十一条）",
            "en": f"the selection includes sensitive or important elements: {', '.join(sensitive)}; "
                  "make sure each is necessary (Art. 38, 51)",
        })  # fmt: skip
    if node is None:
        advice.append({
            "zh": "未设置行范围，将覆盖数据集的全部记录；请只申请业务需要的行",
            "en": "no row scope: every record is covered; ask only for the rows you need",
        })  # fmt: skip
    if reaches(people, large_scale_threshold(ctx.session)):
        advice.append({
            "zh": "覆盖人数达到 20 万以上，须经市教委批准（第五十条），审批时间较长",
            "en": "200,000 people or more: the city commission must approve (Art. 50)",
        })  # fmt: skip
    if coverage.suppressed:
        advice.append({
            "zh": f"所选范围少于 {coverage.bucket} 人：为保护个人信息，不显示确切人数",
            "en": f"fewer than {coverage.bucket} people: the exact count is not shown, to protect them",
        })  # fmt: skip
    return {"dataset": dataset.code, "elements": chosen, "filter": node, **coverage.as_json(),
            "sensitive_elements": sensitive, "advice": advice}  # fmt: skip


def require_internal(session: Session, actor: Principal, zh: str, en: str) -> None:
    """Only accounts of the school's own units take part in sharing (Art. 4(3), 10): a support company's
    account (技术支持或服务单位, 附件3) is refused — it works on the data under its agreement, it never receives it."""
    from edudata.org.models import Unit

    unit_type = session.scalar(select(Unit.unit_type).where(Unit.code == actor.unit_code))
    if unit_type not in INTERNAL_UNIT_TYPES:
        raise PermissionDenied(
            f"{zh}：只有校内单位的账户可以办理（第四条第三项、第十条）；技术支持或服务单位（附件3）的账户不能申请或接收共享数据",
            f"{en}: only accounts of units inside the school may (Art. 4(3), 10); an account of a technical "
            "support or service company (Annex 3) cannot apply for or receive shared data",
            unit_type=unit_type or "",
        )


def purpose_kind_of(declared: Any, purpose: str) -> str:
    """The kind of purpose that binds the grant (Art. 54): the declared one, unless the written purpose says it is
    statistics, research or decision analysis — then that, whatever was declared."""
    kind = str(declared or "business")
    if kind not in PURPOSES:
        raise ValidationFailed(
            "用途类型应为 business（业务办理）、statistics（统计分析）、research（科学研究）或 decision（决策分析）",
            "purpose_kind must be business, statistics, research or decision",
            field="purpose_kind",
        )
    if kind in ANALYTIC_PURPOSES:
        return kind
    text = purpose.lower()
    for word, analytic in ANALYTIC_WORDS:
        if word in text:
            return analytic
    return kind


def deidentified(app: ShareApplication) -> bool:
    """De-identified delivery: a third-party analysis (Art. 42) or any statistics/research/decision use (Art. 54)."""
    return bool(app.third_party) or app.purpose_kind in ANALYTIC_PURPOSES


def create_application(
    ctx: datapath.Context, actor: Principal, values: Mapping[str, Any]
) -> ShareApplication:
    """A draft application (附件1); the nudge's counts are stored with it.

    Art. 4(3), 10: only an internal unit applies; Art. 54: the purpose's kind binds the delivery; Art. 10(1): data
    other than the authoritative basic data needs the three-party agreement (``needs_agreement``)."""
    require(actor, "sharing.application.apply")
    session = ctx.session
    require_internal(session, actor, "不能申请共享数据", "cannot apply for shared data")
    dataset, chosen, node = check_selection(
        session, str(values.get("dataset_code") or ""), values.get("elements") or [], values.get("row_filter")
    )
    owner = dataset_owner_code(session, dataset)
    if owner == actor.unit_code:
        raise Conflict(
            "本单位即该数据的生产单位，无需申请共享",
            "your unit produces this dataset; no application is needed",
        )
    start = _date(values.get("period_start") or today_in_china(), "period_start")
    end = _date(values.get("period_end"), "period_end")
    if end < start or end < today_in_china() or (end - start).days > MAX_PERIOD_DAYS:
        raise ValidationFailed(
            "使用期限不合理：结束日期须不早于开始日期和今天，且不超过三年",
            "period of use: the end must not precede the start or today, and at most three years",
            field="period_end",
        )
    delivery = str(values.get("delivery") or "api")
    if delivery not in DELIVERY:
        raise ValidationFailed(
            "交付方式应为 api、export 或 verify", "delivery must be api, export or verify", field="delivery"
        )
    third = bool(values.get("third_party"))
    third_name = str(values.get("third_party_name") or "").strip()[:200]
    if third and not third_name:
        raise ValidationFailed("请填写第三方机构名称", "name the third party", field="third_party_name")
    # The applicant's own view of the scope (rounded, suppressed below k); the approval counts it exactly.
    rows = people = None
    if datapath.estimable(node, load_spec(session, dataset.code)):
        coverage = datapath.count_people(actor, ctx, dataset.code, filter=node)
        rows, people = coverage.rows, coverage.people
    purpose = _required(values, "purpose", "用途")
    declared = str(values.get("purpose_kind") or "business")
    kind = purpose_kind_of(declared, purpose)
    app = ShareApplication(
        applicant_account_id=actor.account_id,
        applicant_username=actor.username,
        applicant_unit_code=actor.unit_code,
        contact_name=_required(values, "contact_name", "联系人", 100),
        contact_phone=_required(values, "contact_phone", "联系电话", 32),
        purpose=purpose,
        purpose_kind=kind,
        business_basis=_required(values, "business_basis", "业务依据"),
        dataset_code=dataset.code,
        owner_unit_code=owner,
        share_category=dataset.share_category,
        elements=chosen,
        row_filter=node,
        masking={},
        period_start=start,
        period_end=end,
        delivery=delivery,
        security_measures=_required(values, "security_measures", "安全保护措施"),
        third_party=third,
        third_party_name=third_name,
        needs_agreement=dataset.nature not in BASIC_NATURES,
        status="draft",
        row_count=rows,
        people_count=people,
        sensitive_elements=sensitive_of(session, dataset.code, chosen),
    )
    session.add(app)
    session.flush()
    audit_step(session, actor, "share_apply", app, people=people, filter=node, purpose_kind=kind,
               purpose_kind_declared=declared, needs_agreement=app.needs_agreement)  # fmt: skip
    return app


def dataset_owner_code(session: Session, dataset: Any) -> str:
    from edudata.org.models import Unit

    return session.get(Unit, dataset.owner_unit_id).code


def get_application(session: Session, app_id: int) -> ShareApplication:
    app = session.get(ShareApplication, app_id)
    if app is None:
        raise NotFound(f"共享申请 {app_id} 不存在", f"application {app_id} does not exist")
    return app


def may_see(actor: Principal, app: ShareApplication) -> bool:
    """The applicant's unit, the producer unit's officers and the office see an application; nobody else."""
    return allowed(actor, "sharing.application.read", unit_code=app.applicant_unit_code) or allowed(
        actor, "sharing.application.read", unit_code=app.owner_unit_code
    )


def visible_application(session: Session, actor: Principal, app_id: int) -> ShareApplication:
    app = get_application(session, app_id)
    if not may_see(actor, app):
        raise NotFound(f"共享申请 {app_id} 不存在", f"application {app_id} does not exist")
    return app


def list_applications(
    session: Session, actor: Principal, status: str | None = None
) -> list[ShareApplication]:
    stmt = select(ShareApplication).order_by(ShareApplication.id.desc()).limit(500)
    if not allowed(actor, "sharing.application.read"):
        mine = []
        if allowed(actor, "sharing.application.submit", unit_code=actor.unit_code):
            mine.append(ShareApplication.applicant_unit_code == actor.unit_code)
        if allowed(actor, "sharing.application.review_producer", unit_code=actor.unit_code):
            mine.append(ShareApplication.owner_unit_code == actor.unit_code)
        if not mine:
            return []
        stmt = stmt.where(or_(*mine))
    if status:
        stmt = stmt.where(ShareApplication.status == status)
    return list(session.scalars(stmt))
