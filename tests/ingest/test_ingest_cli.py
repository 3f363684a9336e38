"""``edudata ingest FILE --dataset … --unit …``: progress, the quality summary, and refusals in both languages."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import polars as pl
from ingest_support import csv_bytes, student_frame
from sqlalchemy import select

from edudata.config import Settings
from edudata.db import Database
from edudata.ingest.models import Batch


def _cli(settings: Settings, *args: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "EDUDATA_DATABASE_URL": settings.resolved_database_url(),
        "EDUDATA_DATA_DIR": str(settings.data_dir),
        "COLUMNS": "200",
    }
    exe = Path(sys.executable).with_name("edudata")
    return subprocess.run([str(exe), *args], capture_output=True, text=True, env=env, timeout=300)


def test_the_cli_submits_a_file_and_prints_the_quality_summary(
    world, db: Database, settings: Settings, tmp_path
) -> None:
    frame = student_frame(40)
    frame = frame.with_columns(
        pl.when(pl.int_range(pl.len()) == 7).then(pl.lit("0299")).otherwise(pl.col("YXDM")).alias("YXDM")
    )
    path = tmp_path / "学生.csv"
    path.write_bytes(csv_bytes(frame, encoding="gbk", chinese=True))
    done = _cli(settings, "ingest", str(path), "--dataset", "student_basic", "--unit", "0104", "--as", "xgb")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "质量摘要 / quality summary" in done.stdout and "unit_exists" in done.stdout
    with db.session() as s:
        batch = s.execute(select(Batch)).scalar_one()
    assert (batch.rows_good, batch.rows_quarantined, batch.encoding, batch.uploaded_by) == (
        39,
        1,
        "gb18030",
        "xgb",
    )


def test_the_cli_refuses_bad_input_with_a_bilingual_message(
    world, db: Database, settings: Settings, tmp_path
) -> None:
    path = tmp_path / "photo.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    done = _cli(settings, "ingest", str(path), "--dataset", "student_basic", "--unit", "0104", "--as", "xgb")
    assert done.returncode == 2
    assert "不是文本格式" in done.stdout and "not a text CSV" in done.stdout
    with db.session() as s:
        assert s.execute(select(Batch)).first() is None
