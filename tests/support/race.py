"""Two (or more) requests at the same moment against the live server: threads lined up by a barrier, each with
its own connection, so the server really handles them in parallel."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

import httpx
from sqlalchemy import text

from edudata.db import Database

ROUNDS = 20  # each race is run this many times


def race(url: str, *calls: Callable[[httpx.Client], httpx.Response]) -> list[httpx.Response]:
    """Run each call in its own thread, released together; the answers in the order of ``calls``."""
    barrier = threading.Barrier(len(calls))
    answers: list[Any] = [None] * len(calls)

    def run(i: int) -> None:
        with httpx.Client(base_url=url, timeout=60) as client:
            client.get("/api/v1/health")  # connected before the start line
            barrier.wait()
            try:
                answers[i] = calls[i](client)
            except Exception as exc:  # noqa: BLE001 - reported by the assertion below
                answers[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for a in answers:
        assert isinstance(a, httpx.Response), a
    return answers


def one_won(
    answers: list[httpx.Response], code: str = "already-decided"
) -> tuple[httpx.Response, httpx.Response]:
    """Exactly one 2xx and one 409 (by default "already decided"); returns (winner, loser)."""
    codes = sorted(a.status_code for a in answers)
    assert len(answers) == 2 and codes[0] < 300 and codes[1] == 409, [
        (a.status_code, a.text[:300]) for a in answers
    ]
    winner, loser = sorted(answers, key=lambda a: a.status_code)
    body = loser.json()
    assert body["code"] == code, body
    if code == "already-decided":
        assert "已被他人处理" in body["detail_zh"] and "already decided" in body["detail_en"], body
    return winner, loser


def audit_seq(db: Database) -> int:
    with db.engine.connect() as conn:
        return conn.execute(text("SELECT COALESCE(MAX(seq), 0) FROM audit_record")).scalar_one()


def audit_since(db: Database, seq: int) -> list[dict[str, Any]]:
    """Audit records appended after ``seq``: operation, result, username and the parsed detail."""
    with db.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT operation, result, username, detail FROM audit_record WHERE seq > :s ORDER BY seq"),
            {"s": seq},
        ).all()
    return [
        {"operation": o, "result": r, "username": u, "detail": json.loads(d or "{}")} for o, r, u, d in rows
    ]


def refusals(records: list[dict[str, Any]], path: str) -> list[dict[str, Any]]:
    """The audited 409s "already decided" of requests to ``path``."""
    return [
        r for r in records if r["detail"].get("code") == "already-decided" and r["detail"].get("path") == path
    ]
