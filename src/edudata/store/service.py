"""Rows of governed datasets: materialise tables, write with history, read pages (Art. 27-28, 30).

Called only by the data path (``edudata.access.datapath``), inside ``guard.datapath_scope``. Values of encrypted
elements arrive here in clear and leave encrypted (with a blind index for lookups); reads return ciphertext
decrypted for the path to mask. Every change keeps the earlier version in the history table (谁在何时改了什么).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import Column, MetaData, Table, func, insert, inspect, select, text, union
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from edudata import cache
from edudata.db import utcnow
from edudata.errors import Conflict, NotFound
from edudata.store.models import StoreTable
from edudata.store.spec import DatasetSpec, ElementSpec
from edudata.store.tables import SUBJECT_COLUMN, build_tables, layout_hash

SYSTEM_COLUMNS = ("_id", "_version", "_created_at", "_created_by", "_updated_at", "_updated_by", "_batch")


class FieldCrypto(Protocol):
    """What the store needs of the key hierarchy (implemented over ``edudata.crypto``)."""

    def encrypt(
        self, spec: DatasetSpec, element: ElementSpec, values: Sequence[str | None]
    ) -> list[bytes | None]: ...

    def decrypt(
        self, spec: DatasetSpec, element: ElementSpec, values: Sequence[bytes | None]
    ) -> list[str | None]: ...

    def blind_index(
        self, spec: DatasetSpec, element: ElementSpec, values: Sequence[str | None]
    ) -> list[str | None]: ...

    def subject_refs(self, values: Sequence[str | None]) -> list[str | None]: ...

    def encrypt_columns(
        self,
        spec: DatasetSpec,
        columns: Mapping[str, Sequence[str | None]],
        subjects: Sequence[str | None] | None,
    ) -> dict[str, list[bytes | None]]: ...

    def decrypt_columns(
        self, spec: DatasetSpec, columns: Mapping[str, Sequence[bytes | None]]
    ) -> dict[str, list[str | None]]: ...

    def prepare_subjects(self, subjects: Sequence[str | None]) -> None: ...


_tables_cache: dict[tuple[str, str, str], tuple[Table, Table]] = {}


def tables_for(session: Session, spec: DatasetSpec) -> tuple[Table, Table]:
    """The dataset's current and history tables, creating or widening them when the catalogue changed."""
    key = (str(session.get_bind().url), spec.code, layout_hash(spec))
    cached = _tables_cache.get(key)
    if cached is not None:
        return cached
    current, history = build_tables(spec, MetaData())
    registry = session.get(StoreTable, spec.code)
    if registry is None or registry.layout_hash != layout_hash(spec):
        _materialise(session, spec, current, history, registry)
    _tables_cache[key] = (current, history)
    return current, history


def _materialise(
    session: Session, spec: DatasetSpec, current: Table, history: Table, registry: StoreTable | None
) -> None:
    conn = session.connection()
    from edudata.store.relayout import plan

    pending = plan(conn, spec)
    if pending:
        # The catalogue changed how an element is kept (grade, sensitivity, type) and its values were not
        # re-written: reading or writing them under the new layout would mix plaintext and ciphertext.
        names = ", ".join(c.element.code for c in pending)
        raise Conflict(
            f"数据集 {spec.code} 的数据项 {names} 的存储方式已在目录中变更，但已存数据尚未迁移；"
            f"请网信办执行 edudata catalog migrate-storage {spec.code}",
            f"the catalogue changed how elements {names} of dataset {spec.code} are stored and the stored "
            f"values are not migrated yet; the office runs edudata catalog migrate-storage {spec.code}",
        )
    existing = set(inspect(conn).get_table_names())
    for table in (current, history):
        if table.name not in existing:
            table.create(conn)
            continue
        present = {c["name"]: c for c in inspect(conn).get_columns(table.name)}
        for column in table.columns:
            if column.name not in present:
                # A new element in the catalogue: add its column; earlier rows hold NULL for it.
                col_type = column.type.compile(dialect=conn.dialect)
                conn.execute(text(f'ALTER TABLE "{table.name}" ADD COLUMN "{column.name}" {col_type}'))
        for name in present:
            if name not in table.columns and not name.startswith("_"):
                raise Conflict(
                    f"数据集 {spec.code} 的存储表含目录中已不存在的字段 {name}，需先迁移数据",
                    f"table of dataset {spec.code} holds column {name} no longer in the catalogue; migrate first",
                )
    if registry is None:
        session.add(
            StoreTable(dataset_code=spec.code, table_name=current.name, layout_hash=layout_hash(spec))
        )
    else:
        registry.layout_hash = layout_hash(spec)
        registry.updated_at = utcnow()
    session.flush()


