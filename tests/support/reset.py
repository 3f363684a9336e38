"""Each test starts from an empty platform: the database emptied and the files of its batches gone.

Kept outside ``conftest.py`` so a test module can import it: ``from conftest import …`` would find whichever
folder's conftest was loaded last.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy import inspect, text

from edudata.config import Settings
from edudata.db import Database
from edudata.schema import load_all_models
from edudata.store.guard import datapath_scope


def reset_database(database: Database, settings: Settings | None = None) -> None:
    """Empty every table the domains own and drop tables made at run time (governed-store tables); with
    ``settings``, also remove the ingest folder (staging files, snapshots, uploads), whose batches were just
    deleted and which a staging retention would otherwise keep for the next test to find."""
    metadata = load_all_models()
    with datapath_scope("test clean-up"):
        _reset(database, metadata)
    if settings is not None:
        shutil.rmtree(Path(settings.data_dir) / "ingest", ignore_errors=True)


def _reset(database: Database, metadata) -> None:  # noqa: ANN001
    known = [t.name for t in metadata.sorted_tables]
    with database.engine.begin() as conn:
        present = set(inspect(conn).get_table_names())
        dynamic = present - set(known) - {"alembic_version", "sqlite_sequence"}
        for name in dynamic:
            conn.execute(text(f'DROP TABLE IF EXISTS "{name}"'))
        tables = [t for t in known if t in present]
        if not tables:
            return
        if database.is_sqlite:
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            for name in reversed(tables):
                conn.execute(text(f'DELETE FROM "{name}"'))
            # The inspector does not list SQLite's own tables: look for the AUTOINCREMENT counters directly.
            if conn.execute(text("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'")).first():
                conn.execute(text("DELETE FROM sqlite_sequence"))
        else:
            conn.execute(
                text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE")
            )
