"""Helpers of the lifecycle tests: read governed row ids directly, run the real command line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import text

from edudata.config import Settings
from edudata.db import Database
from edudata.store.guard import datapath_scope


def governed_ids(db: Database, table: str) -> list[int]:
    """Row ids in a governed table, read by the test itself (the assertion must not trust the code under test)."""
    with datapath_scope("test inspection"), db.engine.connect() as conn:
        return sorted(r[0] for r in conn.execute(text(f'SELECT _id FROM "{table}"')))  # noqa: S608


def run_cli(
    settings: Settings, *args: str, url: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """Run the real command line (a new process) against ``url`` with the test's key ring and signing key;
    ``env`` adds or overrides ``EDUDATA_*`` settings for that process only."""
    extra = env or {}
    env = {
        **os.environ,
        "EDUDATA_DATABASE_URL": url or settings.resolved_database_url(),
        "EDUDATA_DATA_DIR": str(settings.data_dir),
        "EDUDATA_MASTER_KEY_FILE": str(settings.resolved_master_key_file()),
        "EDUDATA_BACKUP_ROOT": str(settings.resolved_backup_root()),
        "EDUDATA_CONFIG_FILE": "/nonexistent",
        "COLUMNS": "200",
        **extra,
    }
    script = "from edudata.cli import app; app()"
    return subprocess.run(
        [sys.executable, "-c", script, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def manifests(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.manifest.json"))