def _encode(
    spec: DatasetSpec,
    rows: Sequence[Mapping[str, Any]],
    crypto: FieldCrypto,
    subjects: Sequence[str | None] | None = None,
) -> list[dict[str, Any]]:
    """Element codes → columns; encrypted elements become ciphertext plus blind index, column-wise in bulk.

    Personal information goes under the key of each row's person: the subject reference of the row's ID number,
    or ``subjects`` (the stored rows' references) when the rows do not carry the ID number (an update)."""
    out: list[dict[str, Any]] = [{} for _ in rows]
    person = spec.person_element
    if person is not None and any(person.code in r for r in rows):
        # One reference per person across every dataset (the blind index of the ID number, purpose
        # ``subject``, as per-person keys use): the PI register counts people with it (Art. 50).
        ids = [None if r.get(person.code) in (None, "") else str(r.get(person.code)) for r in rows]
        subjects = crypto.subject_refs(ids)
        for row, ref in zip(out, subjects, strict=True):
            row[SUBJECT_COLUMN] = ref
    secret: dict[str, list[str | None]] = {}
    for element in spec.elements:
        if not any(element.code in r for r in rows):
            continue
        values = [r.get(element.code) for r in rows]
        if element.encrypted:
            secret[element.code] = as_text = [None if v is None or v == "" else str(v) for v in values]
            if element.blind_index:
                for row, v in zip(out, crypto.blind_index(spec, element, as_text), strict=True):
                    row[element.index_column] = v
        else:
            for row, v in zip(out, values, strict=True):
                row[element.column] = v
    if secret:
        for code, cipher in crypto.encrypt_columns(spec, secret, subjects).items():
            column = spec.element(code).column
            for row, v in zip(out, cipher, strict=True):
                row[column] = v
    return out


def insert_rows(
    session: Session,
    spec: DatasetSpec,
    rows: Sequence[Mapping[str, Any]],
    *,
    actor: str,
    crypto: FieldCrypto,
    batch: str | None = None,
) -> list[int]:
    """Insert already-validated rows; returns their ids."""
    current, _ = tables_for(session, spec)
    if not rows:
        return []
    now = utcnow()
    encoded = _encode(spec, rows, crypto)
    for row in encoded:
        row.update(
            _version=1, _created_at=now, _created_by=actor, _updated_at=now, _updated_by=actor, _batch=batch
        )
        for element in spec.elements:
            row.setdefault(element.column, None)
            if element.blind_index:
                row.setdefault(element.index_column, None)
        if spec.person_element is not None:
            row.setdefault(SUBJECT_COLUMN, None)
    ids: list[int] = []
    chunk = 5000
    for start in range(0, len(encoded), chunk):
        part = encoded[start : start + chunk]
        result = session.execute(insert(current).returning(current.c._id), part)
        ids.extend(result.scalars().all())
    return ids


def _archive(
    session: Session, current: Table, history: Table, row_ids: Iterable[int], op: str, actor: str
) -> None:
    cols = list(current.columns)
    now = utcnow()
    rows = session.execute(select(*cols).where(current.c._id.in_(list(row_ids)))).mappings().all()
    if rows:
        session.execute(
            insert(history),
            [{**dict(r), "_op": op, "_changed_at": now, "_changed_by": actor} for r in rows],
        )


def update_row(
    session: Session,
    spec: DatasetSpec,
    row_id: int,
    changes: Mapping[str, Any],
    *,
    actor: str,
    crypto: FieldCrypto,
    scope: ColumnElement[bool],
) -> int:
    """Update one row inside ``scope`` (the caller's permitted rows); the previous version goes to history."""
    current, history = tables_for(session, spec)
    person = spec.person_element
    subject = current.c[SUBJECT_COLUMN] if person is not None else None
    found = session.execute(
        select(current.c._version, *([subject] if subject is not None else [])).where(
            current.c._id == row_id, scope
        )
    ).first()
    if found is None:
        raise NotFound(
            f"数据集 {spec.code} 中没有编号为 {row_id} 的记录", f"no record {row_id} in dataset {spec.code}"
        )
    _archive(session, current, history, [row_id], "update", actor)
    stored_ref = found[1] if subject is not None else None
    if person is not None and person.code in changes:
        changes = _with_personal_values(session, spec, current, row_id, changes, stored_ref, crypto)
    values = _encode(spec, [changes], crypto, [stored_ref])[0]
    values.update(_version=found[0] + 1, _updated_at=utcnow(), _updated_by=actor)
    session.execute(current.update().where(current.c._id == row_id).values(**values))
    return found[0] + 1


def _with_personal_values(
    session: Session,
    spec: DatasetSpec,
    current: Table,
    row_id: int,
    changes: Mapping[str, Any],
    stored_ref: str | None,
    crypto: FieldCrypto,
) -> Mapping[str, Any]:
    """An update that changes the row's ID number changes its person: the personal values it leaves alone are
    re-sealed under the new person's key (else destroying that person would leave them readable)."""
    person = spec.person_element
    new_id = changes.get(person.code)
    new_ref = crypto.subject_refs([None if new_id in (None, "") else str(new_id)])[0]
    if new_ref == stored_ref:
        return changes
    kept = [e for e in spec.elements if e.personal and e.code not in changes]
    if not kept:
        return changes
    row = session.execute(select(*(current.c[e.column] for e in kept)).where(current.c._id == row_id)).one()
    clear = crypto.decrypt_columns(spec, {e.code: [row[i]] for i, e in enumerate(kept)})
    return {**changes, **{code: values[0] for code, values in clear.items()}}


