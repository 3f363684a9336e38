"""The audit log holds no personal value (Art. 30, 35, 59): a filter is recorded by its shape — element names and
operators — with every value a keyed hash, and the auditor still finds who queried a person by giving the value."""

from __future__ import annotations

import json

import httpx
import pytest
from sqlalchemy import select

from edudata.api.access_log import scrub
from edudata.audit.models import AuditRecord
from edudata.db import Database
from support.collect import collect
from support.students import PASSWORD, student


@pytest.fixture
def world(http: httpx.Client, accounts, catalog) -> dict:  # noqa: ANN001
    catalog.demo()
    accounts.create(username="xgb", roles=("unit_data_officer",), unit_code="0104")
    accounts.create(username="aud", roles=("auditor",), unit_code="0002")
    h = {u: accounts.headers(u, password=PASSWORD) for u in ("xgb", "aud")}
    rows = [student(i, "0201", 2023) for i in range(4)]
    collect(http, accounts, "student_basic", rows, headers=h["xgb"], unit="0104")
    return {"h": h, "rows": rows}


def _records(db: Database, **where) -> list[AuditRecord]:  # noqa: ANN003
    with db.session() as s:
        stmt = select(AuditRecord).order_by(AuditRecord.seq)
        for k, v in where.items():
            stmt = stmt.where(getattr(AuditRecord, k) == v)
        return list(s.execute(stmt).scalars())


def test_a_filtered_query_is_recorded_without_its_values_and_found_by_value(
    http: httpx.Client, world: dict, db: Database
) -> None:
    person, other = world["rows"][1], world["rows"][2]
    wanted = {"any": [{"element": "SFZJH", "op": "eq", "value": person["SFZJH"]},
                      {"element": "XM", "op": "in", "value": [person["XM"], other["XM"]]}]}  # fmt: skip
    r = http.post("/api/v1/data/student_basic/query", json={"filter": wanted}, headers=world["h"]["xgb"])
    assert r.status_code == 200 and len(r.json()["items"]) == 2, r.text
    # A refused filter (an unknown operator) is recorded the same way: the caller's raw input hashed.
    bad = {"element": "SJHM", "op": "like", "value": person["SJHM"]}
    assert http.post("/api/v1/data/student_basic/query", json={"filter": bad}, headers=world["h"]["xgb"]).status_code == 422  # fmt: skip

    # The one filtered read (collecting the rows looked up stored ID numbers, without a filter).
    [query] = [
        a
        for a in _records(db, operation="query", dataset="student_basic")
        if a.result == "success" and a.filter
    ]
    recorded = json.loads(query.filter)
    kept = json.dumps(recorded, ensure_ascii=False)
    assert recorded["any"][0]["element"] == "SFZJH" and recorded["any"][0]["op"] == "eq"
    assert recorded["any"][0]["value"].startswith("h:") and len(recorded["any"][1]["value"]) == 2
    [refused] = [a for a in _records(db, operation="query", dataset="student_basic") if a.result != "success"]
    everything = " ".join(str(getattr(a, f)) for a in _records(db) for f in ("filter", "detail", "elements"))
    for value in (person["SFZJH"], person["XM"], other["XM"], person["SJHM"]):
        assert value not in kept and value not in everything, value
    assert json.loads(refused.filter)["element"] == "SJHM"

    # The auditor asks "who queried this ID number / this mobile" and finds the records; the search is
    # recorded by the hash, not the value.
    def who(value: str) -> list[dict]:
        r = http.get("/api/v1/audit/records", params={"value": value}, headers=world["h"]["aud"])
        assert r.status_code == 200, r.text
        return r.json()["items"]

    assert [i["seq"] for i in who(person["SFZJH"])] == [query.seq]
    assert [i["seq"] for i in who(f" {person['SFZJH'].lower()} ")] == [query.seq]  # normalised like an index
    assert [i["username"] for i in who(other["XM"])] == ["xgb"]
    assert who(world["rows"][3]["SFZJH"]) == []
    assert [i["result"] for i in who(person["SJHM"])] == ["failed"]
    searches = _records(db, operation="query", dataset="audit_record")
    assert searches and all(person["SFZJH"] not in (s.filter or "") for s in searches)
    assert "mentions=h:" in searches[0].filter


def test_request_urls_in_the_server_log_keep_parameter_names_only() -> None:
    target = "/api/v1/data/student_basic?filter=%7B%22value%22%3A%2213912345678%22%7D&page_size=5"
    assert scrub(target) == "/api/v1/data/student_basic?filter=…&page_size=…"
    assert scrub("/api/v1/data/student_basic") == "/api/v1/data/student_basic"
    assert "13912345678" not in scrub("/x?13912345678")


def test_the_server_log_of_edudata_serve_holds_no_searched_value(world: dict, settings, tmp_path) -> None:  # noqa: ANN001
    """A search by mobile number through `edudata serve`: its log names the path and parameters, not the value."""
    import os
    import socket
    import subprocess
    import sys
    import time
    from pathlib import Path

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "EDUDATA_DATABASE_URL": settings.resolved_database_url(),
           "EDUDATA_DATA_DIR": str(settings.data_dir), "EDUDATA_CONFIG_FILE": "/nonexistent",
           "EDUDATA_MASTER_KEY_FILE": str(settings.resolved_master_key_file())}  # fmt: skip
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [str(Path(sys.executable).with_name("edudata")), "serve", "--port", str(port)],
            env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 180
            while True:
                try:
                    httpx.get(f"{base}/api/v1/health", timeout=5)
                    break
                except httpx.HTTPError:
                    assert server.poll() is None and time.monotonic() < deadline, "the server did not start"
                    time.sleep(0.2)
            mobile = world["rows"][2]["SJHM"]
            wanted = json.dumps({"element": "SJHM", "op": "eq", "value": mobile})
            r = httpx.get(f"{base}/api/v1/data/student_basic", params={"filter": wanted, "limit": 5},
                          headers=world["h"]["xgb"], timeout=60)  # fmt: skip
            assert r.status_code == 200 and len(r.json()["items"]) == 1, r.text
            r = httpx.get(f"{base}/api/v1/data/student_basic?{mobile}", headers=world["h"]["xgb"], timeout=60)
            time.sleep(0.5)
        finally:
            server.terminate()
            server.wait(20)
    text = log.read_text(errors="replace")
    assert "/api/v1/data/student_basic?filter=…&limit=…" in text, text[-2000:]
    assert mobile not in text and mobile[-4:] + "%22" not in text
