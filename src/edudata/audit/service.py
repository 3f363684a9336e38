"""Appending to the audit log (审计日志): who, when, from where, what, which data, result (Art. 30, 59).

Every domain calls :func:`record` inside its own transaction (the record exists exactly when the change does) or
:func:`record_now` for refusals, failures and logins (own transaction, committed at once, so the rollback of the
refused request cannot erase it). There is no update and no delete here: the log is append-only.

An append is a plain insert: the record's ``seq`` comes from the database's counter, and nothing else is read or
locked, so concurrent requests never wait on each other for the log. The sequencer
(:mod:`edudata.audit.sequencer`) integrates committed records into the Merkle tree and signs checkpoints; a
record is durable the moment its transaction commits, whether or not it has been sequenced yet.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from edudata.audit import chain
from edudata.audit.models import AuditRecord
from edudata.config import Settings
from edudata.db import Database, utcnow
from edudata.errors import ValidationFailed

RESULTS = ("success", "denied", "failed", "error")
_OPERATION = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_KEYS = frozenset(("operation", "result", *chain.FIELDS))
RECORDS = AuditRecord.__table__

# The settings (signing key, checkpoint policy) each engine's sequencing uses (set by the app and the CLI).
_settings: weakref.WeakKeyDictionary[Engine, Settings] = weakref.WeakKeyDictionary()


def enable_checkpoints(database: Database, settings: Settings) -> None:
    """Remember which settings sequence and sign the log written through ``database``."""
    _settings[database.engine] = settings


def settings_for(engine: Engine) -> Settings | None:
    return _settings.get(engine)


def _text(value: object, limit: int | None = None) -> str | None:
    """Text a database of either kind accepts: no NUL, valid UTF-8, within the column's length."""
    if value is None:
        return None
    text = value if type(value) is str else str(value)
    if not text.isascii() or "\x00" in text:
        text = chain.valid_text(text)
    return text if limit is None or len(text) <= limit else text[:limit]


#: Operation names already checked against :data:`_OPERATION` (a few dozen in all): a set lookup per record.
_KNOWN_OPERATIONS: set[str] = set()
#: The canonical JSON of element lists already seen (a request names one of a few hundred lists).
_ELEMENTS: dict[tuple, str] = {}
_ELEMENTS_MAX = 4096


def _elements_json(elements: Any) -> str:
    if not elements:
        return "[]"
    key = tuple(elements)
    text = _ELEMENTS.get(key)
    if text is None:
        text = chain.canonical_json([_text(e) for e in key])
        if len(_ELEMENTS) < _ELEMENTS_MAX:
            _ELEMENTS[key] = text
    return text


def _prepare(event: Mapping[str, Any]) -> tuple:
    """Validate one event and turn it into the stored values of :data:`chain.FIELDS`.

    The hot path of a bulk append (a few µs a record): known operation names and element lists are looked up,
    not checked and encoded again."""
    if not _KEYS.issuperset(event):
        raise TypeError(f"unknown audit fields: {sorted(event.keys() - _KEYS)}")
    get = event.get
    operation = get("operation")
    if operation in _KNOWN_OPERATIONS:
        pass
    elif not isinstance(operation, str) or not _OPERATION.match(operation):
        raise ValidationFailed(
            f"审计操作名称不合法：{operation!r}（应为小写英文单词）",
            f"invalid audit operation {operation!r} (a lower-case word)",
            field="operation",
        )
    elif len(_KNOWN_OPERATIONS) < 1024:
        _KNOWN_OPERATIONS.add(operation)
    result = get("result", "success")
    if result not in RESULTS:
        raise ValidationFailed(
            f"审计结果不合法：{result!r}",
            f"invalid audit result {result!r}; one of {RESULTS}",
            field="result",
        )
    account_id, row_count, detail = get("account_id"), get("row_count"), get("detail")
    # In the order of chain.FIELDS.
    return (
        None if account_id is None else int(account_id),
        _text(get("username"), 150),
        _text(get("unit_code"), 32),
        _text(get("source_ip"), 64),
        operation,
        _text(get("dataset"), 200),
        _elements_json(get("elements")),
        None if row_count is None else int(row_count),
        _text(get("filter")),
        result,
        _text(get("request_id"), 64),
        chain.canonical_json(detail if type(detail) is dict else dict(detail or {})),
    )


