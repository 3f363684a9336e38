"""Fixtures of the lifecycle tests: the demo catalogue, students loaded by their producer unit, the office,
a second office member, a destruction officer and an auditor."""

from __future__ import annotations

import httpx
import pytest

from support.collect import change, collect, row_ids
from support.students import PASSWORD, student

USERS = ("xgb", "office", "office2", "destroyer", "aud")


@pytest.fixture(autouse=True)
def backup_root(settings, tmp_path, monkeypatch):  # noqa: ANN001, ANN201
    """Each test's backups go under its own folder: the configured backup root (the live server shares it)."""
    monkeypatch.setattr(settings, "backup_root", tmp_path)
    return tmp_path


@pytest.fixture
def world(http: httpx.Client, accounts, catalog) -> dict:  # noqa: ANN001
    """The demo catalogue and 12 students (one updated, so it has history) loaded through the data path."""
    catalog.demo()
    accounts.create(username="xgb", roles=("unit_data_officer",), unit_code="0104")
    accounts.create(username="office", roles=("office_admin",), unit_code="0002")
    accounts.create(username="office2", roles=("office_admin",), unit_code="0002")
    accounts.create(username="destroyer", roles=("destruction_officer",), unit_code="0002")
    accounts.create(username="aud", roles=("auditor",), unit_code="0002")
    h = {u: accounts.headers(u, password=PASSWORD) for u in USERS}
    rows = [student(i) for i in range(12)]
    collect(http, accounts, "student_basic", rows, headers=h["xgb"], unit="0104")
    by_key = row_ids(http, "student_basic", h["xgb"], "XH")
    ids = [by_key[r["XH"]] for r in rows]
    change(http, accounts, "student_basic", ids[3], {"ZYMC": "审计学"}, headers=h["xgb"], unit="0104")
    return {"h": h, "rows": rows, "ids": ids}


@pytest.fixture(autouse=True)
def fresh_ledger(settings):  # noqa: ANN001, ANN201
    """One destruction ledger per installation: each test's database starts anew, so does its ledger."""
    from edudata.lifecycle.ledger import ledger_path

    ledger_path(settings).unlink(missing_ok=True)
    yield
    ledger_path(settings).unlink(missing_ok=True)
