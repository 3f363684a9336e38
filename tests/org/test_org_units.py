"""Units (一校一码, Art. 5-12): the office registers them; bad input is refused with a problem and saves nothing."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select

from edudata.db import Database
from edudata.org.models import Unit

INJECTIONS = ["'); DROP TABLE org_unit;--", "<script>alert(1)</script>"]


def _units(db: Database) -> int:
    with db.session() as s:
        return s.execute(select(func.count()).select_from(Unit)).scalar_one()


@pytest.fixture
def office(accounts) -> dict[str, str]:  # noqa: ANN001
    accounts.create(username="office", roles=("office_admin",), unit_code="0002")
    return accounts.headers("office")


def _problem(r: httpx.Response, status: int, field: str | None = None) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["detail_zh"] and body["detail_en"]
    if field:
        assert body.get("field") == field or any(e["field"] == field for e in body.get("errors", []))
    return body


def test_office_registers_a_unit_under_the_school(http: httpx.Client, office: dict) -> None:
    body = {"code": "0401", "name": "数据中心", "name_en": "Data Centre", "unit_type": "support"}
    r = http.post("/api/v1/units", json=body, headers=office)
    assert r.status_code == 201, r.text
    assert r.json()["parent_code"] == "4112010070"
    listed = {u["code"]: u for u in http.get("/api/v1/units", headers=office).json()["items"]}
    assert listed["0401"]["name"] == "数据中心"
    assert listed["4112010070"]["unit_type"] == "school"


def test_duplicate_unit_code_is_a_409_and_changes_nothing(
    http: httpx.Client, db: Database, office: dict
) -> None:
    before = _units(db)
    r = http.post(
        "/api/v1/units", json={"code": "0104", "name": "重复", "unit_type": "producer"}, headers=office
    )
    _problem(r, 409, "code")
    assert _units(db) == before


def test_second_school_is_refused_one_school_one_code(http: httpx.Client, db: Database, office: dict) -> None:
    before = _units(db)
    r = http.post(
        "/api/v1/units", json={"code": "4112010071", "name": "另一所", "unit_type": "school"}, headers=office
    )
    _problem(r, 409, "code")
    assert _units(db) == before


def test_unknown_parent_is_a_422_naming_the_field(http: httpx.Client, db: Database, office: dict) -> None:
    before = _units(db)
    body = {"code": "0402", "name": "新单位", "unit_type": "user", "parent_code": "9999"}
    _problem(http.post("/api/v1/units", json=body, headers=office), 422, "parent_code")
    assert _units(db) == before


@pytest.mark.parametrize(
    ("code", "unit_type"), [("402", "user"), ("04a2", "user"), ("41120100", "school"), ("0403", "ministry")]
)
def test_malformed_codes_and_types_are_refused(
    http: httpx.Client, db: Database, office: dict, code, unit_type
) -> None:  # noqa: ANN001
    before = _units(db)
    r = http.post(
        "/api/v1/units", json={"code": code, "name": "单位", "unit_type": unit_type}, headers=office
    )
    _problem(r, 422)
    assert _units(db) == before


@pytest.mark.parametrize("name", INJECTIONS)
def test_sql_and_html_in_a_unit_name_are_refused_and_the_table_survives(
    http: httpx.Client, db: Database, office: dict, name: str
) -> None:
    before = _units(db)
    _problem(
        http.post("/api/v1/units", json={"code": "0403", "name": name, "unit_type": "user"}, headers=office),
        422,
        "name",
    )
    assert _units(db) == before


def test_oversized_fields_and_unknown_fields_are_422(http: httpx.Client, db: Database, office: dict) -> None:
    before = _units(db)
    long_name = {"code": "0404", "name": "长" * 201, "unit_type": "user"}
    _problem(http.post("/api/v1/units", json=long_name, headers=office), 422, "name")
    extra = {"code": "0404", "name": "单位", "unit_type": "user", "owner": "me"}
    _problem(http.post("/api/v1/units", json=extra, headers=office), 422)
    assert _units(db) == before


def test_malformed_json_is_a_422_problem(http: httpx.Client, db: Database, office: dict) -> None:
    before = _units(db)
    r = http.post(
        "/api/v1/units",
        content=b'{"code": "0405", "name": ',
        headers={**office, "content-type": "application/json"},
    )
    _problem(r, 422)
    assert _units(db) == before


def test_only_the_office_registers_units(http: httpx.Client, db: Database, accounts) -> None:  # noqa: ANN001
    accounts.create(username="lib", roles=("applicant",), unit_code="0110")
    before = _units(db)
    r = http.post(
        "/api/v1/units",
        json={"code": "0406", "name": "单位", "unit_type": "user"},
        headers=accounts.headers("lib"),
    )
    _problem(r, 403)
    assert _units(db) == before
    assert (
        http.post("/api/v1/units", json={"code": "0406", "name": "单位", "unit_type": "user"}).status_code
        == 401
    )
