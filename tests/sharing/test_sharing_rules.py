"""Rules of applying and reviewing (Art. 30, 39, 40, 41) over real HTTP, on both databases."""

from __future__ import annotations

import httpx
import pytest

from edudata.db import utcnow
from edudata.errors import Conflict
from edudata.org.models import RoleAssignment
from support.sharing import application, apply, approve, sign_and_submit


def test_a_no_share_element_cannot_be_requested_by_api(http: httpx.Client, world: dict) -> None:
    body = application(elements=["XH", "YHKH"])
    r = http.post("/api/v1/sharing/applications", json=body, headers=world["h"]["lib"])
    assert r.status_code == 422
    assert r.json()["not_shared"] == ["YHKH"] and "不予共享" in r.json()["detail_zh"]


def test_the_catalogue_entry_marks_no_share_elements_unselectable(http: httpx.Client, world: dict) -> None:
    entry = http.get("/api/v1/sharing/catalog/student_basic", headers=world["h"]["lib"]).json()
    flags = {e["code"]: e["selectable"] for e in entry["elements"]}
    assert flags["YHKH"] is False and flags["XH"] is True


def test_a_row_scope_on_an_encrypted_element_is_refused(http: httpx.Client, world: dict) -> None:
    body = application(row_filter={"element": "SFZJH", "op": "eq", "value": world["rows"][0]["SFZJH"]})
    r = http.post("/api/v1/sharing/applications", json=body, headers=world["h"]["lib"])
    assert r.status_code == 422 and r.json()["field"] == "row_filter"


def test_the_nudge_counts_people_and_names_sensitive_elements(http: httpx.Client, world: dict) -> None:
    body = {"dataset_code": "student_basic", "elements": ["XH", "MZM"], "row_filter": None}
    r = http.post("/api/v1/sharing/estimate", json=body, headers=world["h"]["lib"])
    assert r.status_code == 200, r.text
    # 12 people, told to an applicant as the bucket 10–14 (k = 5), never exactly
    assert r.json()["people_range"] == [10, 14] and r.json()["exact"] is False
    assert r.json()["sensitive_elements"] == ["MZM"]
    assert len(r.json()["advice"]) == 2


def test_submission_without_a_signed_commitment_is_refused(http: httpx.Client, world: dict) -> None:
    app = apply(http, world["h"]["lib"])
    r = http.post(f"/api/v1/sharing/applications/{app['id']}/submit", headers=world["h"]["lib"])
    assert r.status_code == 409 and "承诺书" in r.json()["detail_zh"]


def test_a_signature_records_account_time_and_text_hash(http: httpx.Client, world: dict) -> None:
    app = apply(http, world["h"]["lib"])
    done = sign_and_submit(http, world["h"]["lib"], app["id"])
    text = http.get("/api/v1/sharing/commitment", headers=world["h"]["lib"]).json()
    assert done["signature"]["username"] == "lib" and done["signature"]["signed_at"]
    assert done["signature"]["text_sha256"] == text["text_sha256"]


def test_signing_a_stale_commitment_text_is_refused(http: httpx.Client, world: dict) -> None:
    app = apply(http, world["h"]["lib"])
    r = http.post(f"/api/v1/sharing/applications/{app['id']}/sign", json={"text_sha256": "0" * 64},
                  headers=world["h"]["lib"])  # fmt: skip
    assert r.status_code == 409


def test_a_refusal_without_a_reason_is_rejected(http: httpx.Client, world: dict) -> None:
    app = apply(http, world["h"]["lib"])
    sign_and_submit(http, world["h"]["lib"], app["id"])
    r = http.post(
        f"/api/v1/sharing/applications/{app['id']}/refuse", json={"reason": "  "}, headers=world["h"]["xgb"]
    )
    assert r.status_code == 422 and r.json()["field"] == "reason"
    state = http.get(f"/api/v1/sharing/applications/{app['id']}", headers=world["h"]["lib"]).json()
    assert state["status"] == "pending_producer"


def test_a_refusal_reason_is_shown_to_the_applicant(http: httpx.Client, world: dict) -> None:
    app = apply(http, world["h"]["lib"])
    sign_and_submit(http, world["h"]["lib"], app["id"])
    reason = "用途与所申请的身份证件号无关"
    r = http.post(
        f"/api/v1/sharing/applications/{app['id']}/refuse", json={"reason": reason}, headers=world["h"]["xgb"]
    )
    assert r.status_code == 200
    seen = http.get(f"/api/v1/sharing/applications/{app['id']}", headers=world["h"]["lib"]).json()
    assert seen["status"] == "refused" and seen["refusal_reason"] == reason
    inbox = http.get("/api/v1/sharing/inbox", headers=world["h"]["lib"]).json()
    assert reason in inbox["notifications"][0]["message_zh"]


