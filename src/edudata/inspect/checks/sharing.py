"""Sharing checks: reviews within their deadline (Art. 64(2)) and the Art. 50 approval of large-scale sharing."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select

from edudata.inspect.registry import CheckContext, Hit, check
from edudata.policy.thresholds import LARGE_SCALE_PEOPLE, effective
from edudata.sharing.models import ShareApplication, ShareReview, SharingPolicy
from edudata.sharing.review import STAGE_LABELS
from edudata.sharing.service import today_in_china


@check(
    "sharing.review_overdue",
    article="64(2)",
    severity="medium",
    requires=("sharing",),
    zh="共享申请按期审核",
    en="Share applications reviewed by their deadline",
)
def review_overdue(ctx: CheckContext) -> Iterator[Hit]:
    """An undecided review stage (producer unit or office) past its due day (Beijing date, working days as the
    sharing domain counts them). The reviewing unit is responsible."""
    today = today_in_china(ctx.now)
    reviews = ctx.session.execute(
        select(ShareReview)
        .where(ShareReview.decided_at.is_(None), ShareReview.due_on < today)
        .order_by(ShareReview.id)
    ).scalars()
    for r in reviews:
        zh, en = STAGE_LABELS.get(r.stage, (r.stage, r.stage))
        late = (today - r.due_on).days
        yield Hit(
            r.reviewer_unit_code,
            f"review:{r.id}",
            f"共享申请 #{r.application_id} 的{zh}已逾期 {late} 天（应于 {r.due_on} 前完成）",
            f"the {en} of share application #{r.application_id} is {late} days late (due {r.due_on})",
            {
                "application_id": r.application_id,
                "review_id": r.id,
                "stage": r.stage,
                "due_on": str(r.due_on),
            },
        )


@check(
    "sharing.large_scale_unapproved",
    article="50",
    severity="high",
    requires=("sharing",),
    zh="共享 20 万人以上个人信息须经市教育两委审核同意",
    en="Sharing PI of 200,000+ people approved by the city commissions",
)
def large_scale_unapproved(ctx: CheckContext) -> Iterator[Hit]:
    """A granted application covering at least the policy's threshold of people (default 200,000) with no
    commission approval document on file."""
    policy = ctx.session.get(SharingPolicy, 1)
    threshold = effective(LARGE_SCALE_PEOPLE, policy.large_scale_threshold if policy is not None else None)
    apps = ctx.session.execute(
        select(ShareApplication)
        .where(
            ShareApplication.status == "granted",
            ShareApplication.people_count >= threshold,
            ShareApplication.commission_doc_sha256.is_(None),
        )
        .order_by(ShareApplication.id)
    ).scalars()
    for a in apps:
        yield Hit(
            ctx.office_unit_code,
            f"application:{a.id}",
            f"共享申请 #{a.id}（{a.dataset_code}，{a.people_count:,} 人）已授权，但无市教育两委批准文件",
            f"share application #{a.id} ({a.dataset_code}, {a.people_count:,} people) is granted without the "
            "commission's approval on file",
            {"application_id": a.id, "dataset": a.dataset_code, "people": a.people_count, "threshold": threshold,
             "applicant_unit": a.applicant_unit_code},
        )  # fmt: skip
