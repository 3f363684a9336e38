"""The data path over real HTTP, on both databases (issue: governed store, decisions, masking, audit)."""

from __future__ import annotations

import json
import zipfile

import httpx
import pytest
from sqlalchemy import create_engine, select, text

from edudata import cache
from edudata.access.grants import create_grant
from edudata.audit.models import AuditRecord
from edudata.db import Database, normalise_url
from support.collect import OFFICE, review
from support.students import student as _student


def _audit(db: Database, **where) -> list[AuditRecord]:
    with db.session() as s:
        stmt = select(AuditRecord).order_by(AuditRecord.seq)
        for k, v in where.items():
            stmt = stmt.where(getattr(AuditRecord, k) == v)
        return list(s.execute(stmt).scalars())


def test_producer_reads_its_own_dataset_in_clear(http: httpx.Client, world: dict) -> None:
    r = http.get("/api/v1/data/student_basic", params={"limit": 5}, headers=world["h"]["xgb"])
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["basis"] == "producer"
    assert len(body["items"]) == 5 and body["next_cursor"] is not None and body["total"] is None
    assert body["items"][0]["SFZJH"] == world["rows"][0]["SFZJH"]
    nxt = http.get(
        "/api/v1/data/student_basic",
        params={"limit": 5, "cursor": body["next_cursor"]},
        headers=world["h"]["xgb"],
    ).json()
    assert nxt["items"][0]["XH"] == world["rows"][5]["XH"]
    last = http.get(
        "/api/v1/data/student_basic",
        params={"limit": 5, "cursor": nxt["next_cursor"]},
        headers=world["h"]["xgb"],
    ).json()  # 12 rows: 5 + 5 + 2, and the last page names no next one
    assert [r["XH"] for r in last["items"]] == [r["XH"] for r in world["rows"][10:]] and last[
        "next_cursor"
    ] is None


def test_another_units_producer_is_denied_and_the_denial_is_audited(
    http: httpx.Client, world: dict, db: Database
) -> None:
    r = http.get("/api/v1/data/student_basic", headers=world["h"]["rsc"])
    assert r.status_code == 403
    assert r.json()["detail_zh"] and "Art. 30" in r.json()["detail_en"]
    denied = _audit(db, username="rsc", result="denied")
    assert [a.dataset for a in denied] == ["student_basic"]


def test_graded_elements_are_ciphertext_in_the_raw_database(world: dict, backend_url: str) -> None:
    engine = create_engine(
        normalise_url(backend_url)
    )  # a separate engine: no data-path guard, like an intruder
    with engine.connect() as conn:
        raw = conn.execute(text("SELECT sfzjh, sfzjh__bi, yhkh, xh FROM gd_student_basic ORDER BY _id")).all()
    engine.dispose()
    first = world["rows"][0]
    assert raw[0].xh == first["XH"]  # ordinary data stays plain
    for cipher in (raw[0].sfzjh, raw[0].yhkh):
        blob = bytes(cipher)
        assert first["SFZJH"].encode() not in blob and b"6222020200112233445" not in blob
    assert first["SFZJH"] not in raw[0].sfzjh__bi


def test_office_sees_all_elements_with_sensitive_pi_masked(http: httpx.Client, world: dict) -> None:
    body = http.get("/api/v1/data/student_basic", headers=world["h"]["office"]).json()
    row = body["items"][0]
    assert row["YHKH"].endswith("3445") and row["YHKH"].startswith("*")
    assert body["masking"]["YHKH"] == "bank_card"
    assert row["SFZJH"] == world["rows"][0]["SFZJH"]


def test_lookup_by_encrypted_id_number_uses_the_blind_index(http: httpx.Client, world: dict) -> None:
    wanted = world["rows"][3]["SFZJH"]
    typed = wanted.lower().replace("1", "１", 1)  # lower-case x and a full-width digit, as people type
    f = json.dumps({"element": "SFZJH", "op": "eq", "value": typed})
    body = http.get("/api/v1/data/student_basic", params={"filter": f}, headers=world["h"]["xgb"]).json()
    assert [r["XH"] for r in body["items"]] == [world["rows"][3]["XH"]]


