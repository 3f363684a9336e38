"""Uniqueness of governed rows, held by the schema (一人一号, Art. 15-16): each key once, each person once.

:func:`edudata.store.tables.unique_columns` names the unique indexes a dataset's table carries; a write that
would break one becomes a typed :class:`~edudata.errors.Conflict` (409), never an internal error.
:func:`add_unique_indexes` gives tables made before those indexes existed their indexes, after checking that no
duplicate is stored (the migration ``store_0002`` runs it); with duplicates it stops and says what to do.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, column, func, inspect, select, table
from sqlalchemy.exc import IntegrityError

from edudata.errors import Conflict
from edudata.store.spec import DatasetSpec
from edudata.store.tables import unique_columns

SHOWN = 10  # duplicate values named per index in the migration's message


def is_unique_violation(exc: BaseException) -> bool:
    """A unique index refused the write (SQLAlchemy-wrapped or straight from the driver, as COPY raises)."""
    orig = exc.orig if isinstance(exc, IntegrityError) else exc
    if getattr(orig, "sqlstate", None) == "23505":
        return True
    return type(orig).__name__ == "IntegrityError" and "UNIQUE constraint failed" in str(orig)


def unique_refusal(spec: DatasetSpec, exc: BaseException) -> Conflict:
    text = str(getattr(exc, "orig", exc))
    # PostgreSQL names the index; SQLite names the column ("UNIQUE constraint failed: gd_x.xh").
    which = next(
        (n for n, c in unique_columns(spec).items() if n in text or f"{spec.table_name}.{c}" in text), None
    )
    person = which is not None and which.endswith("_person")
    zh, en = ("同一人（身份证件号）已有记录", "the same person (ID number) is stored already") if person else (
        "主键数据项的取值已存在", "a row with the same key is stored already")  # fmt: skip
    return Conflict(
        f"数据集“{spec.name}”{zh}，写入未执行（唯一约束 {which or '?'}）",
        f"dataset {spec.code}: {en}; nothing was written (unique constraint {which or '?'})",
        constraint=which,
    )


@contextmanager
def unique_guard(spec: DatasetSpec) -> Iterator[None]:
    """Turn a unique-index violation inside the block into a 409 naming the constraint."""
    try:
        yield
    except Exception as exc:
        if is_unique_violation(exc):
            raise unique_refusal(spec, exc) from None
        raise


def duplicates(conn: Connection, table_name: str, column_name: str, limit: int = SHOWN) -> tuple[int, list]:
    """How many values of ``column_name`` are stored more than once, and the first few of them."""
    t = table(table_name, column(column_name))
    c = t.c[column_name]
    grouped = select(c).where(c.is_not(None)).group_by(c).having(func.count() > 1)
    count = conn.execute(select(func.count()).select_from(grouped.subquery())).scalar_one()
    shown = list(conn.execute(grouped.order_by(c).limit(limit)).scalars()) if count else []
    return count, shown


def add_unique_indexes(conn: Connection, spec: DatasetSpec) -> list[str]:
    """Create the dataset's missing unique indexes; refuses (RuntimeError, both languages) when duplicates exist."""
    present_tables = set(inspect(conn).get_table_names())
    if spec.table_name not in present_tables:
        return []
    present = {i["name"] for i in inspect(conn).get_indexes(spec.table_name)}
    columns = {c["name"] for c in inspect(conn).get_columns(spec.table_name)}
    made = []
    for name, column_name in unique_columns(spec).items():
        if name in present or column_name not in columns:
            continue
        count, shown = duplicates(conn, spec.table_name, column_name)
        if count:
            raise RuntimeError(
                f"数据集 {spec.code} 的表 {spec.table_name} 中 {column_name} 有 {count} 个取值重复（如 {shown}），"
                "无法加唯一约束。请网信办核对这些记录：保留正确的一条，其余经数据修正删除或合并后，重新运行 "
                "`edudata db upgrade`。\n"
                f"Dataset {spec.code}: {count} values of {column_name} in {spec.table_name} are stored more than "
                f"once (e.g. {shown}); the unique constraint cannot be added. Keep the right row of each, delete "
                "or merge the others through data correction, then run `edudata db upgrade` again."
            )
        conn.exec_driver_sql(f'CREATE UNIQUE INDEX "{name}" ON "{spec.table_name}" ("{column_name}")')
        made.append(name)
    return made


def drop_unique_indexes(conn: Connection, spec: DatasetSpec) -> None:
    """Undo :func:`add_unique_indexes` (the migration's downgrade)."""
    for name in unique_columns(spec):
        conn.exec_driver_sql(f'DROP INDEX IF EXISTS "{name}"')
