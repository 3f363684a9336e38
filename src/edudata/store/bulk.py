"""Bulk collection into the governed store (ingest, Art. 20-24): column-wise load, lookups, batch rollback.

Called only by the data path (``edudata.access.datapath``), inside ``guard.datapath_scope``, like
:mod:`edudata.store.service`. Values arrive validated and normalised by ingest; encrypted elements are
encrypted column-wise with their blind index, and PostgreSQL takes the rows by ``COPY``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl
from sqlalchemy import Column, LargeBinary, Table, select
from sqlalchemy.orm import Session

from edudata.db import utcnow
from edudata.store import tables
from edudata.store.service import FieldCrypto, _archive, tables_for, update_row
from edudata.store.spec import DatasetSpec, ElementSpec


def _lookup_column(spec: DatasetSpec, current: Table, element: ElementSpec) -> Column:
    return current.c[element.index_column] if element.blind_index else current.c[element.column]


def _lookup_values(
    spec: DatasetSpec, element: ElementSpec, values: Sequence[str | None], crypto: FieldCrypto
) -> list[str | None]:
    return crypto.blind_index(spec, element, values) if element.blind_index else list(values)


def find_existing(
    session: Session,
    spec: DatasetSpec,
    element: ElementSpec,
    values: Sequence[str],
    *,
    key: ElementSpec,
    crypto: FieldCrypto,
    chunk: int = 5000,
) -> dict[str, Any]:
    """Which of ``values`` of ``element`` the store already holds: value → the key of its row, as stored
    (ciphertext when the key is encrypted; the data path decrypts it). Encrypted elements match by blind index."""
    current, _ = tables_for(session, spec)
    if not values or session.execute(select(current.c._id).limit(1)).first() is None:
        return {}
    column, key_column = _lookup_column(spec, current, element), current.c[key.column]
    lookups = _lookup_values(spec, element, list(values), crypto)
    back = {lk: v for lk, v in zip(lookups, values, strict=True) if lk is not None}
    found: dict[str, str] = {}
    wanted = list(back)
    for start in range(0, len(wanted), chunk):
        part = wanted[start : start + chunk]
        for value, key_value in session.execute(select(column, key_column).where(column.in_(part))):
            found[back[value]] = key_value
    return found


def _insert_columns(session: Session, current: Table, columns: dict[str, list[Any]], count: int) -> None:
    names = list(columns)
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        # One CSV per chunk built column-wise by Polars (ciphertext as bytea hex), then COPY: no Python per row.
        series = []
        for name, values in columns.items():
            if isinstance(current.c[name].type, LargeBinary):
                col = pl.Series(name, values, dtype=pl.Binary)
                series.append(
                    pl.when(col.is_not_null()).then(pl.lit("\\x") + col.bin.encode("hex")).alias(name)
                )
            else:
                series.append(pl.lit(pl.Series(name, values, strict=False)).alias(name))
        body = pl.select(series).write_csv(include_header=False).encode()
        raw = conn.connection.dbapi_connection
        quoted = ", ".join(f'"{n}"' for n in names)
        with (
            raw.cursor() as cur,
            cur.copy(f'COPY "{current.name}" ({quoted}) FROM STDIN WITH (FORMAT csv)') as copy,
        ):
            for start in range(0, len(body), 1 << 20):
                copy.write(body[start : start + (1 << 20)])
        return
    # SQLite: the driver's executemany with values bound once per column by the column type's own processor
    # (dates as the dialect stores them), not SQLAlchemy's per-row statement machinery.
    bound = []
    for name, values in columns.items():
        process = current.c[name].type.bind_processor(conn.dialect)
        bound.append(values if process is None else [None if v is None else process(v) for v in values])
    quoted = ", ".join(f'"{n}"' for n in names)
    marks = ", ".join("?" for _ in names)
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        cursor.executemany(
            f'INSERT INTO "{current.name}" ({quoted}) VALUES ({marks})', zip(*bound, strict=True)
        )
    finally:
        cursor.close()


CHUNK = 100_000


def _insert_chunk(
    session: Session,
    spec: DatasetSpec,
    current: Table,
    columns: Mapping[str, Sequence[Any]],
    rows: list[int],
    actor: str,
    crypto: FieldCrypto,
    batch: str,
) -> None:
    whole = len(rows) == len(next(iter(columns.values()))) and (not rows or rows[-1] == len(rows) - 1)
    encoded: dict[str, list[Any]] = {}
    for code, values in columns.items():
        element = spec.element(code)
        values = list(values) if whole else [values[i] for i in rows]
        if element.encrypted:
            as_text = [None if v is None or v == "" else str(v) for v in values]
            encoded[element.column] = crypto.encrypt(spec, element, as_text)
            if element.blind_index:
                encoded[element.index_column] = crypto.blind_index(spec, element, as_text)
        else:
            encoded[element.column] = values
    person = getattr(spec, "person_element", None)
    subject_column = getattr(tables, "SUBJECT_COLUMN", None)
    if person is not None and subject_column and person.code in columns and hasattr(crypto, "subject_refs"):
        # The person reference the PI register counts by (Art. 50), as ``service.insert_rows`` sets it.
        ids = [None if v in (None, "") else str(v) for v in (columns[person.code][i] for i in rows)]
        encoded[subject_column] = crypto.subject_refs(ids)
    now, n = utcnow(), len(rows)
    for name, value in (
        ("_version", 1),
        ("_created_at", now),
        ("_created_by", actor),
        ("_updated_at", now),
        ("_updated_by", actor),
        ("_batch", batch),
    ):
        encoded[name] = [value] * n
    _insert_columns(session, current, encoded, n)


def load_columns(
    session: Session,
    spec: DatasetSpec,
    columns: Mapping[str, Sequence[Any]],
    *,
    actor: str,
    crypto: FieldCrypto,
    batch: str,
    key: str | None = None,
) -> dict[str, int]:
    """Load validated values, one list per element code: rows whose ``key`` is already stored are updated (the
    earlier version kept in history), the others inserted in bulk (PostgreSQL ``COPY``)."""
    current, _ = tables_for(session, spec)
    count = len(next(iter(columns.values()))) if columns else 0
    updates: list[int] = []
    if key and count:
        element = spec.element(key)
        keys = [None if v is None else str(v) for v in columns[key]]
        existing = find_existing(
            session, spec, element, [k for k in keys if k is not None], key=element, crypto=crypto
        )
        if existing:
            wanted = set(existing)
            updates = [i for i, k in enumerate(keys) if k in wanted]
    skip = set(updates)
    fresh = [i for i in range(count) if i not in skip]
    for start in range(0, len(fresh), CHUNK):  # bounded memory: encode and insert 100,000 rows at a time
        _insert_chunk(session, spec, current, columns, fresh[start : start + CHUNK], actor, crypto, batch)
    n = len(fresh)
    if updates:
        element = spec.element(key)
        by_key = _ids_by_key(session, spec, current, element, [str(columns[key][i]) for i in updates], crypto)
        for i in updates:
            row_id = by_key[str(columns[key][i])]
            changes = {code: values[i] for code, values in columns.items()}
            update_row(
                session, spec, row_id, changes, actor=actor, crypto=crypto, scope=current.c._id == row_id
            )
            session.execute(current.update().where(current.c._id == row_id).values(_batch=batch))
    return {"inserted": n, "updated": len(updates)}


def _ids_by_key(
    session: Session,
    spec: DatasetSpec,
    current: Table,
    element: ElementSpec,
    keys: list[str],
    crypto: FieldCrypto,
) -> dict[str, int]:
    column = _lookup_column(spec, current, element)
    lookups = _lookup_values(spec, element, keys, crypto)
    back = dict(zip(lookups, keys, strict=True))
    out: dict[str, int] = {}
    for start in range(0, len(lookups), 5000):
        part = lookups[start : start + 5000]
        for value, row_id in session.execute(select(column, current.c._id).where(column.in_(part))):
            out[back[value]] = row_id
    return out


def revert_batch(session: Session, spec: DatasetSpec, batch: str, *, actor: str) -> dict[str, int]:
    """Undo one loaded batch: rows it inserted are deleted, rows it updated get their previous version back.

    Both are recorded in history (op ``rollback``), so the rollback itself can be traced and undone by hand.
    """
    current, history = tables_for(session, spec)
    rows = session.execute(select(current.c._id, current.c._version).where(current.c._batch == batch)).all()
    inserted = [r[0] for r in rows if r[1] == 1]
    changed = [(r[0], r[1]) for r in rows if r[1] > 1]
    if inserted:
        for start in range(0, len(inserted), 5000):
            part = inserted[start : start + 5000]
            _archive(session, current, history, part, "rollback", actor)
            session.execute(current.delete().where(current.c._id.in_(part)))
    element_columns = [c.name for c in current.columns if not c.name.startswith("_")] + ["_batch"]
    for row_id, version in changed:
        previous = (
            session.execute(
                select(history)
                .where(history.c._id == row_id, history.c._version == version - 1)
                .order_by(history.c._hid.desc())
                .limit(1)
            )
            .mappings()
            .first()
        )
        if previous is None:
            continue
        _archive(session, current, history, [row_id], "rollback", actor)
        values = {name: previous[name] for name in element_columns}
        values.update(_version=version + 1, _updated_at=utcnow(), _updated_by=actor)
        session.execute(current.update().where(current.c._id == row_id).values(**values))
    return {"deleted": len(inserted), "restored": len(changed)}