def test_a_grant_scopes_rows_and_elements_and_masks(http: httpx.Client, world: dict, db: Database) -> None:
    with db.session() as s:
        create_grant(
            s,
            dataset_code="student_basic",
            grantee_unit_code="0110",
            elements=["XH", "XM", "SFZJH", "NJ"],
            row_filter={"element": "YXDM", "op": "eq", "value": "0201"},
            masking={"XM": "name", "SFZJH": "id_number"},
            purpose="图书借阅证办理",
            created_by="office",
        )
        s.commit()
    lib = world["h"]["lib"]
    r = http.get("/api/v1/data/student_basic", headers=lib)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["elements"] == ["XH", "XM", "SFZJH", "NJ"]
    assert len(body["items"]) == 8  # only 会计学院 (0201)
    row = body["items"][0]
    assert row["XM"] == "张*" and row["SFZJH"].startswith("120101") and "*" in row["SFZJH"]
    # The holder cannot widen: asking for a hidden element or filtering on one is refused.
    assert (
        http.get("/api/v1/data/student_basic", params={"elements": "XH,SJHM"}, headers=lib).status_code == 403
    )
    f = json.dumps({"element": "YXDM", "op": "eq", "value": "0202"})
    assert http.get("/api/v1/data/student_basic", params={"filter": f}, headers=lib).status_code == 422
    # Narrowing inside the grant works.
    f = json.dumps({"element": "NJ", "op": "eq", "value": 2021})
    narrowed = http.get("/api/v1/data/student_basic", params={"filter": f}, headers=lib).json()
    assert 0 < len(narrowed["items"]) < 8
    assert http.get("/api/v1/data/staff_basic", headers=lib).status_code == 403


@pytest.mark.parametrize("role", ["aud"])
def test_auditor_reads_no_records(http: httpx.Client, world: dict, role: str) -> None:
    assert http.get("/api/v1/data/student_basic", headers=world["h"][role]).status_code == 403


def test_updates_keep_history_readable_by_the_office_only(http: httpx.Client, world: dict, accounts) -> None:
    h = world["h"]
    first = http.get("/api/v1/data/student_basic", params={"limit": 1}, headers=h["xgb"]).json()["items"][0]
    r = http.patch(
        f"/api/v1/data/student_basic/rows/{first['_id']}",
        json={"changes": {"ZYMC": "财务管理"}},
        headers=h["xgb"],
    )
    # A change is collected as a batch of one row: nothing changes until it is reviewed (Art. 22).
    assert r.status_code == 202 and (r.json()["status"], r.json()["good"]) == ("validated", 1), r.text
    unchanged = http.get("/api/v1/data/student_basic", params={"limit": 1}, headers=h["xgb"]).json()
    assert unchanged["items"][0]["ZYMC"] == "会计学"
    review(http, accounts, r.json()["code"], "0104")
    now = http.get("/api/v1/data/student_basic", params={"limit": 1}, headers=h["xgb"]).json()["items"][0]
    assert (now["_id"], now["ZYMC"], now["XM"]) == (first["_id"], "财务管理", first["XM"])  # the rest is kept
    hist = http.get(f"/api/v1/data/student_basic/rows/{first['_id']}/history", headers=h["office"])
    assert hist.status_code == 200
    assert [v["ZYMC"] for v in hist.json()["versions"]] == ["会计学"]
    assert hist.json()["versions"][0]["_changed_by"] == OFFICE  # the review chain's load
    assert (
        http.get(f"/api/v1/data/student_basic/rows/{first['_id']}/history", headers=h["xgb"]).status_code
        == 403
    )


def test_reviewer_cannot_write(http: httpx.Client, world: dict) -> None:
    r = http.post(
        "/api/v1/data/student_basic/rows", json={"rows": [_student(99)]}, headers=world["h"]["xgb_rev"]
    )
    assert r.status_code == 403


def test_invalid_rows_are_quarantined_with_reasons(http: httpx.Client, world: dict, db: Database) -> None:
    good, bad = _student(50), _student(51)
    del good["MZM"], good["YHKH"]  # no consent of this person on file: no sensitive values (Art. 51)
    bad["SFZJH"] = bad["SFZJH"][:-1] + ("0" if bad["SFZJH"][-1] != "0" else "1")
    bad["MZM"] = "77"
    r = http.post("/api/v1/data/student_basic/rows", json={"rows": [good, bad]}, headers=world["h"]["xgb"])
    assert r.status_code == 202, r.text
    assert (r.json()["good"], r.json()["quarantined"]) == (1, 1)
    issues = http.get(f"/api/v1/ingest/batches/{r.json()['code']}/issues", headers=world["h"]["xgb"])
    problems = [p for p in issues.json()["items"] if p["action"] == "quarantine"]
    assert {("SFZJH", "bad_check_digit"), ("MZM", "not_in_code_set")} <= {
        (p["element"], p["code"]) for p in problems
    }
    assert all(p["row"] == 2 for p in problems)
    count = http.get(
        "/api/v1/data/student_basic", params={"total": "true", "limit": 1}, headers=world["h"]["xgb"]
    )
    assert count.json()["total"] == 12  # nothing of the request was written


