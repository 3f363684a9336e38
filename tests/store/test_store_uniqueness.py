"""Governed tables hold each key once, and each person once where the catalogue says one person, one row
(一人一号, Art. 15-16) — in the schema, on both backends — and the migration adds that to older databases."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import inspect, text

from edudata.db import Database
from edudata.migrate import alembic_config
from edudata.store.guard import datapath_scope
from support.collect import collect
from support.students import PASSWORD, student


@pytest.fixture
def loaded(http: httpx.Client, accounts, catalog) -> dict:
    catalog.demo()
    accounts.create(username="xgb", roles=("unit_data_officer",), unit_code="0104")
    h = accounts.headers("xgb", password=PASSWORD)
    collect(http, accounts, "student_basic", [student(i) for i in range(3)], headers=h, unit="0104")
    return {"h": h}


def _indexes(db: Database) -> dict[str, bool]:
    with db.engine.connect() as conn, datapath_scope("test inspection"):
        return {i["name"]: bool(i["unique"]) for i in inspect(conn).get_indexes("gd_student_basic")}


def test_the_table_is_unique_on_the_key_and_on_the_persons_blind_index(loaded: dict, db: Database) -> None:
    indexes = _indexes(db)
    assert indexes["uq_gd_student_basic_key"] and indexes["uq_gd_student_basic_person"]


def test_a_row_that_repeats_a_person_under_a_new_number_is_quarantined(
    http: httpx.Client, loaded: dict, db: Database
) -> None:
    """Student 0's ID number under a new number (一人一号): the row is quarantined naming the stored row, the
    other row of the request goes on; the table still holds each person once (the unique index is the last
    guard, tested at load in tests/ingest/test_ingest_concurrency.py)."""
    other = {k: v for k, v in student(7).items() if k not in ("MZM", "YHKH")}  # no consent on file (Art. 51)
    rows = [{**student(0), "XH": "209900000001"}, other]
    r = http.post("/api/v1/data/student_basic/rows", json={"rows": rows}, headers=loaded["h"])
    assert r.status_code == 202, r.text
    assert (r.json()["good"], r.json()["quarantined"]) == (1, 1)
    assert {f["element"] for f in r.json()["report"]["by_rule"]} >= {"SFZJH"}
    with db.engine.connect() as conn, datapath_scope("test"):
        assert conn.execute(text("SELECT count(*) FROM gd_student_basic")).scalar_one() == 3


def test_the_migration_adds_the_constraints_once_duplicates_are_resolved(loaded: dict, db: Database) -> None:
    """An older database: no unique index and a student stored twice. The upgrade stops, naming the value and
    what to do; once the duplicate is gone it adds the constraints."""
    from alembic import command

    cfg = alembic_config(db.url)
    command.downgrade(cfg, "store_0001")
    assert "uq_gd_student_basic_key" not in _indexes(db)
    with db.engine.begin() as conn, datapath_scope("test: an older database's duplicate"):
        columns = [c["name"] for c in inspect(conn).get_columns("gd_student_basic") if c["name"] != "_id"]
        names = ", ".join(f'"{c}"' for c in columns)
        conn.execute(
            text(f"INSERT INTO gd_student_basic ({names}) SELECT {names} FROM gd_student_basic WHERE _id = 1")
        )
    try:
        with pytest.raises(RuntimeError) as refused:
            command.upgrade(cfg, "heads")
        message = str(refused.value)
        assert "2023020100" in message and "edudata db upgrade" in message and "重复" in message
        with db.engine.begin() as conn, datapath_scope("test: the office removes the duplicate"):
            conn.execute(
                text("DELETE FROM gd_student_basic WHERE _id = (SELECT max(_id) FROM gd_student_basic)")
            )
    finally:
        command.upgrade(cfg, "heads")
    indexes = _indexes(db)
    assert indexes["uq_gd_student_basic_key"] and indexes["uq_gd_student_basic_person"]
