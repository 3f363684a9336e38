"""Who could see what (行为追溯, Art. 30, 59; issue 19 item 4): for a person or a dataset and a date range, the
auditor gets who read it, through which grant or role, who could have (grants and roles in force then), with
inclusion proofs an outside party can check — over the API, the page and the command line."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
from sqlalchemy import select

from edudata.api.paging import encode_cursor
from edudata.audit import merkle, note
from edudata.audit.models import AuditRecord
from edudata.config import Settings
from edudata.crypto import signing
from edudata.db import Database
from sharing.conftest import world  # noqa: F401 - the demo catalogue, 12 students, applicant, producer, office
from support import clock
from support.lifecycle import run_cli
from support.sharing import credential, granted

TRACE = "/api/v1/audit/access-trace"


def _scene(http: httpx.Client, world: dict[str, Any], accounts) -> dict[str, Any]:  # noqa: ANN001, F811
    """The library reads one student by number through its grant; the office reads the whole table by role."""
    app = granted(http, world)
    key = credential(http, world["h"]["lib"], app["id"])
    person = world["rows"][3]["XH"]
    wanted = json.dumps({"element": "XH", "op": "eq", "value": person})
    r = http.get("/api/v1/data/student_basic", params={"filter": wanted}, headers=key)
    assert r.status_code == 200 and len(r.json()["items"]) == 1, r.text
    assert http.get("/api/v1/data/student_basic", headers=world["h"]["office"]).status_code == 200
    accounts.create("aud", roles=("auditor",), unit_code="0002")
    return {"grant_id": app["grant_id"], "person": person, "h": accounts.headers("aud"), "key": key}


def _range() -> dict[str, str]:
    return {"since": clock.iso(-1), "until": clock.iso(1)}


def _checked(read: dict[str, Any], settings: Settings) -> None:
    """The read's inclusion proof, checked as an outside party would: the log's key, the note, RFC 9162."""
    proof = read["proof"]
    cp = note.parse_checkpoint(
        note.verify(proof["checkpoint"], "edudata.local/audit", signing.public_key_bytes(settings)).text
    )
    hashes = [base64.b64decode(h) for h in proof["proof"]]
    assert merkle.verify_inclusion(merkle.leaf_hash(proof["leaf"].encode()), proof["leaf_index"], cp.size, hashes,
                                   cp.root)  # fmt: skip
    assert f'"{read["username"]}"' in proof["leaf"]


def test_a_person_traced_names_the_grant_the_role_and_who_could_have(
    http: httpx.Client,
    world: dict,  # noqa: F811 - the fixture imported above
    accounts,
    db: Database,
    settings: Settings,  # noqa: ANN001, F811
) -> None:
    s = _scene(http, world, accounts)
    r = http.post(TRACE, json={**_range(), "dataset": "student_basic", "person": s["person"]}, headers=s["h"])
    assert r.status_code == 200, r.text
    answer = r.json()
    by_user = {x["username"]: x for x in answer["reads"]}
    lib, office = by_user["lib"], by_user["office"]
    assert lib["via"]["kind"] == "grant" and lib["via"]["grant_id"] == s["grant_id"] and lib["names_person"]
    assert office["via"] == {**office["via"], "kind": "role", "role": "office_admin"}
    assert not office["names_person"]  # a whole-table read: it may have shown the person
    _checked(lib, settings)
    _checked(office, settings)
    could = answer["could"]["student_basic"]
    [grant] = could["grants"]
    assert grant["grant_id"] == s["grant_id"] and set(grant["could_read"]) == {"lib", "lib2"}
    roles = {(x["username"], x["role"]) for x in could["roles"]}
    assert ("office", "office_admin") in roles and ("xgb", "unit_data_officer") in roles
    assert not any(u == "rsc" for u, _r in roles)  # another unit's officer reads nothing of it by role
    # The trace is recorded with the person's keyed hash, never the number.
    with db.session() as session:
        traced = session.scalars(select(AuditRecord).where(AuditRecord.filter.like("access_trace%"))).all()
    assert len(traced) == 1 and traced[0].username == "aud" and s["person"] not in (traced[0].filter or "")


def test_another_person_is_not_named_by_the_librarys_read(
    http: httpx.Client,
    world: dict,  # noqa: F811 - the fixture imported above
    accounts,  # noqa: ANN001, F811
) -> None:
    s = _scene(http, world, accounts)
    other = world["rows"][5]["XH"]
    answer = http.post(TRACE, json={**_range(), "person": other}, headers=s["h"]).json()
    assert answer["reads"] == []  # without a dataset, only reads whose filter named the person
    named = http.post(TRACE, json={**_range(), "person": s["person"]}, headers=s["h"]).json()
    assert [x["username"] for x in named["reads"]] == ["lib"]


def test_a_range_before_the_reads_and_the_grant_is_empty(
    http: httpx.Client,
    world: dict,  # noqa: F811 - the fixture imported above
    accounts,  # noqa: ANN001, F811
) -> None:
    s = _scene(http, world, accounts)
    body = {"since": clock.iso(-30), "until": clock.iso(-20), "dataset": "student_basic"}
    answer = http.post(TRACE, json=body, headers=s["h"]).json()
    assert answer["reads"] == [] and answer["could"]["student_basic"]["grants"] == []


def test_only_the_auditor_traces_and_bad_input_is_a_clear_422(
    http: httpx.Client,
    world: dict,  # noqa: F811 - the fixture imported above
    accounts,  # noqa: ANN001, F811
) -> None:
    s = _scene(http, world, accounts)
    refused = http.post(TRACE, json={**_range(), "dataset": "student_basic"}, headers=world["h"]["office"])
    assert refused.status_code == 403
    backwards = http.post(TRACE, json={"since": clock.iso(1), "until": clock.iso(-1), "dataset": "student_basic"},
                          headers=s["h"])  # fmt: skip
    assert backwards.status_code == 422 and backwards.json()["detail_en"]
    nothing = http.post(TRACE, json=_range(), headers=s["h"])
    assert nothing.status_code == 422 and "数据集" in nothing.json()["detail_zh"]


def test_the_page_shows_the_trace_chinese_first(
    http: httpx.Client,
    world: dict,  # noqa: F811 - the fixture imported above
    accounts,  # noqa: ANN001, F811
) -> None:
    s = _scene(http, world, accounts)
    headers = {**s["h"], "accept": "text/html"}
    form = http.get("/audit/access-trace", headers=headers)
    assert form.status_code == 200 and "行为追溯" in form.text
    page = http.post("/audit/access-trace", data={**_range(), "dataset": "student_basic", "person": s["person"]},
                     headers=headers)  # fmt: skip
    assert page.status_code == 200, page.text
    assert (
        f"共享授权 #{s['grant_id']}" in page.text
        and "网信办角色" in page.text
        and "筛选条件指名" in page.text
    )
    assert page.text.index("谁读取过") < page.text.index("谁能读取")
    assert s["person"] not in page.text  # the number is not echoed back


def test_the_command_line_writes_the_answer_with_proofs(
    http: httpx.Client,
    world: dict,  # noqa: F811 - the fixture imported above
    accounts,
    settings: Settings,
    tmp_path,  # noqa: ANN001, F811
) -> None:
    s = _scene(http, world, accounts)
    out = tmp_path / "trace.json"
    done = run_cli(settings, "audit", "access-trace", "--since", clock.iso(-1), "--until", clock.iso(1),
                   "--dataset", "student_basic", "--output", str(out))  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    answer = json.loads(out.read_text(encoding="utf-8"))
    assert f"who read it: {len(answer['reads'])}" in done.stdout and f"grant #{s['grant_id']}" in done.stdout
    assert {"lib", "office"} <= {r["username"] for r in answer["reads"]} and all(
        r["proof"] for r in answer["reads"]
    )
    _checked(answer["reads"][0], settings)


def _row_scene(http: httpx.Client, world: dict[str, Any], accounts) -> dict[str, Any]:  # noqa: ANN001, F811
    """Reads that did and did not show student 3's record: by number, whole pages, a page after it, histories."""
    s = _scene(http, world, accounts)  # lib reads student 3 by number; the office reads the first page
    lib, office = s["key"], world["h"]["office"]
    row = http.get("/api/v1/data/student_basic", params={"filter": json.dumps(
        {"element": "XH", "op": "eq", "value": s["person"]})}, headers=lib).json()["items"][0]  # fmt: skip
    other_number = world["rows"][4]["XH"]
    other = http.get("/api/v1/data/student_basic", params={"filter": json.dumps(
        {"element": "XH", "op": "eq", "value": other_number})}, headers=lib).json()["items"]  # fmt: skip
    assert other and other[0]["_id"] != row["_id"]
    after = http.get(
        "/api/v1/data/student_basic", params={"cursor": encode_cursor(after=row["_id"])}, headers=office
    )
    assert after.status_code == 200 and all(r["_id"] > row["_id"] for r in after.json()["items"])
    for rid in (row["_id"], other[0]["_id"]):
        assert http.get(f"/api/v1/data/student_basic/rows/{rid}/history", headers=office).status_code == 200
    return {**s, "row_id": row["_id"], "other_id": other[0]["_id"]}


