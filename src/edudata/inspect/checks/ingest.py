"""Collection checks: quality defects corrected by the producer (Art. 64(3)) and batches reviewed in time
(Art. 64(2) 数据汇聚)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from sqlalchemy import func, select

from edudata.ingest.models import Batch, Issue
from edudata.inspect.registry import CheckContext, Hit, check

#: Days a producer has to correct quarantined rows (责令限期改正) before the inspection reports it.
CORRECTION_DAYS = 15
#: Days a batch may wait for the unit's or the office's review.
REVIEW_DAYS = 7


@check(
    "ingest.defects_uncorrected",
    article="64(3)",
    severity="medium",
    requires=("ingest",),
    zh=f"质量问题数据 {CORRECTION_DAYS} 天内整改",
    en=f"Quality defects corrected within {CORRECTION_DAYS} days",
)
def defects_uncorrected(ctx: CheckContext) -> Iterator[Hit]:
    """A batch delivered more than 15 days ago whose quarantined rows still have issues no later batch resolved
    (the producer has not corrected and resubmitted them)."""
    cutoff = ctx.now - timedelta(days=CORRECTION_DAYS)
    rows = ctx.session.execute(
        select(Batch.code, Batch.dataset_code, Batch.unit_code, Batch.uploaded_at, func.count(Issue.id))
        .join(Issue, Issue.batch_id == Batch.id)
        .where(Issue.resolved_by_batch_id.is_(None), Batch.uploaded_at < cutoff)
        .group_by(Batch.code, Batch.dataset_code, Batch.unit_code, Batch.uploaded_at)
        .order_by(Batch.code)
    ).all()
    for code, dataset, unit_code, uploaded, issues in rows:
        days = (ctx.now - ctx.aware(uploaded)).days
        yield Hit(
            unit_code,
            f"batch:{code}",
            f"批次 {code}（{dataset}）有 {issues} 处质量问题 {days} 天未整改",
            f"batch {code} ({dataset}) has {issues} quality issues left uncorrected for {days} days",
            {
                "batch": code,
                "dataset": dataset,
                "open_issues": issues,
                "uploaded_at": ctx.aware(uploaded).isoformat(),
            },
        )


@check(
    "ingest.review_overdue",
    article="64(2)",
    severity="low",
    requires=("ingest",),
    zh=f"采集批次 {REVIEW_DAYS} 天内完成逐级审核",
    en=f"Collected batches reviewed within {REVIEW_DAYS} days",
)
def batch_review_overdue(ctx: CheckContext) -> Iterator[Hit]:
    """A validated batch waiting for its unit's reviewer, or a unit-approved one waiting for the office, for more
    than 7 days (自下而上逐级审核)."""
    cutoff = ctx.now - timedelta(days=REVIEW_DAYS)
    batches = ctx.session.execute(
        select(Batch).where(Batch.status.in_(("validated", "unit_approved"))).order_by(Batch.code)
    ).scalars()
    for b in batches:
        since = ctx.aware(b.unit_reviewed_at if b.status == "unit_approved" else b.uploaded_at)
        if since is None or since >= cutoff:
            continue
        office = b.status == "unit_approved"
        yield Hit(
            ctx.office_unit_code if office else b.unit_code,
            f"batch:{b.code}",
            f"批次 {b.code}（{b.dataset_code}）待{'网信办' if office else '单位'}审核已 {(ctx.now - since).days} 天",
            f"batch {b.code} ({b.dataset_code}) has waited {(ctx.now - since).days} days for the "
            f"{'office' if office else 'unit'} review",
            {
                "batch": b.code,
                "dataset": b.dataset_code,
                "status": b.status,
                "waiting_since": since.isoformat(),
            },
        )
