"""Duties on people the platform holds (Art. 49, 53): the off-duty year enforced, devices back or an approved
exception, 附件3 revocable, outsourcing commitments and security assessments on file."""

from __future__ import annotations

import httpx
import pytest

from support import clock
from support.students import PASSWORD

API = "/api/v1/lifecycle"
LEFT = clock.beijing(2026, 3, 2, 10)


def _offboard(http: httpx.Client, h: dict, **changes: object) -> httpx.Response:
    body = {
        "username": "xgb",
        "left_on": clock.iso(0),
        "devices": [{"asset": "笔记本 NB-0042", "returned": True}],
        "commitment": {"signed_on": clock.iso(0), "document_ref": "离岗承诺书-xgb.pdf"},
        "exit_education_on": clock.iso(0),
        **changes,
    }
    return http.post(f"{API}/offboarding", json=body, headers=h)


@pytest.mark.frozen_clock(LEFT)
def test_a_data_role_granted_back_inside_the_off_duty_year_is_refused(
    http: httpx.Client,
    world: dict,
    accounts,
    frozen_clock,  # noqa: ANN001
) -> None:
    r = _offboard(http, world["h"]["office"])
    assert r.status_code == 201, r.text
    assert r.json()["off_duty_until"] == "2027-03-02" and r.json()["exit_education_on"] == "2026-03-02"
    http.post("/api/v1/accounts/xgb/enable", headers=world["h"]["office"])
    frozen_clock.move_to(clock.beijing(2027, 3, 2, 18))  # the last day of the year: still inside
    office = accounts.headers("office", password=PASSWORD)
    again = http.post("/api/v1/accounts/xgb/roles", json={"role": "unit_data_officer"}, headers=office)
    assert again.status_code == 409 and again.json()["code"] == "off-duty-period"
    assert "第五十三条" in again.json()["detail_zh"] and "2027-03-02" in again.json()["detail_en"]
    frozen_clock.move_to(clock.beijing(2027, 3, 3, 9))
    office = accounts.headers("office", password=PASSWORD)
    after = http.post("/api/v1/accounts/xgb/roles", json={"role": "unit_data_officer"}, headers=office)
    assert after.status_code == 201, after.text


def test_devices_not_back_need_an_exception_approved_by_someone_else(http: httpx.Client, world: dict) -> None:
    h = world["h"]["office"]
    missing = [{"asset": "U盾 K-7", "returned": False}]
    r = _offboard(http, h, devices=missing)
    assert (
        r.status_code == 422
        and r.json()["field"] == "device_exception"
        and "U盾 K-7" in r.json()["detail_zh"]
    )
    own = _offboard(
        http, h, devices=missing, device_exception={"approved_by": "office", "reason": "已挂失作废"}
    )
    assert own.status_code == 422
    auditor = _offboard(
        http, h, devices=missing, device_exception={"approved_by": "aud", "reason": "已挂失作废"}
    )
    assert auditor.status_code == 422  # an auditor approves nothing
    ok = _offboard(
        http, h, devices=missing, device_exception={"approved_by": "office2", "reason": "已挂失作废"}
    )
    assert ok.status_code == 201, ok.text
    assert ok.json()["device_exception"]["approved_by"] == "office2"
    page = http.get("/lifecycle/people", headers=h)
    assert (
        page.status_code == 200
        and "脱岗管理期内人员" in page.text
        and "xgb" in page.text
        and "office2" in page.text
    )


def test_a_revoked_annex3_stops_the_support_persons_login(http: httpx.Client, world: dict, accounts) -> None:  # noqa: ANN001
    accounts.create(username="vendor", roles=("tech_support",), unit_code="0301")
    body = {
        "username": "vendor",
        "kind": "annex3",
        "signed_on": clock.iso(-30),
        "document_ref": "保密协议-017.pdf",
    }
    agreement = http.post(f"{API}/agreements", json=body, headers=world["h"]["office"]).json()
    login = http.post("/api/v1/auth/token", json={"username": "vendor", "password": PASSWORD})
    assert login.status_code == 200
    token = {"Authorization": f"Bearer {login.json()['access_token']}"}
    r = http.post(f"{API}/agreements/{agreement['id']}/revoke", headers=world["h"]["office"])
    assert r.status_code == 200 and r.json()["revoked"]
    assert http.get("/api/v1/me", headers=token).status_code == 401  # the live token ended with it
    refused = http.post("/api/v1/auth/token", json={"username": "vendor", "password": PASSWORD})
    assert refused.status_code == 403 and "Annex 3" in refused.json()["detail_en"]
    assert (
        http.post(f"{API}/agreements/{agreement['id']}/revoke", headers=world["h"]["office"]).status_code
        == 409
    )


def test_assessments_are_registered_with_findings_and_due_dates(http: httpx.Client, world: dict) -> None:
    h = world["h"]["office"]
    body = {"unit_code": "0104", "kind": "risk", "held_on": clock.iso(-20), "assessor": "某测评中心",
            "findings": "学工系统弱口令 3 个"}  # fmt: skip
    r = http.post(f"{API}/security-assessments", json=body, headers=h)
    assert r.status_code == 422 and r.json()["field"] == "due_on"
    r = http.post(f"{API}/security-assessments", json={**body, "due_on": clock.iso(-1)}, headers=h)
    assert r.status_code == 201 and r.json()["overdue"]
    closed = http.post(
        f"{API}/security-assessments/{r.json()['id']}/close", json={"closed_on": clock.iso(0)}, headers=h
    )
    assert closed.status_code == 200 and not closed.json()["overdue"]
    commitment = {"unit_code": "0301", "signed_on": clock.iso(-5), "document_ref": "外包保密承诺书-2026.pdf"}
    assert http.post(f"{API}/outsourcing-commitments", json=commitment, headers=h).status_code == 201
    listed = http.get(f"{API}/outsourcing-commitments", headers=world["h"]["aud"]).json()["items"]
    assert [c["unit_code"] for c in listed] == ["0301"]
