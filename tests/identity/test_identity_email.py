"""An account's optional e-mail address for reminders: set on opening, by its owner, by the office, on the command
line; only a plain, well-formed address is accepted (it can never add a header or a second recipient)."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from edudata.audit.models import AuditRecord
from edudata.config import Settings
from edudata.db import Database
from edudata.org.models import Account
from support.lifecycle import run_cli


@pytest.fixture
def office(accounts) -> dict[str, str]:  # noqa: ANN001
    accounts.create(username="office", roles=("office_admin",), unit_code="0002")
    return accounts.headers("office")


def _stored(db: Database, username: str) -> str | None:
    with db.session() as s:
        return s.scalar(select(Account.email).where(Account.username == username))


def test_an_account_is_opened_with_an_address(http: httpx.Client, db: Database, office: dict) -> None:
    body = {"username": "lib", "password": "Passw0rd!edu", "unit_code": "0110", "roles": ["applicant"],
            "email": " Li.Ming@TJUFE.edu.cn "}  # fmt: skip
    r = http.post("/api/v1/accounts", json=body, headers=office)
    assert r.status_code == 201, r.text
    assert r.json()["email"] == "li.ming@tjufe.edu.cn" == _stored(db, "lib")


@pytest.mark.parametrize(
    "address",
    ["not-an-address", "li@tjufe.edu.cn\r\nBcc: all@example.com", "Li Ming <li@tjufe.edu.cn>",
     "li@tjufe.edu.cn, boss@tjufe.edu.cn", "li@localhost"],
)  # fmt: skip
def test_a_malformed_address_is_refused_naming_the_field(
    http: httpx.Client,
    db: Database,
    accounts,
    office: dict,
    address: str,  # noqa: ANN001
) -> None:
    accounts.create(username="lib", roles=("applicant",), unit_code="0110")
    r = http.put("/api/v1/accounts/lib/email", json={"email": address}, headers=office)
    assert r.status_code == 422 and r.json()["field"] == "email"
    assert "电子邮箱格式不正确" in r.json()["detail_zh"] and "not an e-mail address" in r.json()["detail_en"]
    assert _stored(db, "lib") is None


def test_the_owner_sets_and_clears_their_own_address(http: httpx.Client, db: Database, accounts) -> None:  # noqa: ANN001
    accounts.create(username="lib", roles=("applicant",), unit_code="0110")
    h = accounts.headers("lib")
    r = http.put("/api/v1/me/email", json={"email": "lib@tjufe.edu.cn"}, headers=h)
    assert r.status_code == 200 and r.json()["email"] == "lib@tjufe.edu.cn"
    assert http.get("/api/v1/me", headers=h).json()["email"] == "lib@tjufe.edu.cn"
    assert http.put("/api/v1/me/email", json={"email": ""}, headers=h).json()["email"] is None
    assert _stored(db, "lib") is None
    with db.session() as s:
        audited = s.scalars(select(AuditRecord.username).where(AuditRecord.operation == "set_email")).all()
    assert audited == ["lib", "lib"]


def test_only_the_office_sets_another_accounts_address(
    http: httpx.Client, db: Database, accounts, office
) -> None:  # noqa: ANN001
    accounts.create(username="lib", roles=("applicant",), unit_code="0110")
    accounts.create(username="lib2", roles=("applicant",), unit_code="0110")
    r = http.put(
        "/api/v1/accounts/lib2/email", json={"email": "x@tjufe.edu.cn"}, headers=accounts.headers("lib")
    )
    assert r.status_code == 403 and _stored(db, "lib2") is None
    r = http.put("/api/v1/accounts/lib2/email", json={"email": "lib2@tjufe.edu.cn"}, headers=office)
    assert r.status_code == 200 and r.json()["email"] == "lib2@tjufe.edu.cn"


def test_the_command_line_opens_an_account_with_an_address_and_changes_it(
    db: Database,
    settings: Settings,
    accounts,  # noqa: ANN001
) -> None:
    accounts.ensure_units()
    done = run_cli(settings, "account", "create", "lib", "--unit", "0110", "--role", "applicant",
                   "--email", "lib@tjufe.edu.cn")  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert _stored(db, "lib") == "lib@tjufe.edu.cn"
    assert run_cli(settings, "account", "email", "lib", "li.ming@tjufe.edu.cn").returncode == 0
    assert _stored(db, "lib") == "li.ming@tjufe.edu.cn"
    bad = run_cli(settings, "account", "email", "lib", "li.ming")
    assert bad.returncode == 2 and "not an e-mail address" in bad.stdout and "Traceback" not in bad.stderr
    assert run_cli(settings, "account", "email", "lib").returncode == 0
    assert _stored(db, "lib") is None
