"""State secrets (Art. 56–57): a 涉密 element or dataset is refused on every outward path, each refusal audited;
its handling is registered and approved, and providing it outside needs the authority's approval and an agreement."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from edudata.audit.models import AuditRecord
from edudata.db import Database
from support.sharing import application

MARK = "/api/v1/secrecy/markings"
REGISTER = "/api/v1/secrecy/register"


def _mark(http: httpx.Client, h: dict, dataset: str, element: str = "") -> dict[str, Any]:
    body = {"dataset_code": dataset, "element_code": element, "basis": "保密工作部门定密通知 2025-3 号"}
    r = http.post(MARK, json=body, headers=h)
    assert r.status_code == 201, r.text
    return r.json()


def _refused(r: httpx.Response) -> None:
    assert r.status_code == 403, r.text
    assert r.json()["code"] == "state-secret"
    assert "第五十六、五十七条" in r.json()["detail_zh"] and "Art. 56-57" in r.json()["detail_en"]


def _denied(db: Database) -> list[str]:
    with db.session() as s:
        return [
            a.username
            for a in s.scalars(
                select(AuditRecord).where(AuditRecord.result == "denied").order_by(AuditRecord.seq)
            )
        ]


def test_a_secret_element_is_refused_on_every_outward_path_and_each_refusal_audited(
    http: httpx.Client, world: dict, db: Database
) -> None:
    h = world["h"]
    _mark(http, h["office"], "student_basic", "SFZJH")
    # export
    _refused(http.get("/api/v1/data/student_basic/export", params={"format": "csv"}, headers=h["office"]))
    # sharing
    _refused(http.post("/api/v1/sharing/applications", json=application(), headers=h["lib"]))
    # third-party (de-identified) release
    release = {"dataset": "student_basic", "quasi_identifiers": ["XBM", "NJ"], "k": 2,
               "extra": ["SFZJH"], "purpose": "学生来源结构统计研究"}  # fmt: skip
    _refused(http.post("/api/v1/privacy/releases", json=release, headers=h["office"]))
    assert _denied(db) == ["office", "lib", "office"]
    # What is not marked still goes out the ordinary way.
    ok = http.get(
        "/api/v1/data/student_basic/export",
        params={"format": "csv", "elements": "XH,XM"},
        headers=h["office"],
    )
    assert ok.status_code == 200, ok.text


def test_a_secret_dataset_is_never_proposed_for_open_data(
    http: httpx.Client, world: dict, db: Database
) -> None:
    h = world["h"]
    _mark(http, h["office"], "research_output")
    proposal = {"dataset": "research_output", "description": "本校教师发表的学术论文目录", "keywords": ["论文"],
                "open_category": "unconditional", "licence": "CC-BY-4.0", "update_frequency": "monthly"}  # fmt: skip
    _refused(http.post("/api/v1/opendata/proposals", json=proposal, headers=h["office"]))
    lifted = http.post(
        f"{MARK}/{http.get(MARK, headers=h['office']).json()['items'][0]['id']}/lift", headers=h["office"]
    )
    assert lifted.status_code == 200
    assert http.post("/api/v1/opendata/proposals", json=proposal, headers=h["office"]).status_code == 201


def test_providing_secret_data_outside_needs_approval_and_an_agreement_and_another_approver(
    http: httpx.Client, world: dict
) -> None:
    h = world["h"]
    _mark(http, h["office"], "student_basic", "SFZJH")
    entry = {"dataset_code": "student_basic", "element_code": "SFZJH", "kind": "provide",
             "description": "向合作院校提供 2023 级学生身份证件号用于联合培养学籍核对", "recipient": "某合作大学"}  # fmt: skip
    r = http.post(REGISTER, json=entry, headers=h["office"])
    assert r.status_code == 422 and r.json()["field"] == "authority_approval"
    entry |= {"authority_approval": "津教保〔2025〕12 号", "agreement_ref": "BM-2025-007"}
    r = http.post(REGISTER, json=entry, headers=h["office"])
    assert r.status_code == 201 and r.json()["status"] == "pending" and r.json()["external"]
    entry_id = r.json()["id"]
    own = http.post(f"{REGISTER}/{entry_id}/decision", json={"approve": True}, headers=h["office"])
    assert own.status_code == 403
    assert (
        http.post(f"{REGISTER}/{entry_id}/decision", json={"approve": True}, headers=h["lib"]).status_code
        == 403
    )
    done = http.post(f"{REGISTER}/{entry_id}/decision", json={"approve": True}, headers=h["leader"])
    assert (
        done.status_code == 200
        and done.json()["status"] == "approved"
        and done.json()["decided_by"] == "leader"
    )
    copy = {"dataset_code": "student_basic", "kind": "copy", "description": "刻录光盘一份交档案馆"}
    assert http.post(REGISTER, json=copy, headers=h["office"]).status_code == 201
    kinds = [e["kind"] for e in http.get(REGISTER, headers=h["leader"]).json()["items"]]
    assert kinds == ["copy", "provide"]


def test_the_secrecy_page_lists_markings_and_offers_the_forms_to_the_office(
    http: httpx.Client, world: dict
) -> None:
    h = world["h"]
    _mark(http, h["office"], "student_basic", "SFZJH")
    page = http.get("/secrecy", headers=h["office"])
    assert page.status_code == 200 and "涉密数据管理" in page.text and "SFZJH" in page.text
    assert 'action="/secrecy/markings"' in page.text
    leader = http.get("/secrecy", headers=h["leader"])
    assert leader.status_code == 200 and 'action="/secrecy/markings"' not in leader.text
    assert http.get("/secrecy", headers=h["lib"]).status_code == 403


def test_a_refused_decision_on_the_page_keeps_the_note_beside_the_entry(
    http: httpx.Client, world: dict
) -> None:
    """Issue 18: a decision the register refuses comes back on the page with the message beside that entry's note
    field and the typed note kept — not a bare error page."""
    import re

    from support.students import PASSWORD

    h = world["h"]
    copy = {"dataset_code": "student_basic", "kind": "copy", "description": "刻录光盘一份交档案馆"}
    entry_id = http.post(REGISTER, json=copy, headers=h["office"]).json()["id"]
    html = {"accept": "text/html"}
    token = re.search(r'name="csrf_token" value="([^"]+)"', http.get("/login", headers=html).text).group(1)
    r = http.post(
        "/login", data={"username": "leader", "password": PASSWORD, "csrf_token": token}, headers=html
    )
    assert r.status_code == 303
    token = re.search(r'name="csrf_token" value="([^"]+)"', http.get("/secrecy", headers=html).text).group(1)
    r = http.post(f"/secrecy/register/{entry_id}/decision", headers=html,
                  data={"csrf_token": token, "decision": "reject", "note": ""})  # fmt: skip
    assert r.status_code == 422
    assert f'<p class="field-error" id="note-{entry_id}-error">驳回须说明理由</p>' in r.text
    assert f'aria-describedby="note-{entry_id}-error"' in r.text
    r = http.post(f"/secrecy/register/{entry_id}/decision", headers=html,
                  data={"csrf_token": token, "decision": "reject", "note": "未写明份数"})  # fmt: skip
    assert r.status_code == 303
    assert http.get(REGISTER, headers=h["leader"]).json()["items"][0]["status"] == "rejected"
