"""The audit log over real HTTP: auditors only (separation of duties, Art. 30), every read itself recorded."""

from __future__ import annotations

import base64

import httpx
from sqlalchemy import select

from edudata.audit import merkle, note
from edudata.audit.models import AuditRecord
from edudata.audit.sequencer import sequence_all
from edudata.audit.service import record_now
from edudata.crypto import signing
from edudata.db import Database
from support.audit_log import edit_record

RECORDS = "/api/v1/audit/records"


def _records(db: Database, **where: str) -> list[AuditRecord]:
    with db.session() as s:
        stmt = select(AuditRecord).order_by(AuditRecord.seq)
        for name, value in where.items():
            stmt = stmt.where(getattr(AuditRecord, name) == value)
        return list(s.scalars(stmt))


def _some_history(db: Database) -> None:
    record_now(
        db, operation="export", username="bob", unit_code="0103", dataset="student.basic", row_count=12
    )
    record_now(
        db, operation="query", username="carol", unit_code="0104", dataset="staff.basic", result="denied"
    )
    record_now(db, operation="login", username="bob", unit_code="0103", account_id=4242)


def test_reading_without_a_token_is_refused_and_the_refusal_recorded(
    http: httpx.Client, db: Database
) -> None:
    r = http.get(RECORDS)
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")
    [rec] = _records(db)
    assert (rec.operation, rec.result, rec.username) == ("permission_denied", "denied", None)
    assert rec.detail["path"] == RECORDS and rec.detail["status"] == 401
    assert rec.request_id == r.json()["request_id"]


def test_office_admin_who_is_not_an_auditor_may_not_read_it(
    http: httpx.Client, db: Database, accounts
) -> None:  # noqa: ANN001
    accounts.create("admin1", roles=("office_admin",), unit_code="0002")
    r = http.get(RECORDS, headers=accounts.headers("admin1"))
    assert r.status_code == 403
    assert r.json()["detail_zh"] and r.json()["detail_en"]
    [denial] = _records(db, operation="permission_denied")
    assert (denial.username, denial.unit_code, denial.result) == ("admin1", "0002", "denied")


def test_auditor_searches_by_filters_and_the_search_is_recorded(
    http: httpx.Client, db: Database, accounts
) -> None:  # noqa: ANN001
    accounts.create("audit1", roles=("auditor",), unit_code="0002")
    headers = accounts.headers("audit1")
    _some_history(db)
    r = http.get(RECORDS, params={"account": "bob", "unit": "0103"}, headers=headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] == 2 and [i["operation"] for i in body["items"]] == [
        "login",
        "export",
    ]  # newest first
    assert body["items"][1]["dataset"] == "student.basic" and body["items"][1]["at"].endswith("Z")
    assert http.get(RECORDS, params={"account": "4242"}, headers=headers).json()["total"] == 1
    assert (
        http.get(RECORDS, params={"result": "denied"}, headers=headers).json()["items"][0]["username"]
        == "carol"
    )
    today = body["items"][0]["at"][:10]
    assert (
        http.get(
            RECORDS, params={"since": today, "until": today, "dataset": "staff.basic"}, headers=headers
        ).json()["total"]
        == 1
    )
    searches = _records(db, operation="query", dataset="audit_record")
    assert len(searches) == 4 and {s.username for s in searches} == {"audit1"}
    assert searches[0].filter == "account=bob AND unit=0103" and searches[0].row_count == 2


def test_page_size_is_capped_with_a_clear_422(http: httpx.Client, db: Database, accounts) -> None:  # noqa: ANN001
    accounts.create("audit2", roles=("auditor",))
    headers = accounts.headers("audit2")
    r = http.get(RECORDS, params={"limit": 201}, headers=headers)
    assert r.status_code == 422
    body = r.json()
    assert body["code"] == "validation-failed" and "limit" in body["detail_en"] and body["detail_zh"]
    [failed] = _records(db, operation="request_failed")
    assert (failed.result, failed.username, failed.detail["status"]) == ("failed", "audit2", 422)
    assert http.get(RECORDS, params={"limit": 200}, headers=headers).status_code == 200
    bad = http.get(RECORDS, params={"since": "2025-13-45"}, headers=headers)
    assert bad.status_code == 422 and "since" in bad.json()["detail_en"]


