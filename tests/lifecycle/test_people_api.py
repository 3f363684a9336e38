"""People (Art. 12, 49, 53) over real HTTP: 附件3 before support staff log in, officers, training, offboarding."""

from __future__ import annotations

import re

import httpx
from sqlalchemy import select

from edudata.access.grants import active_grants, create_grant
from edudata.access.models import AccessGrant
from edudata.db import Database
from edudata.org.models import Account
from edudata.org.service import roles_of
from support import clock
from support.students import PASSWORD

API = "/api/v1/lifecycle"
HTML = {"accept": "text/html"}
ANNEX3 = {"kind": "annex3", "signed_on": clock.iso(-90), "document_ref": "保密协议-017.pdf"}


def _login(http: httpx.Client, username: str) -> httpx.Response:
    return http.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})


def test_support_staff_cannot_log_in_until_annex3_is_on_file(
    http: httpx.Client, world: dict, accounts
) -> None:  # noqa: ANN001
    accounts.create(username="vendor", roles=("tech_support",), unit_code="0301")
    refused = _login(http, "vendor")
    assert refused.status_code == 403 and "Annex 3" in refused.json()["detail_en"]
    r = http.post(f"{API}/agreements", json={"username": "vendor", **ANNEX3}, headers=world["h"]["office"])
    assert r.status_code == 201, r.text
    assert _login(http, "vendor").status_code == 200


def test_staff_of_other_units_need_no_annex3(http: httpx.Client, world: dict, accounts) -> None:  # noqa: ANN001
    accounts.create(username="teacher", roles=("applicant",), unit_code="0201")
    assert _login(http, "teacher").status_code == 200


def test_unsigned_support_staff_show_as_an_obligation(http: httpx.Client, world: dict, accounts) -> None:  # noqa: ANN001
    accounts.create(username="vendor", roles=("tech_support",), unit_code="0301")
    found = http.get(f"{API}/obligations", headers=world["h"]["office"]).json()["items"]
    assert any(o["code"] == "annex3_missing" and o["subject"] == "vendor" for o in found)


def test_a_unit_has_one_current_data_protection_officer(http: httpx.Client, world: dict, accounts) -> None:  # noqa: ANN001
    accounts.create(username="dpo1", roles=("data_protection_officer",), unit_code="0104")
    accounts.create(username="dpo2", roles=("data_protection_officer",), unit_code="0104")
    h = world["h"]["office"]
    for user in ("dpo1", "dpo2"):
        body = {"unit_code": "0104", "username": user, "appointed_on": clock.iso(-90)}
        assert http.post(f"{API}/officers", json=body, headers=h).status_code == 201
    assert [
        (o["unit_code"], o["username"]) for o in http.get(f"{API}/officers", headers=h).json()["items"]
    ] == [("0104", "dpo2")]


def test_training_is_recorded_per_person(http: httpx.Client, world: dict) -> None:
    h = world["h"]["office"]
    body = {"username": "xgb", "course": "数据安全与个人信息保护", "held_on": clock.iso(-40), "hours": 4}
    assert http.post(f"{API}/training", json=body, headers=h).status_code == 201
    assert http.post(f"{API}/training", json={**body, "hours": 0}, headers=h).status_code == 422
    listed = http.get(f"{API}/training", params={"username": "xgb"}, headers=world["h"]["aud"]).json()[
        "items"
    ]
    assert [(t["course"], t["hours"]) for t in listed] == [("数据安全与个人信息保护", 4)]


def _web_login(username: str, base_url: str) -> httpx.Client:
    client = httpx.Client(base_url=base_url, follow_redirects=False, timeout=30)
    page = client.get("/login", headers=HTML)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = client.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf_token": token}, headers=HTML
    )
    assert r.status_code == 303, r.text
    return client


def offboard_body() -> dict:
    """xgb leaves today, having signed the leaving commitment (附件4) yesterday; one device is not back."""
    return {"username": "xgb", "left_on": clock.iso(0),
            "devices": [{"asset": "笔记本 NB-0042", "returned": True}, {"asset": "U盾 K-7", "returned": False}],
            "commitment": {"signed_on": clock.iso(-1), "document_ref": "离岗承诺书-xgb.pdf"},
            "device_exception": {"approved_by": "office2", "reason": "U盾已挂失作废，由银行注销"}}  # fmt: skip


