"""The lifecycle duties done on /lifecycle (issue 18, item 1): the office files 附件3 (and the support person can
then log in), records an incident to its close, an emergency drill and a backup with its restore drill; a refused
form keeps what was typed and names the field in Chinese beside it. Every step is the API's service, audited.
Destruction has its own page: tests/lifecycle/test_destruction_pages.py."""

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


def test_the_office_sets_and_changes_the_backup_schedule_on_the_page(
    world: dict, server: LiveServer, http: httpx.Client, backup_root: Path, db: Database
) -> None:
    """Issue 18, item 2: the schedule is set and edited on /lifecycle (the API's and CLI's service, the same
    checks: the folders stay under the backup root, important data needs an off-site folder, Art. 60)."""
    with page_login(server.url, "office") as office:
        page = office.get("/lifecycle").text
        assert 'id="schedule-form"' in page and "尚未设置备份计划" in page
        token = csrf_field(page)
        typed = {"csrf_token": token, "name": "nightly", "every_hours": "", "keep_last": "7", "keep_days": "30",
                 "local_dir": "nightly", "offsite_dir": "nightly-offsite"}  # fmt: skip
        r = office.post("/lifecycle/backup-schedules", data=typed)
        assert r.status_code == 422
        assert (
            '<p class="field-error" id="schedule-new-every_hours-error">备份间隔（小时）：请填写整数</p>'
            in r.text
        )
        assert 'id="schedule-new-local_dir" name="local_dir" type="text" value="nightly"' in r.text
        r = office.post(
            "/lifecycle/backup-schedules", data={**typed, "every_hours": "24", "local_dir": "../etc"}
        )
        assert r.status_code == 422 and 'id="schedule-new-local_dir-error">备份目录不能含“..”' in r.text
        r = office.post("/lifecycle/backup-schedules", data={**typed, "every_hours": "24"})
        assert r.status_code == 303
        page = office.get("/lifecycle").text
        assert _flash(page) == "已设置备份计划 nightly（每 24 小时）"
        row = page.split('data-schedule="nightly"')[1].split("</tr>")[0]
        assert "24 小时" in row and "至少7 份，30 天" in row and "尚未运行" in row and "启用" in row
        change = {"csrf_token": token, "every_hours": "12", "keep_last": "3", "keep_days": "10",
                  "local_dir": "nightly", "offsite_dir": "", "enabled": "1"}  # fmt: skip
        r = office.post("/lifecycle/backup-schedules/nightly", data=change)
        assert r.status_code == 422  # the demo catalogue holds important data: off-site is required
        assert (
            'id="schedule-nightly-offsite_dir-error">数据库存有重要数据，备份计划须设置异地备份目标（第六十条）'
            in r.text
        )
        assert 'id="schedule-nightly-every_hours" name="every_hours" type="number" value="12"' in r.text
        r = office.post(
            "/lifecycle/backup-schedules/nightly", data={**change, "offsite_dir": "nightly-offsite"}
        )
        assert r.status_code == 303
        assert _flash(office.get("/lifecycle").text) == "已修改备份计划 nightly（每 12 小时）"
        r = office.post("/lifecycle/backups/run", data={"csrf_token": token, "schedule": "nightly"})
        assert r.status_code == 303
        page = office.get("/lifecycle").text
        name = http.get(f"{API}/backups", headers=world["h"]["office"]).json()["items"][0]["name"]
        assert f"<code>{name}</code>" in page.split('id="backups"')[1]  # the last runs, on the same page
    api = http.put(f"{API}/backup-schedules/nightly", headers=world["h"]["office"], json={
        "every_hours": 6, "keep_last": 3, "keep_days": 10, "local_dir": "nightly", "offsite_dir": "nightly-offsite"})  # fmt: skip
    assert api.status_code == 200 and api.json()["every_hours"] == 6
    assert {"backup_schedule", "backup_schedule_change"} <= set(_operations(db))
    assert (backup_root / "nightly").is_dir()
