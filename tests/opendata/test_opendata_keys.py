"""Open-data keys after issue (Art. 47): the holder revokes its own, the office revokes any with a reason; a
revoked key opens nothing, stays revoked, and every revocation is audited."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from edudata.audit.models import AuditRecord
from edudata.db import Database
from opendata.conftest import ANSWERS, CHECKS, CITIZEN, Catcher, register_and_login

OTHER = {
    "email": "wang.fang@example.org",
    "password": "Open-data-2026!",
    "name": "王芳",
    "organisation": "个人",
}


def _keyed(od: httpx.Client, staff: dict, smtp: Catcher, view: str, person: dict | None = None) -> tuple:
    user = register_and_login(od, smtp, **({"person": person} if person else {}))
    app_id = od.post(
        "/api/v1/open/applications",
        json={"view": view, "purpose": "研究", "usage": "论文", "answers": ANSWERS},
        headers=user,
    ).json()["id"]
    decided = od.post(
        f"/api/v1/opendata/applications/{app_id}/decision",
        json={"decision": "approve", "checks": CHECKS},
        headers=staff["office"],
    )
    assert decided.status_code == 200, decided.text
    key = od.post(f"/api/v1/open/applications/{app_id}/key", headers=user).json()["key"]
    return user, key


def test_the_holder_revokes_its_own_key_and_it_opens_nothing_after(
    od: httpx.Client,
    staff: dict,
    smtp: Catcher,
    courses: str,
    db: Database,
) -> None:
    user, key = _keyed(od, staff, smtp, courses)
    rows = f"/api/v1/open/datasets/{courses}/rows"
    assert od.get(rows, headers={"X-API-Key": key}).status_code == 200
    [mine] = od.get("/api/v1/open/keys", headers=user).json()["items"]
    assert mine["state"] == "active" and mine["view"] == courses and key not in str(mine)
    assert key.startswith(mine["prefix"])
    done = od.post(f"/api/v1/open/keys/{mine['id']}/revoke", headers=user)
    assert done.status_code == 200 and done.json()["state"] == "revoked"
    refused = od.get(rows, headers={"X-API-Key": key})
    assert refused.status_code == 401 and "已撤销" in refused.json()["detail_zh"]
    again = od.post(f"/api/v1/open/keys/{mine['id']}/revoke", headers=user)
    assert again.status_code == 409
    with db.session() as s:
        rec = s.scalars(select(AuditRecord).where(AuditRecord.operation == "opendata_key_revoke")).one()
        assert rec.username == f"public:{CITIZEN['email']}" and rec.detail["key_id"] == mine["id"]


def test_nobody_revokes_another_persons_key(
    od: httpx.Client,
    staff: dict,
    smtp: Catcher,
    courses: str,
    db: Database,
) -> None:
    _owner, key = _keyed(od, staff, smtp, courses)
    stranger = register_and_login(od, smtp, person=OTHER)
    [their] = od.get("/api/v1/opendata/keys", headers=staff["office"]).json()["items"]
    r = od.post(f"/api/v1/open/keys/{their['id']}/revoke", headers=stranger)
    assert r.status_code == 404
    assert od.get("/api/v1/open/keys", headers=stranger).json()["items"] == []
    # Staff other than the office may neither list nor revoke keys.
    assert od.get("/api/v1/opendata/keys", headers=staff["jwc"]).status_code == 403
    denied = od.post(
        f"/api/v1/opendata/keys/{their['id']}/revoke", json={"reason": "x"}, headers=staff["jwc"]
    )
    assert denied.status_code == 403
    assert od.get(f"/api/v1/open/datasets/{courses}/rows", headers={"X-API-Key": key}).status_code == 200
    with db.session() as s:
        refused = s.scalars(
            select(AuditRecord).where(AuditRecord.result != "success", AuditRecord.username == "jwc")
        ).all()
        assert refused, "the refused revocation is audited"


def test_the_office_revokes_with_a_reason_the_holder_sees(
    od: httpx.Client,
    staff: dict,
    smtp: Catcher,
    courses: str,
) -> None:
    user, key = _keyed(od, staff, smtp, courses)
    [listed] = od.get("/api/v1/opendata/keys", headers=staff["office"]).json()["items"]
    assert listed["holder"]["email"] == CITIZEN["email"] and listed["state"] == "active"
    no_reason = od.post(
        f"/api/v1/opendata/keys/{listed['id']}/revoke", json={"reason": " "}, headers=staff["office"]
    )
    assert no_reason.status_code == 422
    reason = "用途超出申请范围（转售数据）"
    r = od.post(
        f"/api/v1/opendata/keys/{listed['id']}/revoke", json={"reason": reason}, headers=staff["office"]
    )
    assert r.status_code == 200 and r.json()["revoked_by"] == "office"
    assert od.get(f"/api/v1/open/datasets/{courses}/rows", headers={"X-API-Key": key}).status_code == 401
    [mine] = od.get("/api/v1/open/keys", headers=user).json()["items"]
    assert mine["state"] == "revoked" and mine["revoke_reason"] == reason
