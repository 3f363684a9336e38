"""How long a finished batch's staging files are kept (Art. 35: a copy is kept no longer than needed).

The office administrator sets the retention on the page ``/ingest/settings`` or through
``PUT /api/v1/ingest/settings``; it is stored in the database (``ingest_setting``) and every change is audited.
``EDUDATA_STAGING_RETENTION_DAYS`` is only the default until the office has set one. A batch loaded, refused or
rolled back loses its staging files (good and quarantined rows, hence its quarantine download) once the retention
has passed since it finished; the worker's daily ``staging`` job (and ``edudata ingest-purge-staging``) runs the
purge. Batches under review keep theirs.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from edudata.access import side_store
from edudata.access.datapath import Caller
from edudata.audit import service as audit
from edudata.config import Settings
from edudata.db import utcnow
from edudata.errors import ValidationFailed
from edudata.ingest.models import Batch, Setting
from edudata.policy import require

LIMITS = (0, 3650)
FINISHED = ("approved", "rejected", "rolled_back")
SYSTEM = {"username": "system:worker", "source_ip": "local"}


def _row(session: Session) -> Setting | None:
    return session.get(Setting, 1)


def retention_days(session: Session, settings: Settings) -> int:
    """The retention in force: the office's, else the deployment's default."""
    row = _row(session)
    if row is not None and row.staging_retention_days is not None:
        return row.staging_retention_days
    return settings.staging_retention_days


def view(session: Session, settings: Settings) -> dict[str, Any]:
    row = _row(session)
    return {
        "staging_retention_days": retention_days(session, settings),
        "default_staging_retention_days": settings.staging_retention_days,
        "set_by_office": row is not None and row.staging_retention_days is not None,
        "updated_by": row.updated_by if row is not None else None,
        "updated_at": row.updated_at.isoformat() if row is not None and row.updated_at else None,
    }


def set_retention(
    session: Session, settings: Settings, who: Caller, days: object, *, request_id: str | None = None
) -> dict[str, Any]:
    """The office sets the staging retention in days (0 = removed at the next purge); audited with old and new."""
    require(who, "ingest.settings.edit")
    low, high = LIMITS
    if isinstance(days, bool) or not isinstance(days, int) or not low <= days <= high:
        raise ValidationFailed(
            f"暂存保留天数应为 {low} 到 {high} 之间的整数",
            f"the staging retention is a whole number of days, {low}-{high}",
            field="staging_retention_days",
        )
    before = retention_days(session, settings)
    row = _row(session)
    if row is None:
        row = Setting(id=1)
        session.add(row)
    row.staging_retention_days, row.updated_by, row.updated_at = days, who.username, utcnow()
    session.flush()
    audit.record(
        session, operation="ingest_settings", account_id=who.account_id, username=who.username,
        unit_code=who.unit_code, source_ip=who.source_ip, request_id=request_id,
        detail={"staging_retention_days": {"from": before, "to": days}},
    )  # fmt: skip
    return view(session, settings)


def purge_finished(session: Session, settings: Settings, now: datetime | None = None) -> list[str]:
    """Remove the staging files of batches loaded, refused or rolled back longer ago than the retention in
    force: the rows are in the store, or were refused; the quarantine download of such a batch goes with them.
    Batches still under review keep theirs. Audited (the batch codes, no value). Returns the codes purged."""
    days = retention_days(session, settings)
    cutoff = (now or utcnow()) - timedelta(days=days)
    purged = []
    rows = session.execute(
        select(Batch.code, Batch.uploaded_at, Batch.unit_reviewed_at, Batch.office_reviewed_at).where(
            Batch.status.in_(FINISHED)
        )
    )
    for code, uploaded, unit_at, office_at in rows:
        done = max(t for t in (uploaded, unit_at, office_at) if t is not None)
        if done.tzinfo is None:
            done = done.replace(tzinfo=UTC)
        if done <= cutoff and side_store.batch_exists(settings, code):
            side_store.remove_batch(settings, code)
            purged.append(code)
    if purged:
        audit.record(
            session, operation="ingest_staging_purge", row_count=len(purged),
            detail={"batches": purged[:200], "retention_days": days}, **SYSTEM,
        )  # fmt: skip
    return purged
