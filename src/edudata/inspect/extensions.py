"""Dashboard items drawn from the other domains' registers (reviews, batches, applications, alerts, Art. 50).

Each function reads a domain only when it is installed (:func:`edudata.inspect.registry.domain_present`), so the
home page works on any subset of domains. Items are :class:`edudata.inspect.dashboard.Item`.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from edudata.db import utcnow
from edudata.identity.principal import Principal
from edudata.inspect.registry import domain_present
from edudata.policy import allowed


def _item(*args, **kw):  # noqa: ANN002, ANN003, ANN202 - avoids a circular import with dashboard
    from edudata.inspect.dashboard import Item

    return Item(*args, **kw)


def office_items(session: Session) -> list:
    items = []
    if domain_present("sharing"):
        from edudata.sharing.models import ShareReview
        from edudata.sharing.service import today_in_china

        open_reviews = select(func.count()).select_from(ShareReview).where(ShareReview.decided_at.is_(None))
        waiting = session.scalar(open_reviews.where(ShareReview.stage == "office")) or 0
        late = session.scalar(open_reviews.where(ShareReview.due_on < today_in_china())) or 0
        items.append(
            _item(
                "待网信办审核的共享申请",
                "Share applications awaiting the office",
                "/sharing/inbox",
                waiting,
                waiting > 0,
            )
        )
        items.append(
            _item(
                "逾期未审核的共享申请（第六十四条）",
                "Overdue share reviews (Art. 64)",
                "/sharing/overdue",
                late,
                late > 0,
            )
        )
    if domain_present("ingest"):
        from edudata.ingest.models import Batch

        n = (
            session.scalar(select(func.count()).select_from(Batch).where(Batch.status == "unit_approved"))
            or 0
        )
        items.append(
            _item("待网信办审核的采集批次", "Collected batches awaiting the office", "/ingest", n, n > 0)
        )
    if domain_present("lifecycle"):
        n = _unhandled_alerts(session)
        items.append(
            _item(
                "近 7 天未处置的异常告警",
                "Anomaly alerts of the last 7 days not handled",
                "/lifecycle",
                n,
                n > 0,
            )
        )
    if domain_present("privacy"):
        from edudata.privacy.register import outstanding_obligations

        n = len([o for o in outstanding_obligations(session) if o.kind != "register_not_counted"])
        items.append(
            _item(
                "个人信息保护义务待履行（第五十、五十一条）",
                "Open PI obligations (Art. 50, 51)",
                "/privacy",
                n,
                n > 0,
            )
        )
    return items


def _unhandled_alerts(session: Session) -> int:
    from edudata.lifecycle.incidents import compute_alerts

    # A week, not the inspection's 30 days: the home page is drawn on every visit and reads the audit log.
    return len([a for a in compute_alerts(session, days=7) if not a.handled])


def unit_items(session: Session, principal: Principal) -> list:
    items = []
    unit = principal.unit_code
    if domain_present("ingest"):
        from edudata.ingest.models import Batch, Issue

        defects = session.scalar(
            select(func.count(func.distinct(Batch.id)))
            .join(Issue, Issue.batch_id == Batch.id)
            .where(Batch.unit_code == unit, Issue.resolved_by_batch_id.is_(None))
        ) or 0  # fmt: skip
        items.append(
            _item(
                "有待整改质量问题的批次",
                "Batches with quality defects to correct",
                "/ingest",
                defects,
                defects > 0,
            )
        )
        if allowed(principal, "ingest.batch.approve_unit", unit_code=unit):
            n = session.scalar(
                select(func.count()).select_from(Batch).where(Batch.unit_code == unit, Batch.status == "validated")
            ) or 0  # fmt: skip
            items.append(
                _item("待本单位审核的采集批次", "Batches awaiting my unit's review", "/ingest", n, n > 0)
            )
    if domain_present("sharing"):
        from edudata.sharing.models import ShareReview

        n = session.scalar(
            select(func.count()).select_from(ShareReview).where(
                ShareReview.decided_at.is_(None), ShareReview.stage == "producer", ShareReview.reviewer_unit_code == unit
            )
        ) or 0  # fmt: skip
        items.append(
            _item(
                "申请使用本单位数据、待审核的共享申请",
                "Applications for my unit's data to review",
                "/sharing/inbox",
                n,
                n > 0,
            )
        )
    return items


def applicant_items(session: Session, principal: Principal) -> list:
    items = []
    if domain_present("sharing"):
        from edudata.sharing.models import ShareApplication
        from edudata.sharing.service import STATUS_LABELS

        apps = session.execute(
            select(ShareApplication)
            .where(ShareApplication.applicant_account_id == principal.account_id)
            .where(ShareApplication.status.notin_(("refused", "revoked")))
            .order_by(ShareApplication.id.desc())
            .limit(10)
        ).scalars()
        for a in apps:
            zh, en = STATUS_LABELS.get(a.status, (a.status, a.status))
            items.append(
                _item(
                    f"共享申请 #{a.id}（{a.dataset_code}）：{zh}",
                    f"application #{a.id} ({a.dataset_code}): {en}",
                    f"/sharing/applications/{a.id}",
                    None,
                    a.status == "draft",
                )  # fmt: skip
            )
    return items


def auditor_items(session: Session) -> list:
    items = []
    if domain_present("lifecycle"):
        n = _unhandled_alerts(session)
        items.append(
            _item(
                "近 7 天未处置的异常告警",
                "Anomaly alerts of the last 7 days not handled",
                "/lifecycle",
                n,
                n > 0,
            )
        )
    since = utcnow() - timedelta(days=1)
    from edudata.audit.models import AuditRecord

    denied = session.scalar(
        select(func.count()).select_from(AuditRecord).where(AuditRecord.result == "denied", AuditRecord.at >= since)
    ) or 0  # fmt: skip
    items.append(
        _item(
            "近 24 小时被拒绝的访问", "Refused attempts in the last 24 hours", "/audit?result=denied", denied
        )
    )
    return items
