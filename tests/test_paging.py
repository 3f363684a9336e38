"""One pagination style for every API list (docs/architecture.md, "Lists"): ``limit`` + opaque ``cursor`` in,
``{"items", "total", "next_cursor"}`` out — paged by position (an in-memory register, an ORM query) and by key
(the audit log, which grows while it is read). A cursor that is not ours is a bilingual 422, audited."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from edudata.api.paging import encode_cursor
from edudata.audit.models import AuditRecord
from edudata.db import Database


def _walk(http: httpx.Client, path: str, headers: dict, limit: int, **params: Any) -> list[dict[str, Any]]:
    """Every page of a list, following ``next_cursor``; each page holds at most ``limit`` items."""
    pages: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {**params, "limit": limit, **({"cursor": cursor} if cursor else {})}
        r = http.get(path, params=query, headers=headers)
        assert r.status_code == 200, r.text
        body = r.json()
        assert set(body) >= {"items", "total", "next_cursor"}
        assert len(body["items"]) <= limit
        pages.append(body)
        cursor = body["next_cursor"]
        if cursor is None:
            return pages
        assert len(pages) < 100, "a list that never ends"


def test_a_register_pages_through_every_item_once(http: httpx.Client, accounts) -> None:  # noqa: ANN001
    accounts.create(username="office", roles=("office_admin",))
    for i in range(6):
        accounts.create(username=f"teacher{i}", roles=("applicant",))
    office = accounts.headers("office")
    whole = http.get("/api/v1/accounts", params={"limit": 1000}, headers=office).json()
    assert whole["next_cursor"] is None and whole["total"] == len(whole["items"]) == 7

    pages = _walk(http, "/api/v1/accounts", office, limit=3)
    assert [len(p["items"]) for p in pages] == [3, 3, 1]  # the last page carries no cursor to an empty page
    assert {p["total"] for p in pages} == {7}
    assert [a["username"] for p in pages for a in p["items"]] == [a["username"] for a in whole["items"]]


def test_an_orm_list_pages_in_its_order(http: httpx.Client, accounts) -> None:  # noqa: ANN001
    accounts.create(username="office", roles=("office_admin",))
    office = accounts.headers("office")
    for day in range(1, 6):
        r = http.post(
            "/api/v1/lifecycle/drills",
            json={"scenario": f"演练 {day}", "held_on": f"2026-03-0{day}", "participants": "网信办"},
            headers=office,
        )
        assert r.status_code == 201, r.text
    pages = _walk(http, "/api/v1/lifecycle/drills", office, limit=2)
    assert [len(p["items"]) for p in pages] == [2, 2, 1]
    assert [d["held_on"] for p in pages for d in p["items"]] == [f"2026-03-0{d}" for d in range(5, 0, -1)]


def test_the_audit_log_pages_by_key_while_it_grows(http: httpx.Client, accounts, db: Database) -> None:  # noqa: ANN001
    accounts.create(username="auditor", roles=("auditor",))
    auditor = accounts.headers("auditor")
    with db.session() as s:
        before = set(s.execute(select(AuditRecord.seq)).scalars())
    # each page is itself a search, recorded in the log: a position would shift by one per page, a key does not
    pages = _walk(http, "/api/v1/audit/records", auditor, limit=2)
    seen = [r["seq"] for p in pages for r in p["items"]]
    assert len(seen) == len(set(seen)), "a record served twice"
    assert seen == sorted(seen, reverse=True)
    assert before <= set(seen)


def test_a_foreign_cursor_is_a_bilingual_422_and_audited(http: httpx.Client, accounts, db: Database) -> None:  # noqa: ANN001
    accounts.create(username="office", roles=("office_admin",))
    office = accounts.headers("office")
    for cursor in ("not-a-cursor", "eyJ4IjoxfQ", encode_cursor(offset=10**12), "W10", "eyJvIjp0cnVlfQ"):
        r = http.get("/api/v1/accounts", params={"cursor": cursor}, headers=office)
        assert r.status_code == 422, (cursor, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        body = r.json()
        assert body["field"] == "cursor" and body["detail_zh"] and body["detail_en"]
    with db.session() as s:
        failed = s.execute(
            select(AuditRecord).where(AuditRecord.username == "office", AuditRecord.result == "failed")
        ).scalars()
        assert len(list(failed)) == 5
    # a position cursor on a keyset list is not ours either
    accounts.create(username="auditor", roles=("auditor",))
    r = http.get(
        "/api/v1/audit/records",
        params={"cursor": encode_cursor(offset=2)},
        headers=accounts.headers("auditor"),
    )
    assert r.status_code == 422 and r.json()["field"] == "cursor"


def test_every_api_list_documents_the_one_envelope(app) -> None:  # noqa: ANN001
    """Each list route of /api/v1 takes ``limit`` and ``cursor`` and answers the envelope (in /openapi.json)."""
    schema = app.openapi()
    lists = []
    for path, item in schema["paths"].items():
        get = item.get("get")
        if not path.startswith("/api/v1/") or not get:
            continue
        ref = get["responses"].get("200", {}).get("content", {}).get("application/json", {}).get("schema", {})
        name = ref.get("$ref", "").rsplit("/", 1)[-1]
        body = schema["components"]["schemas"].get(name, {}) if name else ref
        if body.get("type") == "array":
            lists.append((path, "answers a bare array"))
            continue
        props = body.get("properties", {})
        if "items" in props or "next_cursor" in props:
            params = {p["name"] for p in get.get("parameters", [])}
            if not {"limit", "cursor"} <= params or not {"items", "total", "next_cursor"} <= set(props):
                lists.append((path, "not the one envelope"))
    assert lists == []
