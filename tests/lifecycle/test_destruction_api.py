"""Destruction (Art. 30, 34-36) over real HTTP on both databases: request → approval → execution, certificate."""

from __future__ import annotations

import json

import httpx
from sqlalchemy import select

from edudata.audit.models import AuditRecord
from edudata.crypto.keys import KeyManager
from edudata.crypto.subject_keys import is_destroyed, subject_ref
from edudata.db import Database
from support.lifecycle import governed_ids

API = "/api/v1/lifecycle/destruction-requests"


def _request_person(http: httpx.Client, world: dict, index: int = 3) -> dict:
    body = {
        "scope": "person",
        "id_number": world["rows"][index]["SFZJH"],
        "reason": "学生申请删除个人信息（第三十五条）",
    }
    r = http.post(API, json=body, headers=world["h"]["office"])
    assert r.status_code == 201, r.text
    return r.json()


def _approve(http: httpx.Client, world: dict, request_id: int) -> None:
    r = http.post(f"{API}/{request_id}/decision", json={"approve": True}, headers=world["h"]["office2"])
    assert r.status_code == 200, r.text


def test_a_person_request_resolves_to_that_persons_rows_and_keeps_no_identifier(
    http: httpx.Client, world: dict, db: Database
) -> None:
    req = _request_person(http, world)
    assert req["datasets"] == {"student_basic": 1} and req["row_count"] == 1 and req["status"] == "requested"
    with db.engine.connect() as conn:
        stored = conn.exec_driver_sql("SELECT * FROM lifecycle_destruction").all()
    assert world["rows"][3]["SFZJH"] not in repr(stored) and world["rows"][3]["XM"] not in repr(stored)


def test_the_requester_cannot_approve_their_own_request(http: httpx.Client, world: dict) -> None:
    req = _request_person(http, world)
    r = http.post(f"{API}/{req['id']}/decision", json={"approve": True}, headers=world["h"]["office"])
    assert r.status_code == 403 and "Art. 30" in r.json()["detail_en"]


def test_the_destruction_officer_cannot_execute_before_approval(
    http: httpx.Client, world: dict, db: Database
) -> None:
    req = _request_person(http, world)
    r = http.post(f"{API}/{req['id']}/execute", headers=world["h"]["destroyer"])
    assert r.status_code == 409
    assert world["ids"][3] in governed_ids(db, "gd_student_basic")


def test_nobody_but_the_destruction_officer_executes_and_the_refusal_is_audited(
    http: httpx.Client, world: dict, db: Database
) -> None:
    req = _request_person(http, world)
    _approve(http, world, req["id"])
    r = http.post(f"{API}/{req['id']}/execute", headers=world["h"]["office"])
    assert r.status_code == 403
    assert world["ids"][3] in governed_ids(db, "gd_student_basic")
    with db.session() as s:
        refused = (
            s.execute(select(AuditRecord).where(AuditRecord.operation.in_(("destroy", "permission_denied"))))
            .scalars()
            .all()
        )
    # The policy refuses at the door (lifecycle.destruction.execute), before the data path is reached.
    assert [(a.username, a.result, a.detail.get("action")) for a in refused] == [
        ("office", "denied", "lifecycle.destruction.execute")
    ]


def test_execution_deletes_current_rows_and_history_and_destroys_the_persons_key(
    http: httpx.Client, world: dict, db: Database
) -> None:
    req = _request_person(http, world)
    _approve(http, world, req["id"])
    assert world["ids"][3] in governed_ids(db, "gd_student_basic__history")
    r = http.post(f"{API}/{req['id']}/execute", headers=world["h"]["destroyer"])
    assert r.status_code == 200, r.text
    assert world["ids"][3] not in governed_ids(db, "gd_student_basic")
    assert world["ids"][3] not in governed_ids(db, "gd_student_basic__history")
    assert len(governed_ids(db, "gd_student_basic")) == 11
    with db.session() as s:
        assert is_destroyed(s, subject_ref(KeyManager(s), world["rows"][3]["SFZJH"]))
    office = http.get("/api/v1/data/student_basic", params={"total": "true"}, headers=world["h"]["office"])
    assert office.json()["total"] == 11


def test_the_certificate_is_signed_and_says_what_why_who_when_and_the_scope_hash(
    http: httpx.Client, world: dict
) -> None:
    req = _request_person(http, world)
    _approve(http, world, req["id"])
    http.post(f"{API}/{req['id']}/execute", headers=world["h"]["destroyer"])
    cert = http.get(f"{API}/{req['id']}/certificate", headers=world["h"]["aud"]).json()
    assert cert["valid"] is True
    body = cert["certificate"]
    assert body["what"]["tables"] == {"student_basic": {"current": 1, "history": 1}}
    assert body["what"]["subject_keys_destroyed"] == 1
    assert body["why"].startswith("学生申请删除") and body["approved_by"] == "office2"
    assert body["requested_by"] == "office" and body["executed_by"] == "destroyer" and body["executed_at"]
    assert body["scope_sha256"] == req["scope_sha256"]


def test_a_changed_certificate_no_longer_verifies(http: httpx.Client, world: dict, db: Database) -> None:
    from edudata.lifecycle.destruction import certificate_valid
    from edudata.lifecycle.models import DestructionCertificate

    req = _request_person(http, world)
    _approve(http, world, req["id"])
    http.post(f"{API}/{req['id']}/execute", headers=world["h"]["destroyer"])
    with db.session() as s:
        cert = s.execute(select(DestructionCertificate)).scalar_one()
        assert certificate_valid(cert)
        cert.body = cert.body.replace('"office2"', '"someone"')
        assert not certificate_valid(cert)