#: From this many rows on, PostgreSQL gets COPY (bulk loads); a request's one or two records a plain INSERT.
_COPY_FROM = 50


#: What an append writes. SQLite: the body alone (the fields are virtual columns generated from it).
#: PostgreSQL: the body and the fields beside it, which a CHECK constraint holds to the body (models.py).
_SQLITE_COLUMNS = ("body",)
_PG_COLUMNS = ("body", "at", *chain.FIELDS)


def _insert(session: Session, at: datetime, prepared: list[tuple]) -> None:
    """Hand the records to the driver in bulk: COPY with psycopg 3, ``executemany`` otherwise; ``seq`` by the DB.

    Each record's body (:func:`chain.stored_body`) is built here, once: the text its leaf hash will cover."""
    connection = session.connection()
    at_text, encode = chain.format_at(at), chain.stored_body
    if connection.dialect.name == "postgresql":
        names = _PG_COLUMNS
        rows = [(encode(at_text, values), at, *values) for values in prepared]
    else:
        names = _SQLITE_COLUMNS
        rows = [(encode(at_text, values),) for values in prepared]
    columns = ", ".join(f'"{c}"' for c in names)
    if connection.dialect.driver == "psycopg" and len(rows) >= _COPY_FROM:
        dbapi = connection.dialect.loaded_dbapi
        statement = f"COPY audit_record ({columns}) FROM STDIN"
        try:
            cursor = connection.connection.driver_connection.cursor()
            with cursor, cursor.copy(statement) as copy:
                write = copy.write_row
                for row in rows:
                    write(row)
        except dbapi.Error as err:  # as SQLAlchemy's own errors, so a lock timeout is answered 503 (busy)
            raise DBAPIError.instance(statement, None, err, dbapi.Error) from err
        return
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    marks = ", ".join([mark] * len(names))
    connection.exec_driver_sql(f"INSERT INTO audit_record ({columns}) VALUES ({marks})", rows)


def record_many(session: Session, events: Iterable[Mapping[str, Any]], *, at: datetime | None = None) -> int:
    """Append a batch in the caller's transaction; returns how many were appended.

    Each event is a mapping of :func:`record`'s keyword fields; all are validated before anything is written.
    Each record is written as its canonical body (:func:`chain.stored_body`, the text its leaf hash covers),
    built once. Rows go to the driver in bulk (COPY / ``executemany``, no per-row ORM work) and nothing is
    locked but the rows themselves. ``at`` is for importing an existing log only; it may not go back before
    the newest record.
    """
    prepared = [_prepare(e) for e in events]
    if not prepared:
        return 0
    if at is None:
        at = utcnow()
    else:
        at = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
        newest = session.scalar(select(func.max(RECORDS.c.at)))
        if newest is not None and chain.format_at(at) < chain.format_at(newest):
            raise ValidationFailed(
                "审计记录的时间不能早于最新一条", "audit records cannot be dated before the newest"
            )
    _insert(session, at, prepared)
    return len(prepared)


def record(
    session: Session,
    *,
    operation: str,
    result: str = "success",
    account_id: int | None = None,
    username: str | None = None,
    unit_code: str | None = None,
    source_ip: str | None = None,
    request_id: str | None = None,
    dataset: str | None = None,
    elements: Sequence[str] = (),
    row_count: int | None = None,
    filter: str | None = None,  # noqa: A002 - the audit field is called filter (行过滤条件)
    detail: dict | None = None,
) -> None:
    """Append one record inside the caller's transaction (it commits or rolls back with the audited change)."""
    record_many(
        session,
        [
            {
                "operation": operation,
                "result": result,
                "account_id": account_id,
                "username": username,
                "unit_code": unit_code,
                "source_ip": source_ip,
                "request_id": request_id,
                "dataset": dataset,
                "elements": elements,
                "row_count": row_count,
                "filter": filter,
                "detail": detail,
            }
        ],
    )


def record_now(database: Database, **fields: Any) -> None:
    """Append one record in a transaction of its own, committed at once (same keyword fields as :func:`record`).

    For refusals, failures and logins: the caller's own transaction may roll back, the record must stay.
    Call it after rolling back your own session's writes: SQLite has one writer at a time, so while that session
    holds uncommitted writes this one waits for them (``busy_timeout``) and then fails.
    """
    with database.session() as session:
        record(session, **fields)
        session.commit()
