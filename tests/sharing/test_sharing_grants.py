"""Grants and their credentials (Art. 40-42, 50): scope, expiry, Art. 50 gate, de-identified release."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import update

from edudata import cache
from edudata.access.models import AccessGrant
from edudata.db import Database, utcnow
from support import clock
from support.sharing import PERIOD_DAYS, apply, approve, credential, granted, secrecy_passed, sign_and_submit


def test_a_credential_cannot_read_another_dataset(http: httpx.Client, world: dict) -> None:
    app = granted(http, world)
    key = credential(http, world["h"]["lib"], app["id"])
    r = http.get("/api/v1/data/staff_basic", headers=key)
    assert r.status_code == 403


def test_a_credential_cannot_widen_its_filter(http: httpx.Client, world: dict) -> None:
    app = granted(http, world)
    key = credential(http, world["h"]["lib"], app["id"])
    wider = '{"any": [{"element": "YXDM", "op": "eq", "value": "0202"}, {"element": "YXDM", "op": "ne", "value": "x"}]}'
    r = http.get("/api/v1/data/student_basic", params={"filter": wider, "limit": 100}, headers=key)
    assert r.status_code == 200
    assert {row["YXDM"] for row in r.json()["items"]} == {"0201"}


def test_a_credential_cannot_name_another_grant(http: httpx.Client, world: dict) -> None:
    app = granted(http, world)
    key = credential(http, world["h"]["lib"], app["id"])
    r = http.get("/api/v1/data/student_basic", params={"grant_id": app["grant_id"] + 1}, headers=key)
    assert r.status_code == 403


def test_a_credential_is_refused_outside_the_data_api(http: httpx.Client, world: dict) -> None:
    app = granted(http, world)
    key = credential(http, world["h"]["lib"], app["id"])
    assert http.get("/api/v1/sharing/applications", headers=key).status_code == 403


def test_a_credential_cannot_write(http: httpx.Client, world: dict) -> None:
    app = granted(http, world)
    key = credential(http, world["h"]["lib"], app["id"])
    r = http.post("/api/v1/data/student_basic/rows", json={"rows": [world["rows"][0]]}, headers=key)
    assert r.status_code == 403


def test_a_rotated_credential_stops_and_its_successor_works(http: httpx.Client, world: dict) -> None:
    app = granted(http, world)
    h = world["h"]["lib"]
    first = http.post(f"/api/v1/sharing/applications/{app['id']}/credentials", json={}, headers=h).json()
    r = http.post(f"/api/v1/sharing/applications/{app['id']}/credentials/{first['id']}/rotate", headers=h)
    assert r.status_code == 201
    old = {"Authorization": f"Bearer {first['secret']}"}
    new = {"Authorization": f"Bearer {r.json()['secret']}"}
    assert http.get("/api/v1/data/student_basic", headers=old).status_code == 401
    assert http.get("/api/v1/data/student_basic", headers=new).status_code == 200


def test_credentials_are_stored_hashed(http: httpx.Client, world: dict, db: Database) -> None:
    app = granted(http, world)
    secret = credential(http, world["h"]["lib"], app["id"])["Authorization"].split()[1]
    with db.engine.connect() as conn:
        stored = conn.exec_driver_sql("SELECT secret_hash, hint FROM sharing_credential").all()
    assert secret not in {stored[0][0]} and len(stored[0][0]) == 64 and len(stored[0][1]) < len(secret)


def test_an_expired_grant_is_refused(http: httpx.Client, world: dict, db: Database) -> None:
    app = granted(http, world)
    key = credential(http, world["h"]["lib"], app["id"])
    assert http.get("/api/v1/data/student_basic", headers=key).status_code == 200
    with db.session() as s:  # the period ends: move the grant's end into the past
        s.execute(
            update(AccessGrant)
            .where(AccessGrant.id == app["grant_id"])
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        s.commit()
    cache.clear_all()
    assert http.get("/api/v1/data/student_basic", headers=key).status_code == 403
    seen = http.get(f"/api/v1/sharing/applications/{app['id']}", headers=world["h"]["lib"]).json()
    assert seen["grant_state"] == "expired"


def test_the_grant_expires_at_the_end_of_the_period_beijing_time(http: httpx.Client, world: dict) -> None:
    app = granted(
        http, world
    )  # the period's last day is PERIOD_DAYS from today: it ends at 24:00 that day, +08:00
    end = clock.end_of_day_utc(clock.days_from_today(PERIOD_DAYS))
    assert end.time().isoformat() == "16:00:00"
    assert app["grant"]["expires_at"].startswith(end.strftime("%Y-%m-%dT%H:%M:%S"))


def test_more_than_the_threshold_of_people_waits_for_the_commission(http: httpx.Client, world: dict) -> None:
    h = world["h"]
    assert http.get("/api/v1/sharing/policy", headers=h["lib"]).json()["large_scale_threshold"] == 200_000
    http.put("/api/v1/sharing/policy", json={"large_scale_threshold": 5}, headers=h["office"])
    app = apply(http, h["lib"])  # 8 people of 会计学院 > 5
    sign_and_submit(http, h["lib"], app["id"])
    approve(http, h["xgb"], app["id"])
    held = approve(http, h["office"], app["id"]).json()
    assert held["status"] == "pending_commission" and held["grant_id"] is None
    files = {"file": ("市教委批复.pdf", b"%PDF-1.4 approval", "application/pdf")}
    r = http.post(
        f"/api/v1/sharing/applications/{app['id']}/commission-approval", files=files, headers=h["office"]
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "granted" and r.json()["commission_document"]["sha256"]


def test_exactly_the_threshold_of_people_waits_for_the_commission(http: httpx.Client, world: dict) -> None:
    """以上 includes the number: an application covering exactly the threshold is held (Art. 50)."""
    h = world["h"]
    app = apply(http, h["lib"])
    people = http.post(
        "/api/v1/sharing/estimate",
        json={
            "dataset_code": app["dataset_code"],
            "elements": app["elements"],
            "row_filter": app["row_filter"],
        },
        headers=h["lib"],
    ).json()["people"]
    http.put("/api/v1/sharing/policy", json={"large_scale_threshold": people}, headers=h["office"])
    sign_and_submit(http, h["lib"], app["id"])
    approve(http, h["xgb"], app["id"])
    assert approve(http, h["office"], app["id"]).json()["status"] == "pending_commission"


def test_the_office_may_lower_the_statutory_threshold_but_never_raise_it(
    http: httpx.Client, world: dict
) -> None:
    h = world["h"]
    r = http.put("/api/v1/sharing/policy", json={"large_scale_threshold": 200_001}, headers=h["office"])
    assert r.status_code == 422 and r.json()["field"] == "large_scale_threshold"
    assert http.get("/api/v1/sharing/policy", headers=h["lib"]).json()["large_scale_threshold"] == 200_000
    r = http.put("/api/v1/sharing/policy", json={"large_scale_threshold": 150_000}, headers=h["office"])
    assert r.status_code == 200 and r.json()["large_scale_threshold"] == 150_000


def test_only_the_office_uploads_the_commission_document(http: httpx.Client, world: dict) -> None:
    h = world["h"]
    http.put("/api/v1/sharing/policy", json={"large_scale_threshold": 5}, headers=h["office"])
    app = apply(http, h["lib"])
    sign_and_submit(http, h["lib"], app["id"])
    approve(http, h["xgb"], app["id"])
    approve(http, h["office"], app["id"])
    files = {"file": ("x.pdf", b"%PDF", "application/pdf")}
    r = http.post(
        f"/api/v1/sharing/applications/{app['id']}/commission-approval", files=files, headers=h["xgb"]
    )
    assert r.status_code == 403


def test_third_party_analysis_is_released_deidentified_after_k_is_shown(
    http: httpx.Client, world: dict
) -> None:
    h = world["h"]
    app = granted(http, world, elements=["XH", "XM", "XBM", "NJ", "CSRQ"], row_filter=None,
                  third_party=True, third_party_name="某研究机构")  # fmt: skip
    assert app["status"] == "pending_release" and app["grant_id"] is None
    preview = http.post(
        f"/api/v1/sharing/applications/{app['id']}/release-preview", headers=h["office"]
    ).json()
    assert preview["quasi_identifiers"] == ["XBM", "CSRQ", "NJ"] and preview["k"] == 2
    http.put("/api/v1/sharing/policy", json={"min_k": 2}, headers=h["office"])
    secrecy_passed(http, world, app["id"])  # Art. 58
    r = http.post(f"/api/v1/sharing/applications/{app['id']}/release", headers=h["office"])
    assert r.status_code == 200, r.text
    key = credential(http, h["lib"], app["id"])
    rows = http.get("/api/v1/data/student_basic", params={"limit": 100}, headers=key).json()["items"]
    assert rows[0]["XM"] is None and rows[0]["CSRQ"] == "2003"
    assert len(rows[0]["XH"]) == 16 and rows[0]["XH"] != world["rows"][0]["XH"]


def test_a_release_below_the_minimum_k_is_refused(http: httpx.Client, world: dict) -> None:
    h = world["h"]
    app = granted(http, world, elements=["XH", "XBM", "NJ"], row_filter=None, third_party=True,
                  third_party_name="某研究机构")  # fmt: skip
    http.post(f"/api/v1/sharing/applications/{app['id']}/release-preview", headers=h["office"])
    r = http.post(f"/api/v1/sharing/applications/{app['id']}/release", headers=h["office"])
    assert r.status_code == 409 and "k" in r.json()["detail_en"]


def test_the_office_can_revoke_a_grant(http: httpx.Client, world: dict) -> None:
    app = granted(http, world)
    key = credential(http, world["h"]["lib"], app["id"])
    r = http.post(f"/api/v1/sharing/applications/{app['id']}/revoke", json={"reason": "安全检查发现问题"},
                  headers=world["h"]["office"])  # fmt: skip
    assert r.status_code == 200 and r.json()["grant_state"] == "revoked"
    assert http.get("/api/v1/data/student_basic", headers=key).status_code in (401, 403)


def test_an_applicant_cannot_revoke(http: httpx.Client, world: dict) -> None:
    app = granted(http, world)
    r = http.post(f"/api/v1/sharing/applications/{app['id']}/revoke", json={"reason": "不想要了哈哈"},
                  headers=world["h"]["lib"])  # fmt: skip
    assert r.status_code == 403


def test_the_office_narrows_a_held_release_until_k_is_enough(http: httpx.Client, world: dict) -> None:
    h = world["h"]
    app = granted(http, world, elements=["XH", "XBM", "NJ"], row_filter=None, third_party=True,
                  third_party_name="某研究机构")  # fmt: skip
    http.put("/api/v1/sharing/policy", json={"min_k": 4}, headers=h["office"])
    first = http.post(f"/api/v1/sharing/applications/{app['id']}/release-preview", headers=h["office"]).json()
    assert first["k"] < 4
    r = http.post(f"/api/v1/sharing/applications/{app['id']}/narrow", json={"elements": ["XH", "NJ"]},
                  headers=h["office"])  # fmt: skip
    assert r.status_code == 200 and r.json()["k_anonymity"] is None
    second = http.post(
        f"/api/v1/sharing/applications/{app['id']}/release-preview", headers=h["office"]
    ).json()
    assert second["quasi_identifiers"] == ["NJ"] and second["k"] == 4
    secrecy_passed(http, world, app["id"])  # Art. 58
    assert (
        http.post(f"/api/v1/sharing/applications/{app['id']}/release", headers=h["office"]).status_code == 200
    )
