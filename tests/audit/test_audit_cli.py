"""``edudata audit …`` on the configured database: verify, sign, purge (refused when too young), search."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from edudata.audit.models import AuditCheckpoint, AuditRecord
from edudata.audit.service import record_now
from edudata.config import Settings
from edudata.db import Database
from support.audit_log import edit_record


def _cli(settings: Settings, *args: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "EDUDATA_DATABASE_URL": settings.resolved_database_url(),
        "EDUDATA_DATA_DIR": str(settings.data_dir),
        "COLUMNS": "200",
    }
    exe = Path(sys.executable).with_name("edudata")
    return subprocess.run([str(exe), "audit", *args], capture_output=True, text=True, env=env, timeout=120)


def test_verify_says_intact_with_the_count_then_names_the_broken_record(
    db: Database, settings: Settings
) -> None:
    for i in range(4):
        record_now(db, operation="query", username=f"u{i}")
    ok = _cli(settings, "verify")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "完整" in ok.stdout and "intact" in ok.stdout and "4" in ok.stdout

    edit_record(db, 3, result="denied")
    broken = _cli(settings, "verify")
    assert broken.returncode == 1
    assert "seq 3" in broken.stdout


def test_sign_adds_a_checkpoint_for_the_head(db: Database, settings: Settings) -> None:
    record_now(db, operation="login", username="alice")
    done = _cli(settings, "sign")
    assert done.returncode == 0, done.stdout + done.stderr
    with db.session() as s:
        assert s.scalars(select(AuditCheckpoint.size)).all() == [1]


def test_purge_of_recent_records_is_refused_citing_the_rule(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    record_now(db, operation="login", username="alice")
    refused = _cli(settings, "purge", "--before", "2999-01-01", "--archive", str(tmp_path / "a.zip"))
    assert refused.returncode == 2
    assert "Art. 30" in " ".join(refused.stdout.split())
    assert not (tmp_path / "a.zip").exists()


def test_search_lists_matching_records_and_is_itself_audited(db: Database, settings: Settings) -> None:
    record_now(db, operation="export", username="bob", unit_code="0103", dataset="student.basic")
    record_now(db, operation="login", username="carol", unit_code="0104")
    found = _cli(settings, "search", "--unit", "0103")
    assert found.returncode == 0, found.stdout + found.stderr
    assert "bob" in found.stdout and "carol" not in found.stdout
    with db.session() as s:
        last = s.scalars(select(AuditRecord).order_by(AuditRecord.seq.desc())).first()
        assert last.operation == "query" and last.dataset == "audit_record" and last.filter == "unit=0103"