def test_offboarding_requires_the_leaving_commitment(http: httpx.Client, world: dict, db: Database) -> None:
    body = {k: v for k, v in offboard_body().items() if k != "commitment"}
    r = http.post(f"{API}/offboarding", json=body, headers=world["h"]["office"])
    assert r.status_code == 422 and "Annex 4" in r.json()["detail_en"]
    with db.session() as s:
        account = s.execute(select(Account).where(Account.username == "xgb")).scalar_one()
        assert not account.disabled and roles_of(s, account.id) == {"unit_data_officer"}


def test_offboarding_ends_a_live_web_session_and_token_on_their_next_request(
    http: httpx.Client, world: dict, server
) -> None:  # noqa: ANN001
    browser = _web_login("xgb", server.url)
    assert browser.get("/api/v1/data/student_basic").status_code == 200  # the live web session reads data
    assert browser.get("/lifecycle", headers=HTML).status_code == 403  # signed in, but not the office
    token = world["h"]["xgb"]
    assert http.get("/api/v1/data/student_basic", headers=token).status_code == 200
    r = http.post(f"{API}/offboarding", json=offboard_body(), headers=world["h"]["office"])
    assert r.status_code == 201, r.text
    assert http.get("/api/v1/data/student_basic", headers=token).status_code == 401
    assert (
        browser.get("/lifecycle", headers=HTML).status_code == 303
    )  # no longer signed in: to the login page
    assert browser.get("/api/v1/data/student_basic").status_code == 401
    assert _login(http, "xgb").status_code == 403
    browser.close()


def test_offboarding_revokes_roles_grants_and_records_devices_and_the_off_duty_year(
    http: httpx.Client, world: dict, db: Database
) -> None:
    with db.session() as s:
        account = s.execute(select(Account).where(Account.username == "xgb")).scalar_one()
        create_grant(s, dataset_code="student_basic", grantee_unit_code="0104", elements=["XH"], purpose="统计",
                     grantee_account_id=account.id)  # fmt: skip
        s.commit()
    done = http.post(f"{API}/offboarding", json=offboard_body(), headers=world["h"]["office"]).json()
    off_duty_until = clock.one_year_after(clock.today()).isoformat()  # the off-duty year (脱密期, Art. 53)
    assert done["off_duty_until"] == off_duty_until and done["devices_outstanding"] == ["U盾 K-7"]
    assert done["revoked"]["roles"] == ["unit_data_officer"] and done["revoked"]["grants"] == 1
    assert done["revoked"]["tokens"] >= 1
    with db.session() as s:
        assert roles_of(s, account.id) == frozenset()
        assert s.execute(select(AccessGrant.revoked_at)).scalar_one() is not None
    found = http.get(f"{API}/obligations", headers=world["h"]["office"]).json()["items"]
    assert any(o["code"] == "devices_not_returned" and o["subject"] == "xgb" for o in found)
    again = http.post(f"{API}/offboarding", json=offboard_body(), headers=world["h"]["office"])
    assert again.status_code == 409


def test_offboarding_drops_a_cached_decision_that_admitted_the_account(
    http: httpx.Client, world: dict, db: Database
) -> None:
    """The grants end through the access domain's own service, which drops the decisions cached before (Art. 30):
    the grants a decision reads no longer hold the leaver's grant, in any process reading the same database."""
    with db.session() as s:
        account = s.execute(select(Account).where(Account.username == "xgb")).scalar_one()
        grant = create_grant(s, dataset_code="student_basic", grantee_unit_code="0104", elements=["XH"],
                             purpose="统计", grantee_account_id=account.id).id  # fmt: skip
        s.commit()
    with db.session() as s:  # a decision made before: the grant is cached as admitting the account
        assert [
            g.id for g in active_grants(s, "student_basic", "0104") if g.grantee_account_id == account.id
        ] == [grant]
    r = http.post(f"{API}/offboarding", json=offboard_body(), headers=world["h"]["office"])
    assert r.status_code == 201 and r.json()["revoked"]["grants"] == 1, r.text
    with db.session() as s:
        assert grant not in {g.id for g in active_grants(s, "student_basic", "0104")}
        ended = s.get(AccessGrant, grant)
        assert ended.revoked_at is not None and ended.revoked_by == "office"