def test_the_office_cannot_approve_before_the_producer(http: httpx.Client, world: dict) -> None:
    app = apply(http, world["h"]["lib"])
    sign_and_submit(http, world["h"]["lib"], app["id"])
    r = approve(http, world["h"]["office"], app["id"])
    assert r.status_code == 409 and "Art. 40" in r.json()["detail_en"]


def test_another_units_officer_cannot_approve_as_producer(http: httpx.Client, world: dict) -> None:
    app = apply(http, world["h"]["lib"])
    sign_and_submit(http, world["h"]["lib"], app["id"])
    assert approve(http, world["h"]["rsc"], app["id"]).status_code == 404


def test_one_account_cannot_be_applicant_and_office_administrator(accounts) -> None:  # noqa: ANN001
    with pytest.raises(Conflict) as refused:
        accounts.create(username="both", roles=("applicant", "office_admin"), unit_code="0002")
    assert "Art. 30" in refused.value.en


def test_an_applicant_cannot_approve_their_own_application(
    http: httpx.Client,
    world: dict,
    accounts,
    db,  # noqa: ANN001
) -> None:
    """Defence in depth: were the Art. 30 exclusion bypassed (a role row written by hand), the review still
    refuses the applicant's own application."""
    both = accounts.create(username="both", roles=("applicant",), unit_code="0002", head=True)
    with db.session() as s:
        s.add(
            RoleAssignment(account_id=both.id, role="office_admin", granted_by="by hand", granted_at=utcnow())
        )
        s.commit()
    h = accounts.headers("both")
    app = apply(http, h)
    sign_and_submit(http, h, app["id"])
    assert approve(http, world["h"]["xgb"], app["id"]).status_code == 200
    r = approve(http, h, app["id"])
    assert r.status_code == 403 and "Art. 30" in r.json()["detail_en"]


def test_an_approver_cannot_widen_the_elements(http: httpx.Client, world: dict) -> None:
    app = apply(http, world["h"]["lib"], elements=["XH", "XM"])
    sign_and_submit(http, world["h"]["lib"], app["id"])
    r = approve(http, world["h"]["xgb"], app["id"], elements=["XH", "XM", "SJHM"])
    assert r.status_code == 422 and r.json()["field"] == "elements"


def test_unconditional_data_is_auto_approved_when_the_policy_says_so(http: httpx.Client, world: dict) -> None:
    r = http.put(
        "/api/v1/sharing/policy", json={"auto_approve_unconditional": True}, headers=world["h"]["office"]
    )
    assert r.status_code == 200
    app = apply(http, world["h"]["lib"], dataset_code="unit_info", elements=["DWDM", "DWMC"], row_filter=None)
    done = sign_and_submit(http, world["h"]["lib"], app["id"])
    assert done["status"] == "granted" and [r["stage"] for r in done["reviews"]] == ["office"]


def test_unconditional_data_needs_the_office_alone_without_the_policy(
    http: httpx.Client, world: dict
) -> None:
    app = apply(http, world["h"]["lib"], dataset_code="unit_info", elements=["DWDM", "DWMC"], row_filter=None)
    assert sign_and_submit(http, world["h"]["lib"], app["id"])["status"] == "pending_office"
    assert approve(http, world["h"]["office"], app["id"]).json()["status"] == "granted"


def test_the_producer_sees_the_review_in_its_inbox(http: httpx.Client, world: dict) -> None:
    app = apply(http, world["h"]["lib"])
    sign_and_submit(http, world["h"]["lib"], app["id"])
    inbox = http.get("/api/v1/sharing/inbox", headers=world["h"]["xgb"]).json()
    assert [t["application_id"] for t in inbox["tasks"]] == [app["id"]]
    assert inbox["tasks"][0]["due_on"] > app["created_at"][:10]


def test_only_the_applicant_unit_producer_and_office_see_an_application(
    http: httpx.Client, world: dict
) -> None:
    app = apply(http, world["h"]["lib"])
    url = f"/api/v1/sharing/applications/{app['id']}"
    assert http.get(url, headers=world["h"]["lib2"]).status_code == 200
    assert http.get(url, headers=world["h"]["xgb"]).status_code == 200
    assert http.get(url, headers=world["h"]["rsc"]).status_code == 404
    assert http.get("/api/v1/sharing/applications", headers=world["h"]["rsc"]).json()["items"] == []