def test_the_audit_log_keeps_the_events_but_no_destroyed_value(
    http: httpx.Client, world: dict, db: Database
) -> None:
    req = _request_person(http, world)
    _approve(http, world, req["id"])
    http.post(f"{API}/{req['id']}/execute", headers=world["h"]["destroyer"])
    with db.session() as s:
        events = (
            s.execute(
                select(AuditRecord).where(AuditRecord.operation.like("destr%")).order_by(AuditRecord.seq)
            )
            .scalars()
            .all()
        )
    ops = [(e.operation, e.result) for e in events]
    assert ("destruction_request", "success") in ops and ("destruction_approve", "success") in ops
    assert ("destroy", "success") in ops
    person = world["rows"][3]
    text = json.dumps([[e.detail, e.filter, e.elements] for e in events], ensure_ascii=False)
    for value in (person["SFZJH"], person["XM"] + "", person["XH"], person["SJHM"]):
        assert value not in text


def test_a_dataset_scope_destroys_every_row_and_version(
    http: httpx.Client, world: dict, db: Database
) -> None:
    body = {"scope": "dataset", "dataset": "student_basic", "reason": "系统下线，数据到期销毁"}
    req = http.post(API, json=body, headers=world["h"]["office"]).json()
    assert req["row_count"] == 12
    _approve(http, world, req["id"])
    assert http.post(f"{API}/{req['id']}/execute", headers=world["h"]["destroyer"]).status_code == 200
    assert governed_ids(db, "gd_student_basic") == [] and governed_ids(db, "gd_student_basic__history") == []


def test_a_before_date_scope_keeps_rows_created_after_the_date(
    http: httpx.Client, world: dict, db: Database
) -> None:
    body = {"scope": "before", "dataset": "student_basic", "cutoff": "2000-01-01", "reason": "保存期限届满"}
    req = http.post(API, json=body, headers=world["h"]["office"]).json()
    assert req["row_count"] == 0
    _approve(http, world, req["id"])
    http.post(f"{API}/{req['id']}/execute", headers=world["h"]["destroyer"])
    assert len(governed_ids(db, "gd_student_basic")) == 12
    later = {"scope": "before", "dataset": "student_basic", "cutoff": "2999-01-01", "reason": "保存期限届满"}
    req = http.post(API, json=later, headers=world["h"]["office"]).json()
    assert req["row_count"] == 12


def test_a_rejection_needs_a_reason_and_a_rejected_request_cannot_run(
    http: httpx.Client, world: dict
) -> None:
    req = _request_person(http, world)
    url = f"{API}/{req['id']}/decision"
    assert http.post(url, json={"approve": False}, headers=world["h"]["office2"]).status_code == 422
    assert (
        http.post(url, json={"approve": False, "note": "理由不足"}, headers=world["h"]["office2"]).status_code
        == 200
    )
    assert http.post(f"{API}/{req['id']}/execute", headers=world["h"]["destroyer"]).status_code == 409


def test_one_request_destroys_a_list_of_people_with_one_approval_one_certificate_and_one_ledger_line(
    http: httpx.Client, world: dict, db: Database, settings
) -> None:  # noqa: ANN001
    """``people``: many ID numbers, located set-wise; executed once (rows, history, every key set-wise); the
    certificate lists them by reference and the ledger line carries every reference, so a restore re-applies it."""
    from edudata.lifecycle import ledger

    chosen = [1, 4, 7]
    body = {
        "scope": "people",
        "id_numbers": [world["rows"][i]["SFZJH"] for i in chosen] + [world["rows"][4]["SFZJH"]],  # one twice
        "reason": "毕业生个人信息到期删除（第三十五条）",
    }
    r = http.post(API, json=body, headers=world["h"]["office"])
    assert r.status_code == 201, r.text
    req = r.json()
    assert req["scope"] == "people" and req["people"] == 3 and req["datasets"] == {"student_basic": 3}
    with db.engine.connect() as conn:
        stored = repr(conn.exec_driver_sql("SELECT * FROM lifecycle_destruction").all())
    assert all(world["rows"][i]["SFZJH"] not in stored for i in chosen)
    _approve(http, world, req["id"])
    r = http.post(f"{API}/{req['id']}/execute", headers=world["h"]["destroyer"])
    assert r.status_code == 200, r.text
    left = governed_ids(db, "gd_student_basic")
    assert len(left) == 9 and not {world["ids"][i] for i in chosen} & set(left)
    assert world["ids"][3] in left  # someone not named stays
    what = r.json()["certificate"]["what"]
    assert what["subject_keys_destroyed"] == 3
    with db.session() as s:
        refs = sorted(subject_ref(KeyManager(s), world["rows"][i]["SFZJH"]) for i in chosen)
        assert all(is_destroyed(s, ref) for ref in refs)
        assert not is_destroyed(s, subject_ref(KeyManager(s), world["rows"][3]["SFZJH"]))
    assert what["people"] == refs
    lines = [e for e in ledger.entries(settings) if e["request"] == req["id"]]
    assert len(lines) == 1 and lines[0]["scope"]["subject_refs"] == refs


def test_a_people_request_without_id_numbers_is_refused_in_both_languages(
    http: httpx.Client, world: dict
) -> None:
    r = http.post(
        API, json={"scope": "people", "id_numbers": [" "], "reason": "x"}, headers=world["h"]["office"]
    )
    assert r.status_code == 422, r.text
    assert "身份证件号" in r.json()["detail"] and "ID numbers" in r.json()["detail_en"]
