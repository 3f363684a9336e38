"""Fixtures of the sharing tests: the demo catalogue, 12 students loaded by their producer (学生工作部), an
applicant of the library (图书馆 0110), the producer's officer and the office — all over the live server."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from support.collect import collect
from support.students import PASSWORD, student


@pytest.fixture
def world(http: httpx.Client, accounts, catalog) -> dict[str, Any]:
    catalog.demo()
    accounts.create(username="xgb", roles=("unit_data_officer",), unit_code="0104")
    accounts.create(username="office", roles=("office_admin",), unit_code="0002")
    accounts.create(username="lib", roles=("applicant",), unit_code="0110", head=True)  # signs 附件2 for 0110
    accounts.create(username="lib2", roles=("applicant",), unit_code="0110")
    accounts.create(username="rsc", roles=("unit_data_officer",), unit_code="0102")
    accounts.create(username="leader", roles=("leadership",), unit_code="0001")
    h = {u: accounts.headers(u, password=PASSWORD) for u in ("xgb", "office", "lib", "lib2", "rsc", "leader")}
    rows = [student(i, "0201" if i < 8 else "0202", 2023 if i % 3 else 2021) for i in range(12)]
    collect(http, accounts, "student_basic", rows, headers=h["xgb"], unit="0104")
    return {"h": h, "rows": rows}
