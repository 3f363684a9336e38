"""Fixtures of the privacy tests: the demo catalogue, students collected by their producer unit through the real
path (Art. 51 paperwork, review), the accounts."""

from __future__ import annotations

import httpx
import pytest

from support.collect import collect
from support.students import student

USERS = {
    "xgb": (("unit_data_officer",), "0104"),  # 学生工作部: producer of student_basic
    "office": (("office_admin",), "0002"),
    "dpo": (("data_protection_officer",), "0002"),
    "lib": (("applicant",), "0110"),
    "aud": (("auditor",), "0002"),
}


@pytest.fixture
def staff(accounts, catalog) -> dict:
    """The demo catalogue and the accounts, nothing collected yet (no Art. 51 paperwork on file)."""
    catalog.demo()
    for name, (roles, unit) in USERS.items():
        accounts.create(username=name, roles=roles, unit_code=unit)
    return {"h": {u: accounts.headers(u) for u in USERS}}


@pytest.fixture
def world(http: httpx.Client, accounts, staff: dict) -> dict:
    rows = [student(i, "0201" if i < 8 else "0202", 2023 if i % 3 else 2021) for i in range(12)]
    collect(http, accounts, "student_basic", rows, headers=staff["h"]["xgb"], unit="0104")
    return {"h": staff["h"], "rows": rows}
