"""Emergency plan, incidents, drills and anomaly alerts from the audit log (Art. 55), over real HTTP."""

from __future__ import annotations

import httpx

from edudata.audit.service import record_many
from edudata.db import Database, utcnow
from edudata.lifecycle.incidents import BEIJING, compute_alerts
from support import clock

API = "/api/v1/lifecycle"


def test_the_emergency_plan_on_file_is_the_newest_version(http: httpx.Client, world: dict) -> None:
    h = world["h"]["office"]
    assert http.get(f"{API}/emergency-plans/current", headers=h).status_code == 404
    for version in ("1.0", "1.1"):
        body = {
            "title": "数据安全事件应急预案",
            "version": version,
            "body": "一、总则……",
            "approved_on": clock.iso(-270),
        }
        assert http.post(f"{API}/emergency-plans", json=body, headers=h).status_code == 201
    plan = http.get(f"{API}/emergency-plans/current", headers=world["h"]["xgb"]).json()
    assert plan["version"] == "1.1"


def test_an_incident_closes_only_with_containment_report_and_root_cause(
    http: httpx.Client, world: dict
) -> None:
    h = world["h"]["office"]
    detected = clock.beijing_at(-1, 10).isoformat()  # yesterday 10:00 Beijing time
    body = {"title": "学生信息疑似外泄", "severity": "high", "detected_at": detected}
    incident = http.post(f"{API}/incidents", json=body, headers=h).json()
    url = f"{API}/incidents/{incident['id']}"
    assert http.patch(url, json={"close": True}, headers=h).status_code == 422
    early = {"contained_at": clock.beijing_at(-1, 9).isoformat()}  # before it was detected
    assert http.patch(url, json=early, headers=h).status_code == 422
    step = {"contained_at": clock.beijing_at(-1, 11).isoformat(), "reported_to": "天津市教委网信处",
            "reported_at": clock.beijing_at(-1, 12).isoformat()}  # fmt: skip
    assert http.patch(url, json=step, headers=h).json()["status"] == "contained"
    done = http.patch(url, json={"root_cause": "导出文件误发", "close": True}, headers=h).json()
    assert done["status"] == "closed" and done["reported_to"] == "天津市教委网信处"
    assert http.patch(url, json={"actions": "补充"}, headers=h).status_code == 409
    listed = http.get(f"{API}/incidents", headers=world["h"]["aud"]).json()["items"]
    assert [i["status"] for i in listed] == ["closed"]


def test_drills_are_recorded_and_listed(http: httpx.Client, world: dict) -> None:
    body = {
        "scenario": "数据库勒索病毒",
        "held_on": clock.iso(-45),
        "participants": "网信办、信息中心",
        "findings": "恢复用时 40 分钟",
    }
    assert http.post(f"{API}/drills", json=body, headers=world["h"]["office"]).status_code == 201
    assert http.post(f"{API}/drills", json=body, headers=world["h"]["xgb"]).status_code == 403
    assert (
        http.get(f"{API}/drills", headers=world["h"]["aud"]).json()["items"][0]["scenario"]
        == "数据库勒索病毒"
    )


def test_many_refused_requests_from_one_account_raise_an_alert(http: httpx.Client, world: dict) -> None:
    for _ in range(10):
        r = http.get("/api/v1/data/staff_basic", headers=world["h"]["xgb"])
        assert r.status_code == 403
    alerts = http.get(f"{API}/alerts", headers=world["h"]["office"]).json()["items"]
    kinds = {(a["kind"], a["username"] or a["address"]) for a in alerts}
    assert ("denied_account", "xgb") in kinds and ("denied_address", "127.0.0.1") in kinds


def test_nine_refusals_are_not_yet_an_alert(http: httpx.Client, world: dict) -> None:
    for _ in range(9):
        http.get("/api/v1/data/staff_basic", headers=world["h"]["xgb"])
    alerts = http.get(f"{API}/alerts", headers=world["h"]["office"]).json()["items"]
    assert not [a for a in alerts if a["kind"] == "denied_account"]


def test_a_bulk_export_is_an_alert_until_the_office_handles_it(
    http: httpx.Client, world: dict, db: Database
) -> None:
    with db.session() as s:
        record_many(s, [{"operation": "export", "username": "lib", "source_ip": "10.1.2.3", "unit_code": "0110",
                         "dataset": "student_basic", "row_count": 12_000}])  # fmt: skip
        s.commit()
    h = world["h"]["office"]
    (alert,) = [a for a in http.get(f"{API}/alerts", headers=h).json()["items"] if a["kind"] == "bulk_export"]
    assert alert["count"] == 12_000 and alert["username"] == "lib"
    assert any(
        o["subject"] == alert["key"] for o in http.get(f"{API}/obligations", headers=h).json()["items"]
    )
    body = {"key": alert["key"], "note": "经核实为年度统计报送"}
    assert http.post(f"{API}/alerts/handle", json=body, headers=h).status_code == 201
    left = http.get(f"{API}/alerts", params={"unhandled": "true"}, headers=h).json()["items"]
    assert not [a for a in left if a["kind"] == "bulk_export"]
    assert not any(
        o["subject"] == alert["key"] for o in http.get(f"{API}/obligations", headers=h).json()["items"]
    )
    assert http.post(f"{API}/alerts/handle", json=body, headers=h).status_code == 409


def test_reads_outside_working_hours_are_alerts(http: httpx.Client, world: dict, db: Database) -> None:
    assert http.get("/api/v1/data/student_basic", headers=world["h"]["office"]).status_code == 200
    hour = utcnow().astimezone(BEIJING).hour
    off = ((hour + 1) % 24, (hour + 1) % 24 + 1)  # a working day that has not begun at this hour
    with db.session() as s:
        assert "office" in {a.username for a in compute_alerts(s, work_hours=off) if a.kind == "off_hours"}
        assert "office" not in {
            a.username for a in compute_alerts(s, work_hours=(0, 24)) if a.kind == "off_hours"
        }


def test_alerts_are_for_the_office(http: httpx.Client, world: dict) -> None:
    assert http.get(f"{API}/alerts", headers=world["h"]["xgb"]).status_code == 403
