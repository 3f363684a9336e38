"""``edudata privacy count`` and ``edudata privacy obligations`` on the configured database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from edudata.config import Settings
from edudata.db import Database
from edudata.privacy.models import PersonCount


def _cli(settings: Settings, *args: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "EDUDATA_DATABASE_URL": settings.resolved_database_url(),
        "EDUDATA_DATA_DIR": str(settings.data_dir),
        "COLUMNS": "200",
    }
    exe = Path(sys.executable).with_name("edudata")
    return subprocess.run([str(exe), "privacy", *args], capture_output=True, text=True, env=env, timeout=120)


def test_count_keeps_the_register_and_is_audited_as_the_operator(
    world: dict, db: Database, settings: Settings
) -> None:
    done = _cli(settings, "count")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "edudata" in done.stdout and "12" in done.stdout
    with db.session() as s:
        kept = s.execute(select(PersonCount).where(PersonCount.dataset_code.is_(None))).scalar_one()
    assert kept.people == 12 and kept.counted_by.startswith("cli:")


def test_obligations_exit_non_zero_while_something_is_outstanding(world: dict, settings: Settings) -> None:
    out = _cli(settings, "obligations")
    assert out.returncode == 1
    assert "sensitive_assessment" in out.stdout and "register_not_counted" in out.stdout
