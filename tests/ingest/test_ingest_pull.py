"""The pull connector against real business databases, the durable job queue and scheduling by frequency."""

from __future__ import annotations

import subprocess
import sys
import uuid
from datetime import timedelta

import httpx
import polars as pl
import pytest
from ingest_support import HEADERS_ZH, student_frame
from sqlalchemy import create_engine, select, text

from edudata.db import Database, normalise_url, utcnow
from edudata.ingest import jobs, pull
from edudata.ingest.models import Batch, Job, Source

PG_ADMIN = normalise_url(
    __import__("os").environ.get("EDUDATA_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
)


def _fill(url: str, frame: pl.DataFrame) -> None:
    """A producer's business table with Chinese column names (学生信息), as a 学工 system keeps it."""
    engine = create_engine(normalise_url(url))
    zh = frame.rename(HEADERS_ZH)
    cols = ", ".join(f'"{c}" VARCHAR(200)' for c in zh.columns)
    with engine.begin() as conn:
        conn.execute(text(f"CREATE TABLE xs_jbxx ({cols})"))
        names = ", ".join(f'"{c}"' for c in zh.columns)
        marks = ", ".join(f":p{i}" for i in range(len(zh.columns)))
        conn.execute(
            text(f"INSERT INTO xs_jbxx ({names}) VALUES ({marks})"),
            [{f"p{i}": v for i, v in enumerate(r)} for r in zh.iter_rows()],
        )
    engine.dispose()


@pytest.fixture
def systems(settings, tmp_path, monkeypatch) -> dict[str, str]:  # noqa: ANN001
    """The operator's allow-list of business systems (the 学工 system as a SQLite file of its own)."""
    allowed = {"xgxt": f"sqlite:///{tmp_path / 'xgxt.db'}"}
    monkeypatch.setattr(settings, "pull_connections", allowed)
    return allowed


def _register(http: httpx.Client, world, connection: str = "xgxt", password: str | None = None) -> int:  # noqa: ANN001
    body = {"name": "学工系统", "unit": "0104", "connection": connection}
    if password:
        body["password"] = password
    r = http.post("/api/v1/ingest/student_basic/sources", json=body, headers=world["h"]["office"])
    assert r.status_code == 201, r.text
    assert r.json()["enabled"] is False  # not until the unit maps a table
    return r.json()["id"]


def _map(
    http: httpx.Client, world, source_id: int, table: str = "xs_jbxx", columns: dict | None = None
) -> int:  # noqa: ANN001
    r = http.put(
        f"/api/v1/ingest/sources/{source_id}/mapping",
        json={"table": table, "columns": columns or {}},
        headers=world["h"]["xgb"],
    )
    assert r.status_code == 200, r.text
    return source_id


def _run_queued(http: httpx.Client, world, db: Database, settings, source_id: int) -> dict:  # noqa: ANN001
    job = http.post(f"/api/v1/ingest/sources/{source_id}/pull", headers=world["h"]["xgb"]).json()["job"]
    assert jobs.Worker(db, settings).run_once() == job
    return http.get(f"/api/v1/ingest/jobs/{job}", headers=world["h"]["xgb"]).json()


def test_pull_from_a_sqlite_business_database(
    http: httpx.Client, world, db: Database, settings, systems
) -> None:
    _fill(systems["xgxt"], student_frame(30))
    result = _run_queued(http, world, db, settings, _map(http, world, _register(http, world)))
    assert result["status"] == "done", result
    batch = http.get(f"/api/v1/ingest/batches/{result['result']['batch']}", headers=world["h"]["xgb"]).json()
    assert (batch["source"], batch["good"], batch["status"]) == ("pull", 30, "validated")


def test_pull_from_a_second_postgresql_database_by_column_mapping(
    http: httpx.Client, world, db: Database, settings, monkeypatch
) -> None:
    name = f"edudata_src_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN.rsplit("/", 1)[0].replace("+psycopg", "") + f"/{name}"
    monkeypatch.setattr(settings, "pull_connections", {"xgxt_pg": url})
    try:
        frame = student_frame(25)
        _fill(url, frame)
        columns = {HEADERS_ZH[c]: c for c in frame.columns}
        source = _map(http, world, _register(http, world, "xgxt_pg"), "public.xs_jbxx", columns)
        result = _run_queued(http, world, db, settings, source)
        assert result["status"] == "done", result
        assert result["result"]["good"] == 25
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_a_job_survives_a_worker_that_dies_mid_job(
    http: httpx.Client, world, db: Database, settings, systems
) -> None:
    _fill(systems["xgxt"], student_frame(10))
    source_id = _map(http, world, _register(http, world))
    job_id = http.post(f"/api/v1/ingest/sources/{source_id}/pull", headers=world["h"]["xgb"]).json()["job"]
    # A worker process claims the job and is killed before it finishes (SIGKILL: no clean-up of any kind).
    script = (
        "import os, signal, sys\n"
        "from edudata.db import Database\n"
        "from edudata.ingest.jobs import claim\n"
        "assert claim(Database(sys.argv[1]), 'doomed', lease_seconds=60) is not None\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    died = subprocess.run([sys.executable, "-c", script, db.url], capture_output=True, timeout=60)
    assert died.returncode == -9, died.stderr
    with db.session() as s:
        job = s.get(Job, job_id)
        assert (job.status, job.locked_by, job.attempts) == ("running", "doomed", 1)
    fresh = Database(db.url)  # the restarted service: a new process' engine
    try:
        restarted = jobs.Worker(fresh, settings, name="restarted")
        assert restarted.run_once() is None  # the lease still holds: nobody steals a live job
        assert restarted.run_once(now=utcnow() + timedelta(seconds=61)) == job_id
    finally:
        fresh.dispose()
    with db.session() as s:
        job = s.get(Job, job_id)
        assert (job.status, job.attempts) == ("done", 2)
        assert s.execute(select(Batch).where(Batch.code == job.result["batch"])).scalar_one().rows_good == 10


def test_two_claims_never_take_the_same_job(db: Database, world) -> None:
    with db.session() as s:
        first, second = jobs.enqueue(s, "noop", {}).id, jobs.enqueue(s, "noop", {}).id
        s.commit()
    taken = {jobs.claim(db, "a"), jobs.claim(db, "b")}
    assert taken == {first, second} and jobs.claim(db, "c") is None


def test_a_failing_job_is_retried_then_kept_as_failed(db: Database, settings, world) -> None:
    with db.session() as s:
        job_id = jobs.enqueue(s, "pull", {"source_id": 999}, max_attempts=2).id
        s.commit()
    worker = jobs.Worker(db, settings)
    assert worker.run_once() == job_id
    later = utcnow() + timedelta(hours=1)
    assert worker.run_once(now=later) == job_id
    with db.session() as s:
        job = s.get(Job, job_id)
        assert (job.status, job.attempts) == ("failed", 2) and "999" in job.error


def test_pulls_are_scheduled_by_the_datasets_update_frequency(
    http: httpx.Client, world, db: Database, settings, systems
) -> None:
    _fill(systems["xgxt"], student_frame(5))
    source_id = _register(http, world)
    assert pull.schedule_due(db) == []  # not mapped yet: nothing to pull
    _map(http, world, source_id)
    assert pull.schedule_due(db) == [source_id]
    assert pull.schedule_due(db) == []  # already queued
    assert jobs.Worker(db, settings).run_once() is not None
    with db.session() as s:
        last = jobs.as_utc(s.get(Source, source_id).last_run_at)
    assert pull.schedule_due(db, now=last + timedelta(hours=23)) == []  # student_basic is daily
    assert pull.schedule_due(db, now=last + timedelta(days=1, seconds=1)) == [source_id]
