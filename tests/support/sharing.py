"""Helpers of the sharing tests: an application (附件1) of the library, and the steps over the live server."""

from __future__ import annotations

from typing import Any

import httpx

from support import clock

# How long the library's application asks to use the data: well past the grant's end-of-period notice (7 days).
PERIOD_DAYS = 90

APPLICATION = {
    "dataset_code": "student_basic",
    "elements": ["XH", "XM", "XBM", "SFZJH", "YXDM", "NJ", "SJHM"],
    "row_filter": {"element": "YXDM", "op": "eq", "value": "0201"},
    "contact_name": "李老师",
    "contact_phone": "022-88186000",
    "purpose": "图书馆为会计学院学生开通电子资源账号",
    "business_basis": "《图书馆读者服务管理办法》第五条",
    "delivery": "api",
    "security_measures": "专人负责，数据仅存于馆内服务器，访问留痕",
}


def application(**changes: Any) -> dict[str, Any]:
    """The library's application body; its period ends :data:`PERIOD_DAYS` from today (Beijing)."""
    return {**APPLICATION, "period_end": clock.iso(PERIOD_DAYS), **changes}


def apply(http: httpx.Client, h: dict, **changes: Any) -> dict[str, Any]:
    r = http.post("/api/v1/sharing/applications", json=application(**changes), headers=h)
    assert r.status_code == 201, r.text
    return r.json()


def sign_and_submit(http: httpx.Client, h: dict, app_id: int, head: dict | None = None) -> dict[str, Any]:
    """The applicant signs 附件2 — for the unit too when the applicant is its head — else the unit's head
    (``head``) signs it for the unit; then the applicant submits (Art. 41)."""
    text = http.get("/api/v1/sharing/commitment", headers=h).json()
    r = http.post(
        f"/api/v1/sharing/applications/{app_id}/sign", json={"text_sha256": text["text_sha256"]}, headers=h
    )
    assert r.status_code == 200, r.text
    if r.json()["unit_signature"] is None:  # the applicant is not the head: the head signs for the unit
        r = http.post(
            f"/api/v1/sharing/applications/{app_id}/sign-unit", json={"text_sha256": text["text_sha256"]},
            headers=head or h,
        )  # fmt: skip
        assert r.status_code == 200, r.text
    r = http.post(f"/api/v1/sharing/applications/{app_id}/submit", headers=h)
    assert r.status_code == 200, r.text
    return r.json()


def approve(http: httpx.Client, h: dict, app_id: int, **body: Any) -> httpx.Response:
    return http.post(f"/api/v1/sharing/applications/{app_id}/approve", json=body, headers=h)


def granted(http: httpx.Client, world: dict, **changes: Any) -> dict[str, Any]:
    """An application through both approvals (no narrowing)."""
    h = world["h"]
    app = apply(http, h["lib"], **changes)
    sign_and_submit(http, h["lib"], app["id"])
    assert approve(http, h["xgb"], app["id"]).status_code == 200
    r = approve(http, h["office"], app["id"])
    assert r.status_code == 200, r.text
    return r.json()


def credential(http: httpx.Client, h: dict, app_id: int) -> dict[str, str]:
    r = http.post(f"/api/v1/sharing/applications/{app_id}/credentials", json={"label": "馆内系统"}, headers=h)
    assert r.status_code == 201, r.text
    return {"Authorization": f"Bearer {r.json()['secret']}"}


def secrecy_passed(http: httpx.Client, world: dict, app_id: int) -> None:
    """The leadership group's secrecy review passes the third-party release (Art. 58)."""
    r = http.post(f"/api/v1/sharing/applications/{app_id}/secrecy-review",
                  json={"decision": "approved", "comment": "已审查，去标识化数据可提供"}, headers=world["h"]["leader"])  # fmt: skip
    assert r.status_code == 200, r.text


def change_post(http: httpx.Client, office: dict, username: str = "lib", *, old: str = "applicant",
                new: str = "data_protection_officer") -> httpx.Response:  # fmt: skip
    """The holder leaves the applicant post but stays (a role changed for another: grant the new, revoke the old).

    Revoking an account's last role plainly is refused (a departure goes through offboarding, Art. 53); this is
    the real path by which someone stops being an applicant while keeping an account. The answer is the
    revocation's.
    """
    granted_ = http.post(f"/api/v1/accounts/{username}/roles", json={"role": new}, headers=office)
    assert granted_.status_code == 201, granted_.text
    return http.delete(f"/api/v1/accounts/{username}/roles/{old}", headers=office)
