"""Compare-and-set for every state transition (申请审批、授权、批次审核、销毁、开放审核、问题整改、离岗).

A transition locks its row, reads the state again and changes it only when it is still the state the action
applies to — all in the request's one transaction. Of two requests at the same moment, the second waits for
the first's commit, then finds the state moved on and gets :class:`~edudata.errors.AlreadyDecided` (409,
"已被他人处理 / already decided by …"): audited by the refusal hook, nothing changed.

How the row is locked:

- PostgreSQL: ``SELECT … FOR UPDATE`` on the row (READ COMMITTED: after the wait it returns the committed row).
- SQLite: one writer for the whole file. The transaction takes the write lock up front (``BEGIN IMMEDIATE``)
  before it reads the row, so no other writer can commit between the check and the change; a transaction that has
  already written holds the lock already (pysqlite opens a transaction only before its first write).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from edudata.errors import AlreadyDecided, NotFound

T = TypeVar("T")


def write_lock(session: Session) -> None:
    """Make the session's transaction the one writer: a no-op on PostgreSQL (rows are locked one by one)."""
    conn = session.connection()
    if conn.dialect.name != "sqlite":
        return
    raw = conn.connection.dbapi_connection
    if not raw.in_transaction:
        # Waits up to busy_timeout for the other writer; a timeout becomes the audited 503 "busy".
        raw.execute("BEGIN IMMEDIATE")


def lock_row(session: Session, model: type[T], row_id: Any, *, what: tuple[str, str] | None = None) -> T:
    """The row with primary key ``row_id``, locked until the transaction ends and read afresh."""
    write_lock(session)
    (pk,) = sa_inspect(model).primary_key
    found = session.execute(
        select(model).where(pk == row_id).with_for_update().execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if found is None:
        zh, en = what or (str(model.__name__), str(model.__name__))
        raise NotFound(f"{zh} {row_id} 不存在", f"{en} {row_id} does not exist")
    return found


def lock_name(session: Session, name: str) -> None:
    """Serialise work on something with no row of its own (loads into one dataset): a transaction-scoped
    advisory lock on PostgreSQL, the write lock on SQLite."""
    write_lock(session)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:name, 0))"), {"name": name})


def _when(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%S") if at else ""


def expect(
    row: Any,
    allowed: Collection[str] | Callable[[Any], bool],
    *,
    what: tuple[str, str],
    state: str | tuple[str, str] | None = None,
    by: str | None = None,
    at: datetime | None = None,
    field: str = "status",
) -> None:
    """Raise :class:`AlreadyDecided` unless the (locked) row's state is one the action applies to.

    ``what`` names the thing in both languages (``("共享申请 #12", "application #12")``); ``state`` how to
    name the state found (default: the field's value); ``by`` and ``at`` who moved it on and when, when known.
    """
    current = getattr(row, field)
    ok = allowed(row) if callable(allowed) else current in allowed
    if ok:
        return
    raise conflict(what, state or current, by=by, at=at)


def conflict(
    what: tuple[str, str], state: Any, *, by: str | None = None, at: datetime | None = None
) -> AlreadyDecided:
    """The 409 of a transition whose state moved on; ``state`` is a word or a (中文, English) pair."""
    state_zh, state_en = state if isinstance(state, tuple) else (state, state)
    who_zh = f"已由 {by}{' 于 ' + _when(at) if at else ''} 处理" if by else "已被处理"
    who_en = f"already decided by {by}{' at ' + _when(at) if at else ''}" if by else "already decided"
    return AlreadyDecided(
        f"已被他人处理：{what[0]}{who_zh}（当前状态：{state_zh}），本次操作未执行",
        f"{who_en}: {what[1]} is now {state_en}; nothing was done",
        target=what[1],
        state=str(state_en),
        decided_by=by,
    )
