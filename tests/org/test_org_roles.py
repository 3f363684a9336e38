"""Roles and separation of duties (不相容岗位分离, Art. 30): a conflicting grant is refused and names both roles."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import delete, func, select

from edudata.db import Database
from edudata.org.models import Account, RoleAssignment, SodRule
from edudata.org.seed import default_pairs


@pytest.fixture
def office(accounts) -> dict[str, str]:  # noqa: ANN001
    accounts.create(username="office", roles=("office_admin",), unit_code="0002")
    return accounts.headers("office")


def _roles(db: Database, username: str) -> set[str]:
    with db.session() as s:
        rows = s.execute(
            select(RoleAssignment.role)
            .join(Account, Account.id == RoleAssignment.account_id)
            .where(Account.username == username)
        )
        return set(rows.scalars())


def test_granting_a_role_incompatible_with_one_held_is_refused_naming_both(
    http: httpx.Client,
    db: Database,
    accounts,
    office: dict,  # noqa: ANN001
) -> None:
    accounts.create(username="aud", roles=("auditor",), unit_code="0002")
    r = http.post("/api/v1/accounts/aud/roles", json={"role": "unit_data_officer"}, headers=office)
    assert r.status_code == 409
    body = r.json()
    assert (
        "审计员" in body["detail_zh"]
        and "单位数据管理员" in body["detail_zh"]
        and "第三十条" in body["detail_zh"]
    )
    assert (
        "auditor" in body["detail_en"]
        and "unit data officer" in body["detail_en"]
        and "Art. 30" in body["detail_en"]
    )
    assert body["roles"] == ["auditor", "unit_data_officer"]
    assert _roles(db, "aud") == {"auditor"}


def test_an_account_opened_with_a_conflicting_pair_is_not_created(
    http: httpx.Client, db: Database, office: dict
) -> None:
    body = {
        "username": "both",
        "password": "Passw0rd!edu",
        "unit_code": "0002",
        "roles": ["destruction_officer", "auditor"],
    }
    r = http.post("/api/v1/accounts", json=body, headers=office)
    assert r.status_code == 409
    with db.session() as s:
        assert (
            s.execute(
                select(func.count()).select_from(Account).where(Account.username == "both")
            ).scalar_one()
            == 0
        )


def test_compatible_roles_are_granted_and_revoked(
    http: httpx.Client, db: Database, accounts, office: dict
) -> None:  # noqa: ANN001
    accounts.create(username="xgb", roles=("unit_data_officer",), unit_code="0104")
    assert (
        http.post("/api/v1/accounts/xgb/roles", json={"role": "unit_reviewer"}, headers=office).status_code
        == 201
    )
    assert _roles(db, "xgb") == {"unit_data_officer", "unit_reviewer"}
    r = http.delete("/api/v1/accounts/xgb/roles/unit_reviewer", headers=office)
    assert r.status_code == 200 and r.json()["roles"] == ["unit_data_officer"]


def test_default_rules_separate_audit_and_destruction_from_processing(
    http: httpx.Client, office: dict
) -> None:
    rules = {
        (r["role_a"], r["role_b"]) for r in http.get("/api/v1/sod-rules", headers=office).json()["items"]
    }
    assert rules == set(default_pairs())
    assert ("auditor", "destruction_officer") in rules
    assert ("applicant", "auditor") in rules and ("destruction_officer", "tech_support") in rules
    # Art. 30 read in full: use, processing and office administration exclude each other too.
    assert ("applicant", "office_admin") in rules and ("applicant", "unit_data_officer") in rules
    assert ("office_admin", "unit_reviewer") in rules and ("unit_data_officer", "unit_reviewer") not in rules
    assert len(rules) == 18


def test_office_adds_a_pair_and_it_binds_the_next_grant(
    http: httpx.Client, db: Database, accounts, office: dict
) -> None:  # noqa: ANN001
    accounts.create(username="xgb", roles=("unit_data_officer",), unit_code="0104")
    r = http.post(
        "/api/v1/sod-rules", json={"role_a": "unit_reviewer", "role_b": "unit_data_officer"}, headers=office
    )
    assert r.status_code == 201 and r.json()["role_a"] == "unit_data_officer"
    refused = http.post("/api/v1/accounts/xgb/roles", json={"role": "unit_reviewer"}, headers=office)
    assert refused.status_code == 409
    assert _roles(db, "xgb") == {"unit_data_officer"}
    again = http.post(
        "/api/v1/sod-rules", json={"role_a": "unit_data_officer", "role_b": "unit_reviewer"}, headers=office
    )
    assert again.status_code == 409


def test_a_rule_is_refused_while_someone_holds_both_roles(http: httpx.Client, accounts, office: dict) -> None:  # noqa: ANN001
    accounts.create(username="xgb", roles=("unit_data_officer", "unit_reviewer"), unit_code="0104")
    r = http.post(
        "/api/v1/sod-rules", json={"role_a": "unit_data_officer", "role_b": "unit_reviewer"}, headers=office
    )
    assert r.status_code == 409 and r.json()["accounts"] == ["xgb"]


def test_a_builtin_exclusion_cannot_be_removed_and_still_binds(
    http: httpx.Client, db: Database, accounts, office: dict
) -> None:  # noqa: ANN001
    accounts.create(username="aud", roles=("auditor",), unit_code="0002")
    refused = http.delete("/api/v1/sod-rules/tech_support/auditor", headers=office)
    assert refused.status_code == 409 and "Art. 30" in refused.json()["detail_en"]
    assert (
        http.post("/api/v1/accounts/aud/roles", json={"role": "tech_support"}, headers=office).status_code
        == 409
    )
    assert _roles(db, "aud") == {"auditor"}


def test_the_builtin_exclusions_bind_even_without_their_row(
    http: httpx.Client, db: Database, accounts, office: dict
) -> None:  # noqa: ANN001
    with db.session() as s:
        s.execute(delete(SodRule))
        s.commit()
    accounts.create(username="lib", roles=("applicant",), unit_code="0110")
    assert (
        http.post("/api/v1/accounts/lib/roles", json={"role": "office_admin"}, headers=office).status_code
        == 409
    )
    assert _roles(db, "lib") == {"applicant"}


def test_a_rule_the_office_added_can_be_removed_and_no_longer_binds(
    http: httpx.Client, db: Database, accounts, office: dict
) -> None:  # noqa: ANN001
    accounts.create(username="xgb", roles=("unit_data_officer",), unit_code="0104")
    pair = {"role_a": "unit_reviewer", "role_b": "unit_data_officer"}
    assert http.post("/api/v1/sod-rules", json=pair, headers=office).status_code == 201
    assert http.delete("/api/v1/sod-rules/unit_data_officer/unit_reviewer", headers=office).status_code == 204
    assert (
        http.post("/api/v1/accounts/xgb/roles", json={"role": "unit_reviewer"}, headers=office).status_code
        == 201
    )


@pytest.mark.parametrize(
    ("held", "added"),
    [("applicant", "office_admin"), ("unit_data_officer", "applicant"), ("auditor", "destruction_officer"),
     ("office_admin", "unit_reviewer"), ("tech_support", "auditor")],
)  # fmt: skip
def test_the_five_duties_of_art_30_exclude_each_other(
    http: httpx.Client, db: Database, accounts, office: dict, held: str, added: str
) -> None:  # noqa: ANN001
    accounts.create(username="someone", roles=(held,), unit_code="0104")
    r = http.post("/api/v1/accounts/someone/roles", json={"role": added}, headers=office)
    assert r.status_code == 409 and r.json()["roles"] == sorted((held, added))


def test_unknown_role_and_same_role_pair_are_422(http: httpx.Client, accounts, office: dict) -> None:  # noqa: ANN001
    accounts.create(username="lib", roles=("applicant",), unit_code="0110")
    assert http.post("/api/v1/accounts/lib/roles", json={"role": "root"}, headers=office).status_code == 422
    assert (
        http.post(
            "/api/v1/sod-rules", json={"role_a": "auditor", "role_b": "auditor"}, headers=office
        ).status_code
        == 422
    )


def test_nobody_grants_a_role_to_themselves(http: httpx.Client, office: dict) -> None:
    r = http.post("/api/v1/accounts/office/roles", json={"role": "leadership"}, headers=office)
    assert r.status_code == 403


def test_the_last_office_administrator_keeps_the_role(
    http: httpx.Client, db: Database, accounts, office: dict
) -> None:  # noqa: ANN001
    r = http.delete("/api/v1/accounts/office/roles/office_admin", headers=office)
    assert r.status_code == 409 and r.json()["code"] == "conflict" and "网信办管理员" in r.json()["detail_zh"]
    assert _roles(db, "office") == {"office_admin"}
    # office2 moves on from administration to the PI-protection post: a role changed for another, allowed
    accounts.create(username="office2", roles=("office_admin", "data_protection_officer"), unit_code="0002")
    assert http.delete("/api/v1/accounts/office2/roles/office_admin", headers=office).status_code == 200
    assert _roles(db, "office2") == {"data_protection_officer"}


def test_accounts_api_refuses_unknown_unit_duplicate_username_weak_password(
    http: httpx.Client, db: Database, office: dict
) -> None:
    def count() -> int:
        with db.session() as s:
            return s.execute(select(func.count()).select_from(Account)).scalar_one()

    before = count()
    base = {"username": "newbie", "password": "Passw0rd!edu", "unit_code": "0102"}
    r = http.post("/api/v1/accounts", json={**base, "unit_code": "9999"}, headers=office)
    assert r.status_code == 422 and r.json()["field"] == "unit_code"
    r = http.post("/api/v1/accounts", json={**base, "username": "office"}, headers=office)
    assert r.status_code == 409 and r.json()["field"] == "username"
    r = http.post("/api/v1/accounts", json={**base, "password": "password"}, headers=office)
    assert r.status_code == 422 and r.json()["field"] == "password"
    r = http.post(
        "/api/v1/accounts", json={**base, "display_name": "<script>alert(1)</script>"}, headers=office
    )
    assert r.status_code == 422 and r.json()["field"] == "display_name"
    r = http.post(
        "/api/v1/accounts", json={**base, "username": "x'); DROP TABLE org_unit;--"}, headers=office
    )
    assert r.status_code == 422
    assert count() == before
    assert http.post("/api/v1/accounts", json=base, headers=office).status_code == 201
