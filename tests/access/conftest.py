"""Fixtures of the data-path tests: the demo catalogue with students loaded by their producer unit."""

from __future__ import annotations

import httpx
import pytest

from support.collect import collect
from support.students import PASSWORD, student


@pytest.fixture
def world(http: httpx.Client, accounts, catalog) -> dict:
    """The demo catalogue, a producer officer of 学生工作部 with 12 students loaded, and other accounts."""
    catalog.demo()
    accounts.create(username="xgb", roles=("unit_data_officer",), unit_code="0104")
    accounts.create(username="xgb_rev", roles=("unit_reviewer",), unit_code="0104")
    accounts.create(username="rsc", roles=("unit_data_officer",), unit_code="0102")
    accounts.create(username="office", roles=("office_admin",), unit_code="0002")
    accounts.create(username="lib", roles=("applicant",), unit_code="0110")
    accounts.create(username="aud", roles=("auditor",), unit_code="0002")
    h = {u: accounts.headers(u, password=PASSWORD) for u in ("xgb", "xgb_rev", "rsc", "office", "lib", "aud")}
    rows = [student(i, "0201" if i < 8 else "0202", 2023 if i % 3 else 2021) for i in range(12)]
    collect(http, accounts, "student_basic", rows, headers=h["xgb"], unit="0104")
    return {"h": h, "rows": rows}
