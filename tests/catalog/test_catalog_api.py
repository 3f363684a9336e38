"""The catalogue API over real HTTP: browse for everyone signed in, write for the office only (Art. 8, 39)."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import text

from edudata.db import Database
from support.catalog import CatalogFactory, ensure_units

DATASET = {
    "code": "student_basic_test", "name": "学生基本信息（测试）", "owner_unit_code": "0104", "subject_area": "students",
    "nature": "students", "update_frequency": "daily",
    "elements": [
        {"code": "XH", "name": "学号", "required": True, "max_length": 12},
        {"code": "MZM", "name": "民族码", "data_type": "code", "code_set": "ethnic_group", "sensitive": True,
         "sensitive_type": "ethnicity"},
    ],
}  # fmt: skip


@pytest.fixture
def office(accounts, db: Database) -> dict[str, str]:  # noqa: ANN001
    ensure_units(db, ["0002", "0102", "0103", "0104"])
    accounts.create(username="office1", roles=("office_admin",), unit_code="0002")
    return accounts.headers("office1")


@pytest.fixture
def officer(accounts) -> dict[str, str]:  # noqa: ANN001
    accounts.create(username="officer1", roles=("unit_data_officer",), unit_code="0103")
    return accounts.headers("officer1")


def _problem(r: httpx.Response, status: int) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["detail_zh"] and body["detail_en"]
    return body


def test_office_creates_a_dataset_and_everyone_signed_in_can_read_it(
    http: httpx.Client, office: dict, officer: dict, db: Database
) -> None:
    r = http.post("/api/v1/catalog/datasets", json=DATASET, headers=office)
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["grade"] == "important" and created["sensitive"] is True
    assert [e["code"] for e in created["elements"]] == ["XH", "MZM"]
    assert created["elements"][1]["sensitive_type"] == "ethnicity"
    detail = http.get("/api/v1/catalog/datasets/student_basic_test", headers=officer).json()
    assert detail["owner_unit"]["code"] == "0104" and detail["created_by"] == "office1"
    with db.engine.connect() as conn:
        audited = conn.execute(
            text(
                "SELECT count(*) FROM audit_record WHERE operation = 'insert' AND dataset = 'student_basic_test'"
            )
        ).scalar()
    assert audited == 1


def test_only_the_office_may_change_the_catalogue(
    http: httpx.Client, office: dict, officer: dict, catalog: CatalogFactory
) -> None:
    catalog.dataset(code="d1", owner_unit_code="0104")
    before = catalog.fingerprint()
    _problem(http.post("/api/v1/catalog/datasets", json={**DATASET, "code": "x"}, headers=officer), 403)
    _problem(http.patch("/api/v1/catalog/datasets/d1", json={"name": "改名"}, headers=officer), 403)
    _problem(
        http.post("/api/v1/catalog/datasets/d1/elements", json={"code": "A", "name": "甲"}, headers=officer),
        403,
    )
    _problem(http.put("/api/v1/catalog/sources/student.XH", json={"source_unit_code": "0103", "reason": "x"},
                      headers=officer), 403)  # fmt: skip
    _problem(http.post("/api/v1/catalog/code-sets/gender/versions",
                       json={"version": "9", "effective_from": "2025-01-01", "codes": [{"value": "1", "label": "男"}]},
                       headers=officer), 403)  # fmt: skip
    assert catalog.fingerprint() == before


def test_the_catalogue_is_not_for_anonymous_callers(http: httpx.Client, catalog: CatalogFactory) -> None:
    catalog.dataset(code="d1")
    _problem(http.get("/api/v1/catalog/datasets"), 401)
    _problem(http.get("/api/v1/catalog/datasets/d1"), 401)
    _problem(http.post("/api/v1/standards/validate", json={"type": "mobile", "value": "13800138000"}), 401)


def test_second_source_is_refused_over_http_with_409(
    http: httpx.Client, office: dict, catalog: CatalogFactory
) -> None:
    catalog.dataset(code="student_basic", owner_unit_code="0104")
    before = catalog.fingerprint()
    r = http.post("/api/v1/catalog/datasets", headers=office, json={
        **DATASET, "code": "student_status", "owner_unit_code": "0103",
        "elements": [{"code": "XH", "name": "学号", "source_unit_code": "0103"}],
    })  # fmt: skip
    body = _problem(r, 409)
    assert (
        "一数一源" in body["detail_zh"] and "学号" in body["detail_zh"] and "学生工作部" in body["detail_zh"]
    )
    assert "one data, one source" in body["detail_en"] and body["registered_source_unit"] == "0104"
    r = http.post("/api/v1/catalog/datasets/student_basic/elements", headers=office,
                  json={"code": "XH2", "name": "学号", "standard_code": "student.XH", "source_unit_code": "0103"})  # fmt: skip
    _problem(r, 409)
    assert catalog.fingerprint() == before


def test_office_reassigns_a_source_over_http(
    http: httpx.Client, office: dict, catalog: CatalogFactory
) -> None:
    catalog.dataset(code="student_basic", owner_unit_code="0104")
    r = http.put("/api/v1/catalog/sources/student.XH", headers=office,
                 json={"source_unit_code": "0103", "reason": "学号由教务处统一编制"})  # fmt: skip
    assert r.status_code == 200, r.text
    assert r.json()["source_unit"]["code"] == "0103"
    detail = http.get("/api/v1/catalog/datasets/student_basic", headers=office).json()
    assert detail["elements"][0]["source_unit"]["code"] == "0103"
    register = {
        e["standard_code"]: e["source_unit"]["code"]
        for e in http.get("/api/v1/catalog/sources", headers=office).json()["items"]
    }
    assert register["student.XH"] == "0103" and register["student.XM"] == "0104"


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"owner_unit_code": "9999"}, 422),
        ({"code": "d1"}, 409),
        ({"name": "名" * 101}, 422),
        ({"name": "<img src=x onerror=alert(1)>"}, 422),
        ({"name": "学生'); DROP TABLE catalog_dataset; --"}, 422),
        ({"description": "<script>alert(1)</script>"}, 422),
        ({"grade": "top_secret"}, 422),
        ({"open_category": "unconditional"}, 422),
        ({"surprise": 1}, 422),
        ({"elements": [{"code": "XH", "name": "学号"}, {"code": "XH", "name": "学号"}]}, 409),
        ({"elements": [{"code": "XBM", "name": "性别码", "data_type": "code"}]}, 422),
    ],
)
def test_bad_input_is_a_problem_and_changes_nothing(
    http: httpx.Client, office: dict, catalog: CatalogFactory, change: dict, status: int
) -> None:
    catalog.dataset(code="d1")
    before = catalog.fingerprint()
    _problem(http.post("/api/v1/catalog/datasets", json={**DATASET, **change}, headers=office), status)
    assert catalog.fingerprint() == before


def test_malformed_and_oversized_bodies_are_refused(
    http: httpx.Client, office: dict, catalog: CatalogFactory
) -> None:
    catalog.dataset(code="d1")
    before = catalog.fingerprint()
    headers = {**office, "content-type": "application/json"}
    _problem(http.post("/api/v1/catalog/datasets", content=b'{"code": "x", "name": ', headers=headers), 422)
    _problem(http.post("/api/v1/catalog/datasets", content=b"[1, 2]", headers=headers), 422)
    _problem(
        http.post("/api/v1/catalog/datasets", json={**DATASET, "description": "长" * 2001}, headers=office),
        422,
    )
    many = [{"code": f"E{i}", "name": "项"} for i in range(501)]
    _problem(http.post("/api/v1/catalog/datasets", json={**DATASET, "elements": many}, headers=office), 422)
    _problem(http.patch("/api/v1/catalog/datasets/d1", json={"name": "x" * 5000}, headers=office), 422)
    assert catalog.fingerprint() == before


def test_search_by_chinese_keyword_with_filters_and_paging(
    http: httpx.Client, officer: dict, catalog: CatalogFactory
) -> None:
    catalog.demo()
    found = http.get("/api/v1/catalog/datasets", params={"q": "学生基本信息"}, headers=officer).json()
    assert [d["code"] for d in found["items"]] == ["student_basic"] and found["total"] == 1
    by_unit = http.get("/api/v1/catalog/datasets", params={"unit": "0102"}, headers=officer).json()
    assert {d["code"] for d in by_unit["items"]} == {"staff_basic", "staff_work"}
    open_data = http.get("/api/v1/catalog/datasets", params={"open": "unconditional"}, headers=officer).json()
    assert {d["code"] for d in open_data["items"]} == {"school_basic", "research_output"}
    page = http.get("/api/v1/catalog/datasets", params={"limit": 5}, headers=officer).json()
    page = http.get(
        "/api/v1/catalog/datasets", params={"limit": 5, "cursor": page["next_cursor"]}, headers=officer
    ).json()
    page = http.get(
        "/api/v1/catalog/datasets", params={"limit": 5, "cursor": page["next_cursor"]}, headers=officer
    ).json()
    assert page["total"] == 12 and len(page["items"]) == 2 and page["next_cursor"] is None
    _problem(http.get("/api/v1/catalog/datasets", params={"limit": 1000}, headers=officer), 422)
    _problem(http.get("/api/v1/catalog/datasets/no_such", headers=officer), 404)


def test_office_updates_dataset_and_element(
    http: httpx.Client, office: dict, catalog: CatalogFactory
) -> None:
    catalog.dataset(code="d1")
    r = http.patch(
        "/api/v1/catalog/datasets/d1", json={"name": "学生名册", "update_frequency": "weekly"}, headers=office
    )
    assert (
        r.status_code == 200
        and r.json()["name"] == "学生名册"
        and r.json()["sync_interval_seconds"] == 604800
    )
    r = http.patch(
        "/api/v1/catalog/datasets/d1/elements/XM",
        json={"share_category": "none", "max_length": 50},
        headers=office,
    )
    assert r.status_code == 200 and r.json()["share_category"] == "none" and r.json()["max_length"] == 50
    r = http.post("/api/v1/catalog/datasets/d1/elements", headers=office,
                  json={"code": "SJHM", "name": "手机号码", "data_type": "mobile", "max_length": 11})  # fmt: skip
    assert r.status_code == 201 and r.json()["standard_code"] == "student.SJHM"
