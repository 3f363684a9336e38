"""The bulk load behind an approved batch: indexes rebuilt for a large load, intact after a failed one."""

from __future__ import annotations

import json

import polars as pl
import pytest
from ingest_support import csv_bytes, student_frame
from sqlalchemy import event, inspect, select, text
from sqlalchemy.exc import IntegrityError

from edudata.access.crypto_bridge import StoreCrypto
from edudata.access.specs import load_spec
from edudata.config import Settings
from edudata.db import Database
from edudata.ingest.review import typed_columns
from edudata.store import bulk
from edudata.store.guard import datapath_scope
from edudata.store.service import tables_for


def _indexes(db: Database, table: str) -> set[str]:
    with db.engine.connect() as conn, datapath_scope("inspect"):
        return {i["name"] for i in inspect(conn).get_indexes(table)}


def _approve(up, content: bytes) -> None:  # noqa: ANN001
    code = up(content).json()["code"]
    assert up.review(code, "xgb_rev").status_code == 200
    done = up.review(code, "office")
    assert done.status_code == 200, done.text


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Thresholds scaled down so that 30 rows take the paths a million rows take (indexes rebuilt, several
    chunks)."""
    monkeypatch.setattr(bulk, "REBUILD_AT", 10)
    monkeypatch.setattr(bulk, "CHUNK", 7)


def test_a_large_load_rebuilds_every_index_and_lookups_find_the_rows(
    http, world, db: Database, settings: Settings, small_chunks
) -> None:
    frame = student_frame(30, seed=3)
    _approve(world["up"], csv_bytes(frame))
    with db.session() as s:
        current, _ = tables_for(s, load_spec(s, "student_basic"))
    expected = {i.name for i in current.indexes}
    assert len(expected) >= 4 and expected <= _indexes(db, current.name)
    # All 30 rows arrived across five chunks, and a lookup by ID number goes through the rebuilt blind index.
    person = frame.row(23, named=True)
    wanted = json.dumps({"element": "SFZJH", "op": "eq", "value": person["SFZJH"]})
    r = http.get("/api/v1/data/student_basic", params={"filter": wanted}, headers=world["h"]["office"])
    assert r.status_code == 200, r.text
    assert [row["XH"] for row in r.json()["items"]] == [person["XH"]]
    everyone = http.get("/api/v1/data/student_basic", params={"limit": 100}, headers=world["h"]["office"])
    assert sorted(row["XH"] for row in everyone.json()["items"]) == sorted(frame["XH"].to_list())
    if db.engine.dialect.name == "postgresql":  # statistics taken with the load, not left to autovacuum
        with db.engine.connect() as conn:
            sql = "SELECT count(*) FROM pg_stats WHERE tablename = :t AND attname = 'xh'"
            assert conn.execute(text(sql), {"t": current.name}).scalar_one() == 1
    # Each row's subject reference is its person's (the PI register counts by them).
    with db.session() as s:
        with datapath_scope("query"):
            stored = set(s.execute(select(current.c._subject)).scalars())
        assert stored == set(StoreCrypto(s, settings).subject_refs(frame["SFZJH"].to_list()))


def test_a_load_that_fails_midway_leaves_no_rows_and_every_index(
    world, db: Database, settings: Settings, small_chunks
) -> None:
    people = student_frame(33, seed=4)
    _approve(world["up"], csv_bytes(people.head(3)))  # materialises the table with its indexes
    frame = people.slice(3)
    with db.session() as s:
        spec = load_spec(s, "student_basic")
        current, _ = tables_for(s, spec)
        typed = typed_columns(spec, frame)
        # The last row repeats the first one's student number: every chunk goes in, then the rebuilt unique
        # index refuses the table, so the whole load fails after its last chunk.
        numbers = typed["XH"].to_list()
        numbers[-1] = numbers[0]
        typed = typed.with_columns(pl.Series("XH", numbers))
        crypto = StoreCrypto(s, settings)
        with pytest.raises(IntegrityError), datapath_scope("insert"):
            bulk.load_columns(s, spec, typed, actor="office", crypto=crypto, batch="b")
            s.flush()
        s.rollback()
    assert {i.name for i in current.indexes} <= _indexes(db, current.name)
    with db.session() as s, datapath_scope("query"):
        assert len(s.execute(select(current.c._id)).all()) == 3


def test_a_small_load_into_a_larger_table_keeps_its_indexes_in_place(world, db, small_chunks) -> None:
    """Fresh rows fewer than those stored: inserted through the live indexes (no rebuild, no table lock)."""
    people = student_frame(52, seed=6)
    _approve(world["up"], csv_bytes(people.head(40)))
    ddl: list[str] = []

    def seen(conn, cursor, statement, *args) -> None:  # noqa: ANN001
        if "INDEX" in statement.upper():
            ddl.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        _approve(world["up"], csv_bytes(people.slice(40)))
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert ddl == []
    with db.session() as s:
        current, _ = tables_for(s, load_spec(s, "student_basic"))
        with datapath_scope("query"):
            assert len(s.execute(select(current.c._id)).all()) == 52
