"""A durable job queue in the database: a restart loses no job (pulls and their schedule, Art. 48).

A job is a row. A worker claims one by setting it ``running`` with a lease (``locked_until``); on PostgreSQL
the claim is ``SELECT … FOR UPDATE SKIP LOCKED`` so several workers never take the same job, on SQLite (the
embedded default, one writer at a time) a conditional ``UPDATE`` does the same. A worker that dies leaves its
job ``running`` until the lease ends; then any worker claims it again. A failed job is retried with back-off up
to ``max_attempts``, then kept as ``failed`` with its error.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from edudata.db import Database, utcnow
from edudata.ingest.models import Job

LEASE_SECONDS = 300
Handler = Callable[[Database, Any, dict[str, Any]], dict[str, Any] | None]
HANDLERS: dict[str, Handler] = {}


def handler(kind: str) -> Callable[[Handler], Handler]:
    def add(fn: Handler) -> Handler:
        HANDLERS[kind] = fn
        return fn

    return add


def enqueue(
    session: Session,
    kind: str,
    payload: dict[str, Any],
    *,
    run_at: datetime | None = None,
    max_attempts: int = 3,
) -> Job:
    job = Job(
        kind=kind,
        payload=payload,
        status="queued",
        run_at=run_at or utcnow(),
        attempts=0,
        max_attempts=max_attempts,
        created_at=utcnow(),
    )
    session.add(job)
    session.flush()
    return job


def _claimable(now: datetime):  # noqa: ANN202
    return or_(
        (Job.status == "queued") & (Job.run_at <= now),
        (Job.status == "running") & (Job.locked_until < now),
    )


def claim(
    database: Database, worker: str, *, lease_seconds: int = LEASE_SECONDS, now: datetime | None = None
) -> int | None:
    """Take the oldest due job (or one whose worker's lease ran out); its id, or None when there is none."""
    now = now or utcnow()
    with database.session() as session:
        stmt = select(Job.id).where(_claimable(now)).order_by(Job.run_at, Job.id).limit(1)
        if not database.is_sqlite:
            stmt = stmt.with_for_update(skip_locked=True)
        job_id = session.execute(stmt).scalar()
        if job_id is None:
            return None
        taken = session.execute(
            update(Job)
            .where(Job.id == job_id, _claimable(now))
            .values(
                status="running",
                locked_by=worker[:100],
                locked_until=now + timedelta(seconds=lease_seconds),
                attempts=Job.attempts + 1,
            )
        ).rowcount
        session.commit()
        return job_id if taken else None


def _finish(database: Database, job_id: int, worker: str, **values: Any) -> None:
    with database.session() as session:
        session.execute(update(Job).where(Job.id == job_id, Job.locked_by == worker[:100]).values(**values))
        session.commit()


class Worker:
    """Runs claimed jobs one at a time; ``settings`` is handed to each handler."""

    def __init__(
        self, database: Database, settings: Any, name: str | None = None, lease_seconds: int = LEASE_SECONDS
    ) -> None:
        self.database, self.settings = database, settings
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{os.urandom(2).hex()}"
        self.lease_seconds = lease_seconds

    def run_once(self, now: datetime | None = None) -> int | None:
        """Claim and run one job; its id, or None when nothing was due."""
        from edudata.ingest import pull  # noqa: F401 - registers the pull and schedule handlers

        job_id = claim(self.database, self.name, lease_seconds=self.lease_seconds, now=now)
        if job_id is None:
            return None
        with self.database.session() as session:
            job = session.get(Job, job_id)
            kind, payload, attempts, limit = job.kind, dict(job.payload or {}), job.attempts, job.max_attempts
        try:
            fn = HANDLERS.get(kind)
            if fn is None:
                raise LookupError(f"no handler for job kind {kind!r}")
            result = fn(self.database, self.settings, payload) or {}
        except Exception as exc:  # noqa: BLE001 - a job's failure is recorded, the worker goes on
            again = attempts < limit
            _finish(
                self.database, job_id, self.name, status="queued" if again else "failed", locked_by=None, locked_until=None,
                run_at=utcnow() + timedelta(seconds=30 * 2**attempts), error=f"{type(exc).__name__}: {exc}"[:2000],
            )  # fmt: skip
            return job_id
        _finish(
            self.database,
            job_id,
            self.name,
            status="done",
            finished_at=utcnow(),
            result=result,
            locked_until=None,
            error="",
        )
        return job_id

    def run(
        self, *, idle_sleep: float = 5.0, max_jobs: int | None = None, stop: Callable[[], bool] | None = None
    ) -> int:
        """Work until ``stop()`` says so (or ``max_jobs`` ran); returns how many jobs ran."""
        done = 0
        while not (stop and stop()) and (max_jobs is None or done < max_jobs):
            if self.run_once() is None:
                time.sleep(idle_sleep)
            else:
                done += 1
        return done


def as_utc(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value
