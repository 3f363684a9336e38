"""Staging files are kept only while needed (Art. 35): a batch loaded, refused or rolled back loses its staging files
(good and quarantined rows) once the retention has passed; a batch under review keeps them; files are 0600."""

from __future__ import annotations

import stat
from datetime import timedelta
from pathlib import Path

from ingest_support import csv_bytes, student_frame

from edudata.config import Settings
from edudata.db import Database
from edudata.ingest.staging import purge_finished
from support.clock import now


def _folder(settings: Settings, code: str) -> Path:
    return Path(settings.data_dir) / "ingest" / "batches" / code


def test_a_refused_batch_loses_its_staging_after_the_retention_and_a_pending_one_keeps_it(
    world: dict, db: Database, settings: Settings
) -> None:
    up = world["up"]
    refused = up(csv_bytes(student_frame(6, seed=1))).json()["code"]
    pending = up(csv_bytes(student_frame(6, seed=2))).json()["code"]
    r = up.review(refused, "xgb_rev", "reject", reason="学号有误，请重新导出")
    assert r.status_code == 200, r.text
    files = sorted(_folder(settings, refused).glob("*.parquet.enc"))
    assert files and all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)
    days = settings.staging_retention_days
    with db.session() as s:
        assert purge_finished(s, settings, now() + timedelta(days=days) - timedelta(hours=1)) == []
        assert purge_finished(s, settings, now() + timedelta(days=days, hours=1)) == [refused]
    assert not _folder(settings, refused).exists()
    assert sorted(p.name for p in _folder(settings, pending).iterdir()) == [
        "good.parquet.enc",
        "quarantine.parquet.enc",
    ]
    # The quarantine download of the purged batch is gone with it.
    r = up.http.get(f"/api/v1/ingest/batches/{refused}/quarantine.xlsx", headers=world["h"]["xgb"])
    assert r.status_code == 404
