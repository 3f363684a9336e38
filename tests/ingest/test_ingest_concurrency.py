"""Batch review and load are compare-and-set (Art. 22): two reviews of one batch at the same moment, or two
batches with the same new students approved at once — real parallel requests, 20 times, on both backends —
load once; the other request gets a 409 naming who decided, or the conflicting keys, and both are audited."""

from __future__ import annotations

import httpx
import polars as pl
import pytest
from ingest_support import csv_bytes, student_frame
from sqlalchemy import func, select, text

from edudata.db import Database
from edudata.ingest.models import Batch, Version
from edudata.store.guard import datapath_scope
from support.race import ROUNDS, audit_seq, audit_since, one_won, race, refusals
from support.students import PASSWORD

STUDENTS = student_frame(ROUNDS * 8, seed=7)


@pytest.fixture
def reviewers(world: dict, accounts) -> dict:
    accounts.create(username="office_b", roles=("office_admin",), unit_code="0002")
    world["h"]["office_b"] = accounts.headers("office_b", password=PASSWORD)
    return world


def _review(code: str, headers: dict):  # noqa: ANN202 - a call for race()
    return lambda c: c.post(
        f"/api/v1/ingest/batches/{code}/review", json={"decision": "approve"}, headers=headers
    )


def _stored(db: Database) -> tuple[int, int]:
    """Rows of the students' table and distinct student numbers in it."""
    with db.engine.connect() as conn, datapath_scope("test"):
        return conn.execute(text("SELECT count(*), count(DISTINCT xh) FROM gd_student_basic")).one()


def test_two_reviews_of_one_batch_at_once_load_it_once(server, reviewers: dict, db: Database) -> None:
    up, h = reviewers["up"], reviewers["h"]
    for i in range(ROUNDS):
        code = up(csv_bytes(STUDENTS.slice(i * 3, 3))).json()["code"]
        path = f"/api/v1/ingest/batches/{code}/review"
        for a, b in (("xgb_rev", "xgb2"), ("office", "office_b")):
            start = audit_seq(db)
            winner, loser = one_won(race(server.url, _review(code, h[a]), _review(code, h[b])))
            records = audit_since(db, start)
            assert len([r for r in records if r["operation"] == "ingest_review"]) == 1
            assert len(refusals(records, path)) == 1
        assert winner.json()["status"] == "approved"
        with db.session() as s:
            versions = select(func.count()).select_from(Version).join(Batch, Batch.id == Version.batch_id)
            assert s.scalar(versions.where(Batch.code == code)) == 1
        assert _stored(db) == ((i + 1) * 3, (i + 1) * 3)


def test_two_batches_with_the_same_new_students_approved_at_once_store_each_once(
    server, reviewers: dict, db: Database
) -> None:
    up, h = reviewers["up"], reviewers["h"]
    stored = 0
    for i in range(ROUNDS):
        own_a, own_b, shared = (STUDENTS.slice(i * 8 + k * 2, 2) for k in range(3))
        codes = []
        for part in (pl.concat([own_a, shared]), pl.concat([own_b, shared])):
            code = up(csv_bytes(part)).json()["code"]
            assert up.review(code, "xgb_rev").status_code == 200
            codes.append(code)
        start = audit_seq(db)
        winner, loser = one_won(
            race(server.url, _review(codes[0], h["office"]), _review(codes[1], h["office_b"])),
            code="conflict",
        )
        body = loser.json()
        assert sorted(body["conflicting_keys"]) == sorted(shared.get_column("XH").to_list()), body
        stored += 4
        assert _stored(db) == (stored, stored)
        records = audit_since(db, start)
        assert len([r for r in records if r["operation"] == "ingest_review"]) == 1
        assert [r["result"] for r in records if r["operation"] == "insert"] in (
            ["success", "failed"],
            ["failed", "success"],
        )
        loser_code = codes[1] if winner.json()["code"] == codes[0] else codes[0]
        assert (
            httpx.get(f"{server.url}/api/v1/ingest/batches/{loser_code}", headers=h["office"]).json()[
                "status"
            ]
            == "unit_approved"
        )
