"""Bulk collection into the governed store (ingest, Art. 20-24): column-wise load, lookups, batch rollback.

Called only by the data path (``edudata.access.datapath``), inside ``guard.datapath_scope``, like
:mod:`edudata.store.service`. Values arrive validated and normalised by ingest; encrypted elements are
encrypted column-wise with their blind index, and PostgreSQL takes the rows by ``COPY``.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import polars as pl
from sqlalchemy import Column, Table, func, select, text
from sqlalchemy.orm import Session

from edudata.db import utcnow
from edudata.errors import Conflict
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


def _clear(col: pl.Series) -> list[str | None]:
    """Values to encrypt or index, as text; an empty value is an absent one."""
    text = col.cast(pl.String)
    return pl.select(pl.when(text != "").then(text)).to_series().to_list()


def _encode_chunk(
    spec: DatasetSpec,
    frame: pl.DataFrame,
    actor: str,
    crypto: FieldCrypto,
    batch: str,
    subjects: list[str | None] | None = None,
) -> pl.DataFrame:
    """One chunk of validated rows as the table stores them: ciphertext, blind indexes, subject reference.

    Personal information is sealed under each row's person's key (the subject reference of the row's ID
    number), every encrypted column of the chunk in one call, so the people's keys are made once per chunk."""
    out: list[pl.Series] = []
    clear: dict[str, list[str | None]] = {}
    person = spec.person_element
    if person is not None and person.code in frame.columns:
        # The person reference the PI register counts by (Art. 50), as ``service.insert_rows`` sets it.
        clear[person.code] = _clear(frame.get_column(person.code))
        if subjects is None:
            subjects = crypto.subject_refs(clear[person.code])
        out.append(pl.Series(tables.SUBJECT_COLUMN, subjects, dtype=pl.String))
    order: list[str] = []
    for code in frame.columns:
        element = spec.element(code)
        if not element.encrypted:
            out.append(frame.get_column(code).alias(element.column))
            continue
        if code not in clear:
            clear[code] = _clear(frame.get_column(code))
        order.append(code)
        if element.blind_index:
            out.append(
                pl.Series(
                    element.index_column, crypto.blind_index(spec, element, clear[code]), dtype=pl.String
                )
            )
    sealed = crypto.encrypt_columns(spec, {code: clear[code] for code in order}, subjects)
    for code in order:
        out.append(pl.Series(spec.element(code).column, sealed[code], dtype=pl.Binary))
    now = utcnow()
    system = {
        "_version": 1,
        "_created_at": now,
        "_created_by": actor,
        "_updated_at": now,
        "_updated_by": actor,
        "_batch": batch,
    }
    return pl.DataFrame(out).with_columns(pl.lit(value).alias(name) for name, value in system.items())


def _copy_csv(chunk: pl.DataFrame) -> bytes:
    """A chunk as ``COPY … (FORMAT csv)`` input: ciphertext as bytea hex, dates and times in ISO form."""
    exprs = []
    for name, dtype in chunk.schema.items():
        col = pl.col(name)
        if dtype == pl.Binary:
            col = pl.when(col.is_not_null()).then(pl.lit("\\x") + col.bin.encode("hex"))
        exprs.append(col.alias(name))
    return (
        chunk.select(exprs)
        .write_csv(include_header=False, datetime_format="%Y-%m-%dT%H:%M:%S%.f%:z")
        .encode()
    )


def _insert_postgresql(session: Session, current: Table, chunks: Iterator[pl.DataFrame]) -> None:
    """One ``COPY`` for the whole load, fed by a writer thread: while PostgreSQL takes chunk n (on its own
    core), this process encrypts and indexes chunk n + 1."""
    from psycopg.copy import QueuedLibpqWriter

    raw = session.connection().connection.dbapi_connection
    first = next(chunks, None)
    if first is None:
        return
    quoted = ", ".join(f'"{n}"' for n in first.columns)
    with raw.cursor() as cur:
        statement = f'COPY "{current.name}" ({quoted}) FROM STDIN WITH (FORMAT csv)'
        with cur.copy(statement, writer=QueuedLibpqWriter(cur)) as copy:
            for chunk in itertools.chain([first], chunks):
                copy.write(_copy_csv(chunk))


