"""Irreversible deletion of governed rows, current and history (Art. 34-36 数据销毁: 数据及其副本).

Called only by the data path's destruction functions (``edudata.access.destruction``), inside
``guard.datapath_scope``. Unlike :func:`edudata.store.service.delete_rows`, nothing is archived: the rows leave
the current table **and** every earlier version leaves the history table. SQLite's ``secure_delete`` is switched on
first so freed pages are overwritten rather than left on disk.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Table, delete, func, select
from sqlalchemy.orm import Session

from edudata.store.service import FieldCrypto, tables_for
from edudata.store.sets import chunks, one_of
from edudata.store.spec import DatasetSpec, ElementSpec


@dataclass(frozen=True)
class Destroyed:
    """How many rows left the current table and how many earlier versions left the history table."""

    current: int
    history: int


def table_names(dataset_code: str) -> tuple[str, str]:
    """The current and history table names of a dataset (for reports of what a destruction touched)."""
    return f"gd_{dataset_code.lower()}", f"gd_{dataset_code.lower()}__history"


def count_current(session: Session, spec: DatasetSpec, cutoff: datetime | None = None) -> int:
    """Rows now in the dataset, or those created before ``cutoff``."""
    current, _ = tables_for(session, spec)
    stmt = select(func.count()).select_from(current)
    if cutoff is not None:
        stmt = stmt.where(current.c._created_at < cutoff)
    return int(session.execute(stmt).scalar_one())


def _secure(session: Session) -> None:
    if session.get_bind().dialect.name == "sqlite":
        session.connection().exec_driver_sql("PRAGMA secure_delete=ON")


def locate(
    session: Session, spec: DatasetSpec, element: ElementSpec, values: Iterable[str], crypto: FieldCrypto
) -> set[int]:
    """Ids of rows, current or historical, whose ``element`` equals one of ``values`` (blind index when encrypted)."""
    wanted = [v for v in dict.fromkeys(values) if v]
    if not wanted:
        return set()
    current, history = tables_for(session, spec)
    if element.encrypted:
        if not element.blind_index:
            return set()
        keys = [k for k in crypto.blind_index(spec, element, wanted) if k]
        column = element.index_column
    else:
        keys, column = wanted, element.column
    found: set[int] = set()
    for table in (current, history):
        for part in chunks(session, keys):
            found.update(
                session.execute(select(table.c._id).where(one_of(session, table.c[column], part))).scalars()
            )
    return found


def plain_values(
    session: Session, spec: DatasetSpec, row_ids: Sequence[int], codes: Iterable[str]
) -> set[str]:
    """Values of the unencrypted identifier elements ``codes`` of these rows (to follow a person across datasets)."""
    elements = [spec.element(c) for c in codes]
    elements = [e for e in elements if e is not None and not e.encrypted]
    if not elements or not row_ids:
        return set()
    current, history = tables_for(session, spec)
    out: set[str] = set()
    ids = list(row_ids)
    for table in (current, history):
        for part in chunks(session, ids):
            stmt = select(*(table.c[e.column] for e in elements)).where(one_of(session, table.c._id, part))
            for row in session.execute(stmt):
                out.update(str(v) for v in row if v not in (None, ""))
    return out


def _delete(session: Session, tables: tuple[Table, Table], where_current, where_history) -> Destroyed:  # noqa: ANN001
    current, history = tables
    removed_history = session.execute(delete(history).where(where_history)).rowcount
    removed = session.execute(delete(current).where(where_current)).rowcount
    return Destroyed(int(removed or 0), int(removed_history or 0))


def destroy_rows(session: Session, spec: DatasetSpec, row_ids: Iterable[int]) -> Destroyed:
    """Delete these rows and every earlier version of them; ids already gone are ignored (idempotent)."""
    _secure(session)
    current, history = tables_for(session, spec)
    ids = sorted(set(row_ids))
    total = Destroyed(0, 0)
    for part in chunks(session, ids):
        got = _delete(
            session,
            (current, history),
            one_of(session, current.c._id, part),
            one_of(session, history.c._id, part),
        )
        total = Destroyed(total.current + got.current, total.history + got.history)
    return total


def destroy_dataset(session: Session, spec: DatasetSpec) -> Destroyed:
    """Delete every row of the dataset and its whole history (the catalogue entry stays)."""
    _secure(session)
    current, history = tables_for(session, spec)
    return _delete(session, (current, history), current.c._id.is_not(None), history.c._id.is_not(None))


def destroy_before(session: Session, spec: DatasetSpec, cutoff: datetime) -> Destroyed:
    """Delete rows created before ``cutoff`` with all their versions (a row's ``_created_at`` never changes)."""
    _secure(session)
    current, history = tables_for(session, spec)
    return _delete(
        session, (current, history), current.c._created_at < cutoff, history.c._created_at < cutoff
    )
