"""Consistent copies of the database and what they contain (row counts, content hashes) — SQLite and PostgreSQL.

- SQLite: the online backup API (``sqlite3.Connection.backup``) copies a live database page by page into a
  consistent file while the app keeps serving.
- PostgreSQL: ``pg_dump -Fc`` in the snapshot of a REPEATABLE READ transaction exported with
  ``pg_export_snapshot()``; the row counts and content hashes are computed in that same snapshot, so the manifest
  describes exactly what the dump holds. ``pg_dump``/``pg_restore`` are taken from the PostgreSQL installation of
  the server's major version (``/usr/lib/postgresql/<major>/bin``) when present; an older tool is refused.

The content hash of a table is order-independent: the sum modulo 2²⁵⁶ of SHA-256 over each row's values, so no
sort of a million rows is needed and both sides of a restore compute it the same way.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import sqlite3
import subprocess
from collections.abc import Iterable
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, make_url

from edudata.db import normalise_url
from edudata.errors import EduDataError
from edudata.store.guard import datapath_scope

MOD = 1 << 256
Stats = dict[str, dict[str, Any]]


class BackupFailed(EduDataError):
    status, code, title_zh, title_en = 500, "backup-failed", "备份或恢复失败", "Backup or restore failed"


def backend_of(url: str) -> str:
    return "sqlite" if normalise_url(url).startswith("sqlite") else "postgresql"


def sqlite_path(url: str) -> Path:
    database = make_url(normalise_url(url)).database
    if not database or database == ":memory:":
        raise BackupFailed("内存数据库无法备份", "an in-memory SQLite database cannot be backed up")
    return Path(database)


def libpq_url(url: str) -> str:
    """The URL without SQLAlchemy's driver suffix, for pg_dump / pg_restore."""
    return re.sub(r"^postgresql\+\w+://", "postgresql://", normalise_url(url))


def _fold(rows: Iterable[tuple], hashes: bool = True) -> tuple[int, str | None]:
    if not hashes:
        return sum(1 for _ in rows), None
    count, total = 0, 0
    for row in rows:
        total += int.from_bytes(hashlib.sha256(repr(tuple(row)).encode()).digest(), "big")
        count += 1
    return count, f"{total % MOD:064x}"


def sqlite_stats(path: Path, hashes: bool = True) -> Stats:
    """Row count and content hash of every table of a SQLite file (read directly: it is a copy, not the app's)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        names = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        out: Stats = {}
        for name in names:
            if not hashes:
                count = conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]  # noqa: S608 - file's own names
                out[name] = {"rows": count}
                continue
            cursor = conn.execute(f'SELECT * FROM "{name}"')  # noqa: S608 - names from the catalogue of the file
            count, digest = _fold(_rows(cursor))
            out[name] = {"rows": count, "sha256": digest}
        return out
    finally:
        conn.close()


def _rows(cursor: Any) -> Iterable[tuple]:
    while True:
        batch = cursor.fetchmany(10_000)
        if not batch:
            return
        yield from batch


def pg_stats(conn: Connection, hashes: bool = True) -> Stats:
    """Row count and content hash of every table in ``public``, inside the caller's (snapshot) transaction."""
    names = conn.exec_driver_sql(
        "SELECT table_name FROM information_schema.tables WHERE table_schema='public' "
        "AND table_type='BASE TABLE' ORDER BY table_name"
    ).scalars()
    out: Stats = {}
    with datapath_scope("backup: content hash of every table"):
        for name in list(names):
            if not hashes:
                count = conn.exec_driver_sql(f'SELECT count(*) FROM "{name}"').scalar_one()  # noqa: S608
                out[name] = {"rows": int(count)}
                continue
            result = conn.exec_driver_sql(
                f'SELECT * FROM "{name}"',  # noqa: S608 - names from information_schema
                execution_options={"stream_results": True, "yield_per": 10_000},
            )
            count, digest = _fold(result)
            out[name] = {"rows": count, "sha256": digest}
    return out


