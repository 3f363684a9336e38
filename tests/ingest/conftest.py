"""Fixtures of the ingest tests: the demo catalogue, producer accounts of 学生工作部 and the office."""

from __future__ import annotations

import httpx
import pytest
from ingest_support import Uploader

from support.students import PASSWORD


@pytest.fixture
def world(http: httpx.Client, accounts, catalog) -> dict:
    catalog.demo()
    accounts.create(username="xgb", roles=("unit_data_officer",), unit_code="0104")
    accounts.create(username="xgb2", roles=("unit_data_officer", "unit_reviewer"), unit_code="0104")
    accounts.create(username="xgb_rev", roles=("unit_reviewer",), unit_code="0104")
    accounts.create(username="office", roles=("office_admin",), unit_code="0002")
    accounts.create(username="rsc", roles=("unit_data_officer",), unit_code="0102")
    h = {u: accounts.headers(u, password=PASSWORD) for u in ("xgb", "xgb2", "xgb_rev", "office", "rsc")}
    return {"h": h, "up": Uploader(http, h)}