def _insert_sqlite(session: Session, current: Table, chunks: Iterator[pl.DataFrame]) -> None:
    """SQLite: the driver's executemany with values bound once per column by the column type's own processor
    (dates as the dialect stores them), not SQLAlchemy's per-row statement machinery."""
    conn = session.connection()
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        for chunk in chunks:
            bound = []
            for name in chunk.columns:
                values = chunk.get_column(name).to_list()
                process = current.c[name].type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
                bound.append(
                    values if process is None else [None if v is None else process(v) for v in values]
                )
            quoted = ", ".join(f'"{n}"' for n in chunk.columns)
            marks = ", ".join("?" for _ in chunk.columns)
            cursor.executemany(
                f'INSERT INTO "{current.name}" ({quoted}) VALUES ({marks})', zip(*bound, strict=True)
            )
    finally:
        cursor.close()


CHUNK = 100_000
REBUILD_AT = 50_000  # fresh rows from which a load into a table no larger than the batch rebuilds its indexes


@contextmanager
def _indexes_rebuilt_after(session: Session, current: Table, fresh: int) -> Iterator[None]:
    """Drop the table's secondary indexes for a large load into a small table and build them again after it.

    Inserting a million random blind indexes into four B-trees costs several times the load itself; one sort
    per index afterwards does not. Both backends run the DDL in the load's transaction, so a failed load
    leaves the indexes as they were; on PostgreSQL the table is locked for the load (readers wait).
    """
    if fresh < REBUILD_AT or session.execute(select(func.count()).select_from(current)).scalar_one() > fresh:
        yield
        return
    conn = session.connection()
    postgresql = conn.dialect.name == "postgresql"
    raw = conn.connection.dbapi_connection
    if not postgresql and not raw.in_transaction:
        # pysqlite opens a transaction only before DML; DDL outside one would commit at once.
        raw.execute("BEGIN")
    indexes = sorted(current.indexes, key=lambda i: i.name)
    for index in indexes:
        index.drop(conn, checkfirst=True)
    yield
    if postgresql:
        conn.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))
    for index in indexes:
        index.create(conn)
    if postgresql:
        # Fresh statistics now, not when autovacuum next comes by: until then the planner takes the table for
        # the few rows it had, and the first readers (grant holders' keyset pages) get a scan for a lookup.
        conn.execute(text(f'ANALYZE "{current.name}"'))


MAX_LISTED = 50  # conflicting keys named in a refusal


def load_conflicts(
    session: Session,
    spec: DatasetSpec,
    frame: pl.DataFrame,
    *,
    key: str,
    crypto: FieldCrypto,
    checked_at: datetime | None,
) -> list[str]:
    """Keys of ``frame`` whose load would break the table's uniqueness, for a refusal of the whole load:

    - keys stored since the batch was checked (``checked_at``): new when it was validated, written meanwhile by
      another batch — loading would overwrite rows its reviewers never saw;
    - where the table holds one row per person, ID numbers stored under another key (the same person twice).
    Called with the dataset's load lock held (``edudata.transition.lock_name``), so nothing changes meanwhile.
    """
    current, _ = tables_for(session, spec)
    element = spec.element(key)
    if not frame.height or element is None:
        return []
    keys = frame.get_column(key).cast(pl.String)
    found: list[str] = []
    if checked_at is not None and (column := tables.lookup_column(element)):
        clear = keys.drop_nulls().to_list()
        lookups = _lookup_values(spec, element, clear, crypto)
        back = dict(zip(lookups, clear, strict=True))
        for start in range(0, len(lookups), 5000):
            part = lookups[start : start + 5000]
            stmt = select(current.c[column]).where(
                current.c[column].in_(part), current.c._created_at >= checked_at
            )
            found += [back[v] for v in session.execute(stmt).scalars()]
    person = spec.element(spec.subject_element) if spec.one_row_per_person else None
    if person is not None and person.code in frame.columns and not element.encrypted:
        pairs = frame.select(pl.col(person.code).cast(pl.String), keys.alias("_k")).drop_nulls()
        mine = dict(
            zip(pairs.get_column(person.code).to_list(), pairs.get_column("_k").to_list(), strict=True)
        )
        stored = find_existing(session, spec, person, list(mine), key=element, crypto=crypto)
        found += [mine[v] for v, k in stored.items() if str(k) != mine[v]]
    return sorted(set(found))


