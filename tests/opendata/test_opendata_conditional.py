"""Conditional open data (有条件开放, Art. 44(2)): registration with a real verification mail, application,
the office's decision with a reason, a key scoped to one view; rate limits per address and per key."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from edudata.audit.models import AuditRecord
from edudata.db import Database
from opendata.conftest import ANSWERS, CHECKS, CITIZEN, Catcher, proposal, publish, register_and_login
from support.server import LiveServer


def test_registration_mails_a_verification_link_that_must_be_followed(
    od: httpx.Client, staff: dict, smtp: Catcher
) -> None:
    user = register_and_login(od, smtp)
    assert od.get("/api/v1/open/applications", headers=user).json()["items"] == []
    again = od.post("/api/v1/open/register", json=CITIZEN)  # the same answer: the address is not confirmed
    assert again.status_code == 202 and again.json()["verified"] is False


def test_a_conditional_dataset_is_refused_without_a_key_and_served_with_one(
    od: httpx.Client, staff: dict, smtp: Catcher, courses: str, db: Database
) -> None:
    url = f"/api/v1/open/datasets/{courses}/rows"
    refused = od.get(url)
    assert refused.status_code == 403 and "申请" in refused.json()["detail_zh"]
    assert od.get(f"/api/v1/open/datasets/{courses}/data.csv").status_code == 403
    user = register_and_login(od, smtp)
    app = od.post(
        "/api/v1/open/applications",
        json={"view": courses, "purpose": "课程体系研究", "usage": "仅用于学术论文", "answers": ANSWERS},
        headers=user,
    )
    assert app.status_code == 201, app.text
    app_id = app.json()["id"]
    assert (
        od.post(f"/api/v1/open/applications/{app_id}/key", headers=user).status_code == 403
    )  # not approved yet
    no_reason = od.post(
        f"/api/v1/opendata/applications/{app_id}/decision",
        json={"decision": "refuse"},
        headers=staff["office"],
    )
    assert no_reason.status_code == 422 and no_reason.json()["field"] == "reason"
    assert (
        od.post(
            f"/api/v1/opendata/applications/{app_id}/decision",
            json={"decision": "approve", "checks": CHECKS},
            headers=staff["kyc"],
        ).status_code
        == 403
    )
    ok = od.post(
        f"/api/v1/opendata/applications/{app_id}/decision",
        json={"decision": "approve", "checks": CHECKS},
        headers=staff["office"],
    )
    assert ok.json()["status"] == "approved"
    key = od.post(f"/api/v1/open/applications/{app_id}/key", headers=user).json()["key"]
    served = od.get(url, headers={"X-API-Key": key})
    assert served.status_code == 200 and served.json()["total"] == 4
    assert od.get(url, headers={"X-API-Key": key[:-2] + "xx"}).status_code == 401
    with db.session() as s:
        rec = s.scalars(
            select(AuditRecord).where(AuditRecord.operation == "open_query", AuditRecord.result == "success")
        ).one()
        denied = s.scalars(
            select(AuditRecord).where(AuditRecord.operation == "open_query", AuditRecord.result == "denied")
        ).first()
    assert rec.username.startswith("opendata-key:odk_") and rec.detail["key_id"]
    assert denied.username == "anonymous"


def test_a_key_opens_only_the_view_it_was_approved_for(
    od: httpx.Client, staff: dict, smtp: Catcher, courses: str, catalog
) -> None:  # noqa: ANN001
    catalog.dataset(
        code="lab_rooms", owner_unit_code="0103", grade="general", open_category="conditional", subject_area="teaching", nature="teaching",
        elements=[{"code": "FJH", "name": "房间号"}, {"code": "RL", "name": "容量", "data_type": "integer"}],
    )  # fmt: skip
    other = publish(
        od,
        staff,
        proposal("lab_rooms", open_category="conditional", keywords=[]),
        proposer="jwc",
        unit_reviewer="jwc_rev",
    )["code"]
    user = register_and_login(od, smtp)
    app_id = od.post(
        "/api/v1/open/applications",
        json={"view": courses, "purpose": "研究", "usage": "论文", "answers": ANSWERS},
        headers=user,
    ).json()["id"]
    od.post(
        f"/api/v1/opendata/applications/{app_id}/decision",
        json={"decision": "approve", "checks": CHECKS},
        headers=staff["office"],
    )
    key = od.post(f"/api/v1/open/applications/{app_id}/key", headers=user).json()["key"]
    r = od.get(f"/api/v1/open/datasets/{other}/rows", headers={"X-API-Key": key})
    assert r.status_code == 403 and "未获准" in r.json()["detail_zh"]


def test_a_refused_application_keeps_its_reason_and_yields_no_key(
    od: httpx.Client, staff: dict, smtp: Catcher, courses: str
) -> None:
    user = register_and_login(od, smtp)
    app_id = od.post(
        "/api/v1/open/applications",
        json={"view": courses, "purpose": "商业推广", "usage": "营销", "answers": ANSWERS},
        headers=user,
    ).json()["id"]
    od.post(
        f"/api/v1/opendata/applications/{app_id}/decision",
        json={"decision": "refuse", "reason": "用途不符合开放要求"},
        headers=staff["office"],
    )
    mine = od.get("/api/v1/open/applications", headers=user).json()["items"]
    assert mine[0]["status"] == "refused" and mine[0]["reason"] == "用途不符合开放要求"
    assert od.post(f"/api/v1/open/applications/{app_id}/key", headers=user).status_code == 403


def test_the_rate_limit_answers_429_with_retry_after(strict_server: LiveServer, db: Database) -> None:
    with httpx.Client(base_url=strict_server.url, timeout=30) as client:
        codes = [client.get("/api/v1/open/datasets").status_code for _ in range(3)]
        limited = client.get("/api/v1/open/datasets")
        ckan = client.get("/api/3/action/package_list")
    assert codes == [200, 200, 200]
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
    assert "请求过于频繁" in limited.json()["detail_zh"]
    assert ckan.status_code == 429 and ckan.headers["retry-after"] and ckan.json()["success"] is False


def test_a_key_has_a_bucket_of_its_own(
    od: httpx.Client, staff: dict, smtp: Catcher, courses: str, strict_server: LiveServer
) -> None:
    user = register_and_login(od, smtp)
    app_id = od.post(
        "/api/v1/open/applications",
        json={"view": courses, "purpose": "研究", "usage": "论文", "answers": ANSWERS},
        headers=user,
    ).json()["id"]
    od.post(
        f"/api/v1/opendata/applications/{app_id}/decision",
        json={"decision": "approve", "checks": CHECKS},
        headers=staff["office"],
    )
    key = {"X-API-Key": od.post(f"/api/v1/open/applications/{app_id}/key", headers=user).json()["key"]}
    with httpx.Client(base_url=strict_server.url, timeout=30) as client:
        codes = [
            client.get(f"/api/v1/open/datasets/{courses}/rows", headers=key).status_code for _ in range(4)
        ]
        limited = client.get(f"/api/v1/open/datasets/{courses}/rows", headers=key)
    assert codes[:3] == [200, 200, 200] and codes[3] == 429
    assert limited.status_code == 429 and "retry-after" in limited.headers


def test_ckanapi_reads_a_conditional_resource_only_with_its_key(
    od: httpx.Client, staff: dict, smtp: Catcher, courses: str, portal_server: LiveServer
) -> None:
    import ckanapi

    user = register_and_login(od, smtp)
    app_id = od.post(
        "/api/v1/open/applications",
        json={"view": courses, "purpose": "研究", "usage": "论文", "answers": ANSWERS},
        headers=user,
    ).json()["id"]
    od.post(
        f"/api/v1/opendata/applications/{app_id}/decision",
        json={"decision": "approve", "checks": CHECKS},
        headers=staff["office"],
    )
    key = od.post(f"/api/v1/open/applications/{app_id}/key", headers=user).json()["key"]
    with ckanapi.RemoteCKAN(portal_server.url) as anonymous:
        assert anonymous.action.package_show(id=courses)["extras"][0] == {
            "key": "open_category",
            "value": "conditional",
        }
        with pytest.raises(ckanapi.NotAuthorized):
            anonymous.action.datastore_search(resource_id=f"{courses}-csv")
    with ckanapi.RemoteCKAN(portal_server.url, apikey=key) as keyed:
        assert keyed.action.datastore_search(resource_id=f"{courses}-csv", limit=10)["total"] == 4
