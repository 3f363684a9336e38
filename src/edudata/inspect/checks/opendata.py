"""Open-data checks: nothing published without the three-level review and its secrecy review (Art. 46, 58)."""

from __future__ import annotations

from collections.abc import Iterator

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
