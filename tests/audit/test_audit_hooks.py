"""Refused and failed requests leave audit records over real HTTP, though their own transaction rolled back."""

from __future__ import annotations

import time

import httpx
from sqlalchemy import select

from edudata.audit.models import AuditRecord
from edudata.db import Database


def _records(db: Database) -> list[AuditRecord]:
    with db.session() as s:
        return list(s.scalars(select(AuditRecord).order_by(AuditRecord.seq)))


def test_unknown_api_path_is_recorded_as_a_failed_request(http: httpx.Client, db: Database) -> None:
    r = http.get("/api/v1/no-such-thing", headers={"X-Request-ID": "trace0000000001"})
    assert r.status_code == 404
    [rec] = _records(db)
    assert (rec.operation, rec.result) == ("request_failed", "failed")
    assert rec.request_id == "trace0000000001" and rec.source_ip == "127.0.0.1"
    assert rec.detail["path"] == "/api/v1/no-such-thing" and rec.detail["status"] == 404
    assert rec.detail["method"] == "GET" and rec.detail["code"] == "not-found"


def test_oversized_body_refused_before_routing_is_recorded(http: httpx.Client, db: Database) -> None:
    r = http.post("/api/v1/health", content=b"x" * 2_000_000, headers={"content-type": "application/json"})
    assert r.status_code == 413
    # Refused before routing, the record is written just after the answer goes out: wait for it.
    deadline = time.monotonic() + 10
    while not (records := _records(db)) and time.monotonic() < deadline:
        time.sleep(0.05)
    [rec] = records
    assert rec.operation == "request_failed" and rec.detail["status"] == 413


def test_unknown_web_page_is_not_recorded(http: httpx.Client, db: Database) -> None:
    assert http.get("/wp-login.php", headers={"accept": "text/html"}).status_code == 404
    assert _records(db) == []


def test_successful_requests_leave_no_refusal_record(http: httpx.Client, db: Database) -> None:
    assert http.get("/api/v1/health").status_code == 200
    assert _records(db) == []
