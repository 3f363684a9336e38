"""Typed SQL tables for a dataset, built from its :class:`DatasetSpec` (never one JSON blob per row).

System columns start with ``_``: row id, version, who and when, a soft-delete mark. Encrypted elements are
stored as AES-GCM ciphertext (``LargeBinary``) with a keyed blind index beside those that need lookups.
These tables are data, made at run time when a dataset is materialised, so they live in their own
``MetaData`` rather than in the Alembic-managed schema; ``store_table`` records each one and its layout hash.
"""

from __future__ import annotations

import hashlib
import json

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Table,
)
from sqlalchemy.types import TypeEngine

from edudata.store.spec import TEXT_TYPES, DatasetSpec, ElementSpec


def _sql_type(element: ElementSpec) -> TypeEngine:
    if element.encrypted:
        return LargeBinary()
    if element.data_type == "integer":
        return BigInteger()
    if element.data_type == "decimal":
        return Numeric(18, 4)
    if element.data_type == "date":
        return Date()
    if element.data_type == "boolean":
        return Boolean()
    if element.data_type in TEXT_TYPES:
        return String(element.max_length or 255)
    return String(element.max_length or 255)


SUBJECT_COLUMN = "_subject"  # subject reference of the row's person (blind index of the ID number, Art. 50)


def _hex_index() -> TypeEngine:
    """A blind index or subject reference: 32 hex digits, compared byte-wise. On PostgreSQL the "C" collation
    lets B-trees skip the locale's comparison rules (a million-row index builds about three times faster
    under zh_CN or C.UTF-8); the order of hex digits means nothing, so no reader loses anything."""
    return String(32).with_variant(String(32, collation="C"), "postgresql")


def _columns(spec: DatasetSpec) -> list[Column]:
    cols: list[Column] = []
    if spec.person_element is not None:
        cols.append(Column(SUBJECT_COLUMN, _hex_index(), nullable=True))
    for element in spec.elements:
        cols.append(Column(element.column, _sql_type(element), nullable=True, comment=element.name))
        if element.blind_index:
            cols.append(Column(element.index_column, _hex_index(), nullable=True))
    return cols


def lookup_column(element: ElementSpec) -> str | None:
    """The column an equality on ``element`` is checked on: its blind index when encrypted, else itself."""
    if element.encrypted:
        return element.index_column if element.blind_index else None
    return element.column


def unique_columns(spec: DatasetSpec) -> dict[str, str]:
    """Unique index name → column: the dataset's key element, and the person's ID number (blind index) where
    the catalogue says one person, one row (:attr:`DatasetSpec.one_row_per_person`)."""
    out: dict[str, str] = {}
    key = spec.key_element
    if key is not None and (column := lookup_column(key)):
        out[f"uq_{spec.table_name}_key"] = column
    person = spec.element(spec.subject_element) if spec.one_row_per_person else None
    if person is not None and (column := lookup_column(person)):
        out[f"uq_{spec.table_name}_person"] = column
    return out


def layout_hash(spec: DatasetSpec) -> str:
    """Changes whenever a column would change; a mismatch means the table must be migrated first."""
    layout: list = [(e.code, e.data_type, e.max_length, e.encrypted) for e in spec.elements]
    if spec.person_element is not None:
        layout.append(SUBJECT_COLUMN)
    return hashlib.sha256(json.dumps(layout).encode()).hexdigest()[:16]


def build_tables(spec: DatasetSpec, metadata: MetaData | None = None) -> tuple[Table, Table]:
    """The current-rows table and its history table (every earlier version of every row)."""
    metadata = metadata or MetaData()
    current = Table(
        spec.table_name,
        metadata,
        Column("_id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
        Column("_version", Integer, nullable=False, default=1),
        Column("_created_at", DateTime(timezone=True), nullable=False),
        Column("_created_by", String(64), nullable=True),
        Column("_updated_at", DateTime(timezone=True), nullable=False),
        Column("_updated_by", String(64), nullable=True),
        Column("_batch", String(64), nullable=True),
        *_columns(spec),
    )
    for element in spec.elements:
        if element.blind_index:
            Index(f"ix_{spec.table_name}_{element.index_column}", current.c[element.index_column])
        elif element.code == spec.unit_element:
            Index(f"ix_{spec.table_name}_{element.column}", current.c[element.column])
    if spec.person_element is not None:
        Index(f"ix_{spec.table_name}_subject", current.c[SUBJECT_COLUMN])
    for name, column in unique_columns(spec).items():
        Index(name, current.c[column], unique=True)
    history = Table(
        spec.history_table_name,
        metadata,
        Column("_hid", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
        Column("_id", BigInteger, nullable=False, index=True),
        Column("_version", Integer, nullable=False),
        Column("_op", String(8), nullable=False),
        Column("_changed_at", DateTime(timezone=True), nullable=False),
        Column("_changed_by", String(64), nullable=True),
        Column("_created_at", DateTime(timezone=True), nullable=True),
        Column("_created_by", String(64), nullable=True),
        Column("_updated_at", DateTime(timezone=True), nullable=True),
        Column("_updated_by", String(64), nullable=True),
        Column("_batch", String(64), nullable=True),
        *_columns(spec),
    )
    return current, history
