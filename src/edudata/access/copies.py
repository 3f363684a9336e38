"""The register of copies handed out of the platform (Art. 35 副本, Art. 30 导出): what was handed to whom, and
which people it held — by ``subject_ref`` (the blind index of the ID number kept in ``_subject``), never a value.

A destruction asks it which copies held the person (:func:`copies_of`), tells their holders to delete them and
states them in the certificate: the platform cannot wipe a file on someone else's disk, but it knows where each
one went. Recorded by the data path in the delivering call's transaction (no copy without its record).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from edudata.access.models import DataCopy, DataCopySubject
from edudata.db import utcnow
from edudata.store.guard import datapath_scope
from edudata.store.service import tables_for
from edudata.store.sets import chunks, one_of
from edudata.store.spec import DatasetSpec
from edudata.store.tables import SUBJECT_COLUMN

CHUNK = 5000
KINDS = ("export", "package", "grant_delivery")


def _subjects(session: Session, spec: DatasetSpec, ids: Sequence[int]) -> set[str]:
    current, _ = tables_for(session, spec)
    if SUBJECT_COLUMN not in current.c:
        return set()
    column = current.c[SUBJECT_COLUMN]
    found: set[str] = set()
    with datapath_scope("copy register"):
        for start in range(0, len(ids), CHUNK):
            stmt = select(column).where(current.c._id.in_(ids[start : start + CHUNK]), column.is_not(None))
            found.update(session.execute(stmt).scalars())
    return found


def record_copy(
    session: Session, spec: DatasetSpec, ids: Sequence[int], *, kind: str, who: dict[str, Any],
    grant_id: int | None = None,
) -> int:  # fmt: skip
    """Register one copy of rows ``ids`` of ``spec`` handed to ``who`` (the audit fields of the caller); returns
    the copy's id. Written with two plain inserts in the caller's transaction: a grant holder's every page is a
    copy, so the register is on the data API's hot path and the ORM's unit of work bought nothing here."""
    if kind not in KINDS:
        raise ValueError(f"unknown copy kind {kind}")
    copy_id = session.execute(
        insert(DataCopy.__table__).returning(DataCopy.__table__.c.id),
        {"kind": kind, "dataset_code": spec.code, "account_id": who.get("account_id"),
         "username": who.get("username"), "unit_code": who.get("unit_code"), "grant_id": grant_id,
         "request_id": who.get("request_id"), "row_count": len(ids), "made_at": utcnow()},
    ).scalar_one()  # fmt: skip
    refs = sorted(_subjects(session, spec, list(ids)))
    for start in range(0, len(refs), CHUNK):
        session.execute(
            insert(DataCopySubject.__table__),
            [{"copy_id": copy_id, "subject_ref": r} for r in refs[start : start + CHUNK]],
        )
    return copy_id


def copies_of(session: Session, refs: Iterable[str]) -> list[DataCopy]:
    """Every registered copy that held one of these people, oldest first."""
    refs = sorted(set(refs))
    ids: set[int] = set()
    for part in chunks(session, refs):  # one array parameter a chunk on PostgreSQL (edudata.store.sets)
        stmt = select(DataCopySubject.copy_id).where(one_of(session, DataCopySubject.subject_ref, part))
        ids.update(session.execute(stmt).scalars())
    if not ids:
        return []
    return list(
        session.execute(select(DataCopy).where(DataCopy.id.in_(sorted(ids))).order_by(DataCopy.id)).scalars()
    )


def describe(copy: DataCopy) -> dict[str, Any]:
    """A copy as a certificate states it (no person named)."""
    return {
        "copy": copy.id, "kind": copy.kind, "dataset": copy.dataset_code, "holder": copy.username,
        "unit": copy.unit_code, "grant_id": copy.grant_id, "rows": copy.row_count,
        "made_at": copy.made_at.isoformat() if copy.made_at else None,
    }  # fmt: skip
