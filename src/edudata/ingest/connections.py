"""The business systems a pull may read: an allow-list in the settings, opened read-only (Art. 20, 27, 30).

A pull source never names a database of its own choosing. The operator lists the producers' business systems in
``pull_connections`` (name → SQLAlchemy URL of a read-only account); the office registers a source against one
of them; a unit picks a table and maps its columns. So no caller can point the platform at its own database, at a
file on the server, or at any other system it can reach. The platform's own database is refused even when the
operator lists it by mistake. The connection's password is given once, at registration, and kept sealed under
the key ring; it is never shown again.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, create_engine
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import NullPool

from edudata.db import normalise_url
from edudata.errors import ValidationFailed

FILE_DIALECTS = ("sqlite",)


def parse(url: str, field: str = "connection") -> URL:
    try:
        return make_url(normalise_url(url))
    except (ArgumentError, ValueError):
        raise ValidationFailed(
            "数据库地址不是有效的 SQLAlchemy URL", "not a valid SQLAlchemy URL", field=field
        ) from None


def _where(url: URL) -> tuple[Any, ...]:
    """What names one database: its backend and, for a file, the real path; else host, port and name."""
    backend = url.get_backend_name()
    if backend in FILE_DIALECTS:
        db = url.database or ""
        return (backend, os.path.realpath(db) if db and db != ":memory:" else ":memory:")
    port = url.port or {"postgresql": 5432, "mysql": 3306, "mariadb": 3306}.get(backend)
    return (backend.replace("mariadb", "mysql"), (url.host or "localhost").lower(), port, url.database or "")


def _same_account(a: URL, b: URL) -> bool:
    return _where(a) == _where(b) and (a.username or "") == (b.username or "")


def is_platform_database(url: URL, settings: Any) -> bool:
    own = parse(settings.resolved_database_url())
    where = _where(url)
    if where == _where(own):
        return True
    # The same PostgreSQL or MySQL server under another host name (127.0.0.1 vs localhost) is still ours.
    local = {"localhost", "127.0.0.1", "::1"}
    return (
        len(where) == 4
        and where[0] == _where(own)[0]
        and where[1] in local
        and str(_where(own)[1]) in local
        and where[2:] == _where(own)[2:]
    )


def resolve(settings: Any, connection: str) -> tuple[str, URL, str | None]:
    """(name, URL without password, password given in it) of an allow-listed connection, by name or by URL.

    Refuses, in both languages: the platform's own database, and anything the allow-list does not hold.
    """
    allowed = {name: parse(u) for name, u in (settings.pull_connections or {}).items()}
    given: URL | None = None
    if connection in allowed:
        name, url = connection, allowed[connection]
    else:
        given = parse(connection)
        match = [n for n, u in allowed.items() if _same_account(u, given)]
        if not match or given.query:
            _refuse_platform(given, settings)
            raise ValidationFailed(
                "该数据库不在平台允许读取的业务系统清单内（由运维人员在设置 pull_connections 中登记）",
                "this database is not on the allow-list of business systems (the operator's pull_connections "
                "setting)",
                field="connection",
            )
        name, url = match[0], allowed[match[0]]
    _refuse_platform(url, settings)
    password = given.password if given is not None else None
    return name, url.set(password=None), password or url.password


def _refuse_platform(url: URL, settings: Any) -> None:
    if is_platform_database(url, settings):
        raise ValidationFailed(
            "平台自身的数据库不能作为拉取数据源",
            "the platform's own database cannot be a pull source",
            field="connection",
        )


def display(url: URL) -> str:
    return url.render_as_string(hide_password=True)


@contextmanager
def read_only(url: URL, password: str | None) -> Iterator[Connection]:
    """A connection that cannot write: a read-only transaction (PostgreSQL, MySQL) or a read-only file."""
    if password:
        url = url.set(password=password)
    backend = url.get_backend_name()
    args: dict[str, Any] = {}
    if backend == "sqlite":
        # mode=ro: SQLite itself refuses every write, and a missing file is not silently created.
        url = url.set(database=f"file:{url.database}?mode=ro", query={"uri": "true"})
    elif backend in ("mysql", "mariadb") or backend == "postgresql":
        args = {"connect_timeout": 10}
    engine = create_engine(url, poolclass=NullPool, connect_args=args)
    try:
        with engine.connect() as conn:
            if backend == "postgresql":
                conn.exec_driver_sql("SET TRANSACTION READ ONLY")
            elif backend in ("mysql", "mariadb"):
                conn.exec_driver_sql("SET SESSION TRANSACTION READ ONLY")
                conn.exec_driver_sql("START TRANSACTION READ ONLY")
            yield conn
            conn.rollback()
    finally:
        engine.dispose()
