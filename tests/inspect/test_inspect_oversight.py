"""The leadership group's part in inspections (Art. 61, 64, 67) over real HTTP: it sets the content (statutory
checks cannot be switched off) and issues notices the office's runs carry out; findings are passed to 纪检监察 on
record; a finding seen by consecutive inspections is marked repeat; interviews (约谈) are recorded."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy import func, select

from edudata.audit.models import AuditRecord
from edudata.inspect.models import Escalation, InspectionContent, Interview
from edudata.inspect.oversight import STATUTORY
from edudata.inspect.registry import all_checks
from edudata.org.models import RoleAssignment
from edudata.org.service import find_account
from support import clock
from support.students import PASSWORD

API = "/api/v1/inspect"
HTML = {"accept": "text/html"}


@pytest.fixture
def people(accounts, in_session) -> dict:  # noqa: ANN001
    """Office, leadership, auditor, a unit officer, and one separation-of-duties violation in unit 0002."""
    accounts.create(username="office", roles=("office_admin",), unit_code="0002")
    accounts.create(username="lead", roles=("leadership",), unit_code="0001")
    accounts.create(username="aud", roles=("auditor",), unit_code="0002")
    accounts.create(username="officer", roles=("unit_data_officer",), unit_code="0104")
    accounts.create(username="both", roles=("office_admin",), unit_code="0002")
    in_session(lambda s: s.add(RoleAssignment(account_id=find_account(s, "both").id, role="auditor")))
    return {u: accounts.headers(u) for u in ("office", "lead", "aud", "officer")}


def _optional() -> list[str]:
    return [c.code for c in all_checks() if c.code not in STATUTORY]


def _statutory() -> list[str]:
    return [c.code for c in all_checks() if c.code in STATUTORY]


def _count(db, model) -> int:  # noqa: ANN001
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def test_the_leadership_sets_the_content_and_cannot_switch_off_a_statutory_check(http, people, db) -> None:  # noqa: ANN001
    keep = _optional()[:2]
    without = http.put(f"{API}/content", json={"checks": keep}, headers=people["lead"])
    assert without.status_code == 422 and "法定检查项不能取消" in without.json()["detail_zh"]
    assert sorted(without.json()["statutory"]) == sorted(_statutory())
    dropped_one = [c for c in _statutory() if c != "org.sod_conflict"]
    r = http.put(f"{API}/content", json={"checks": dropped_one + keep}, headers=people["lead"])
    assert r.status_code == 422 and r.json()["statutory"] == ["org.sod_conflict"]
    assert (
        http.put(f"{API}/content", json={"checks": _statutory()}, headers=people["office"]).status_code == 403
    )
    assert _count(db, InspectionContent) == 0
    ok = http.put(
        f"{API}/content", json={"checks": _statutory() + keep, "note": "2026 年度"}, headers=people["lead"]
    )
    assert ok.status_code == 200, ok.text
    enabled = {c["code"] for c in ok.json()["checks"] if c["enabled"]}
    assert enabled == set(_statutory() + keep)
    # every run is within the content: the year-end run, and a special run asking for a check switched off
    report = http.post(f"{API}/runs", json={"mode": "year_end"}, headers=people["office"]).json()
    assert set(report["run"]["checks"]) == enabled
    off = next(c for c in _optional() if c not in keep)
    refused = http.post(f"{API}/runs", json={"mode": "special", "checks": [off]}, headers=people["office"])
    assert (
        refused.status_code == 422
        and refused.json()["off"] == [off]
        and "第六十一条" in refused.json()["detail_zh"]
    )


def test_a_notice_issued_by_the_leadership_is_carried_out_by_the_office(http, people, server) -> None:  # noqa: ANN001
    body = {"title": "2026 年数据安全专项检查", "mode": "special", "body": "请各单位配合检查不相容岗位。",
            "starts_on": clock.iso(0), "ends_on": clock.iso(14), "checks": ["org.sod_conflict"]}  # fmt: skip
    assert http.post(f"{API}/notices", json=body, headers=people["office"]).status_code == 403
    backwards = http.post(f"{API}/notices", json={**body, "ends_on": clock.iso(-1)}, headers=people["lead"])
    assert backwards.status_code == 422 and backwards.json()["field"] == "ends_on"
    notice = http.post(f"{API}/notices", json=body, headers=people["lead"])
    assert notice.status_code == 201, notice.text
    nid = notice.json()["id"]
    assert [n["title"] for n in http.get(f"{API}/notices", headers=people["aud"]).json()["items"]] == [
        body["title"]
    ]
    wrong_mode = http.post(
        f"{API}/runs", json={"mode": "year_end", "notice_id": nid}, headers=people["office"]
    )
    assert wrong_mode.status_code == 422 and wrong_mode.json()["field"] == "mode"
    run = http.post(
        f"{API}/runs", json={"mode": "special", "notice_id": nid}, headers=people["office"]
    ).json()
    assert run["run"]["checks"] == ["org.sod_conflict"] and run["run"]["notice_id"] == nid
    assert run["run"]["title"] == body["title"] and run["counts"]["new"] == 1
    office, _ = _web(server.url, "office")
    assert f"依据检查通知 #{nid}" in office.get(f"/inspect/runs/{run['run']['id']}", headers=HTML).text
    office.close()


def test_a_finding_seen_by_consecutive_inspections_is_marked_repeat(http, people, server) -> None:  # noqa: ANN001
    special = {"mode": "special", "checks": ["org.sod_conflict"]}
    first = http.post(f"{API}/runs", json=special, headers=people["office"]).json()
    assert [f["repeat"] for f in first["findings"]["new"]] == [False] and first["repeats"] == 0
    fid = first["findings"]["new"][0]["id"]
    # a run that does not inspect this check does not break the sequence of inspections that do
    other = [c.code for c in all_checks() if c.code != "org.sod_conflict"][:1]
    http.post(f"{API}/runs", json={"mode": "special", "checks": other}, headers=people["office"])
    second = http.post(f"{API}/runs", json=special, headers=people["office"]).json()
    assert [(f["id"], f["repeat"], f["repeat_count"]) for f in second["findings"]["open"]] == [(fid, True, 1)]
    assert second["repeats"] == 1
    third = http.post(f"{API}/runs", json={"mode": "year_end"}, headers=people["office"]).json()
    assert [(f["id"], f["repeat_count"]) for f in third["findings"]["open"] if f["id"] == fid] == [(fid, 2)]
    office, _ = _web(server.url, "office")
    assert "重复出现（连续 3 次检查）" in office.get(f"/inspect/runs/{third['run']['id']}", headers=HTML).text
    office.close()
    assert http.get(f"{API}/findings/{fid}", headers=people["office"]).json()["repeat_count"] == 2


def test_a_finding_is_passed_to_discipline_inspection_on_record(http, people, db) -> None:  # noqa: ANN001
    run = http.post(
        f"{API}/runs", json={"mode": "special", "checks": ["org.sod_conflict"]}, headers=people["office"]
    )
    fid = run.json()["findings"]["new"][0]["id"]
    url = f"{API}/findings/{fid}/escalate"
    assert (
        http.post(url, json={"reason": "屡次违反不相容岗位分离"}, headers=people["officer"]).status_code
        == 403
    )
    assert http.post(url, json={"reason": " "}, headers=people["lead"]).status_code == 422
    assert _count(db, Escalation) == 0
    done = http.post(
        url,
        json={"reason": "屡次违反不相容岗位分离", "reference": "津财信〔2026〕7号"},
        headers=people["lead"],
    )
    assert done.status_code == 201, done.text
    [e] = done.json()["escalations"]
    assert (e["referred_to"], e["reference"], e["escalated_by"]) == (
        "纪检监察部门",
        "津财信〔2026〕7号",
        "lead",
    )
    assert http.get(f"{API}/findings/{fid}", headers=people["aud"]).json()["escalations"][0]["id"] == e["id"]
    with db.session() as s:
        audited = s.scalars(select(AuditRecord).where(AuditRecord.operation == "inspect_escalate")).one()
        assert audited.username == "lead" and audited.detail["finding_id"] == fid


def test_an_interview_is_recorded_with_date_people_and_outcome(http, people, db) -> None:  # noqa: ANN001
    run = http.post(
        f"{API}/runs", json={"mode": "special", "checks": ["org.sod_conflict"]}, headers=people["office"]
    )
    fid = run.json()["findings"]["new"][0]["id"]
    body = {"held_on": clock.iso(0), "unit_code": "0002", "interviewers": ["网信办 张主任"],
            "interviewees": ["单位负责人 李四"], "subject": "不相容岗位未分离", "outcome": "限期两周整改，撤销审计员角色",
            "finding_ids": [fid]}  # fmt: skip
    assert http.post(f"{API}/interviews", json=body, headers=people["aud"]).status_code == 403
    future = http.post(f"{API}/interviews", json={**body, "held_on": clock.iso(3)}, headers=people["office"])
    assert future.status_code == 422 and future.json()["field"] == "held_on"
    no_unit = http.post(f"{API}/interviews", json={**body, "unit_code": "9999"}, headers=people["office"])
    assert no_unit.status_code == 422 and no_unit.json()["field"] == "units"
    assert _count(db, Interview) == 0
    ok = http.post(f"{API}/interviews", json=body, headers=people["office"])
    assert ok.status_code == 201, ok.text
    got = http.get(f"{API}/interviews", headers=people["lead"]).json()["items"]
    assert [(i["held_on"], i["interviewees"], i["outcome"], i["finding_ids"]) for i in got] == [
        (clock.iso(0), ["单位负责人 李四"], "限期两周整改，撤销审计员角色", [fid])
    ]
    assert (
        http.get(f"{API}/findings/{fid}", headers=people["office"]).json()["interviews"][0]["id"]
        == got[0]["id"]
    )


def _web(server_url: str, username: str) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=server_url, timeout=60, follow_redirects=False)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login", headers=HTML).text).group(1)
    r = client.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf_token": token}, headers=HTML
    )
    assert r.status_code == 303, r.text
    return client, token


def _csrf(page: httpx.Response) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def test_the_oversight_page_sets_content_issues_notices_and_records_interviews(
    http,
    people,
    server,
    db,  # noqa: ANN001
) -> None:
    lead, _ = _web(server.url, "lead")
    page = lead.get("/inspect/oversight", headers=HTML)
    assert page.status_code == 200 and 'id="content-form"' in page.text and "法定，不可取消" in page.text
    # a statutory check is a disabled box plus a hidden field: the form cannot leave it out
    assert re.search(r'<input type="hidden" name="checks" value="audit\.chain">', page.text)
    keep = _optional()[:1]
    form = {"csrf_token": _csrf(page), "checks": _statutory() + keep}
    assert lead.post("/inspect/content", data=form, headers=HTML).status_code == 303
    forged = {"csrf_token": _csrf(page), "checks": keep}  # the hidden fields removed
    refused = lead.post("/inspect/content", data=forged, headers=HTML)
    assert refused.status_code == 422 and "法定检查项不能取消" in refused.text
    notice = {"csrf_token": _csrf(page), "title": "年底检查通知", "mode": "year_end", "body": "开展年底检查",
              "starts_on": clock.iso(0), "ends_on": clock.iso(30)}  # fmt: skip
    assert lead.post("/inspect/notices", data=notice, headers=HTML).status_code == 303
    interview = {"csrf_token": _csrf(page), "held_on": clock.iso(0), "unit_code": "0104", "interviewers": "张主任，王委员",
                 "interviewees": "李四", "subject": "问题整改逾期", "outcome": "承诺一周内整改"}  # fmt: skip
    missing = lead.post("/inspect/interviews", data={**interview, "outcome": ""}, headers=HTML)
    assert missing.status_code == 422 and "请填写约谈结果" in missing.text
    assert lead.post("/inspect/interviews", data=interview, headers=HTML).status_code == 303
    shown = lead.get("/inspect/oversight", headers=HTML).text
    assert "年底检查通知" in shown and "张主任、王委员" in shown and "承诺一周内整改" in shown
    with db.session() as s:
        assert [sorted(c.checks) for c in s.scalars(select(InspectionContent))] == [
            sorted(_statutory() + keep)
        ]
    office, _ = _web(server.url, "office")
    run = http.post(
        f"{API}/runs", json={"mode": "special", "checks": ["org.sod_conflict"]}, headers=people["office"]
    )
    fid = run.json()["findings"]["new"][0]["id"]
    fpage = office.get(f"/inspect/findings/{fid}", headers=HTML)
    assert 'id="escalate-form"' in fpage.text
    r = office.post(f"/inspect/findings/{fid}/escalate", data={"csrf_token": _csrf(fpage), "reason": "",
                    "referred_to": "纪检监察部门"}, headers=HTML)  # fmt: skip
    assert r.status_code == 422 and "请填写移交理由" in r.text
    r = office.post(f"/inspect/findings/{fid}/escalate", data={"csrf_token": _csrf(fpage), "reason": "情节严重",
                    "referred_to": "纪检监察部门", "reference": "〔2026〕9号"}, headers=HTML)  # fmt: skip
    assert r.status_code == 303
    assert "〔2026〕9号" in office.get(f"/inspect/findings/{fid}", headers=HTML).text
    lead.close()
    office.close()
