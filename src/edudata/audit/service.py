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

import contextlib
import re
import sys
import weakref
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection, Engine
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


#: Operation names already checked against :data:`_OPERATION` (a few dozen in all): a set lookup per record.
_KNOWN_OPERATIONS: set[str] = set()
#: The canonical JSON of element lists already seen (a request names one of a few hundred lists).
_ELEMENTS: dict[tuple, str] = {}
_ELEMENTS_MAX = 4096
_RESULT_SET = frozenset(RESULTS)
_UNLIMITED = sys.maxsize
_canonical = chain.canonical_encoder


def _elements_json(elements: Any) -> str:
    key = tuple(elements)
    text = _ELEMENTS.get(key)
    if text is None:
        text = chain.canonical_json([_text_slow(e, _UNLIMITED) if e is not None else None for e in key])
        if len(_ELEMENTS) < _ELEMENTS_MAX:
            _ELEMENTS[key] = text
    return text


def _text_slow(value: object, limit: int) -> str:
    """:func:`_text` for anything but a short ASCII string without NUL (the rare case)."""
    text = chain.valid_text(value if type(value) is str else str(value))
    return text if len(text) <= limit else text[:limit]


def _bad_operation(operation: object) -> ValidationFailed:
    return ValidationFailed(
        f"审计操作名称不合法：{operation!r}（应为小写英文单词）",
        f"invalid audit operation {operation!r} (a lower-case word)",
        field="operation",
    )


def _bad_result(result: object) -> ValidationFailed:
    return ValidationFailed(
        f"审计结果不合法：{result!r}",
        f"invalid audit result {result!r}; one of {RESULTS}",
        field="result",
    )


def _prepare_all(events: Iterable[Mapping[str, Any]], at_text: str) -> tuple[list[str], list[tuple]]:
    """Validate every event; each record's stored body (:func:`chain.stored_body`) and its values in
    :data:`chain.FIELDS` order.

    The hot path of a bulk append, one loop with the common case inline (a short ASCII string is kept as it is,
    known operation names and element lists are looked up), because a function call per field cost more than
    the checks themselves: the body is the only text built, by one call of the C encoder."""
    keys, known, results, encode, canonical = _KEYS, _KNOWN_OPERATIONS, _RESULT_SET, chain.encode, _canonical
    bodies: list[str] = []
    prepared: list[tuple] = []
    add_body, add_values = bodies.append, prepared.append
    for event in events:
        if not keys.issuperset(event):
            raise TypeError(f"unknown audit fields: {sorted(event.keys() - keys)}")
        get = event.get
        operation = get("operation")
        if operation not in known:
            if not isinstance(operation, str) or not _OPERATION.match(operation):
                raise _bad_operation(operation)
            if len(known) < 1024:
                known.add(operation)
        result = get("result", "success")
        if result not in results:
            raise _bad_result(result)
        account_id, row_count = get("account_id"), get("row_count")
        account_id = None if account_id is None else int(account_id)
        row_count = None if row_count is None else int(row_count)
        # In the order of chain.FIELDS; a value is kept as it is when it is a short ASCII string without NUL.
        username, unit_code, source_ip = get("username"), get("unit_code"), get("source_ip")
        if username is not None and not (
            type(username) is str and len(username) <= 150 and username.isascii() and "\x00" not in username
        ):
            username = _text_slow(username, 150)
        if unit_code is not None and not (
            type(unit_code) is str
            and len(unit_code) <= 32
            and unit_code.isascii()
            and "\x00" not in unit_code
        ):
            unit_code = _text_slow(unit_code, 32)
        if source_ip is not None and not (
            type(source_ip) is str
            and len(source_ip) <= 64
            and source_ip.isascii()
            and "\x00" not in source_ip
        ):
            source_ip = _text_slow(source_ip, 64)
        dataset, filter_, request_id = get("dataset"), get("filter"), get("request_id")
        if dataset is not None and not (
            type(dataset) is str and len(dataset) <= 200 and dataset.isascii() and "\x00" not in dataset
        ):
            dataset = _text_slow(dataset, 200)
        if filter_ is not None and not (type(filter_) is str and filter_.isascii() and "\x00" not in filter_):
            filter_ = _text_slow(filter_, _UNLIMITED)
        if request_id is not None and not (
            type(request_id) is str
            and len(request_id) <= 64
            and request_id.isascii()
            and "\x00" not in request_id
        ):
            request_id = _text_slow(request_id, 64)
        elements = get("elements")
        elements = _elements_json(elements) if elements else "[]"
        detail = get("detail")
        if not detail:
            detail = "{}"
        else:
            detail = canonical(detail if type(detail) is dict else dict(detail))
            if not detail.isascii() or "\x00" in detail:
                detail = chain.valid_text(detail)
        add_body(
            encode(
                (
                    at_text,
                    None if account_id is None else str(account_id),
                    username,
                    unit_code,
                    source_ip,
                    operation,
                    dataset,
                    elements,
                    None if row_count is None else str(row_count),
                    filter_,
                    result,
                    request_id,
                    detail,
                )
            )
        )
        add_values(
            (
                account_id,
                username,
                unit_code,
                source_ip,
                operation,
                dataset,
                elements,
                row_count,
                filter_,
                result,
                request_id,
                detail,
            )
        )
    return bodies, prepared


#: From this many rows on, PostgreSQL gets COPY (bulk loads); a request's one or two records a plain INSERT.
_COPY_FROM = 50


