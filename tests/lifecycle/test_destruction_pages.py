"""Destruction done through the pages (issue 18, Art. 30, 34-36): the office files a request on
/lifecycle/destruction, a second office member rejects one without a reason (the form comes back with the message
beside the field) and approves another, the destruction officer — whose header leads to the page — carries it out
and reads the signed certificate in words. Each step is the API's service: the API sees the same requests."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from edudata.audit.models import AuditRecord
from edudata.db import Database
from support.pages import csrf_field, page_login
from support.server import LiveServer

API = "/api/v1/lifecycle"


def _flash(page: str) -> str:
    return page.split('id="flash">')[1].split("<")[0]


def _nav(page: str) -> str:
    return page.split('aria-label="主导航"')[1].split("</nav>")[0]


def _row(page: str, rid: int) -> str:
    return page.split(f'id="request-{rid}"')[1].split("</tr>")[0]


def test_a_destruction_is_requested_approved_carried_out_and_certified_on_the_pages(
    world: dict, server: LiveServer, http: httpx.Client, db: Database
) -> None:
    h = world["h"]
    with page_login(server.url, "office") as office:
        home = office.get("/").text
        assert 'href="/lifecycle/destruction"' in home  # the office reaches it from home
        page = office.get("/lifecycle/destruction")
        assert page.status_code == 200 and 'id="request-form"' in page.text
        token = csrf_field(page.text)
        typed = {"csrf_token": token, "scope": "dataset", "dataset": "student_basic", "reason": ""}
        r = office.post("/lifecycle/destruction", data=typed)
        assert r.status_code == 422
        assert '<p class="field-error" id="request-reason-error">销毁理由：不能为空</p>' in r.text
        assert '<option value="student_basic" selected>学生基本信息</option>' in r.text
        r = office.post("/lifecycle/destruction", data={**typed, "reason": "保存期限届满"})
        assert r.status_code == 303
        page = office.get(r.headers["location"]).text
        rid = http.get(f"{API}/destruction-requests", headers=h["office"]).json()["items"][0]["id"]
        assert _flash(page).startswith(f"已提出销毁申请 #{rid}（12 条记录）")
        row = _row(page, rid)
        assert "整个数据集：学生基本信息" in row and "待审批" in row
        assert f'id="approve-{rid}"' not in row and "等待另一名网信办人员审批" in row  # not one's own request
        assert "待审批 1 件，待执行 0 件。" in office.get("/lifecycle").text
    with page_login(server.url, "office2") as second:
        page = second.get("/lifecycle/destruction").text
        token = csrf_field(page)
        r = second.post(f"/lifecycle/destruction/{rid}/decision",
                        data={"csrf_token": token, "decision": "reject", "note": ""})  # fmt: skip
        assert r.status_code == 422
        assert f'<p class="field-error" id="decision-{rid}-note-error">驳回须说明理由</p>' in r.text
        r = second.post(f"/lifecycle/destruction/{rid}/decision",
                        data={"csrf_token": token, "decision": "approve", "note": "核对无误"})  # fmt: skip
        assert r.status_code == 303
        page = second.get("/lifecycle/destruction").text
        assert _flash(page) == f"已批准销毁申请 #{rid}，由销毁专员执行"
        assert (
            "已批准" in _row(page, rid) and f'id="execute-{rid}"' not in page
        )  # the office does not destroy
    assert (
        http.get(f"{API}/destruction-requests", headers=h["office"]).json()["items"][0]["status"]
        == "approved"
    )
    with page_login(server.url, "destroyer") as destroyer:
        home = destroyer.get("/").text
        assert 'href="/lifecycle/destruction"' in _nav(home)
        assert destroyer.get("/lifecycle").status_code == 403  # backups and incidents are not this duty's
        page = destroyer.get("/lifecycle/destruction").text
        assert f'id="approve-{rid}"' not in page and 'id="request-form"' not in page
        r = destroyer.post(f"/lifecycle/destruction/{rid}/execute", data={"csrf_token": csrf_field(page)})
        assert r.status_code == 303 and r.headers["location"] == f"/lifecycle/destruction/{rid}/certificate"
        cert = destroyer.get(r.headers["location"]).text
        assert _flash(cert) == f"销毁申请 #{rid} 已执行，已出具销毁证明"
        assert (
            "签名有效" in cert and "学生基本信息 12 条（及历史版本 1 条）" in cert and "保存期限届满" in cert
        )
        assert "EDUDATA-DC-" in cert and '"why"' not in cert and '{"' not in cert  # words, not the JSON body
        assert "已执行" in _row(destroyer.get("/lifecycle/destruction").text, rid)
    api_cert = http.get(f"{API}/destruction-requests/{rid}/certificate", headers=h["office"])
    assert api_cert.status_code == 200 and api_cert.json()["valid"] is True
    assert http.get("/api/v1/data/student_basic", headers=h["xgb"]).json()["items"] == []
    with db.session() as s:
        ops = [a.operation for a in s.scalars(select(AuditRecord).order_by(AuditRecord.seq))]
    assert {"destruction_request", "destruction_approve"} <= set(ops)


def test_the_auditor_reads_the_requests_but_takes_no_step(
    world: dict, server: LiveServer, http: httpx.Client
) -> None:
    body = {"scope": "dataset", "dataset": "student_basic", "reason": "系统下线"}
    assert (
        http.post(f"{API}/destruction-requests", json=body, headers=world["h"]["office"]).status_code == 201
    )
    with page_login(server.url, "aud") as auditor:
        assert 'href="/lifecycle/destruction"' in auditor.get("/").text
        page = auditor.get("/lifecycle/destruction").text
        assert (
            "系统下线" in page
            and 'id="request-form"' not in page
            and "decision" not in page.split("<main")[1]
        )
        r = auditor.post("/lifecycle/destruction", data={"csrf_token": csrf_field(page), "scope": "dataset",
                                                        "dataset": "student_basic", "reason": "x"})  # fmt: skip
        assert r.status_code == 403
    assert len(http.get(f"{API}/destruction-requests", headers=world["h"]["office"]).json()["items"]) == 1
