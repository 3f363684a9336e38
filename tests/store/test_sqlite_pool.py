"""The embedded database's connection pool (src/edudata/db.py): pooled connections are reused, and none outlives
the file it opened — a restore renames a new database file into place, and the next checkout must see it."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import text

from edudata.db import Database


def _make(path: Path, value: str) -> None:
    database = Database(f"sqlite:///{path}")
    with database.engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (v TEXT)"))
        conn.execute(text("INSERT INTO t VALUES (:v)"), {"v": value})
    database.dispose()


def test_connections_are_reused_and_follow_a_replaced_file(tmp_path: Path) -> None:
    live, restored = tmp_path / "edudata.db", tmp_path / "restored.db"
    _make(live, "before")
    _make(restored, "after")
    database = Database(f"sqlite:///{live}")
    try:
        with database.engine.connect() as conn:
            first = conn.connection.dbapi_connection
            assert conn.execute(text("SELECT v FROM t")).scalar_one() == "before"
        with database.engine.connect() as conn:
            assert conn.connection.dbapi_connection is first  # pooled: not reopened per request
        os.replace(restored, live)  # what restore does: the new file renamed over the old path
        with database.engine.connect() as conn:
            assert conn.connection.dbapi_connection is not first
            assert conn.execute(text("SELECT v FROM t")).scalar_one() == "after"
            assert conn.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"  # the pragmas again
    finally:
        database.dispose()


def test_a_lost_file_restored_under_a_reused_inode_is_not_mistaken_for_the_old_one(tmp_path: Path) -> None:
    live, restored = tmp_path / "edudata.db", tmp_path / "restored.db"
    _make(live, "before")
    database = Database(f"sqlite:///{live}")
    try:
        with database.engine.connect() as conn:
            assert conn.execute(text("SELECT v FROM t")).scalar_one() == "before"
        for suffix in ("", "-wal", "-shm"):  # the database is lost ...
            Path(f"{live}{suffix}").unlink(missing_ok=True)
        _make(restored, "after")  # ... and restored: the new file often gets the freed inode number
        os.replace(restored, live)
        with database.engine.begin() as conn:
            assert conn.execute(text("SELECT v FROM t")).scalar_one() == "after"
            conn.execute(text("INSERT INTO t VALUES ('written')"))
        other = Database(f"sqlite:///{live}")  # another process's view: the write went to the restored file
        try:
            with other.engine.connect() as conn:
                assert sorted(conn.execute(text("SELECT v FROM t")).scalars()) == ["after", "written"]
        finally:
            other.dispose()
    finally:
        database.dispose()
