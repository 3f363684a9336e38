"""Helpers of the sharing tests: an application (附件1) of the library, and the steps over the live server."""

from __future__ import annotations

from typing import Any

import httpx

APPLICATION = {
    "dataset_code": "student_basic",
    "elements": ["XH", "XM", "XBM", "SFZJH", "YXDM", "NJ", "SJHM"],
    "row_filter": {"element": "YXDM", "op": "eq", "value": "0201"},
    "contact_name": "李老师",
    "contact_phone": "022-88186000",
    "purpose": "图书馆为会计学院学生开通电子资源账号",
    "business_basis": "《图书馆读者服务管理办法》第五条",
    "period_end": "2026-12-31",
    "delivery": "api",
    "security_measures": "专人负责，数据仅存于馆内服务器，访问留痕",
}


def apply(http: httpx.Client, h: dict, **changes: Any) -> dict[str, Any]:
    r = http.post("/api/v1/sharing/applications", json={**APPLICATION, **changes}, headers=h)
    assert r.status_code == 201, r.text
    return r.json()


def sign_and_submit(http: httpx.Client, h: dict, app_id: int) -> dict[str, Any]:
    text = http.get("/api/v1/sharing/commitment", headers=h).json()
    r = http.post(
        f"/api/v1/sharing/applications/{app_id}/sign", json={"text_sha256": text["text_sha256"]}, headers=h
    )
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