@pytest.mark.parametrize(
    ("path", "params", "status"),
    [
        ("/api/v1/data/no_such_dataset", {}, 404),
        ("/api/v1/data/student_basic", {"elements": "XH,NOPE"}, 422),
        ("/api/v1/data/student_basic", {"filter": "1=1; drop table gd_student_basic"}, 422),
        ("/api/v1/data/student_basic", {"filter": '{"element":"XH","op":"eq","value":"1=1; drop"}'}, 200),
        ("/api/v1/data/student_basic", {"limit": 10**9}, 422),
        ("/api/v1/data/student_basic", {"filter": '{"element":"XH","op":"or 1=1","value":1}'}, 422),
    ],
)
def test_bad_requests_get_clear_errors_and_change_nothing(
    http: httpx.Client, world: dict, db: Database, path: str, params: dict, status: int
) -> None:
    r = http.get(path, params=params, headers=world["h"]["xgb"])
    assert r.status_code == status
    if status >= 400:
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["detail_zh"] and r.json()["detail_en"] and "Traceback" not in r.text
        assert _audit(db, username="xgb", result="failed") or _audit(db, username="xgb", result="denied")
    else:
        assert r.json()["items"] == []
    total = http.get(
        "/api/v1/data/student_basic", params={"total": "true", "limit": 1}, headers=world["h"]["xgb"]
    )
    assert total.json()["total"] == 12


@pytest.mark.parametrize("token", ["garbage", "Bearer", "Bearer " + "A" * 5000, "Bearer abc.def.ghi"])
def test_malformed_tokens_are_refused_and_audited(
    http: httpx.Client, world: dict, db: Database, token: str
) -> None:
    before = len(_audit(db))
    r = http.get("/api/v1/data/student_basic", headers={"Authorization": token})
    assert r.status_code == 401
    assert r.json()["detail_en"]
    assert len(_audit(db)) > before


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
def test_exports_hold_what_a_query_shows(http: httpx.Client, world: dict, db: Database, fmt: str) -> None:
    r = http.get(
        "/api/v1/data/student_basic/export",
        params={"format": fmt, "elements": "XH,YHKH"},
        headers=world["h"]["office"],
    )
    assert r.status_code == 200
    if fmt == "csv":
        assert r.content.startswith(b"\xef\xbb\xbf")
        lines = r.content.decode("utf-8-sig").splitlines()
        assert (
            lines[0] == "XH,YHKH" and len(lines) == 13 and lines[1].endswith("3445") and "6222" not in r.text
        )
    elif fmt == "json":
        assert len(r.json()["rows"]) == 12
    else:
        assert r.content[:2] == b"PK"
    assert _audit(db, username="office", operation="export")[-1].row_count == 12


def test_signed_package_verifies_and_one_changed_byte_fails(
    http: httpx.Client, world: dict, tmp_path
) -> None:
    from edudata.crypto.package import verify_package
    from edudata.crypto.recipient import generate_private_key, load_private_key, open_sealed

    pem, public = generate_private_key()  # important data: the package is sealed to the recipient (Art. 26)
    http.put("/api/v1/me/package-key", json={"public_key": public.hex()}, headers=world["h"]["office"])
    r = http.get(
        "/api/v1/data/student_basic/export", params={"format": "package"}, headers=world["h"]["office"]
    )
    assert r.status_code == 200
    good = tmp_path / "good.zip"
    good.write_bytes(open_sealed(r.content, load_private_key(pem)))
    assert verify_package(good).ok
    with zipfile.ZipFile(good) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    data_name = next(n for n in members if n.endswith(".csv"))
    tampered = bytearray(members[data_name])
    tampered[-2] ^= 0x01
    members[data_name] = bytes(tampered)
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(bad, "w") as zf:
        for n, b in members.items():
            zf.writestr(n, b)
    check = verify_package(bad)
    assert not check.ok
    assert data_name in str(check)


def test_master_key_rotation_keeps_governed_data_readable(
    http: httpx.Client, world: dict, db: Database, settings, backend_url: str
) -> None:
    from edudata.crypto.service import prune_master_keys, rotate_master_key

    engine = create_engine(normalise_url(backend_url))
    with engine.connect() as conn:
        before = conn.execute(text("SELECT sfzjh FROM gd_student_basic ORDER BY _id")).scalars().all()
    with db.session() as s:
        rotation = rotate_master_key(s, settings)
        s.commit()
    with db.session() as s:
        prune_master_keys(s, settings)  # the old master key is gone: only re-wrapped data keys remain usable
        s.commit()
    with engine.connect() as conn:
        after = conn.execute(text("SELECT sfzjh FROM gd_student_basic ORDER BY _id")).scalars().all()
    engine.dispose()
    assert rotation.rewrapped >= 1
    assert [bytes(b) for b in before] == [bytes(a) for a in after]  # no value was re-encrypted
    cache.clear_all()  # the server must unwrap its data keys afresh, under the new master key only
    body = http.get("/api/v1/data/student_basic", params={"limit": 12}, headers=world["h"]["xgb"]).json()
    assert [r["SFZJH"] for r in body["items"]] == [r["SFZJH"] for r in world["rows"]]
