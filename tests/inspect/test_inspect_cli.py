"""``edudata inspect …`` on the configured database: a year-end run, the daily check once a day, a PDF report."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from edudata.audit.models import AuditRecord
from edudata.config import Settings
from edudata.db import Database
from edudata.inspect.models import InspectionRun


def _cli(settings: Settings, *args: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "EDUDATA_DATABASE_URL": settings.resolved_database_url(),
        "EDUDATA_DATA_DIR": str(settings.data_dir),
        "COLUMNS": "200",
    }
    exe = Path(sys.executable).with_name("edudata")
    return subprocess.run([str(exe), "inspect", *args], capture_output=True, text=True, env=env, timeout=300)


def test_a_year_end_run_from_the_cli_is_stored_and_audited(
    inspector, db: Database, settings: Settings
) -> None:  # noqa: ANN001
    done = _cli(settings, "run", "--mode", "year_end")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "new 0" in done.stdout
    with db.session() as s:
        run = s.scalars(select(InspectionRun)).one()
        assert (run.mode, run.started_by.startswith("cli:")) == ("year_end", True)
        assert s.scalar(select(func.count()).where(AuditRecord.operation == "inspect_run")) == 1


def test_the_daily_check_runs_once_a_day_from_the_scheduler(
    inspector, db: Database, settings: Settings
) -> None:  # noqa: ANN001
    assert _cli(settings, "daily").returncode == 0
    again = _cli(settings, "daily")
    assert again.returncode == 0 and "already run" in again.stdout
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(InspectionRun)) == 1


def test_an_unknown_check_is_refused_in_both_languages(inspector, settings: Settings) -> None:  # noqa: ANN001
    bad = _cli(settings, "run", "--mode", "special", "--check", "no.such")
    assert bad.returncode == 2 and "检查项 no.such 不存在" in bad.stdout and "unknown check" in bad.stdout


def test_the_report_is_written_as_pdf(inspector, settings: Settings, tmp_path: Path) -> None:  # noqa: ANN001
    assert _cli(settings, "run").returncode == 0
    out = tmp_path / "report.pdf"
    done = _cli(settings, "report", "1", "--pdf", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    words = subprocess.run(
        [shutil.which("pdftotext"), str(out), "-"], capture_output=True, text=True, check=True
    )
    assert "教育数据安全检查报告" in words.stdout and "年底检查" in words.stdout
