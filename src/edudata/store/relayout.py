"""Re-lay a dataset's stored values when the catalogue changes how an element is kept (Art. 27-28, 52).

Raising an element to 重要数据 or marking it sensitive PI means field encryption with a blind index; lowering it
means plaintext again; a type change means another column type. The catalogue change alone would leave the
old values under a column the store now reads differently (plaintext read as ciphertext). So the change and
this migration run in one transaction: every value of the element, in the current table and in history, is
read as it is stored, turned back into text, and written as the new layout keeps it. A value the new layout
cannot hold (text into a date column) refuses the whole change, naming how many and which rows.

Called only by the data path (``datapath.migrate_storage``), inside ``guard.datapath_scope``. The live table
is the truth about the old layout (its column types), so a table left behind by an earlier release (a grade
changed before this module existed) is repaired by the same call.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import BigInteger, Column, Integer, MetaData, Table, bindparam, inspect, text, update
from sqlalchemy import types as satypes
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from edudata.errors import Conflict
from edudata.store.spec import DatasetSpec, ElementSpec
from edudata.store.tables import SUBJECT_COLUMN, _hex_index, _sql_type, build_tables

CHUNK = 5000
Progress = Callable[[str, int, int], None]  # (table, rows done, rows in table)


def _kind_of(sql_type: Any) -> str:
    """The storage kind of a live column, as reflected from the database."""
    if isinstance(sql_type, satypes._Binary):
        return "binary"
    if isinstance(sql_type, satypes.Boolean):
        return "boolean"
    if isinstance(sql_type, satypes.Integer):
        return "integer"
    if isinstance(sql_type, satypes.Numeric):
        return "decimal"
    if isinstance(sql_type, satypes.Date | satypes.DateTime):
        return "date"
    return "text"


def kind_for(element: ElementSpec) -> str:
    """The storage kind the catalogue asks for: ciphertext for encrypted elements, else by data type."""
    if element.encrypted:
        return "binary"
    return element.data_type if element.data_type in {"integer", "decimal", "date", "boolean"} else "text"


@dataclass(frozen=True)
class Change:
    """One element whose stored values must be re-written: from ``old`` kind to what ``element`` asks."""

    element: ElementSpec
    old: str
    had_index: bool

    @property
    def new(self) -> str:
        return kind_for(self.element)

    def describe(self) -> dict[str, Any]:
        return {"element": self.element.code, "from": self.old, "to": self.new}


def plan(conn: Connection, spec: DatasetSpec) -> list[Change]:
    """Elements whose live column differs from the catalogue (kind, or blind index present/absent)."""
    if not inspect(conn).has_table(spec.table_name):
        return []
    present = {c["name"]: c for c in inspect(conn).get_columns(spec.table_name)}
    changes = []
    for element in spec.elements:
        column = present.get(element.column)
        if column is None:
            continue  # a new element: its column is simply added, there is nothing to convert
        old = _kind_of(column["type"])
        had_index = element.index_column in present
        if old != kind_for(element) or had_index != element.blind_index:
            changes.append(Change(element, old, had_index))
    return changes


# -- values: as stored → text → as the new layout keeps them -------------------------------------------------
def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        text_value = format(value.normalize(), "f")
        return text_value
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


_TRUE, _FALSE = {"true", "1", "t", "y", "yes", "是"}, {"false", "0", "f", "n", "no", "否"}


def _from_text(element: ElementSpec, value: str) -> Any:
    """Text as the plaintext column of ``element`` holds it; ``ValueError`` when it cannot."""
    kind = kind_for(element)
    if kind == "integer":
        number = Decimal(value)
        if number != number.to_integral_value():
            raise ValueError(value)
        return int(number)
    if kind == "decimal":
        return Decimal(value)
    if kind == "date":
        return date.fromisoformat(value[:10])
    if kind == "boolean":
        lowered = value.strip().lower()
        if lowered in _TRUE | _FALSE:
            return lowered in _TRUE
        raise ValueError(value)
    if element.max_length and len(value) > element.max_length:
        raise ValueError(value)
    return value


def _decrypt(crypto: Any, spec: DatasetSpec, element: ElementSpec, values: Sequence[Any]) -> list[Any]:
    """Ciphertext found in the column (even in a text column an earlier release mis-wrote) back to text."""
    positions = [i for i, v in enumerate(values) if isinstance(v, bytes | bytearray | memoryview)]
    if not positions:
        return list(values)
    as_encrypted = dataclasses.replace(element, encrypted=True)
    clear = crypto.decrypt(spec, as_encrypted, [bytes(values[i]) for i in positions])
    out = list(values)
    for i, v in zip(positions, clear, strict=True):
        out[i] = v
    return out


def _ddl_in_transaction(conn: Connection) -> None:
    raw = conn.connection.dbapi_connection
    if conn.dialect.name == "sqlite" and not raw.in_transaction:
        # pysqlite opens a transaction only before DML; DDL outside one would commit at once.
        raw.execute("BEGIN")


def _drop_indexes(conn: Connection, table: str, columns: set[str]) -> None:
    for index in inspect(conn).get_indexes(table):
        if columns & set(index["column_names"]):
            conn.execute(text(f'DROP INDEX "{index["name"]}"'))


def _migrate_table(
    session: Session,
    spec: DatasetSpec,
    table: str,
    pk: str,
    change: Change,
    crypto: Any,
    progress: Progress | None,
) -> tuple[int, list[int]]:
    """Re-write one element's column of one table; returns (values re-written, ids that could not be)."""
    conn = session.connection()
    element = change.element
    col, tmp, tmp_bi = element.column, f"_m_{element.column}", f"_m_{element.index_column}"
    _drop_indexes(conn, table, {col, element.index_column})
    new_type = _sql_type(element)
    conn.execute(text(f'ALTER TABLE "{table}" ADD COLUMN "{tmp}" {new_type.compile(dialect=conn.dialect)}'))
    target_cols = [
        Column(pk, BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
        Column(tmp, new_type),
    ]
    if element.blind_index:
        bi_type = _hex_index()
        conn.execute(
            text(f'ALTER TABLE "{table}" ADD COLUMN "{tmp_bi}" {bi_type.compile(dialect=conn.dialect)}')
        )
        target_cols.append(Column(tmp_bi, bi_type))
    target = Table(table, MetaData(), *target_cols)
    values_of = {tmp: bindparam("_v")}
    if element.blind_index:
        values_of[tmp_bi] = bindparam("_b")
    statement = update(target).where(target.c[pk] == bindparam("_k")).values(values_of)
    total = int(conn.execute(text(f'SELECT COUNT(*) FROM "{table}" WHERE "{col}" IS NOT NULL')).scalar_one())
    # Personal information goes under the key of the row's person (its subject reference, Art. 35-36).
    by_person = element.encrypted and element.personal and _has_column(conn, table, SUBJECT_COLUMN)
    subject = f', "{SUBJECT_COLUMN}"' if by_person else ""
    done, failed, after = 0, [], None
    while True:
        where = f'WHERE "{col}" IS NOT NULL' + (f' AND "{pk}" > :after' if after is not None else "")
        rows = conn.execute(
            text(f'SELECT "{pk}", "{col}"{subject} FROM "{table}" {where} ORDER BY "{pk}" LIMIT {CHUNK}'),
            {"after": after} if after is not None else {},
        ).all()
        if not rows:
            break
        ids = [r[0] for r in rows]
        clear = [_as_text(v) for v in _decrypt(crypto, spec, element, [r[1] for r in rows])]
        params: list[dict[str, Any]] = []
        if element.encrypted:
            refs = [r[2] for r in rows] if by_person else None
            cipher = crypto.encrypt_columns(spec, {element.code: clear}, refs)[element.code]
            index = crypto.blind_index(spec, element, clear) if element.blind_index else [None] * len(ids)
            params = [{"_k": k, "_v": c, "_b": b} for k, c, b in zip(ids, cipher, index, strict=True)]
        else:
            for k, v in zip(ids, clear, strict=True):
                try:
                    params.append({"_k": k, "_v": None if v is None else _from_text(element, v)})
                except (ValueError, InvalidOperation):
                    failed.append(k)
        if params and not failed:
            conn.execute(statement, params)
        done += len(ids)
        after = ids[-1]
        if progress:
            progress(table, done, total)
    if failed:
        return done, failed
    conn.execute(text(f'ALTER TABLE "{table}" DROP COLUMN "{col}"'))
    conn.execute(text(f'ALTER TABLE "{table}" RENAME COLUMN "{tmp}" TO "{col}"'))
    if change.had_index:
        conn.execute(text(f'ALTER TABLE "{table}" DROP COLUMN "{element.index_column}"'))
    if element.blind_index:
        conn.execute(text(f'ALTER TABLE "{table}" RENAME COLUMN "{tmp_bi}" TO "{element.index_column}"'))
    return done, []


_KIND_ZH = {
    "binary": "加密",
    "text": "明文文本",
    "integer": "整数",
    "decimal": "数值",
    "date": "日期",
    "boolean": "是否",
}


def _has_column(conn: Connection, table: str, column: str) -> bool:
    return any(c["name"] == column for c in inspect(conn).get_columns(table))


FORMAT_DATA_KEY = 1  # first byte of a value under a data key (edudata.crypto.envelope); 2 is a person's key


def reseal_per_person(
    session: Session, spec: DatasetSpec, crypto: Any, *, progress: Progress | None = None
) -> int:
    """Personal information still under the dataset key (stored before it was kept per person) re-sealed under
    the key of each row's person, in the current table and in history; returns how many values were re-sealed.

    Only values whose row names its person (``_subject``) and whose envelope names a data key are touched, so
    running it again does nothing (Art. 35-36: destroying the person's key then reaches these values too)."""
    conn = session.connection()
    done = 0
    for table, pk in ((spec.table_name, "_id"), (spec.history_table_name, "_hid")):
        if not inspect(conn).has_table(table) or not _has_column(conn, table, SUBJECT_COLUMN):
            continue
        present = {c["name"]: _kind_of(c["type"]) for c in inspect(conn).get_columns(table)}
        for element in spec.elements:
            if not (element.personal and present.get(element.column) == "binary"):
                continue
            col, after = element.column, None
            statement = text(f'UPDATE "{table}" SET "{col}" = :v WHERE "{pk}" = :k')
            while True:
                where = f'WHERE "{col}" IS NOT NULL AND "{SUBJECT_COLUMN}" IS NOT NULL' + (
                    f' AND "{pk}" > :after' if after is not None else ""
                )
                rows = conn.execute(
                    text(
                        f'SELECT "{pk}", "{col}", "{SUBJECT_COLUMN}" FROM "{table}" {where} '
                        f'ORDER BY "{pk}" LIMIT {CHUNK}'
                    ),
                    {"after": after} if after is not None else {},
                ).all()
                if not rows:
                    break
                after = rows[-1][0]
                stale = [r for r in rows if bytes(r[1][:1]) == bytes((FORMAT_DATA_KEY,))]
                if not stale:
                    continue
                clear = crypto.decrypt_columns(spec, {element.code: [bytes(r[1]) for r in stale]})[
                    element.code
                ]
                cipher = crypto.encrypt_columns(spec, {element.code: clear}, [r[2] for r in stale])[
                    element.code
                ]
                conn.execute(statement, [{"k": r[0], "v": c} for r, c in zip(stale, cipher, strict=True)])
                done += len(stale)
                if progress:
                    progress(table, done, done)
    return done


def migrate(
    session: Session, spec: DatasetSpec, crypto: Any, *, progress: Progress | None = None
) -> dict[str, Any]:
    """Bring the stored values of ``spec``'s table in line with the catalogue, in the caller's transaction.

    Returns what was re-written per element and table. Raises :class:`Conflict` (nothing kept: the caller rolls
    back) when stored values do not fit the new layout. Personal information left under the dataset key is
    re-sealed under each person's key (:func:`reseal_per_person`)."""
    conn = session.connection()
    changes = plan(conn, spec)
    if not changes:
        resealed = reseal_per_person(session, spec, crypto, progress=progress)
        return {"elements": [], "values": resealed, "resealed": resealed}
    _ddl_in_transaction(conn)
    rewritten = 0
    for change in changes:
        for table, pk in ((spec.table_name, "_id"), (spec.history_table_name, "_hid")):
            if not inspect(conn).has_table(table):
                continue
            done, failed = _migrate_table(session, spec, table, pk, change, crypto, progress)
            if failed:
                where = "历史表" if pk == "_hid" else "当前表"
                raise Conflict(
                    f"数据项 {change.element.name}（{change.element.code}）已存储的 {len(failed)} 个值不能存为"
                    f"{_KIND_ZH.get(change.new, change.new)}（{where}记录号 {', '.join(map(str, failed[:10]))}），"
                    "请先更正这些数据或保留原类型",
                    f"{len(failed)} stored values of element {change.element.code} cannot be kept as "
                    f"{change.new} ({'history' if pk == '_hid' else 'current'} rows "
                    f"{', '.join(map(str, failed[:10]))}); correct them first or keep the type",
                    field="data_type",
                    failed=len(failed),
                )
            rewritten += done
    current, history = build_tables(spec, MetaData())
    for table in (current, history):
        for index in table.indexes:
            index.create(conn, checkfirst=True)
    resealed = reseal_per_person(session, spec, crypto, progress=progress)
    return {"elements": [c.describe() for c in changes], "values": rewritten + resealed, "resealed": resealed}
