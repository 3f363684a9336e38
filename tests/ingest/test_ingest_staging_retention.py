"""Staging files are kept only while needed (Art. 35): a batch loaded, refused or rolled back loses its staging files
(good and quarantined rows) once the retention the office sets has passed; a batch under review keeps them; files
are 0600. The office sets the retention on a page and through the API (stored, audited); the environment's value is
only the default; the worker's schedule runs the purge."""

from __future__ import annotations

import stat
from datetime import timedelta
from pathlib import Path

from ingest_support import HTML, csrf_field, csv_bytes, page_session, student_frame
from sqlalchemy import select, update

from edudata.audit.models import AuditRecord
from edudata.config import Settings
from edudata.db import Database, utcnow
from edudata.ingest.retention import purge_finished
from edudata.worker.models import WorkerJob
from edudata.worker.schedule import ensure_schedule, run_due
from support.clock import now


def _folder(settings: Settings, code: str) -> Path:
    return Path(settings.data_dir) / "ingest" / "batches" / code


def _audits(db: Database, operation: str) -> list[AuditRecord]:
    with db.session() as s:
        return list(
            s.scalars(select(AuditRecord).where(AuditRecord.operation == operation).order_by(AuditRecord.seq))
        )


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
    days = settings.staging_retention_days  # nothing set by the office: the deployment's default
    with db.session() as s:
        assert purge_finished(s, settings, now() + timedelta(days=days) - timedelta(hours=1)) == []
        assert purge_finished(s, settings, now() + timedelta(days=days, hours=1)) == [refused]
        s.commit()
    assert not _folder(settings, refused).exists()
    assert sorted(p.name for p in _folder(settings, pending).iterdir()) == [
        "good.parquet.enc",
        "quarantine.parquet.enc",
    ]
    # The quarantine download of the purged batch is gone with it, and the purge is in the audit log.
    r = up.http.get(f"/api/v1/ingest/batches/{refused}/quarantine.xlsx", headers=world["h"]["xgb"])
    assert r.status_code == 404
    [purge] = _audits(db, "ingest_staging_purge")
    assert purge.detail["batches"] == [refused] and purge.username == "system:worker"


def test_the_office_sets_the_retention_through_the_api_and_the_purge_follows_it(
    world: dict, db: Database, settings: Settings
) -> None:
    up, h, http = world["up"], world["h"], world["up"].http
    assert settings.staging_retention_days > 3  # the default is longer than what the office sets below
    r = http.get("/api/v1/ingest/settings", headers=h["office"])
    assert r.status_code == 200 and r.json()["staging_retention_days"] == settings.staging_retention_days
    assert r.json()["set_by_office"] is False
    # Only the office changes it; a unit's officer is refused and nothing changes.
    r = http.put("/api/v1/ingest/settings", json={"staging_retention_days": 0}, headers=h["xgb"])
    assert r.status_code == 403
    for bad in (-1, 3651, "7", 2.5, True):
        r = http.put("/api/v1/ingest/settings", json={"staging_retention_days": bad}, headers=h["office"])
        assert r.status_code == 422, (bad, r.text)
    r = http.put("/api/v1/ingest/settings", json={"staging_retention_days": -1}, headers=h["office"])
    body = r.json()
    assert "暂存保留天数" in str(body) and "staging retention" in str(body)
    assert http.get("/api/v1/ingest/settings", headers=h["office"]).json()["set_by_office"] is False
    assert _audits(db, "ingest_settings") == []

    r = http.put("/api/v1/ingest/settings", json={"staging_retention_days": 3}, headers=h["office"])
    assert r.status_code == 200, r.text
    assert r.json()["staging_retention_days"] == 3 and r.json()["updated_by"] == "office"
    [change] = _audits(db, "ingest_settings")
    assert change.username == "office" and change.detail["staging_retention_days"] == {
        "from": settings.staging_retention_days,
        "to": 3,
    }
    # A loaded batch and a refused one lose their staging after three days, not after the default.
    loaded = up(csv_bytes(student_frame(5, seed=4))).json()["code"]
    assert up.review(loaded, "xgb_rev").status_code == 200
    assert up.review(loaded, "office").status_code == 200
    refused = up(csv_bytes(student_frame(5, seed=5))).json()["code"]
    assert up.review(refused, "xgb_rev", "reject", reason="数据不全").status_code == 200
    with db.session() as s:
        assert purge_finished(s, settings, now() + timedelta(days=3) - timedelta(hours=1)) == []
        assert sorted(purge_finished(s, settings, now() + timedelta(days=3, hours=1))) == sorted(
            [loaded, refused]
        )
        s.commit()
    assert not _folder(settings, loaded).exists() and not _folder(settings, refused).exists()


def test_the_worker_runs_the_purge_on_its_schedule(world: dict, db: Database, settings: Settings) -> None:
    up, h = world["up"], world["h"]
    r = up.http.put("/api/v1/ingest/settings", json={"staging_retention_days": 0}, headers=h["office"])
    assert r.status_code == 200
    refused = up(csv_bytes(student_frame(5, seed=6))).json()["code"]
    pending = up(csv_bytes(student_frame(5, seed=7))).json()["code"]
    assert up.review(refused, "xgb_rev", "reject", reason="数据不全").status_code == 200
    with db.session() as s:
        ensure_schedule(s)
        s.execute(update(WorkerJob).values(enabled=WorkerJob.name == "staging", next_run_at=utcnow()))
        s.commit()
    assert run_due(db, settings, now() + timedelta(minutes=1)) == ["staging"]
    with db.session() as s:
        job = s.get(WorkerJob, "staging")
        assert job.last_ok is True and job.last_result == "staging removed 1"
    assert not _folder(settings, refused).exists() and _folder(settings, pending).exists()


def test_the_office_sets_the_retention_on_its_page(
    server, world: dict, db: Database, settings: Settings
) -> None:  # noqa: ANN001
    with page_session(server, "office") as office:
        page = office.get("/ingest/settings", headers=HTML)
        assert page.status_code == 200 and "暂存保留期限" in page.text and "尚未设置" in page.text
        r = office.post("/ingest/settings", headers=HTML,
                        data={"csrf_token": csrf_field(page.text), "staging_retention_days": "abc"})  # fmt: skip
        assert r.status_code == 422 and "暂存保留天数" in r.text and "staging retention" in r.text
        r = office.post("/ingest/settings", headers=HTML,
                        data={"csrf_token": csrf_field(page.text), "staging_retention_days": "7"})  # fmt: skip
        assert r.status_code == 303 and r.headers["location"] == "/ingest/settings?saved=1"
        shown = office.get("/ingest/settings", headers=HTML).text
        assert '<dd id="days">7</dd>' in shown and "office" in shown
        assert 'href="/ingest/settings"' in office.get("/ingest", headers=HTML).text
    [change] = _audits(db, "ingest_settings")
    assert change.detail["staging_retention_days"]["to"] == 7
    with page_session(server, "xgb") as officer:
        assert 'href="/ingest/settings"' not in officer.get("/ingest", headers=HTML).text
        assert officer.get("/ingest/settings", headers=HTML).status_code == 403
