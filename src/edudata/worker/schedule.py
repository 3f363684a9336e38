"""The periodic jobs and their schedule, held in the database (``worker_job``) so cron is optional.

Each job runs every ``every_seconds`` or daily at ``daily_at`` (HH:MM, Beijing time). A worker takes a due job
by moving its ``next_run_at`` forward with a compare-and-set, so even two workers (one elected, one that has
not yet noticed losing) never run the same round twice. A job's failure is recorded on its row and logged;
the worker goes on and the job runs again at its next time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from edudata.clock import CHINA
from edudata.config import Settings
from edudata.db import Database, utcnow
from edudata.worker.models import WorkerJob

log = logging.getLogger("edudata.worker")
ACTOR = {"username": "system:worker", "source_ip": "local"}


@dataclass(frozen=True)
class Job:
    name: str
    zh: str
    every_seconds: int
    daily_at: str | None
    run: Callable[[Database, Settings], str]


def _sequence(database: Database, settings: Settings) -> str:
    from edudata.audit.sequencer import SequencerThread

    result = SequencerThread(database, settings, interval=0).round()
    while result.more:
        result = SequencerThread(database, settings, interval=0).round()
    return f"integrated {result.integrated}" + (" + checkpoint" if result.checkpoint else "")


def _mail(database: Database, settings: Settings) -> str:
    from edudata.worker.outbox import send_due

    return f"sent {send_due(database, settings)}"


def _spot_check(database: Database, settings: Settings) -> str:
    from edudata.inspect.runs import run_daily_if_due

    with database.session() as session:
        run = run_daily_if_due(session, started_by=ACTOR["username"], settings=settings)
        session.commit()
    return f"run {run.id}" if run is not None else "already ran today"


def _reminders(database: Database, settings: Settings) -> str:
    from edudata.sharing.mailing import queue
    from edudata.sharing.review import remind

    with database.session() as session:
        late, ending = remind(session)
        queue(session, settings, settings.public_base_url or "")
        session.commit()
    return f"overdue reviews {late}, grants ending {ending}"


def _pulls(database: Database, settings: Settings) -> str:
    from edudata.ingest.jobs import Worker
    from edudata.ingest.pull import schedule_due

    queued = schedule_due(database)
    runner, ran = Worker(database, settings), 0
    while ran < 50 and runner.run_once() is not None:  # at most 50 a round: the other jobs get their turn
        ran += 1
    return f"queued {len(queued)}, ran {ran}"


def _backups(database: Database, settings: Settings) -> str:
    from edudata.lifecycle.operations import run_due

    made = run_due(settings, database, actor=dict(ACTOR))
    return f"made {len(made)}"


def _retention(database: Database, settings: Settings) -> str:
    from edudata.worker.outbox import forget_sent
    from edudata.worker.ratelimit import forget_idle

    with database.session() as session:
        mails = forget_sent(session)
        buckets = forget_idle(session)
        session.commit()
    return f"mails removed {mails}, idle rate buckets removed {buckets}"


def _staging(database: Database, settings: Settings) -> str:
    from edudata.ingest.retention import purge_finished

    with database.session() as session:
        purged = purge_finished(session, settings)
        session.commit()
    return f"staging removed {len(purged)}"


JOBS: dict[str, Job] = {
    j.name: j
    for j in (
        Job("sequence", "审计日志排序与检查点", 2, None, _sequence),
        Job("mail", "发送邮件", 5, None, _mail),
        Job("spot_check", "每日抽查", 3600, "07:00", _spot_check),
        Job("reminders", "待办提醒", 3600, "08:00", _reminders),
        Job("pulls", "定时拉取", 300, None, _pulls),
        Job("backups", "定时备份", 300, None, _backups),
        Job("retention", "过期数据清理", 3600, "03:30", _retention),
        Job("staging", "暂存文件清理", 3600, "03:40", _staging),
    )
}


def next_run(job: WorkerJob, after: datetime) -> datetime:
    """When ``job`` runs next after ``after``: its daily time in Beijing, or ``every_seconds`` later."""
    if job.daily_at:
        hour, minute = (int(p) for p in job.daily_at.split(":"))
        local = after.astimezone(CHINA)
        at = datetime.combine(local.date(), time(hour, minute), tzinfo=CHINA)
        if at <= local:
            at += timedelta(days=1)
        return at.astimezone(after.tzinfo)
    return after + timedelta(seconds=max(job.every_seconds, 1))


def ensure_schedule(session: Session) -> None:
    """Add the rows of jobs the schedule does not hold yet (their defaults), due at once."""
    have = set(session.scalars(select(WorkerJob.name)))
    now = utcnow()
    for job in JOBS.values():
        if job.name not in have:
            session.add(WorkerJob(name=job.name, enabled=True, every_seconds=job.every_seconds,
                                  daily_at=job.daily_at, next_run_at=now, runs=0))  # fmt: skip
    session.flush()


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=utcnow().tzinfo)


def run_due(database: Database, settings: Settings, now: datetime | None = None) -> list[str]:
    """Run every enabled job whose time has come; the names of the jobs run."""
    now = now or utcnow()
    with database.session() as session:
        rows = list(
            session.scalars(
                select(WorkerJob).where(WorkerJob.enabled.is_(True), WorkerJob.next_run_at <= now)
            )
        )
    ran: list[str] = []
    for row in sorted(rows, key=lambda r: list(JOBS).index(r.name) if r.name in JOBS else 99):
        job = JOBS.get(row.name)
        if job is None:
            continue
        with database.session() as session:
            taken = session.execute(
                update(WorkerJob)
                .where(WorkerJob.name == row.name, WorkerJob.next_run_at == row.next_run_at)
                .values(next_run_at=next_run(row, now), last_started_at=now, runs=WorkerJob.runs + 1)
            ).rowcount
            session.commit()
        if not taken:  # another worker took this round
            continue
        try:
            result, ok = job.run(database, settings), True
        except Exception as exc:  # noqa: BLE001 - recorded on the job's row; the worker goes on
            log.exception("worker job %s failed", row.name)
            result, ok = f"{type(exc).__name__}: {exc}", False
        with database.session() as session:
            session.execute(
                update(WorkerJob)
                .where(WorkerJob.name == row.name)
                .values(last_finished_at=utcnow(), last_ok=ok, last_result=result[:500])
            )
            session.commit()
        ran.append(row.name)
    return ran
