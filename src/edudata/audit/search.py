"""Searching the audit log (审计查询) for the auditor: by account, unit, dataset, operation, result and time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session

from edudata.audit.chain import format_at
from edudata.audit.models import AuditRecord, indexed

MAX_PAGE_SIZE = 200


@dataclass(frozen=True)
class AuditQuery:
    account: str | None = None  # username, or an account id
    unit: str | None = None
    dataset: str | None = None
    operation: str | None = None
    result: str | None = None
    since: datetime | date | None = None  # inclusive
    until: datetime | date | None = None  # a date includes that whole day (UTC)
    page: int = 1
    page_size: int = 50
    # Records whose filter used a value, given as its keyed hash (``edudata.audit.redact.value_hash``): the log
    # never holds the value, nor does this query (it is recorded with the hash).
    mentions: str | None = None
    # Keyset paging (the API's cursor): records older than this ``seq``. The log grows while it is read — each
    # search appends its own record — so a position would shift by one per page; a key does not.
    before: int | None = None

    def describe(self) -> str:
        """The filter as one line, for the audit record of the search itself."""
        parts = [
            f"{k}={v}"
            for k, v in vars(self).items()
            if v is not None and k not in ("page", "page_size", "before")
        ]
        return " AND ".join(parts) or "all"


def _instant(value: datetime | date, end_of_day: bool = False) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    start = datetime.combine(value, time.min, tzinfo=UTC)
    return start + timedelta(days=1) if end_of_day else start


def matching(query: AuditQuery) -> Select:
    """The records matching ``query``'s filters, unordered and unpaged (the audit page sorts and pages them)."""
    return _filtered(query)


def _filtered(query: AuditQuery) -> Select:
    stmt = select(AuditRecord)
    searched = []  # conditions on the indexed columns, asked of sequenced and pending records (models.indexed)
    if query.account:
        match = AuditRecord.username == query.account
        if query.account.isdigit():
            match = or_(match, AuditRecord.account_id == int(query.account))
        searched.append(match)
    for value, column in (
        (query.unit, AuditRecord.unit_code),
        (query.dataset, AuditRecord.dataset),
        (query.operation, AuditRecord.operation),
    ):
        if value:
            searched.append(column == value)
    if searched:
        stmt = stmt.where(indexed(and_(*searched)))
    if query.result:
        stmt = stmt.where(AuditRecord.result == query.result)
    if query.mentions:
        stmt = stmt.where(AuditRecord.filter.contains(f'"{query.mentions}"', autoescape=True))
    if query.since:
        stmt = stmt.where(AuditRecord.at >= _instant(query.since))
    if isinstance(query.until, datetime):
        stmt = stmt.where(AuditRecord.at <= _instant(query.until))
    elif query.until:
        stmt = stmt.where(AuditRecord.at < _instant(query.until, end_of_day=True))
    return stmt


def search(session: Session, query: AuditQuery) -> tuple[list[AuditRecord], int]:
    """One page of matching records, newest first, and how many match in all."""
    stmt = _filtered(query)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    if query.before is not None:
        stmt = stmt.where(AuditRecord.seq < query.before)
    else:
        stmt = stmt.offset((query.page - 1) * query.page_size)
    page = session.scalars(stmt.order_by(AuditRecord.seq.desc()).limit(query.page_size)).all()
    return list(page), total


def as_dict(rec: AuditRecord) -> dict[str, Any]:
    """A record as the API and the page show it (``at`` in UTC, ISO 8601)."""
    return {
        "seq": rec.seq,
        "at": format_at(rec.at).replace(" ", "T") + "Z",
        "account_id": rec.account_id,
        "username": rec.username,
        "unit_code": rec.unit_code,
        "source_ip": rec.source_ip,
        "operation": rec.operation,
        "dataset": rec.dataset,
        "elements": rec.elements,
        "row_count": rec.row_count,
        "filter": rec.filter,
        "result": rec.result,
        "request_id": rec.request_id,
        "detail": rec.detail,
        "position": rec.leaf,
        "leaf_hash": rec.leaf_hash,
    }
