"""The embedded database's connection pool (src/edudata/db.py): pooled connections are reused, none outlives the
file it opened (a restore renames a new database into place; a lost one is deleted and restored), and writes that
change the file's times never make a connection look stale."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from sqlalchemy import event, text

from edudata.db import Database


def _make(path: Path, value: str) -> None:
    database = Database(f"sqlite:///{path}")
    with database.engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (v TEXT)"))
        conn.execute(text("INSERT INTO t VALUES (:v)"), {"v": value})
    database.dispose()


def _connects(database: Database) -> list[int]:
    opened: list[int] = []
    event.listen(database.engine, "connect", lambda *_: opened.append(1))
    return opened


def test_connections_are_reused_and_follow_a_replaced_file(tmp_path: Path) -> None:
    live, restored = tmp_path / "edudata.db", tmp_path / "restored.db"
    _make(live, "before")
    _make(restored, "after")
    database = Database(f"sqlite:///{live}")
    try:
        with database.engine.connect() as conn, database.engine.connect() as second:
            first = {conn.connection.dbapi_connection, second.connection.dbapi_connection}
            assert conn.execute(text("SELECT v FROM t")).scalar_one() == "before"
            assert second.execute(text("SELECT v FROM t")).scalar_one() == "before"
        with database.engine.connect() as conn:
            assert conn.connection.dbapi_connection in first  # pooled: not reopened per request
        os.replace(restored, live)  # what restore does: the new file renamed over the old path
        with database.engine.connect() as conn, database.engine.connect() as second:
            assert conn.connection.dbapi_connection not in first
            assert conn.execute(text("SELECT v FROM t")).scalar_one() == "after"
            assert second.execute(text("SELECT v FROM t")).scalar_one() == "after"  # the other idle one too
            assert conn.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"  # the pragmas again
    finally:
        database.dispose()


def test_a_lost_file_restored_by_another_process_is_followed_and_its_log_kept(tmp_path: Path) -> None:
    live, restored = tmp_path / "edudata.db", tmp_path / "restored.db"
    _make(live, "before")
    database = Database(f"sqlite:///{live}")
    try:
        with database.engine.connect() as conn:
            assert conn.execute(text("SELECT v FROM t")).scalar_one() == "before"
        for suffix in ("", "-wal", "-shm"):  # the database is lost ...
            Path(f"{live}{suffix}").unlink(missing_ok=True)
        _make(restored, "after")  # ... and restored
        os.replace(restored, live)
        other = Database(f"sqlite:///{live}")  # another process already works on the restored file
        try:
            with other.engine.begin() as conn:
                conn.execute(text("INSERT INTO t VALUES ('by the other')"))
            assert Path(
                f"{live}-wal"
            ).exists()  # that write is in the restored file's log, not yet in the file
            with database.engine.begin() as conn:  # the stale connection is discarded here (closed)
                assert conn.execute(text("SELECT count(*) FROM t")).scalar_one() == 2
                conn.execute(text("INSERT INTO t VALUES ('written')"))
            # Closing the stale connection did not delete the restored file's -wal by name: all three rows hold.
            with other.engine.connect() as conn:
                assert sorted(conn.execute(text("SELECT v FROM t")).scalars()) == [
                    "after",
                    "by the other",
                    "written",
                ]
        finally:
            other.dispose()
    finally:
        database.dispose()


def test_concurrent_writers_keep_their_pooled_connections(tmp_path: Path) -> None:
    """Every commit changes the file's change time; a connection is stale only when the file is another one,
    so eight threads writing at once are never refused a connection ("This connection is closed")."""
    live = tmp_path / "edudata.db"
    _make(live, "seed")
    database = Database(f"sqlite:///{live}")
    opened = _connects(database)
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(40):
                with database.engine.begin() as conn:
                    conn.execute(text("INSERT INTO t VALUES (:v)"), {"v": f"{n}-{i}"})
                with database.engine.connect() as conn:
                    conn.execute(text("SELECT count(*) FROM t")).scalar_one()
        except BaseException as err:  # noqa: BLE001 - collected and asserted below
            errors.append(err)

    try:
        threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        with database.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM t")).scalar_one() == 1 + 8 * 40
        assert (
            len(opened) <= 9
        )  # at most one per thread (and the check above): 640 transactions, no reconnects
    finally:
        database.dispose()