def sqlite_copy(url: str, target: Path) -> None:
    """A consistent copy of a live SQLite database by the online backup API, as one self-contained file."""
    source = sqlite3.connect(str(sqlite_path(url)), timeout=30)
    dest = sqlite3.connect(str(target))
    try:
        with dest:
            source.backup(dest)
        dest.execute("PRAGMA journal_mode=DELETE")
    finally:
        dest.close()
        source.close()


def pg_tool(conn: Connection, name: str) -> str:
    """``pg_dump`` or ``pg_restore`` of the server's major version (refusing one older than the server)."""
    major = int(conn.exec_driver_sql("SHOW server_version_num").scalar_one()) // 10000
    candidate = Path(f"/usr/lib/postgresql/{major}/bin/{name}")
    tool = str(candidate) if candidate.exists() else shutil.which(name)
    if tool is None:
        raise BackupFailed(f"找不到 {name}", f"{name} is not installed", tool=name)
    version = subprocess.run([tool, "--version"], capture_output=True, text=True, check=False).stdout  # noqa: S603
    found = re.search(r"(\d+)(?:\.\d+)?", version)
    if found is None or int(found.group(1)) < major:
        raise BackupFailed(
            f"{name} 版本低于数据库服务器（{major}）", f"{name} is older than the server ({major})", tool=tool
        )
    return tool


@contextmanager
def pg_engine(url: str):  # noqa: ANN201 - a context manager of an Engine
    engine = create_engine(normalise_url(url), pool_size=1, max_overflow=0)
    try:
        yield engine
    finally:
        engine.dispose()


@contextmanager
def _snapshot(engine):  # noqa: ANN001, ANN202 - a read-only REPEATABLE READ transaction: one snapshot throughout
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            conn.exec_driver_sql("SET TRANSACTION READ ONLY")
            yield conn


def pg_dump(url: str, target: Path, hashes: bool = True) -> Stats:
    """``pg_dump -Fc`` of the exported snapshot, with the stats of that same snapshot."""
    with pg_engine(url) as engine, _snapshot(engine) as conn:
        snapshot = conn.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one()
        tool = pg_tool(conn, "pg_dump")
        process = subprocess.Popen(  # noqa: S603 - fixed tool, arguments are ours
            [tool, "--format=custom", "--no-owner", "--no-privileges", f"--snapshot={snapshot}",
             f"--file={target}", f"--dbname={libpq_url(url)}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        try:
            stats = pg_stats(conn, hashes)
        finally:
            _, err = process.communicate()
        if process.returncode != 0:
            raise BackupFailed("pg_dump 失败", "pg_dump failed", stderr=err.decode(errors="replace")[-2000:])
        return stats


def pg_is_empty(url: str) -> bool:
    with pg_engine(url) as engine, engine.connect() as conn:
        return not conn.execute(
            text("SELECT count(*) FROM information_schema.tables WHERE table_schema='public'")
        ).scalar_one()


def pg_restore(url: str, dump: Path) -> None:
    with pg_engine(url) as engine, engine.connect() as conn:
        tool = pg_tool(conn, "pg_restore")
    done = subprocess.run(  # noqa: S603 - fixed tool, arguments are ours
        [tool, "--no-owner", "--no-privileges", "--exit-on-error", f"--dbname={libpq_url(url)}", str(dump)],
        capture_output=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise BackupFailed(
            "pg_restore 失败", "pg_restore failed", stderr=done.stderr.decode(errors="replace")[-2000:]
        )


def pg_current_stats(url: str, hashes: bool = True) -> Stats:
    with pg_engine(url) as engine, _snapshot(engine) as conn:
        return pg_stats(conn, hashes)


def current_stats(url: str, hashes: bool = True) -> Stats:
    """Stats of a database as it is now (both backends); ``hashes=False`` counts rows only."""
    if backend_of(url) == "sqlite":
        return sqlite_stats(sqlite_path(url), hashes)
    return pg_current_stats(url, hashes)