#: What an append writes. SQLite: the body alone (the fields are virtual columns generated from it).
#: PostgreSQL: the body and the fields beside it, which a CHECK constraint holds to the body (models.py).
_PG_COLUMNS = ("body", "at", *chain.FIELDS)
_PG_COLUMN_LIST = ", ".join(f'"{c}"' for c in _PG_COLUMNS)
#: Records per COPY chunk: small enough that the server works while Python builds the next, large enough that
#: a chunk is one cheap write.
_CHUNK = 1000


def _copy_text(value: str) -> str:
    """A text value in COPY's text format: backslash, newline, carriage return and tab escaped."""
    if value.isprintable() and "\\" not in value:
        return value
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")


def _copy_lines(at: datetime, bodies: list[str], prepared: list[tuple]) -> str:
    """The rows of :data:`_PG_COLUMNS` as COPY text, built here rather than by the driver's per-value dumpers
    (which cost more than everything else of a bulk append). The JSON texts (body, elements, detail) hold no raw
    newline, carriage return or tab (JSON escapes them), so only their backslashes are doubled."""
    at_text = chain.format_at(at) + "+00"  # the instant, in UTC, as PostgreSQL reads a timestamptz
    lines = []
    add = lines.append
    for body, values in zip(bodies, prepared, strict=True):
        account_id, username, unit_code, source_ip, operation, dataset, elements, row_count = values[:8]
        filter_, result, request_id, detail = values[8:]
        add(
            "\t".join(
                (
                    body.replace("\\", "\\\\"),
                    at_text,
                    "\\N" if account_id is None else str(account_id),
                    "\\N" if username is None else _copy_text(username),
                    "\\N" if unit_code is None else _copy_text(unit_code),
                    "\\N" if source_ip is None else _copy_text(source_ip),
                    operation,  # a lower-case word (_OPERATION)
                    "\\N" if dataset is None else _copy_text(dataset),
                    elements.replace("\\", "\\\\"),
                    "\\N" if row_count is None else str(row_count),
                    "\\N" if filter_ is None else _copy_text(filter_),
                    result,  # one of RESULTS
                    "\\N" if request_id is None else _copy_text(request_id),
                    detail.replace("\\", "\\\\"),
                )
            )
        )
    add("")  # every row ends with a newline
    return "\n".join(lines)


def _copy(connection: Connection, at: datetime, events: Sequence[Mapping[str, Any]]) -> None:
    """PostgreSQL with psycopg 3: COPY the records, built and sent :data:`_CHUNK` at a time, so that the server
    stores one chunk while Python prepares the next (two cores, not one after the other).

    Under a savepoint: an invalid event found after earlier chunks were sent leaves nothing written and the
    caller's transaction as it was, exactly as when every event is validated before the first row is sent."""
    dbapi = connection.dialect.loaded_dbapi
    raw = connection.connection.driver_connection
    at_text = chain.format_at(at)
    statement = f"COPY audit_record ({_PG_COLUMN_LIST}) FROM STDIN"
    try:
        raw.execute("SAVEPOINT audit_append")
        try:
            with raw.cursor() as cursor, cursor.copy(statement) as copy:
                for start in range(0, len(events), _CHUNK):
                    bodies, prepared = _prepare_all(events[start : start + _CHUNK], at_text)
                    copy.write(_copy_lines(at, bodies, prepared))
        except BaseException:
            with contextlib.suppress(dbapi.Error):  # a broken connection: the first error is the one to tell
                raw.execute("ROLLBACK TO SAVEPOINT audit_append")
            raise
        raw.execute("RELEASE SAVEPOINT audit_append")
    except dbapi.Error as err:  # as SQLAlchemy's own errors, so a lock timeout is answered 503 (busy)
        raise DBAPIError.instance(statement, None, err, dbapi.Error) from err


def _insert(connection: Connection, at: datetime, bodies: list[str], prepared: list[tuple]) -> None:
    """A few records (or a driver without COPY): ``executemany``, ``seq`` given by the database. SQLite gets the
    body alone; PostgreSQL the body and the fields beside it."""
    if connection.dialect.name == "postgresql":
        columns, count = _PG_COLUMN_LIST, len(_PG_COLUMNS)
        rows = [(body, at, *values) for body, values in zip(bodies, prepared, strict=True)]
    else:
        columns, count = '"body"', 1
        rows = [(body,) for body in bodies]
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    marks = ", ".join([mark] * count)
    connection.exec_driver_sql(f"INSERT INTO audit_record ({columns}) VALUES ({marks})", rows)


def record_many(session: Session, events: Iterable[Mapping[str, Any]], *, at: datetime | None = None) -> int:
    """Append a batch in the caller's transaction; returns how many were appended.

    Each event is a mapping of :func:`record`'s keyword fields; an invalid one leaves nothing written. Each
    record is written as its canonical body (:func:`chain.stored_body`, the text its leaf hash covers), built
    once. Rows go to the database in bulk (COPY / ``executemany``, no per-row ORM work) and nothing is locked but
    the rows themselves. ``at`` is for importing an existing log only; it may not go back before the newest
    record.
    """
    events = events if isinstance(events, list | tuple) else list(events)
    if not events:
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
    connection = session.connection()
    if len(events) >= _COPY_FROM and connection.dialect.driver == "psycopg":
        _copy(connection, at, events)
    else:
        bodies, prepared = _prepare_all(events, chain.format_at(at))
        _insert(connection, at, bodies, prepared)
    return len(events)


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
