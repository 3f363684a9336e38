"""Open-data checks: nothing published without the three-level review and its secrecy review (Art. 46, 58)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from sqlalchemy import select

from edudata.inspect.registry import CheckContext, Hit, check
from edudata.opendata.models import OpenReview, OpenView
from edudata.opendata.review import SECRECY_CHECKS

LEVELS = ("unit", "office", "leadership")


@check(
    "opendata.secrecy_review",
    article="46",
    severity="high",
    requires=("opendata",),
    zh="开放数据经三级审核和保密审查后发布",
    en="Open data published only after the three-level and secrecy reviews",
)
def published_without_review(ctx: CheckContext) -> Iterator[Hit]:
    """A published view lacking an approval at any of the three levels, or whose office approval carries no
    complete secrecy review (every check of the secrecy record confirmed, with a conclusion)."""
    views = ctx.session.execute(
        select(OpenView).where(OpenView.status == "published").order_by(OpenView.code)
    ).scalars()
    for v in views:
        reviews = ctx.session.execute(
            select(OpenReview).where(OpenReview.view_id == v.id, OpenReview.decision == "approve")
        ).scalars()
        approved: dict[str, OpenReview] = {r.level: r for r in reviews}
        missing = [level for level in LEVELS if level not in approved]
        office = approved.get("office")
        secrecy = (office.secrecy or {}) if office else {}
        complete = bool(secrecy) and all(secrecy.get(c) is True for c in SECRECY_CHECKS)
        complete = complete and bool(str(secrecy.get("conclusion") or "").strip())
        if not missing and complete:
            continue
        yield Hit(
            v.unit_code,
            f"view:{v.code}",
            f"开放数据“{v.title}”（{v.code}）已发布，但"
            + (f"缺少{'、'.join(missing)}级审核" if missing else "无完整的保密审查记录"),
            f"open data {v.code} is published "
            + (
                f"without the {', '.join(missing)} review" if missing else "without a complete secrecy review"
            ),
            {"view": v.code, "missing_levels": missing, "secrecy_complete": complete},
        )


#: Days an open-data publication or application may wait for its next review (Art. 64(2) 逾期未审核开放申请).
REVIEW_DAYS = 7
NEXT_LEVEL = {"proposed": "unit", "unit_approved": "office", "office_approved": "leadership"}


@check(
    "opendata.review_overdue",
    article="64(2)",
    severity="low",
    requires=("opendata",),
    zh=f"开放数据发布与开放申请 {REVIEW_DAYS} 天内审核",
    en=f"Open-data publications and applications reviewed within {REVIEW_DAYS} days",
)
def open_review_overdue(ctx: CheckContext) -> Iterator[Hit]:
    """A view waiting more than 7 days for its next review level (the unit's reviewer, the office, the leadership
    group), or a conditional-open application of the public waiting more than 7 days for the office."""
    from sqlalchemy import func

    from edudata.opendata.models import OpenApplication
    from edudata.org.models import Unit, UnitType

    cutoff = ctx.now - timedelta(days=REVIEW_DAYS)
    leadership = ctx.session.scalar(
        select(Unit.code).where(Unit.unit_type == UnitType.LEADERSHIP_GROUP).order_by(Unit.code).limit(1)
    )
    views = ctx.session.execute(
        select(OpenView).where(OpenView.status.in_(tuple(NEXT_LEVEL))).order_by(OpenView.code)
    ).scalars()
    for v in views:
        last = ctx.session.scalar(select(func.max(OpenReview.at)).where(OpenReview.view_id == v.id))
        since = ctx.aware(last) or ctx.aware(v.proposed_at)
        if since >= cutoff:
            continue
        level = NEXT_LEVEL[v.status]
        unit = {"unit": v.unit_code, "office": ctx.office_unit_code, "leadership": leadership}[level]
        days = (ctx.now - since).days
        yield Hit(
            unit, f"view:{v.code}",
            f"开放数据“{v.title}”（{v.code}）待{ {'unit': '单位', 'office': '网信办', 'leadership': '领导小组'}[level] }审核已 {days} 天",
            f"open data {v.code} has waited {days} days for the {level} review",
            {"view": v.code, "status": v.status, "waiting_since": since.isoformat()},
        )  # fmt: skip
    apps = ctx.session.execute(
        select(OpenApplication).where(
            OpenApplication.status == "pending", OpenApplication.created_at < cutoff
        )
    ).scalars()
    for a in apps:
        days = (ctx.now - ctx.aware(a.created_at)).days
        yield Hit(
            ctx.office_unit_code, f"application:{a.id}",
            f"开放数据申请 #{a.id} 待网信办办理已 {days} 天", f"open-data application #{a.id} has waited {days} days",
            {"application_id": a.id, "view_id": a.view_id, "created_at": ctx.aware(a.created_at).isoformat()},
        )  # fmt: skip
