"""Fixtures of the privacy tests: the demo catalogue, students loaded by their producer unit, the accounts."""

from __future__ import annotations

import httpx
import pytest

from support.students import student

USERS = {
    "xgb": (("unit_data_officer",), "0104"),  # 学生工作部: producer of student_basic
    "office": (("office_admin",), "0002"),
    "dpo": (("data_protection_officer",), "0002"),
    "lib": (("applicant",), "0110"),
    "aud": (("auditor",), "0002"),
}


@pytest.fixture
def world(http: httpx.Client, accounts, catalog) -> dict:
    catalog.demo()
    for name, (roles, unit) in USERS.items():
        accounts.create(username=name, roles=roles, unit_code=unit)
    h = {u: accounts.headers(u) for u in USERS}
    rows = [student(i, "0201" if i < 8 else "0202", 2023 if i % 3 else 2021) for i in range(12)]
    r = http.post("/api/v1/data/student_basic/rows", json={"rows": rows}, headers=h["xgb"])
    assert r.status_code == 201, r.text
    return {"h": h, "rows": rows}
