"""Who could see what (行为追溯, Art. 30, 59): for a person, a dataset or one record of a dataset, and a date range —
who read it, through which grant, role or public view, and who *could* have (the grants and roles in force then),
with the proofs.

- **Who read it** comes from the audit log: successful reads (query, export, count, verification, history, the
  portal's reads) of the dataset, or whose filter named the person. The person's number is never stored nor
  searched in clear: it is hashed under the audit-filter key (:mod:`edudata.audit.redact`) and the hash looked
  for. A read of the dataset without any filter is listed too, as one that *may* have included the person.
- **A record** (dataset + the row's id, optionally its key number): every read of the dataset is placed against
  the row — *named* (the read's filter named the key's hash, or the read was of that row: its history), *on the
  page* (the page's first and last row id, recorded by the data path, enclose the row: it was shown unless the
  filter left it out), *may have* (an export, a count, or an older record without the page's ids), or left out
  (a page that ended before the row or began after it could not have shown it).
- **Through what**: the decision's basis recorded with each read — ``grant:N`` (a share grant), ``office`` or
  ``producer`` (a role), or the public view and key of the open-data portal.
- **Who could have**: the read grants of the dataset in force at some time in the range (from the grant
  history: start, end, revocation), the holders of the roles that read it by office (the office; the producer
  unit's data officers and reviewers) whose role was granted before the range ended — and, from the log, those
  whose role was revoked during or after it — and the published views of it on the open-data portal.
- **Proofs**: each read carries its RFC 9162 inclusion proof against the latest signed checkpoint, so the
  answer can be checked outside the platform (``edudata audit prove`` explains the format).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from edudata.audit import proofs
from edudata.audit.checkpoints import latest_checkpoint
from edudata.audit.models import AuditRecord, indexed
from edudata.audit.search import as_dict
from edudata.policy.table import rule

#: Operations that show governed data to their caller.
READS = ("query", "export", "count", "count_people", "verify", "history", "open_query", "open_export",
         "open_download", "datastore_search")  # fmt: skip
MAX_READS = 500
#: Who could read a dataset without a grant, taken from the policy the data path decides by (Art. 30): the roles
#: that read any unit's data, and the roles that read their own unit's.
OFFICE_ROLES: frozenset[str] = frozenset(rule("data.read.any_unit").roles)
PRODUCER_ROLES: frozenset[str] = frozenset(rule("data.read.own_unit").unit_roles)


@dataclass(frozen=True)
class TraceQuery:
    since: date
    until: date  # inclusive
    dataset: str | None = None
    person_hash: str | None = None  # the keyed hash of the person's number (never the number)
    row_id: int | None = None  # one record of ``dataset`` (its ``_id``)

    def describe(self) -> str:
        parts = [f"since={self.since}", f"until={self.until}"]
        if self.dataset:
            parts.append(f"dataset={self.dataset}")
        if self.row_id is not None:
            parts.append(f"row={self.row_id}")
        if self.person_hash:
            parts.append(f"person={self.person_hash}")
        return "access_trace " + " AND ".join(parts)


def _bounds(q: TraceQuery) -> tuple[datetime, datetime]:
    return datetime.combine(q.since, time.min, tzinfo=UTC), datetime.combine(
        q.until + timedelta(days=1), time.min, tzinfo=UTC
    )


def _aware(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def _via(rec: AuditRecord) -> dict[str, Any]:
    detail = rec.detail if isinstance(rec.detail, dict) else {}
    basis = str(detail.get("basis") or "")
    if detail.get("view"):
        return {"kind": "public_view", "view": detail["view"], "key_id": detail.get("key_id"),
                "zh": f"开放数据视图 {detail['view']}", "en": f"open-data view {detail['view']}"}  # fmt: skip
    if basis.startswith("grant:"):
        gid = basis.split(":", 1)[1]
        return {"kind": "grant", "grant_id": int(gid) if gid.isdigit() else gid,
                "zh": f"共享授权 #{gid}", "en": f"share grant #{gid}"}  # fmt: skip
    if basis == "office":
        return {
            "kind": "role",
            "role": ",".join(sorted(OFFICE_ROLES)),
            "zh": "网信办角色",
            "en": "the office's role",
        }
    if basis == "producer":
        return {
            "kind": "role",
            "role": "producer",
            "zh": "数据生产单位角色",
            "en": "the producer unit's role",
        }
    return {"kind": "other", "basis": basis or None, "zh": basis or "未记录", "en": basis or "not recorded"}


_TOUCH = {
    "named": ("指名此记录", "named this record"),
    "page": ("所读行的编号范围包含此记录", "the rows read span this record's id"),
    "may": ("读取了该数据集，可能包含此记录", "read the dataset; may have included this record"),
}


def touches(rec: AuditRecord, row_id: int, key_hash: str | None = None) -> str | None:
    """How a read of the row's dataset relates to row ``row_id``: ``named``, ``page``, ``may``, or None when it
    could not have shown the row (a page of other ids, another row's history)."""
    detail = rec.detail if isinstance(rec.detail, dict) else {}
    one, many = detail.get("row_id"), detail.get("row_ids")
    if one == row_id or (isinstance(many, list) and row_id in many):
        return "named"
    if key_hash and rec.filter and f'"{key_hash}"' in rec.filter:
        return "named"
    if one is not None or isinstance(many, list) or rec.row_count == 0:
        return None  # a read of other rows named by id, or one that showed no row at all
    ids = detail.get("ids")
    if isinstance(ids, list) and len(ids) == 2 and all(isinstance(i, int) for i in ids):
        return "page" if ids[0] <= row_id <= ids[1] else None
    after = detail.get("after_id")
    if isinstance(after, int) and after >= row_id:
        return None  # keyset pages hold ids after ``after_id`` only
    return "may"


def _row_reads(session: Session, q: TraceQuery) -> tuple[list[tuple[AuditRecord, str]], bool]:
    """Reads of the dataset in the range that could have shown the row, oldest first (at most MAX_READS)."""
    start, end = _bounds(q)
    assert q.dataset is not None and q.row_id is not None
    stmt = (
        select(AuditRecord)
        .where(
            AuditRecord.result == "success",
            AuditRecord.operation.in_(READS),
            AuditRecord.at >= start,
            AuditRecord.at < end,
        )
        .where(indexed(AuditRecord.dataset == q.dataset))
    )
    kept: list[tuple[AuditRecord, str]] = []
    after = 0
    while len(kept) <= MAX_READS:
        chunk = list(
            session.scalars(stmt.where(AuditRecord.seq > after).order_by(AuditRecord.seq).limit(1000))
        )
        for rec in chunk:
            how = touches(rec, q.row_id, q.person_hash)
            if how is not None:
                kept.append((rec, how))
        if len(chunk) < 1000:
            break
        after = chunk[-1].seq
    return kept[:MAX_READS], len(kept) > MAX_READS


def _reads(session: Session, q: TraceQuery) -> tuple[list[AuditRecord], bool]:
    start, end = _bounds(q)
    stmt = select(AuditRecord).where(
        AuditRecord.result == "success",
        AuditRecord.operation.in_(READS),
        AuditRecord.at >= start,
        AuditRecord.at < end,
        AuditRecord.dataset != "audit_record",
    )
    if q.dataset:
        stmt = stmt.where(indexed(AuditRecord.dataset == q.dataset))
    if q.person_hash:
        named = AuditRecord.filter.contains(f'"{q.person_hash}"', autoescape=True)
        # A read of the whole dataset may have shown the person too (only when a dataset is named: otherwise
        # every unfiltered read of every dataset would be listed).
        stmt = stmt.where(or_(named, AuditRecord.filter.is_(None)) if q.dataset else named)
    rows = list(session.scalars(stmt.order_by(AuditRecord.seq).limit(MAX_READS + 1)))
    return rows[:MAX_READS], len(rows) > MAX_READS


def _grants(session: Session, dataset: str, start: datetime, end: datetime) -> list[dict[str, Any]]:
    from edudata.access.models import AccessGrant
    from edudata.org.models import Account, Unit

    out = []
    for g in session.scalars(
        select(AccessGrant)
        .where(AccessGrant.dataset_code == dataset, AccessGrant.kind == "read")
        .order_by(AccessGrant.id)
    ):
        began, ended = (
            _aware(g.starts_at),
            min([t for t in (_aware(g.expires_at), _aware(g.revoked_at)) if t is not None], default=None),
        )
        if began is not None and began >= end or (ended is not None and ended <= start):
            continue  # not in force at any time of the range
        holders = (
            select(Account.username)
            .join(Unit, Unit.id == Account.unit_id)
            .where(Unit.code == g.grantee_unit_code)
        )
        if g.grantee_account_id is not None:
            holders = holders.where(Account.id == g.grantee_account_id)
        out.append({
            "grant_id": g.id, "grantee_unit_code": g.grantee_unit_code, "elements": list(g.elements or []),
            "starts_at": began.isoformat() if began else None,
            "expires_at": _aware(g.expires_at).isoformat() if g.expires_at else None,
            "revoked_at": _aware(g.revoked_at).isoformat() if g.revoked_at else None,
            "purpose": g.purpose, "could_read": sorted(session.scalars(holders)),
            "row_filter": g.row_filter,
        })  # fmt: skip
    return out


def _roles(session: Session, dataset: str, start: datetime, end: datetime) -> list[dict[str, Any]]:
    from edudata.catalog.models import Dataset
    from edudata.org.models import Account, RoleAssignment, Unit

    owner = session.scalar(
        select(Unit.code).join(Dataset, Dataset.owner_unit_id == Unit.id).where(Dataset.code == dataset)
    )
    out: list[dict[str, Any]] = []
    rows = session.execute(
        select(Account.username, Unit.code, RoleAssignment.role, RoleAssignment.granted_at)
        .join(RoleAssignment, RoleAssignment.account_id == Account.id)
        .join(Unit, Unit.id == Account.unit_id)
        .where(RoleAssignment.role.in_(sorted(OFFICE_ROLES | PRODUCER_ROLES)))
    ).all()
    for username, unit, role, granted_at in rows:
        if role in PRODUCER_ROLES and unit != owner:
            continue
        if _aware(granted_at) is not None and _aware(granted_at) >= end:
            continue
        out.append({"username": username, "unit_code": unit, "role": role,
                    "since": _aware(granted_at).isoformat() if granted_at else None, "until": None})  # fmt: skip
    # Roles taken away during or after the range were held in it (the log keeps the revocation).
    held = {(r["username"], r["role"]) for r in out}
    for rec in session.scalars(
        select(AuditRecord).where(indexed(AuditRecord.operation == "revoke_role"), AuditRecord.at >= start)
    ):
        detail = rec.detail if isinstance(rec.detail, dict) else {}
        who, role = detail.get("target"), detail.get("role")
        if role not in OFFICE_ROLES | PRODUCER_ROLES or (who, role) in held:
            continue
        unit = session.scalar(
            select(Unit.code).join(Account, Account.unit_id == Unit.id).where(Account.username == who)
        )
        if role in PRODUCER_ROLES and unit != owner:
            continue
        held.add((who, role))
        out.append({"username": who, "unit_code": unit, "role": role, "since": None,
                    "until": _aware(rec.at).isoformat(), "revoked_seq": rec.seq})  # fmt: skip
    return sorted(out, key=lambda r: (r["role"], r["username"] or ""))


def _views(session: Session, dataset: str, end: datetime) -> list[dict[str, Any]]:
    from edudata.opendata.models import OpenView

    return [
        {
            "code": v.code,
            "title": v.title,
            "kind": v.kind,
            "open_category": v.open_category,
            "status": v.status,
            "published_at": _aware(v.published_at).isoformat(),
        }  # fmt: skip
        for v in session.scalars(select(OpenView).where(OpenView.dataset_code == dataset))
        if v.published_at is not None and _aware(v.published_at) < end
    ]


def trace(session: Session, q: TraceQuery) -> dict[str, Any]:
    """The answer for ``q`` (the caller integrates and signs pending records first, so proofs exist)."""
    start, end = _bounds(q)
    if q.row_id is not None:
        placed, truncated = _row_reads(session, q)
        reads, how = [r for r, _h in placed], {r.seq: h for r, h in placed}
    else:
        (reads, truncated), how = _reads(session, q), {}
    items = []
    for rec in reads:
        item = as_dict(rec)
        item["via"] = _via(rec)
        item["names_person"] = bool(q.person_hash and rec.filter and q.person_hash in rec.filter)
        if rec.seq in how:
            zh, en = _TOUCH[how[rec.seq]]
            item["touches"] = {"kind": how[rec.seq], "zh": zh, "en": en}
        try:
            item["proof"] = proofs.inclusion(session, rec.seq)
        except Exception:  # noqa: BLE001 - not yet in the tree, or in an epoch without a checkpoint
            item["proof"] = None
        items.append(item)
    datasets = [q.dataset] if q.dataset else sorted({r.dataset for r in reads if r.dataset})
    could = {
        code: {
            "grants": _grants(session, code, start, end),
            "roles": _roles(session, code, start, end),
            "public_views": _views(session, code, end),
        }
        for code in datasets
    }
    cp = latest_checkpoint(session)
    return {
        "since": q.since.isoformat(),
        "until": q.until.isoformat(),
        "dataset": q.dataset,
        "person": bool(q.person_hash),
        "row_id": q.row_id,
        "reads": items,
        "truncated": truncated,
        "could": could,
        "checkpoint": cp.note if cp is not None else None,
    }


def summary(answer: dict[str, Any]) -> str:
    return json.dumps({"reads": len(answer["reads"]), "datasets": sorted(answer["could"])})
