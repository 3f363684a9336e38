"""Bad input is a 4xx problem, never a 500 (anonymous callers included): JSON nested past any use, integers past
64 bits, control and bidi characters in file names."""

from __future__ import annotations

import httpx
import pytest

from edudata.api.paging import encode_cursor

DEEP = "[" * 5000 + "]" * 5000
HUGE = str(2**63)


@pytest.fixture
def office(accounts) -> dict:  # noqa: ANN001
    accounts.create(username="office", roles=("office_admin",), unit_code="0002")
    return accounts.headers("office")


def _problem(r: httpx.Response) -> None:
    assert 400 <= r.status_code < 500, (r.request.url, r.status_code, r.text[:200])
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["detail_zh"] and r.json()["detail_en"]


def test_deeply_nested_filters_are_refused_for_everyone(http: httpx.Client, office: dict, catalog) -> None:  # noqa: ANN001
    catalog.demo()
    deep_object = '{"not":' * 3000 + "{}" + "}" * 3000
    for flt in (DEEP, deep_object):
        _problem(http.get("/api/v1/data/student_basic", params={"filter": flt}, headers=office))
        _problem(http.get("/api/v1/open/datasets/anything/rows", params={"filter": flt}))  # anonymous portal
    _problem(
        http.post(
            "/api/v1/data/student_basic/query",
            content=DEEP,
            headers={**office, "content-type": "application/json"},
        )
    )


def test_ids_past_64_bits_are_refused_not_crashed(http: httpx.Client, office: dict, catalog) -> None:  # noqa: ANN001
    catalog.demo()
    for path in (
        f"/api/v1/sharing/applications/{HUGE}",
        f"/api/v1/ingest/jobs/{HUGE}",
        f"/api/v1/data/student_basic/rows/{HUGE}/history",
        f"/api/v1/data/student_basic?cursor={encode_cursor(after=2**63)}",
    ):
        _problem(http.get(path, headers=office))
    _problem(
        http.get(
            "/api/v1/data/student_basic?filter=" + '{"element":"NJ","op":"eq","value":' + HUGE + "}",
            headers=office,
        )
    )
    _problem(http.delete(f"/api/v1/data/student_basic/rows/{HUGE}", headers=office))


def test_a_file_name_with_a_bidi_override_or_nul_is_refused(http: httpx.Client, accounts, catalog) -> None:  # noqa: ANN001
    catalog.demo()
    accounts.create(username="xgb", roles=("unit_data_officer",), unit_code="0104")
    h = accounts.headers("xgb")
    for name in ("学生\u202egsv.csv", "a\x00b.csv", "x\u2066y.csv"):
        r = http.post(
            "/api/v1/ingest/student_basic/batches",
            files={"file": (name, b"XH\n1\n", "text/csv")},
            data={"unit": "0104"},
            headers=h,
        )
        _problem(r)
    batches = http.get("/api/v1/ingest/batches", headers=h)
    assert batches.status_code == 200 and "\u202e" not in batches.json().__repr__()