def delete_rows(
    session: Session, spec: DatasetSpec, row_ids: Sequence[int], *, actor: str, scope: ColumnElement[bool]
) -> int:
    """Delete rows inside ``scope``; each is kept in history with op ``delete`` (until destroyed, C7)."""
    current, history = tables_for(session, spec)
    ids = list(
        session.execute(select(current.c._id).where(current.c._id.in_(list(row_ids)), scope)).scalars()
    )
    if len(ids) != len(set(row_ids)):
        missing = sorted(set(row_ids) - set(ids))[:5]
        raise NotFound(
            f"数据集 {spec.code} 中没有记录 {missing}", f"no records {missing} in dataset {spec.code}"
        )
    _archive(session, current, history, ids, "delete", actor)
    session.execute(current.delete().where(current.c._id.in_(ids)))
    return len(ids)


def select_rows(
    session: Session,
    spec: DatasetSpec,
    elements: Sequence[str],
    where: ColumnElement[bool],
    *,
    limit: int,
    after_id: int | None = None,
    offset: int = 0,
) -> tuple[list[int], dict[str, list[Any]]]:
    """A page of rows (keyset by ``_id``): ids and the raw column values per element (ciphertext stays bytes)."""
    current, _ = tables_for(session, spec)
    cols: list[Column] = [current.c._id] + [current.c[spec.element(e).column] for e in elements]
    stmt = select(*cols).where(where).order_by(current.c._id).limit(limit)
    if after_id is not None:
        stmt = stmt.where(current.c._id > after_id)
    elif offset:
        stmt = stmt.offset(offset)
    rows = session.execute(stmt).all()
    ids = [r[0] for r in rows]
    columns = {e: [r[i + 1] for r in rows] for i, e in enumerate(elements)}
    return ids, columns


def count_rows(session: Session, spec: DatasetSpec, where: ColumnElement[bool]) -> int:
    current, _ = tables_for(session, spec)
    return int(session.execute(select(func.count()).select_from(current).where(where)).scalar_one())


def count_distinct(
    session: Session, spec: DatasetSpec, where: ColumnElement[bool], element: ElementSpec
) -> int:
    """Distinct non-null values of ``element`` in scope; an encrypted one is counted by its blind index
    (deterministic), since its ciphertext differs for equal values."""
    if element.encrypted and not element.blind_index:
        return count_rows(session, spec, where)
    current, _ = tables_for(session, spec)
    col = current.c[element.index_column if element.blind_index else element.column]
    stmt = select(func.count(func.distinct(col))).select_from(current).where(where)
    return int(session.execute(stmt).scalar_one())


def count_subjects(session: Session, specs: Sequence[DatasetSpec]) -> tuple[dict[str, int], int]:
    """Distinct people per dataset and across all of them, by the subject reference ``_subject`` (the blind
    index of the ID number): nothing is decrypted (Art. 50). Datasets without an ID number are left out."""
    linked = [s for s in specs if s.person_element is not None]
    per: dict[str, int] = {}
    parts = []
    for spec in linked:
        current, _ = tables_for(session, spec)
        col = current.c[SUBJECT_COLUMN]
        per[spec.code] = int(session.execute(select(func.count(func.distinct(col)))).scalar_one())
        parts.append(select(col.label("ref")).where(col.is_not(None)))
    if not parts:
        return per, 0
    if len(parts) == 1:
        return per, next(iter(per.values()))
    refs = union(*parts).subquery()
    return per, int(session.execute(select(func.count()).select_from(refs)).scalar_one())


def history_rows(session: Session, spec: DatasetSpec, row_id: int) -> list[dict[str, Any]]:
    _, history = tables_for(session, spec)
    stmt = select(history).where(history.c._id == row_id).order_by(history.c._version)
    return [dict(r) for r in session.execute(stmt).mappings()]


def jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def clear_table_cache() -> None:
    _tables_cache.clear()


cache.register(clear_table_cache)


def subjects_of(session: Session, spec: DatasetSpec, ids: Sequence[int]) -> list[str | None]:
    """The subject reference (``_subject``) of each of these rows, in their order (``None`` where unknown)."""
    current, _ = tables_for(session, spec)
    if SUBJECT_COLUMN not in current.c or not ids:
        return [None] * len(ids)
    found: dict[int, str | None] = {}
    wanted = list(ids)
    for start in range(0, len(wanted), 5000):
        stmt = select(current.c._id, current.c[SUBJECT_COLUMN]).where(
            current.c._id.in_(wanted[start : start + 5000])
        )
        found.update({row_id: ref for row_id, ref in session.execute(stmt)})
    return [found.get(i) for i in wanted]