def test_verify_endpoint_reports_intact_then_the_first_broken_record(
    http: httpx.Client,
    db: Database,
    accounts,  # noqa: ANN001
) -> None:
    accounts.create("audit3", roles=("auditor",))
    headers = accounts.headers("audit3")
    _some_history(db)
    ok = http.get("/api/v1/audit/verify", headers=headers).json()
    assert ok["ok"] is True and ok["checked"] >= 3 and ok["first_bad_seq"] is None
    edit_record(db, 1, row_count=13)
    broken = http.get("/api/v1/audit/verify", headers=headers).json()
    assert (
        broken["ok"] is False and broken["first_bad_seq"] == 1 and broken["reason_zh"] and broken["reason_en"]
    )
    assert len(_records(db, operation="audit_verify")) == 2


def test_audit_page_shows_filters_results_and_chain_status(
    http: httpx.Client, db: Database, accounts
) -> None:  # noqa: ANN001
    accounts.create("audit4", roles=("auditor",))
    headers = {**accounts.headers("audit4"), "accept": "text/html"}
    _some_history(db)
    page = http.get("/audit", params={"unit": "0103", "verify": "1"}, headers=headers)
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "审计日志" in page.text and "student.basic" in page.text and "staff.basic" not in page.text
    assert 'id="verify-result"' in page.text and "完整" in page.text
    english = http.get("/audit", params={"lang": "en"}, headers=headers)
    assert "Audit log" in english.text


def test_audit_page_refuses_a_non_auditor_and_records_it(http: httpx.Client, db: Database, accounts) -> None:  # noqa: ANN001
    accounts.create("clerk", roles=("unit_data_officer",), unit_code="0103")
    r = http.get("/audit", headers={**accounts.headers("clerk"), "accept": "text/html"})
    assert r.status_code == 403 and "text/html" in r.headers["content-type"]
    [denial] = _records(db, operation="permission_denied")
    assert denial.username == "clerk" and denial.detail["path"] == "/audit"


def test_auditor_gets_inclusion_and_consistency_proofs_a_third_party_can_check(
    http: httpx.Client,
    db: Database,
    accounts,  # noqa: ANN001
    settings,  # noqa: ANN001
) -> None:
    accounts.create("audit5", roles=("auditor",))
    headers = accounts.headers("audit5")
    for i in range(300):  # more than one 256-leaf tile, so the proof uses a stored tile hash
        record_now(db, operation="query", username=f"p{i}")
    sequence_all(db, settings, checkpoint=True)
    old = http.get("/api/v1/audit/checkpoint", headers=headers).json()
    record_now(db, operation="export", username="late")
    sequence_all(db, settings, checkpoint=True)

    target = _records(db, username="p7")[0]
    got = http.get(f"/api/v1/audit/proofs/inclusion/{target.seq}", headers=headers)
    assert got.status_code == 200, got.text
    proof = got.json()
    # Checked the way an outside party would: the log's key, the note, RFC 9162 — nothing of the server's.
    checkpoint = note.parse_checkpoint(
        note.verify(proof["checkpoint"], "edudata.local/audit", signing.public_key_bytes(settings)).text
    )
    leaf = merkle.leaf_hash(proof["leaf"].encode())
    hashes = [base64.b64decode(h) for h in proof["proof"]]
    assert proof["leaf"].startswith(f"{proof['position']}\n") and '"p7"' in proof["leaf"]
    assert merkle.verify_inclusion(leaf, proof["leaf_index"], checkpoint.size, hashes, checkpoint.root)
    assert not merkle.verify_inclusion(
        merkle.leaf_hash(proof["leaf"].replace("p7", "p8").encode()),
        proof["leaf_index"],
        checkpoint.size,
        hashes,
        checkpoint.root,
    )

    cons = http.get("/api/v1/audit/proofs/consistency", params={"old": old["size"]}, headers=headers).json()
    new = note.parse_checkpoint(note.parse(cons["new_checkpoint"]).text)
    old_cp = note.parse_checkpoint(note.parse(cons["old_checkpoint"]).text)
    # The export; the proof request's own record is still pending (the sequencer takes it shortly).
    assert (old_cp.size, new.size) == (old["size"], old["size"] + 1)
    assert merkle.verify_consistency(
        old_cp.size, new.size, old_cp.root, new.root, [base64.b64decode(h) for h in cons["proof"]]
    )

    missing = http.get("/api/v1/audit/proofs/inclusion/999999", headers=headers)
    assert missing.status_code == 404 and missing.json()["detail_en"]
    clerk = accounts.create("clerk5", roles=("unit_data_officer",), unit_code="0103")
    assert clerk is not None
    assert (
        http.get(
            f"/api/v1/audit/proofs/inclusion/{target.seq}", headers=accounts.headers("clerk5")
        ).status_code
        == 403
    )
    assert len(_records(db, operation="audit_proof")) == 2
