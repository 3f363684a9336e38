"""People (一人一号): one number per person, at most one account per person."""

from __future__ import annotations

import httpx
import pytest


@pytest.fixture
def office(accounts) -> dict[str, str]:  # noqa: ANN001
    accounts.create(username="office", roles=("office_admin",), unit_code="0002")
    return accounts.headers("office")


def test_one_number_one_person_one_account(http: httpx.Client, office: dict) -> None:
    person = {"name": "张伟", "number": "19990001", "unit_code": "0102"}
    assert http.post("/api/v1/people", json=person, headers=office).status_code == 201
    again = http.post("/api/v1/people", json={**person, "name": "王芳"}, headers=office)
    assert again.status_code == 409 and again.json()["field"] == "number"

    account = {
        "username": "zhangwei",
        "password": "Passw0rd!edu",
        "unit_code": "0102",
        "person_number": "19990001",
    }
    assert http.post("/api/v1/accounts", json=account, headers=office).status_code == 201
    second = http.post("/api/v1/accounts", json={**account, "username": "zw2"}, headers=office)
    assert second.status_code == 409 and second.json()["field"] == "person_number"
    nobody = http.post(
        "/api/v1/accounts", json={**account, "username": "zw3", "person_number": "00000000"}, headers=office
    )
    assert nobody.status_code == 422


def test_malformed_person_number_and_unknown_unit_are_422(http: httpx.Client, office: dict) -> None:
    bad = http.post(
        "/api/v1/people", json={"name": "张伟", "number": "19-99", "unit_code": "0102"}, headers=office
    )
    assert bad.status_code == 422 and bad.json()["field"] == "number"
    unknown = http.post(
        "/api/v1/people", json={"name": "张伟", "number": "19990002", "unit_code": "9999"}, headers=office
    )
    assert unknown.status_code == 422 and unknown.json()["field"] == "unit_code"
