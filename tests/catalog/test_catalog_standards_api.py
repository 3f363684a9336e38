"""Data standards over HTTP: the validation service for business systems and code sets (Art. 8(2), 24)."""

from __future__ import annotations

import httpx
import pytest

from support.catalog import CatalogFactory, ensure_units


@pytest.fixture
def office(accounts, db) -> dict[str, str]:  # noqa: ANN001
    ensure_units(db, ["0002"])
    accounts.create(username="office1", roles=("office_admin",), unit_code="0002")
    return accounts.headers("office1")


@pytest.fixture
def system(accounts) -> dict[str, str]:  # noqa: ANN001
    accounts.create(username="jwxt", roles=("applicant",), unit_code="0103")
    return accounts.headers("jwxt")


def _validate(http: httpx.Client, headers: dict, **body) -> dict:  # noqa: ANN003
    r = http.post("/api/v1/standards/validate", json=body, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def test_id_number_check_for_business_systems(http: httpx.Client, system: dict) -> None:
    ok = _validate(http, system, type="id_number", value="11010519491231002x")
    assert ok["ok"] and ok["value"] == "11010519491231002X" and ok["normalised"]
    assert ok["details"]["birth_date"] == "1949-12-31"
    bad = _validate(http, system, type="id_number", value="110105194912310021")
    assert not bad["ok"] and bad["error_code"] == "bad_check_digit" and "校验位" in bad["message_zh"]


def test_many_values_at_once(http: httpx.Client, system: dict) -> None:
    body = _validate(http, system, type="mobile", values=["+86 138 0013 8000", "12345", None])
    assert [r["error_code"] for r in body["results"]] == [None, "bad_length", "empty"]
    assert body["invalid"] == 2


def test_code_membership_in_current_and_older_versions(
    http: httpx.Client, office: dict, system: dict
) -> None:
    assert (
        _validate(http, system, type="code", code_set="ethnic_group", value="98")["details"]["label"]
        == "外国血统中国籍人士"
    )
    assert (
        _validate(http, system, type="code", code_set="ethnic_group", value="58")["error_code"]
        == "not_in_code_set"
    )
    r = http.post("/api/v1/catalog/code-sets/student_status/versions", headers=office, json={
        "version": "2", "effective_from": "2025-01-01", "note": "并入省学籍系统代码",
        "codes": [{"value": "01", "label": "在读", "label_en": "Enrolled"}, {"value": "05", "label": "毕业"}],
    })  # fmt: skip
    assert r.status_code == 201, r.text
    assert (
        _validate(http, system, type="code", code_set="student_status", value="02")["error_code"]
        == "not_in_code_set"
    )
    older = _validate(http, system, type="code", code_set="student_status", value="02", version="1")
    assert older["ok"] and older["version"] == "1"
    versions = http.get("/api/v1/catalog/code-sets/student_status/versions", headers=system).json()["items"]
    assert [v["version"] for v in versions] == ["1", "2"]
    old = http.get("/api/v1/catalog/code-sets/student_status/versions/1", headers=system).json()
    assert len(old["codes"]) == 10
    current = http.get("/api/v1/catalog/code-sets/student_status", headers=system).json()
    assert current["current_version"] == "2" and [c["value"] for c in current["version"]["codes"]] == [
        "01",
        "05",
    ]


def test_code_sets_are_listed_with_source_and_licence(http: httpx.Client, system: dict) -> None:
    sets = {c["code"]: c for c in http.get("/api/v1/catalog/code-sets", headers=system).json()["items"]}
    assert sets["ethnic_group"]["source"].startswith("GB/T 3304")
    assert sets["gender"]["current_version"] == "2003" and sets["gender"]["licence"]


def test_bad_validation_requests_are_problems(
    http: httpx.Client, system: dict, office: dict, catalog: CatalogFactory
) -> None:
    before = catalog.fingerprint()
    for body, status in [
        ({"type": "horoscope", "value": "x"}, 422),
        ({"type": "code", "value": "1"}, 422),
        ({"type": "code", "code_set": "nope", "value": "1"}, 422),
        ({"type": "mobile", "value": "1" * 201}, 422),
        ({"type": "mobile", "values": ["1"] * 1001}, 422),
    ]:
        r = http.post("/api/v1/standards/validate", json=body, headers=system)
        assert r.status_code == status and r.headers["content-type"].startswith("application/problem+json")
    r = http.post("/api/v1/catalog/code-sets/gender/versions", headers=office,
                  json={"version": "2003", "effective_from": "2025-01-01", "codes": [{"value": "1", "label": "男"}]})  # fmt: skip
    assert r.status_code == 409
    r = http.post("/api/v1/catalog/code-sets/gender/versions", headers=office,
                  json={"version": "v2", "effective_from": "not a date", "codes": [{"value": "1", "label": "男"}]})  # fmt: skip
    assert r.status_code == 422
    assert catalog.fingerprint() == before
