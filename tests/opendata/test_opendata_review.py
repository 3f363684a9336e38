"""Three-level publication review (三级审核, Art. 46, 58) and what may never be proposed (Art. 56)."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select

from edudata.db import Database
from edudata.opendata.models import OpenView
from opendata.conftest import SECRECY, proposal, publish
from support.collect import collect


def _review(od: httpx.Client, h: dict, who: str, code: str, **body: object) -> httpx.Response:
    return od.post(
        f"/api/v1/opendata/proposals/{code}/review", json={"decision": "approve", **body}, headers=h[who]
    )


def test_the_three_levels_act_in_order_unit_then_office_with_secrecy_review_then_leadership(
    od: httpx.Client, staff: dict
) -> None:
    r = od.post("/api/v1/opendata/proposals", json=proposal(), headers=staff["kyc"])
    assert r.status_code == 201, r.text
    code = r.json()["code"]
    assert r.json()["status"] == "proposed"
    assert _review(od, staff, "office", code, secrecy=SECRECY).status_code == 403  # not the office's turn yet
    assert _review(od, staff, "leader", code).status_code == 403
    assert _review(od, staff, "kyc_rev", code).json()["status"] == "unit_approved"
    assert _review(od, staff, "leader", code).status_code == 403
    incomplete = _review(od, staff, "office", code, secrecy={"conclusion": "未查"})
    assert incomplete.status_code == 422 and incomplete.json()["field"] == "secrecy"
    assert _review(od, staff, "office", code, secrecy=SECRECY).json()["status"] == "office_approved"
    done = _review(od, staff, "leader", code).json()
    assert done["status"] == "published" and done["version"] == 1
    assert [(r["level"], r["reviewer"]) for r in done["reviews"]] == [
        ("unit", "kyc_rev"), ("office", "office"), ("leadership", "leader"),
    ]  # fmt: skip
    assert done["reviews"][1]["secrecy"]["conclusion"] == "不涉密，可开放"
    assert od.get(f"/api/v1/open/datasets/{code}").status_code == 200


def test_a_proposal_is_not_public_before_the_leadership_approves(od: httpx.Client, staff: dict) -> None:
    code = od.post("/api/v1/opendata/proposals", json=proposal(), headers=staff["kyc"]).json()["code"]
    _review(od, staff, "kyc_rev", code)
    _review(od, staff, "office", code, secrecy=SECRECY)
    assert od.get(f"/api/v1/open/datasets/{code}").status_code == 404
    assert od.get(f"/api/v1/open/datasets/{code}/data.csv").status_code == 404


def test_another_units_reviewer_cannot_review_at_unit_level(od: httpx.Client, staff: dict) -> None:
    code = od.post("/api/v1/opendata/proposals", json=proposal(), headers=staff["kyc"]).json()["code"]
    assert _review(od, staff, "jwc_rev", code).status_code == 403


def test_a_refusal_needs_a_reason_and_ends_the_proposal(od: httpx.Client, staff: dict) -> None:
    code = od.post("/api/v1/opendata/proposals", json=proposal(), headers=staff["kyc"]).json()["code"]
    bare = _review(od, staff, "kyc_rev", code, decision="refuse")
    assert bare.status_code == 422 and bare.json()["field"] == "reason"
    refused = _review(od, staff, "kyc_rev", code, decision="refuse", reason="论文目录尚未核对")
    assert refused.json()["status"] == "refused" and refused.json()["refusal_reason"] == "论文目录尚未核对"
    assert _review(od, staff, "office", code, secrecy=SECRECY).status_code == 409


def test_not_open_and_privacy_datasets_cannot_even_be_proposed_through_the_api(
    od: httpx.Client,
    staff: dict,
    catalog,
    db: Database,  # noqa: ANN001
) -> None:
    catalog.dataset(
        code="aid_summary", owner_unit_code="0104", grade="general", open_category="conditional",
        elements=[{"code": "XH", "name": "学号"}, {"code": "KNDJ", "name": "困难等级", "sensitive": True, "sensitive_type": "specific_identity"}],
    )  # fmt: skip
    for dataset, who, text in (
        ("student_basic", "xgb", "不予开放"),
        ("unit_info", "office", "不予开放"),
        ("aid_summary", "xgb", "个人隐私"),
    ):
        r = od.post(
            "/api/v1/opendata/proposals",
            json=proposal(dataset, open_category="conditional"),
            headers=staff[who],
        )
        assert r.status_code == 422, r.text
        assert text in r.json()["detail_zh"] and "Art." in r.json()["detail_en"]
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(OpenView)) == 0


def test_a_view_may_not_be_more_open_than_the_catalogue_says(od: httpx.Client, staff: dict) -> None:
    r = od.post("/api/v1/opendata/proposals", json=proposal("course_info"), headers=staff["jwc"])
    assert r.status_code == 422 and r.json()["field"] == "open_category"


def test_only_the_producer_unit_or_the_office_proposes(od: httpx.Client, staff: dict) -> None:
    assert od.post("/api/v1/opendata/proposals", json=proposal(), headers=staff["jwc"]).status_code == 403
    assert od.post("/api/v1/opendata/proposals", json=proposal(), headers=staff["office"]).status_code == 201


def test_published_view_keeps_versions_when_refreshed(od: httpx.Client, staff: dict, accounts) -> None:  # noqa: ANN001
    code = publish(od, staff, proposal())["code"]
    same = od.post(f"/api/v1/opendata/views/{code}/refresh", headers=staff["office"]).json()
    assert same["new_version"] is None
    more = [{"LWBH": "P9000", "LWTM": "新发表的论文", "DYZZ": "钱七", "FBRQ": "2025-01-02", "SSDWDM": "0202"}]
    collect(od, accounts, "research_output", more, headers=staff["kyc"], unit="0106")
    assert (
        od.post(f"/api/v1/opendata/views/{code}/refresh", headers=staff["office"]).json()["new_version"] == 2
    )
    detail = od.get(f"/api/v1/open/datasets/{code}").json()
    assert [(v["number"], v["row_count"]) for v in detail["versions"]] == [(2, 6), (1, 5)]
    old = od.get(f"/api/v1/open/datasets/{code}/rows", params={"version": 1, "limit": 100}).json()
    assert old["total"] == 5 and "P9000" not in {r["LWBH"] for r in old["items"]}


def test_views_due_for_refresh_get_a_new_version_on_schedule(
    od: httpx.Client, staff: dict, db: Database, settings, accounts
) -> None:  # noqa: ANN001
    from datetime import timedelta

    from edudata.db import utcnow
    from edudata.opendata.publish import refresh_due

    code = publish(od, staff, proposal())["code"]
    more = [{"LWBH": "P9001", "LWTM": "按时刷新", "DYZZ": "孙八", "FBRQ": "2025-02-02", "SSDWDM": "0202"}]
    collect(od, accounts, "research_output", more, headers=staff["kyc"], unit="0106")
    with db.session() as s:
        assert refresh_due(s, settings, db) == []  # monthly: not due yet
        assert refresh_due(s, settings, db, now=utcnow() + timedelta(days=32)) == [code]
        s.commit()
    assert od.get(f"/api/v1/open/datasets/{code}").json()["version"] == 2