def load_columns(
    session: Session,
    spec: DatasetSpec,
    frame: pl.DataFrame,
    *,
    actor: str,
    crypto: FieldCrypto,
    batch: str,
    key: str | None = None,
    cleared: Mapping[str, Sequence[str]] | None = None,
    checked_at: datetime | None = None,
) -> dict[str, int]:
    """Load validated values, one typed column per element code: rows whose ``key`` is already stored are
    updated (the earlier version kept in history), the others inserted in bulk (PostgreSQL ``COPY``).

    Merge semantics (docs/ingest.md): an update sets only the values the batch holds; a null keeps the stored
    value, unless ``cleared`` names the row's key for that element (the officer's explicit clearing). A load that
    would break the table's uniqueness (:func:`load_conflicts`) is refused whole, naming the keys."""
    current, _ = tables_for(session, spec)
    if key:
        clash = load_conflicts(session, spec, frame, key=key, crypto=crypto, checked_at=checked_at)
        if clash:
            listed = ", ".join(clash[:MAX_LISTED]) + (" …" if len(clash) > MAX_LISTED else "")
            raise Conflict(
                f"批次与已入库数据冲突，整批未入库：{len(clash)} 个{spec.element(key).name}已由其他批次写入或"
                f"对应同一人（{listed}）；请核对后重新提交",
                f"the batch conflicts with stored rows and was not loaded: {len(clash)} keys were written by "
                f"another batch since it was checked, or name a person stored under another key ({listed}); "
                "check them and submit again",
                conflicting_keys=clash[:MAX_LISTED],
                conflicts=len(clash),
            )
    update = pl.lit(False)  # stored already: updated row by row, not inserted
    if key and frame.height:
        element = spec.element(key)
        keys = frame.get_column(key).cast(pl.String)
        existing = find_existing(
            session, spec, element, keys.drop_nulls().to_list(), key=element, crypto=crypto
        )
        if existing:
            update = pl.col(key).cast(pl.String).is_in(list(existing)).fill_null(False)
    fresh, changed = frame.filter(~update), frame.filter(update)
    subjects = _prepare_people(spec, fresh, crypto)
    # Bounded memory: 100,000 rows are encrypted and encoded at a time.
    chunks = (
        _encode_chunk(
            spec,
            fresh.slice(start, CHUNK),
            actor,
            crypto,
            batch,
            None if subjects is None else subjects[start : start + CHUNK],
        )
        for start in range(0, fresh.height, CHUNK)
    )
    try:
        with _indexes_rebuilt_after(session, current, fresh.height):
            if session.connection().dialect.name == "postgresql":
                _insert_postgresql(session, current, chunks)
            else:
                _insert_sqlite(session, current, chunks)
    finally:
        if subjects is not None:
            crypto.prepare_subjects(
                ()
            )  # forget the keys: a later write looks them up (a destruction may come)
    if changed.height:
        element = spec.element(key)
        keys = [str(k) for k in changed.get_column(key).to_list()]
        by_key = _ids_by_key(session, spec, current, element, keys, crypto)
        clears: dict[str, set[str]] = {}
        for code, cleared_keys in (cleared or {}).items():
            for k in cleared_keys:
                clears.setdefault(str(k), set()).add(code)
        for row in changed.iter_rows(named=True):
            row_key = str(row[key])
            wanted = clears.get(row_key, set())
            changes = {k: v for k, v in row.items() if v is not None or k in wanted}
            row_id = by_key[row_key]
            update_row(
                session, spec, row_id, changes, actor=actor, crypto=crypto, scope=current.c._id == row_id
            )
            session.execute(current.update().where(current.c._id == row_id).values(_batch=batch))
    return {"inserted": fresh.height, "updated": changed.height}


def _prepare_people(spec: DatasetSpec, fresh: pl.DataFrame, crypto: FieldCrypto) -> list[str | None] | None:
    """The rows' subject references, with every person's key found or created now, in bulk: once the
    PostgreSQL ``COPY`` streams, its connection can run no other statement, and sealing a chunk must not need
    one (Art. 35-36, per-person keys)."""
    person = spec.person_element
    if person is None or person.code not in fresh.columns or not fresh.height:
        return None
    subjects = crypto.subject_refs(_clear(fresh.get_column(person.code)))
    if any(spec.element(c).personal for c in fresh.columns if spec.element(c) is not None):
        crypto.prepare_subjects(subjects)
    return subjects


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