def _placed(answer: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(r["username"], r["operation"], r["touches"]["kind"]) for r in answer["reads"]]


def test_a_record_traced_lists_the_reads_that_could_have_shown_it_and_leaves_out_the_others(
    http: httpx.Client,
    world: dict,  # noqa: F811 - the fixture imported above
    accounts,
    db: Database,
    settings: Settings,  # noqa: ANN001, F811
) -> None:
    s = _row_scene(http, world, accounts)
    body = {**_range(), "dataset": "student_basic", "row_id": s["row_id"]}
    r = http.post(TRACE, json=body, headers=s["h"])
    assert r.status_code == 200, r.text
    answer = r.json()
    assert answer["row_id"] == s["row_id"]
    # lib's two reads by number of student 3 (the scene's and this one's) and the office's first page span the
    # row; the history of the row names it; the approvals' coverage counts may have counted it. The page after
    # it, the other student's read and history do not.
    assert sorted(_placed(answer)) == sorted([
        ("lib", "query", "page"), ("lib", "query", "page"), ("office", "query", "page"),
        ("office", "history", "named"), ("lib", "count", "may"), ("office", "count", "may"),
    ])  # fmt: skip
    by_kind = {(x["username"], x["touches"]["kind"]): x for x in answer["reads"]}
    assert by_kind[("lib", "page")]["via"]["grant_id"] == s["grant_id"]
    assert by_kind[("office", "page")]["via"]["kind"] == "role"
    for read in answer["reads"]:
        _checked(read, settings)
    [grant] = answer["could"]["student_basic"]["grants"]
    assert grant["grant_id"] == s["grant_id"] and "row_filter" in grant
    # With the record's number, the reads that selected it by that number are named.
    keyed = http.post(TRACE, json={**body, "person": s["person"]}, headers=s["h"]).json()
    assert ("lib", "query", "named") in _placed(keyed)
    # The other student's record (after student 3's): its own read and history, and both of the office's pages.
    other = http.post(TRACE, json={**body, "row_id": s["other_id"]}, headers=s["h"]).json()
    assert sorted(x for x in _placed(other) if x[1] != "count") == sorted([
        ("lib", "query", "page"), ("office", "query", "page"), ("office", "query", "page"),
        ("office", "history", "named"),
    ])  # fmt: skip
    with db.session() as session:
        traced = session.scalars(select(AuditRecord).where(AuditRecord.filter.like("access_trace%"))).all()
    assert any(f"row={s['row_id']}" in (t.filter or "") and t.username == "aud" for t in traced)
    assert all(s["person"] not in (t.filter or "") for t in traced)


