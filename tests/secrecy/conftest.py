"""Fixtures of the state-secret tests: the demo catalogue, students loaded by their producer, the office,
the leadership group and an applicant of the library — over the live server."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from support.collect import collect
from support.students import PASSWORD, student


@pytest.fixture
def world(http: httpx.Client, accounts, catalog) -> dict[str, Any]:  # noqa: ANN001
    catalog.demo()
    for name, role, unit in [
        ("xgb", "unit_data_officer", "0104"),
        ("office", "office_admin", "0002"),
        ("office2", "office_admin", "0002"),
        ("leader", "leadership", "0002"),
        ("lib", "applicant", "0110"),
    ]:
        accounts.create(username=name, roles=(role,), unit_code=unit)
    h = {u: accounts.headers(u, password=PASSWORD) for u in ("xgb", "office", "office2", "leader", "lib")}
    rows = [student(i, "0201", 2023) for i in range(6)]
    collect(http, accounts, "student_basic", rows, headers=h["xgb"], unit="0104")
    return {"h": h, "rows": rows}
