"""The lifecycle duties done on /lifecycle (issue 18, item 1): the office files 附件3 (and the support person can
then log in), records an incident to its close, an emergency drill and a backup with its restore drill; the
destruction officer carries out an approved destruction; a refused form keeps what was typed and names the field
in Chinese beside it. Every step is the API's service, audited."""

from __future__ import annotations

from pathlib import Path

import httpx
from sqlalchemy import select

from edudata.audit.models import AuditRecord
from edudata.db import Database
from support import clock
from support.pages import csrf_field, page_login
from support.server import LiveServer
from support.students import PASSWORD

API = "/api/v1/lifecycle"


def _flash(page: str) -> str:
    return page.split('id="flash">')[1].split("<")[0]


def _operations(db: Database) -> list[str]:
    with db.session() as s:
        return [a.operation for a in s.scalars(select(AuditRecord).order_by(AuditRecord.seq))]


def test_the_office_files_annex3_and_the_support_person_can_then_log_in(
    http: httpx.Client,
    world: dict,
    server: LiveServer,
    accounts,
    db: Database,  # noqa: ANN001
) -> None:
    accounts.create(username="vendor", roles=("tech_support",), unit_code="0301", display_name="外包工程师")
    login = {"username": "vendor", "password": PASSWORD}
    assert http.post("/api/v1/auth/token", json=login).status_code == 403
    with page_login(server.url, "office") as office:
        page = office.get("/lifecycle")
        assert 'action="/lifecycle/agreements"' in page.text
        typed = {"username": "vendor", "kind": "annex3", "signed_on": "", "document_ref": "保密协议-017"}
        r = office.post("/lifecycle/agreements", data={"csrf_token": csrf_field(page.text), **typed})
        assert r.status_code == 422
        assert '<p class="field-error" id="agreement-signed_on-error">签署日期：请填写日期</p>' in r.text
        assert 'id="agreement-document_ref" name="document_ref" type="text" value="保密协议-017"' in r.text
        assert '<option value="annex3" selected>' in r.text
        r = office.post(
            "/lifecycle/agreements",
            data={"csrf_token": csrf_field(page.text), **typed, "signed_on": clock.iso(-3)},
        )
        assert r.status_code == 303
        after = office.get("/lifecycle").text
        assert _flash(after) == "已备案 外包工程师 的保密协议（附件3）"
        assert "外包工程师（vendor）" in after.split('id="agreements"')[1]
    assert http.post("/api/v1/auth/token", json=login).status_code == 200
    assert "agreement_record" in _operations(db)


def test_an_incident_is_recorded_and_closed_and_a_drill_recorded_on_the_page(
    world: dict, server: LiveServer, http: httpx.Client
) -> None:
    day = clock.iso(-2)  # found two days ago, in Beijing time as the form's datetime-local carries it
    with page_login(server.url, "office") as office:
        token = csrf_field(office.get("/lifecycle").text)
        r = office.post("/lifecycle/incidents", data={"csrf_token": token, "title": "", "severity": "high",
                                                      "detected_at": f"{day}T09:15"})  # fmt: skip
        assert r.status_code == 422 and "事件名称：不能为空" in r.text
        assert f'name="detected_at" type="datetime-local" value="{day}T09:15"' in r.text
        r = office.post("/lifecycle/incidents", data={"csrf_token": token, "title": "教务系统异常导出",
                                                      "severity": "high", "detected_at": f"{day}T09:15"})  # fmt: skip
        assert r.status_code == 303
        page = office.get("/lifecycle").text
        assert _flash(page) == "已登记安全事件“教务系统异常导出”"
        assert "【重大】教务系统异常导出 — 处置中" in page
        listed = http.get(f"{API}/incidents", headers=world["h"]["office"]).json()["items"]
        assert listed[0]["detected_at"].startswith(f"{day}T01:15")  # Beijing 09:15, stored in UTC
        incident = listed[0]["id"]
        r = office.post(f"/lifecycle/incidents/{incident}", data={
            "csrf_token": token, "contained_at": f"{day}T10:00", "reported_to": "市教委网信处",
            "reported_at": f"{day}T11:00", "root_cause": "账户口令泄露", "close": "1"})  # fmt: skip
        assert r.status_code == 303
        page = office.get("/lifecycle").text
        assert _flash(page) == "安全事件“教务系统异常导出”已关闭" and "教务系统异常导出 — 已关闭" in page
        r = office.post("/lifecycle/drills", data={"csrf_token": token, "scenario": "数据库勒索病毒",
                                                   "held_on": clock.iso(-1), "participants": "网信办、技术支持"})  # fmt: skip
        assert r.status_code == 303
        assert _flash(office.get("/lifecycle").text) == "已记录应急演练“数据库勒索病毒”"
    assert (
        http.get(f"{API}/drills", headers=world["h"]["office"]).json()["items"][0]["scenario"]
        == "数据库勒索病毒"
    )


def test_a_backup_and_its_restore_drill_are_taken_on_the_page(
    world: dict, server: LiveServer, http: httpx.Client, tmp_path: Path
) -> None:
    body = {"name": "nightly", "every_hours": 24, "keep_last": 2, "keep_days": 0,
            "local_dir": str(tmp_path / "local"), "offsite_dir": str(tmp_path / "offsite")}  # fmt: skip
    assert http.post(f"{API}/backup-schedules", json=body, headers=world["h"]["office"]).status_code == 201
    with page_login(server.url, "office") as office:
        token = csrf_field(office.get("/lifecycle").text)
        r = office.post("/lifecycle/backups/run", data={"csrf_token": token, "schedule": "nightly"})
        assert r.status_code == 303
        name = http.get(f"{API}/backups", headers=world["h"]["office"]).json()["items"][0]["name"]
        assert _flash(office.get("/lifecycle").text) == f"已完成备份 {name}"
        r = office.post(f"/lifecycle/backups/{name}/drill", data={"csrf_token": token})
        assert r.status_code == 303
        page = office.get("/lifecycle").text
        assert _flash(page) == f"恢复演练通过：{name}"
        assert f"{name}: 通过" in page.split('id="restore-drills"')[1]


def test_the_destruction_officer_carries_out_an_approved_destruction_on_the_page(
    world: dict, server: LiveServer, http: httpx.Client
) -> None:
    h = world["h"]
    r = http.post(f"{API}/destruction-requests", json={"scope": "dataset", "dataset": "student_basic",
                                                       "reason": "保存期限届满"}, headers=h["office"])  # fmt: skip
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    assert http.post(f"{API}/destruction-requests/{rid}/decision", json={"approve": True},
                     headers=h["office2"]).status_code == 200  # fmt: skip
    with page_login(server.url, "office") as office:
        assert f'id="execute-{rid}"' not in office.get("/lifecycle").text  # the office does not destroy
    with page_login(server.url, "destroyer") as destroyer:
        home = destroyer.get("/").text
        assert 'href="/lifecycle"' in home.split('aria-label="主导航"')[1].split("</nav>")[0]
        page = destroyer.get("/lifecycle").text
        r = destroyer.post(f"/lifecycle/destruction/{rid}/execute", data={"csrf_token": csrf_field(page)})
        assert r.status_code == 303
        assert _flash(destroyer.get("/lifecycle").text) == f"销毁申请 #{rid} 已执行，已出具销毁证明"
    cert = http.get(f"{API}/destruction-requests/{rid}/certificate", headers=h["office"])
    assert cert.status_code == 200 and cert.json()["valid"] is True
    assert http.get("/api/v1/data/student_basic", headers=h["xgb"]).json()["items"] == []
