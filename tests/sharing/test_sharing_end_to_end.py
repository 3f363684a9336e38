"""The whole sharing flow over real HTTP, on both databases (issue 5, "must show" 1)."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from edudata.audit.models import AuditRecord
from edudata.db import Database
from support.sharing import apply, approve, credential, sign_and_submit


def _operations(db: Database) -> list[tuple[str, str, str | None]]:
    with db.session() as s:
        rows = s.execute(select(AuditRecord).order_by(AuditRecord.seq)).scalars()
        return [(a.operation, a.result, a.username) for a in rows]


def test_apply_sign_narrow_approve_fetch_revoke_refused_and_audited(
    http: httpx.Client, world: dict, db: Database
) -> None:
    h = world["h"]
    app = apply(http, h["lib"])
    assert app["status"] == "draft" and app["people_count"] == 5  # 8 people, told as the bucket of k
    assert "SFZJH" in app["sensitive_elements"]
    assert sign_and_submit(http, h["lib"], app["id"])["status"] == "pending_producer"

    narrowed = approve(
        http, h["xgb"], app["id"],
        elements=["XH", "XM", "SFZJH", "YXDM", "NJ"],
        row_filter={"element": "NJ", "op": "ge", "value": 2023},
        masking={"XM": "name", "SFZJH": "id_number"},
        comment="不需要手机号；仅 2023 级",
    )  # fmt: skip
    assert narrowed.status_code == 200, narrowed.text
    assert narrowed.json()["status"] == "pending_office"
    done = approve(http, h["office"], app["id"])
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "granted" and done.json()["grant_state"] == "active"

    key = credential(http, h["lib"], app["id"])
    page = http.get("/api/v1/data/student_basic", params={"limit": 100}, headers=key)
    assert page.status_code == 200, page.text
    body = page.json()
    expected = [r for r in world["rows"] if r["YXDM"] == "0201" and r["NJ"] >= 2023]
    assert [r["XH"] for r in body["items"]] == [r["XH"] for r in expected]
    assert set(body["items"][0]) == {"_id", "XH", "XM", "SFZJH", "YXDM", "NJ"}
    assert body["items"][0]["XM"] != expected[0]["XM"] and body["items"][0]["XM"][0] == expected[0]["XM"][0]
    assert body["items"][0]["SFZJH"] != expected[0]["SFZJH"] and "*" in body["items"][0]["SFZJH"]

    r = http.post(f"/api/v1/sharing/applications/{app['id']}/revoke", json={"reason": "用途已完成，收回授权"},
                  headers=h["xgb"])  # fmt: skip
    assert r.status_code == 200, r.text
    again = http.get("/api/v1/data/student_basic", headers=key)
    assert again.status_code in (401, 403)

    ops = _operations(db)
    steps = [o for o, result, _ in ops if o.startswith("share_") and result == "success"]
    for step in ("share_apply", "share_sign", "share_submit", "share_approve", "share_grant",
                 "share_credential_create", "share_revoke"):  # fmt: skip
        assert step in steps, step
    assert ("query", "success", "lib") in ops
    assert ops[-1][1] == "denied"
