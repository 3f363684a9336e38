"""Service accounts (Art. 30, 54): a business system gets a bearer token with OAuth2 client credentials, bound to
its unit, never with a person's password; rotated secrets keep the old one for the grace period only."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select

from edudata.audit.models import AuditRecord
from edudata.config import Settings
from edudata.db import Database, utcnow
from edudata.errors import NotAuthenticated
from edudata.identity import clients
from edudata.identity.models import ServiceClient
from support.org import PASSWORD


@pytest.fixture
def office(accounts) -> dict[str, str]:  # noqa: ANN001
    accounts.create(username="office", roles=("office_admin",))
    return accounts.headers("office")


def _create(http: httpx.Client, office: dict) -> dict:
    r = http.post("/api/v1/service-accounts", headers=office, json={
        "username": "svc-library", "name": "图书馆管理系统", "unit_code": "0110", "roles": ["applicant"]})  # fmt: skip
    assert r.status_code == 201, r.text
    return r.json()


def _token(http: httpx.Client, client_id: str, secret: str, basic: bool = True) -> httpx.Response:
    if basic:
        return http.post(
            "/api/v1/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret)
        )
    return http.post("/api/v1/oauth/token", data={"grant_type": "client_credentials", "client_id": client_id,
                                                  "client_secret": secret})  # fmt: skip


def test_a_business_system_gets_a_token_of_its_own_unit_with_client_credentials(
    http: httpx.Client, db: Database, office: dict
) -> None:
    made = _create(http, office)
    assert made["client_id"].startswith("svc_") and made["client_secret"].startswith("eds_")
    answer = _token(http, made["client_id"], made["client_secret"])
    assert answer.status_code == 200, answer.text
    assert answer.json()["token_type"] == "bearer" and answer.json()["expires_in"] > 0
    me = http.get("/api/v1/me", headers={"Authorization": f"Bearer {answer.json()['access_token']}"}).json()
    assert me["username"] == "svc-library" and me["unit_code"] == "0110" and me["roles"] == ["applicant"]
    assert _token(http, made["client_id"], made["client_secret"], basic=False).status_code == 200
    with db.session() as s:
        stored = s.execute(select(ServiceClient)).scalar_one()
        assert made["client_secret"] not in stored.secret_hash and len(stored.secret_hash) == 64
        logins = s.scalars(select(AuditRecord).where(AuditRecord.operation == "login",
                                                     AuditRecord.username == "svc-library")).all()  # fmt: skip
        assert [r.detail["via"] for r in logins] == ["client_credentials", "client_credentials"]
    # never a password: the account cannot log in as a person would
    assert http.post("/api/v1/auth/token", json={"username": "svc-library", "password": made["client_secret"]}
                     ).status_code == 401  # fmt: skip
    listed = http.get("/api/v1/service-accounts", headers=office).json()["items"]
    assert [c["client_id"] for c in listed] == [made["client_id"]] and listed[0]["client_secret"] is None


def test_wrong_secrets_and_grants_are_refused_in_oauth2_terms(http: httpx.Client, office: dict) -> None:
    made = _create(http, office)
    bad = _token(http, made["client_id"], "eds_wrong")
    assert bad.status_code == 401 and bad.json()["error"] == "invalid_client"
    unknown = _token(http, "svc_unknown", made["client_secret"])
    assert unknown.status_code == 401 and unknown.json()["detail_en"] == bad.json()["detail_en"]
    grant = http.post("/api/v1/oauth/token", data={"grant_type": "password"}, auth=(made["client_id"], "x"))
    assert grant.status_code == 422 and grant.json()["error"] == "unsupported_grant_type"


def test_a_rotated_secret_keeps_the_old_one_for_the_grace_period_only(
    http: httpx.Client, db: Database, settings: Settings, office: dict
) -> None:
    made = _create(http, office)
    rotated = http.post(f"/api/v1/service-accounts/{made['client_id']}/rotate", headers=office)
    assert rotated.status_code == 200
    new = rotated.json()["client_secret"]
    assert new != made["client_secret"] and rotated.json()["previous_valid_until"]
    assert _token(http, made["client_id"], new).status_code == 200
    assert _token(http, made["client_id"], made["client_secret"]).status_code == 200  # still in its grace
    after = utcnow() + timedelta(hours=settings.client_secret_grace_hours, minutes=1)
    with db.session() as s:
        assert clients.check_client(s, made["client_id"], new, now=after).username == "svc-library"
        with pytest.raises(NotAuthenticated):
            clients.check_client(s, made["client_id"], made["client_secret"], now=after)


def test_disabling_a_service_account_ends_its_secret_and_its_tokens(http: httpx.Client, office: dict) -> None:
    made = _create(http, office)
    token = _token(http, made["client_id"], made["client_secret"]).json()["access_token"]
    assert http.delete(f"/api/v1/service-accounts/{made['client_id']}", headers=office).status_code == 204
    assert http.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert _token(http, made["client_id"], made["client_secret"]).status_code == 401


def test_only_the_office_manages_service_accounts(http: httpx.Client, accounts) -> None:  # noqa: ANN001
    accounts.create(username="lib", roles=("applicant",), unit_code="0110")
    r = http.post("/api/v1/service-accounts", headers=accounts.headers("lib"),
                  json={"username": "svc-x", "name": "x", "unit_code": "0110"})  # fmt: skip
    assert r.status_code == 403


HTML = {"accept": "text/html"}


def _csrf(page: httpx.Response) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, page.text[:500]
    return found.group(1)


def _web_login(http: httpx.Client, username: str) -> None:
    token = _csrf(http.get("/login", headers=HTML))
    r = http.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf_token": token}, headers=HTML
    )
    assert r.status_code == 303, r.text[:300]


def test_the_office_page_creates_rotates_and_disables_a_service_account(
    http: httpx.Client, db: Database, settings: Settings, office: dict
) -> None:
    _web_login(http, "office")
    home = http.get("/", headers=HTML)
    assert 'href="/admin/service-accounts"' in home.text  # the link follows the policy (can / may_attempt)
    page = http.get("/admin/service-accounts", headers=HTML)
    assert page.status_code == 200 and "尚无服务账户" in page.text
    made = http.post("/admin/service-accounts", headers=HTML, data={
        "csrf_token": _csrf(page), "username": "svc-card", "name": "一卡通系统", "unit_code": "0110",
        "roles": ["applicant"]})  # fmt: skip
    assert made.status_code == 200 and made.headers["cache-control"] == "no-store"
    client_id = re.search(r'id="issued-client-id">([^<]+)<', made.text).group(1)
    secret = re.search(r'id="issued-secret">([^<]+)<', made.text).group(1)
    assert secret.startswith("eds_") and "一卡通系统" in made.text and "启用" in made.text
    assert _token(http, client_id, secret).status_code == 200
    again = http.get("/admin/service-accounts", headers=HTML)
    assert secret not in again.text and client_id in again.text  # the secret is shown once only

    rotated = http.post(
        f"/admin/service-accounts/{client_id}/rotate", headers=HTML, data={"csrf_token": _csrf(again)}
    )
    assert rotated.status_code == 200
    new_secret = re.search(r'id="rotated-secret">([^<]+)<', rotated.text).group(1)
    assert new_secret != secret and f"（{settings.client_secret_grace_hours} 小时）" in rotated.text
    assert _token(http, client_id, secret).status_code == 200  # the old one, within the grace period
    assert _token(http, client_id, new_secret).status_code == 200

    out = http.post(
        f"/admin/service-accounts/{client_id}/disable", headers=HTML, data={"csrf_token": _csrf(rotated)}
    )
    assert out.status_code == 303
    listed = http.get("/admin/service-accounts", headers=HTML)
    row = re.search(rf'<tr data-client="{client_id}">.*?</tr>', listed.text, re.S).group(0)
    assert "已停用" in row and "轮换密钥" not in row and "0110" in row
    assert _token(http, client_id, new_secret).status_code == 401
    with db.session() as s:
        ops = [r.operation for r in s.scalars(select(AuditRecord).where(AuditRecord.username == "office"))]
    assert [o for o in ops if o.startswith("service_account_")] == [
        "service_account_create", "service_account_rotate", "service_account_disable"
    ]  # fmt: skip


def test_the_service_account_page_is_the_office_s_only(http: httpx.Client, accounts, office: dict) -> None:  # noqa: ANN001
    accounts.create(username="teacher", roles=("applicant",))
    _web_login(http, "teacher")
    assert 'href="/admin/service-accounts"' not in http.get("/", headers=HTML).text
    page = http.get("/admin/service-accounts", headers=HTML)
    assert page.status_code == 403
    forged = http.post("/admin/service-accounts", headers=HTML, data={
        "csrf_token": _csrf(http.get("/", headers=HTML)), "username": "svc-x", "name": "x", "unit_code": "0110"})  # fmt: skip
    assert forged.status_code == 403
