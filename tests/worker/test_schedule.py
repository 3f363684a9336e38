"""The schedule held in the database and ``edudata worker`` (issue 19, item 5): due jobs run once per round
whichever worker takes them, daily jobs at their Beijing time, one worker elected on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from edudata.audit.models import AuditRecord
from edudata.audit.service import record_many
from edudata.config import Settings
from edudata.db import Database, utcnow
from edudata.worker.models import WorkerJob
from edudata.worker.runner import WorkerProcess
from edudata.worker.schedule import JOBS, ensure_schedule, next_run, run_due
from support.lifecycle import run_cli


def _only(db: Database, *names: str) -> None:
    """Leave only ``names`` enabled and due now."""
    with db.session() as s:
        ensure_schedule(s)
        s.execute(update(WorkerJob).values(enabled=WorkerJob.name.in_(names), next_run_at=utcnow()))
        s.commit()


def test_the_schedule_holds_every_periodic_job(db: Database) -> None:
    with db.session() as s:
        ensure_schedule(s)
        s.commit()
        names = set(s.scalars(select(WorkerJob.name)))
    assert (
        names
        == {"sequence", "mail", "spot_check", "reminders", "pulls", "backups", "retention", "staging"}
        == set(JOBS)
    )


def test_a_daily_job_runs_next_at_its_beijing_time() -> None:
    job = WorkerJob(name="spot_check", every_seconds=3600, daily_at="07:00")
    before = datetime(2026, 3, 1, 22, 0, tzinfo=UTC)  # 06:00 in Beijing
    assert next_run(job, before) == datetime(2026, 3, 1, 23, 0, tzinfo=UTC)
    after = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)  # 07:30 in Beijing: tomorrow
    assert next_run(job, after) == datetime(2026, 3, 2, 23, 0, tzinfo=UTC)
    assert next_run(WorkerJob(name="mail", every_seconds=5), before) == before + timedelta(seconds=5)


def test_a_due_job_runs_once_and_its_outcome_is_kept(db: Database, settings: Settings) -> None:
    with db.session() as s:
        record_many(s, [{"operation": "query", "username": f"u{i}"} for i in range(5)])
        s.commit()
    _only(db, "sequence")
    assert run_due(db, settings) == ["sequence"]
    assert run_due(db, settings) == []  # its next time has not come
    with db.session() as s:
        job = s.get(WorkerJob, "sequence")
        assert job.last_ok and "integrated 5" in job.last_result and job.runs == 1
        assert s.scalar(select(AuditRecord).where(AuditRecord.leaf.is_(None))) is None


def test_a_round_taken_by_another_worker_is_not_run_again(db: Database, settings: Settings) -> None:
    _only(db, "retention")
    with db.session() as s:
        stale = s.get(WorkerJob, "retention").next_run_at
    assert run_due(db, settings) == ["retention"]
    with db.session() as s:  # a second worker that read the row before the first one moved it
        taken = s.execute(
            update(WorkerJob)
            .where(WorkerJob.name == "retention", WorkerJob.next_run_at == stale)
            .values(runs=99)
        ).rowcount
    assert taken == 0


def test_a_failing_job_is_recorded_and_the_others_still_run(db: Database, settings: Settings) -> None:
    _only(db, "backups", "retention")
    broken = settings.model_copy(update={"backup_root": settings.data_dir / "no" / "such" / "root"})
    from edudata.lifecycle.models import BackupSchedule

    with db.session() as s:
        s.add(BackupSchedule(name="nightly", every_hours=24, keep_last=1, keep_days=1,
                             local_dir="/nonexistent/backups", created_by="test"))  # fmt: skip
        s.commit()
    assert run_due(db, broken) == ["backups", "retention"]
    with db.session() as s:
        assert s.get(WorkerJob, "retention").last_ok is True
        assert s.get(WorkerJob, "backups").last_result


def test_only_one_worker_is_elected(db: Database, settings: Settings) -> None:
    first, second = WorkerProcess(db, settings), WorkerProcess(db, settings)
    try:
        assert first.elect()
        assert second.elect() is db.is_sqlite  # on PostgreSQL the second waits as a standby
        first.release()
        assert second.elect()  # and takes over once the first is gone
    finally:
        first.release()
        second.release()


def test_edudata_worker_once_runs_the_due_jobs(db: Database, settings: Settings) -> None:
    with db.session() as s:
        record_many(s, [{"operation": "query", "username": "u"}])
        s.commit()
    _only(db, "sequence", "mail")
    done = run_cli(settings, "worker", "--once")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "sequence" in done.stdout and "mail" in done.stdout
    listed = run_cli(settings, "worker", "schedule")
    assert listed.returncode == 0 and "spot_check" in listed.stdout and "每 2 秒" in listed.stdout
    changed = run_cli(settings, "worker", "set", "spot_check", "--at", "06:30")
    assert changed.returncode == 0, changed.stdout + changed.stderr
    with db.session() as s:
        assert s.get(WorkerJob, "spot_check").daily_at == "06:30"
    assert run_cli(settings, "worker", "set", "spot_check", "--at", "25:00").returncode == 2
