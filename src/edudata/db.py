"""Engine, sessions and the declarative base shared by every domain.

Each domain owns its tables (``<domain>/models.py``) and its Alembic branch (``migrations/versions``);
the schema is never made with ``create_all`` outside tests of the migrations themselves.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import MetaData, create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import NullPool

from edudata.clock import utcnow  # noqa: F401 - re-exported: domains import the clock from here
from edudata.errors import Conflict

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # noqa: ANN001 - DB-API connection
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def normalise_url(url: str) -> str:
    """Accept plain ``postgresql://`` URLs and use the psycopg 3 driver for them."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _private_sqlite_file(url: str) -> None:
    """The embedded database file is the whole platform's data: readable by its owner only (0600). SQLite
    creates its -wal and -shm files with the database file's permissions, so they follow."""
    path = make_url(url).database
    if not path or path == ":memory:" or path.startswith("file:"):
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets foreign keys, WAL and a busy timeout."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        _private_sqlite_file(url)
        # NullPool: a SQLite file shared by the web server threads and the CLI; connections are cheap.
        engine = create_engine(url, poolclass=NullPool, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # The server runs sync routes on AnyIO's 40 worker threads, and a request may hold a second connection
    # (a refusal's audit record is written in its own transaction): room for 2 per thread, so a burst of
    # requests never waits on the pool. Idle overflow connections are closed, so PostgreSQL keeps only 10.
    return create_engine(url, pool_size=10, max_overflow=70, pool_timeout=30, pool_pre_ping=True)


class Database:
    """One engine and its session factory; the app keeps one in ``app.state.db``."""

    def __init__(self, url: str) -> None:
        self.url = normalise_url(url)
        self.engine = make_engine(self.url)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that rolls back whatever was not committed when the block ends."""
        session = self.sessionmaker()
        try:
            yield session
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()


def commit(session: Session, *, outbox: Callable[[Session], object] | None = None) -> None:
    """The one commit of a use case: ``outbox`` first queues what must be sent once the change holds (mail of
    what the change put in people's inboxes) in the same transaction, so both happen or neither; a unique key
    taken meanwhile by a concurrent request becomes a 409, not a 500."""
    try:
        if outbox is not None:
            outbox(session)
        session.commit()
    except IntegrityError:
        session.rollback()
        raise Conflict(
            "与同时提交的其他数据冲突，请刷新后重试", "conflicts with a concurrent change; reload and retry"
        ) from None