def test_a_record_without_its_dataset_or_with_a_bad_id_is_a_clear_422(
    http: httpx.Client,
    world: dict,  # noqa: F811 - the fixture imported above
    accounts,  # noqa: ANN001, F811
) -> None:
    s = _scene(http, world, accounts)
    alone = http.post(TRACE, json={**_range(), "row_id": 3}, headers=s["h"])
    assert alone.status_code == 422 and "数据集" in alone.json()["detail_zh"] and alone.json()["detail_en"]
    zero = http.post(TRACE, json={**_range(), "dataset": "student_basic", "row_id": 0}, headers=s["h"])
    assert zero.status_code == 422
    headers = {**s["h"], "accept": "text/html"}
    page = http.post("/audit/access-trace", data={**_range(), "dataset": "student_basic", "row_id": "x3"},
                     headers=headers)  # fmt: skip
    assert page.status_code == 422 and "记录编号" in page.text


def test_the_page_and_the_command_line_trace_one_record(
    http: httpx.Client,
    world: dict,  # noqa: F811 - the fixture imported above
    accounts,
    settings: Settings,
    tmp_path,  # noqa: ANN001, F811
) -> None:
    s = _row_scene(http, world, accounts)
    headers = {**s["h"], "accept": "text/html"}
    page = http.post("/audit/access-trace", data={**_range(), "dataset": "student_basic",
                                                  "row_id": str(s["row_id"])}, headers=headers)  # fmt: skip
    assert page.status_code == 200, page.text
    assert (
        "涉及此记录" in page.text and "指名此记录" in page.text and "所读行的编号范围包含此记录" in page.text
    )
    assert page.text.index("指名此记录") < page.text.index("谁能读取")
    out = tmp_path / "row.json"
    done = run_cli(settings, "audit", "access-trace", "--since", clock.iso(-1), "--until", clock.iso(1),
                   "--dataset", "student_basic", "--row-id", str(s["row_id"]), "--output", str(out))  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    answer = json.loads(out.read_text(encoding="utf-8"))
    assert answer["row_id"] == s["row_id"] and ("office", "history", "named") in _placed(answer)
    assert "named this record" in done.stdout and all(r["proof"] for r in answer["reads"])
    alone = run_cli(settings, "audit", "access-trace", "--since", clock.iso(-1), "--until", clock.iso(1),
                    "--row-id", "3")  # fmt: skip
    assert alone.returncode == 2
