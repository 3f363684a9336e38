"""Catalogue checks: data kept up to date at its update frequency (数据同步频率, Art. 48)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from sqlalchemy import func, select

from edudata.audit.models import AuditRecord, indexed
from edudata.catalog.models import Dataset
from edudata.inspect.registry import CheckContext, Hit, check
from edudata.org.models import Unit
from edudata.store.models import StoreTable

WRITES = ("insert", "update", "delete")
#: Grace beyond the interval before data counts as stale: one interval, at most one day.
MAX_GRACE = timedelta(days=1)


@check(
    "catalog.stale",
    article="48",
    severity="medium",
    requires=("catalog", "store", "audit"),
    zh="数据按同步频率及时更新",
    en="Data updated within its update frequency",
)
def stale_datasets(ctx: CheckContext) -> Iterator[Hit]:
    """A collected dataset (it has a governed table) whose last recorded write through the data path — or, if
    none, the creation of its table — is older than its update frequency plus a grace of one interval (at most
    one day). The producer unit (owner) is responsible."""
    rows = ctx.session.execute(
        select(Dataset.code, Dataset.name, Dataset.update_frequency, Dataset.sync_interval_seconds, Unit.code,
               StoreTable.created_at)
        .join(StoreTable, StoreTable.dataset_code == Dataset.code)
        .join(Unit, Unit.id == Dataset.owner_unit_id)
        .order_by(Dataset.code)
    ).all()  # fmt: skip
    for code, name, frequency, seconds, unit_code, created in rows:
        last = ctx.session.scalar(
            select(func.max(AuditRecord.at)).where(
                indexed(AuditRecord.dataset == code),  # its index covers sequenced records: ask both halves
                AuditRecord.operation.in_(WRITES),
                AuditRecord.result == "success",
            )
        )
        changed = ctx.aware(last) or ctx.aware(created)
        interval = timedelta(seconds=seconds)
        limit = changed + interval + min(interval, MAX_GRACE)
        if ctx.now <= limit:
            continue
        days = (ctx.now - changed).days
        yield Hit(
            unit_code,
            f"dataset:{code}",
            f"数据集“{name}”（{code}）应按 {frequency} 更新，已 {days} 天未更新",
            f"dataset {code} should be updated {frequency} but has not changed for {days} days",
            {
                "dataset": code,
                "update_frequency": frequency,
                "interval_seconds": seconds,
                "last_change": changed.isoformat(),
                "days_since": days,
            },
        )
