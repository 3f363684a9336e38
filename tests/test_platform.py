"""The platform's shell: health, problem responses, request limits, migrations on both backends."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import event

from edudata.db import Database
from edudata.migrate import current_heads, expected_heads
from edudata.schema import load_all_models


def test_health_answers_over_real_http(http: httpx.Client) -> None:
    r = http.get("/api/v1/health")
    assert r.status_code == 200
    assert r.json()["status"] == "ok"
    assert len(r.headers["x-request-id"]) == 32


def test_unknown_api_path_is_a_bilingual_problem(http: httpx.Client) -> None:
    r = http.get("/api/v1/no-such-thing")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["detail_zh"] and body["detail_en"]
    assert "Traceback" not in r.text


def test_unknown_page_is_a_readable_html_page(http: httpx.Client) -> None:
    r = http.get("/no-such-page", headers={"accept": "text/html"})
    assert r.status_code == 404
    assert "text/html" in r.headers["content-type"]
    assert "未找到" in r.text


def test_oversized_json_body_is_refused_with_413(http: httpx.Client) -> None:
    r = http.post("/api/v1/health", content=b"x" * 2_000_000, headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert r.json()["code"] == "payload-too-large"


def test_oversized_chunked_body_is_refused_with_413(http: httpx.Client) -> None:
    def chunks():  # no Content-Length: the limit must count what arrives
        for _ in range(40):
            yield b"y" * 100_000

    r = http.post("/api/v1/auth/token", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413


def test_language_switch_sets_cookie_and_never_redirects_off_site(http: httpx.Client) -> None:
    r = http.get("/lang/en", headers={"referer": "https://evil.example/steal"})
    assert r.status_code == 303
    assert r.headers["location"] == "/steal"
    assert "lang=en" in r.headers["set-cookie"]


def test_migrations_reach_every_head(backend_url: str) -> None:
    assert current_heads(backend_url) == expected_heads(backend_url)


def test_migrated_schema_matches_the_models(db: Database) -> None:
    """A model changed without a migration (or the reverse) fails here, on both backends."""
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), load_all_models())
    assert diff == []


@pytest.fixture
def short_lock_waits(db: Database) -> Iterator[None]:
    """The app's own connections give up on a lock after 300 ms (instead of SQLite's 10 s; PostgreSQL waits
    without limit by default), so a held lock shows within the test."""

    def shorten(dbapi_conn, _record, _proxy) -> None:  # noqa: ANN001 - DB-API connection
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA busy_timeout=300" if db.is_sqlite else "SET lock_timeout = '300ms'")
        cur.close()

    db.engine.dispose()
    event.listen(db.engine, "checkout", shorten)
    yield
    event.remove(db.engine, "checkout", shorten)
    db.engine.dispose()


def test_a_database_too_busy_to_write_answers_503_with_retry_after(
    http: httpx.Client, db: Database, short_lock_waits: None
) -> None:
    """Another writer holds the audit log's table (on SQLite the whole file): the request is refused as busy —
    503, Retry-After, a bilingual problem — not an internal error; once the lock is gone the same works."""
    with db.engine.connect() as holder:
        if db.is_sqlite:
            holder.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            holder.exec_driver_sql("BEGIN")
            holder.exec_driver_sql("LOCK TABLE audit_record IN EXCLUSIVE MODE")
        r = http.post("/api/v1/auth/token", json={"username": "nobody", "password": "wrong-password-1"})
        holder.rollback()
    assert r.status_code == 503, r.text
    assert r.headers["Retry-After"] == "5"
    body = r.json()
    assert body["code"] == "busy" and "系统繁忙" in body["detail"] and "busy" in body["detail_en"]
    after = http.post("/api/v1/auth/token", json={"username": "nobody", "password": "wrong-password-1"})
    assert after.status_code == 401


def test_a_busy_refusal_is_audited_once_the_database_frees(
    http: httpx.Client, db: Database, short_lock_waits: None
) -> None:
    """The 503 "busy" is a refusal like any other: its audit record is written as soon as the lock frees (on
    SQLite the refused request's own audit write is what waits on the file's one writer)."""
    import json
    import time

    from sqlalchemy import text

    with db.engine.connect() as holder:
        if db.is_sqlite:
            holder.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            holder.exec_driver_sql("BEGIN")
            holder.exec_driver_sql("LOCK TABLE audit_record IN EXCLUSIVE MODE")
        r = http.post("/api/v1/auth/token", json={"username": "nobody", "password": "wrong-password-1"})
        holder.rollback()
    assert r.status_code == 503, r.text
    request_id = r.json()["request_id"]
    found = []
    deadline = time.monotonic() + 60
    while not found and time.monotonic() < deadline:  # written by a thread once the lock is gone
        with db.engine.connect() as conn:
            rows = conn.execute(
                text("SELECT result, detail FROM audit_record WHERE request_id = :r"), {"r": request_id}
            ).all()
        found = [(result, json.loads(detail)) for result, detail in rows]
        time.sleep(0.05)
    assert len(found) == 1, found
    result, detail = found[0]
    assert result == "error" and detail["status"] == 503 and detail["code"] == "busy"


def test_the_embedded_sqlite_file_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    from edudata.db import Database

    path = tmp_path / "edudata.db"
    db = Database(f"sqlite:///{path}")
    try:
        with db.engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
        for f in tmp_path.iterdir():  # the database and its -wal / -shm files
            assert f.stat().st_mode & 0o777 == 0o600, f
    finally:
        db.dispose()
    path.chmod(0o644)  # an older install's file is tightened when the platform opens it
    Database(f"sqlite:///{path}").dispose()
    assert path.stat().st_mode & 0o777 == 0o600
