"""``column IN (many values)`` set-wise: one array parameter on PostgreSQL, chunks of bound values on SQLite.

A destruction names up to 40,000 people (Art. 35): their row ids, blind indexes, numbers and references are
looked up and deleted by the thousand. Rendered as ``IN (:p1, …, :p5000)`` every value becomes a bind parameter that
SQLAlchemy names and psycopg rewrites one by one — profiled, that costs more than the database's work (issue 17).
``column = ANY(:values)`` sends one array instead; SQLite has no arrays and binds values cheaply, so it keeps
``IN`` in chunks under its variable limit.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from sqlalchemy import ColumnElement, any_, bindparam
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

SQLITE_CHUNK = 5000  # under SQLite's default limit of 32,766 bound variables
POSTGRESQL_CHUNK = 50_000  # one array parameter; chunks only bound the size of one statement


def chunks(session: Session, values: Iterable) -> Iterator[Sequence]:  # noqa: ANN001
    """``values`` in pieces of the size one condition of :func:`one_of` takes on this database."""
    items = list(values)
    size = POSTGRESQL_CHUNK if session.get_bind().dialect.name == "postgresql" else SQLITE_CHUNK
    for start in range(0, len(items), size):
        yield items[start : start + size]


def one_of(session: Session, column, values: Sequence) -> ColumnElement[bool]:  # noqa: ANN001 - a column
    """``column`` equals one of ``values`` (one chunk of :func:`chunks`)."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=postgresql.ARRAY(column.type)))
    return column.in_(list(values))
