"""Estimates cannot rebuild a person's value (Art. 30, 51; docs/privacy.md): no prefix, no range, no identifier
in an applicant's scope, and every count rounded down to a multiple of k with fewer than k people suppressed."""

from __future__ import annotations

import itertools

import httpx
from sqlalchemy import select

from edudata.audit.models import AuditRecord
from edudata.db import Database

K = 5  # settings.opendata_min_cell


def _estimate(http: httpx.Client, h: dict, row_filter: dict | None) -> httpx.Response:
    body = {"dataset_code": "student_basic", "elements": ["XH"], "row_filter": row_filter}
    return http.post("/api/v1/sharing/estimate", json=body, headers=h)


def test_a_mobile_number_cannot_be_rebuilt_by_prefix(http: httpx.Client, world: dict) -> None:
    target = world["rows"][4]["SJHM"]
    # The attack of the finding: one digit at a time, keeping the prefix that still counts. The first step fails:
    # the mobile number is sealed under its person's key (issue 17), so no row scope may name it at all.
    r = _estimate(http, world["h"]["lib"], {"element": "SJHM", "op": "prefix", "value": target[:1]})
    assert r.status_code == 422 and "SJHM" in r.json()["detail_en"], r.text
    assert "encrypted" in r.json()["detail_en"] or "prefix" in r.json()["detail_en"], r.text
    for op, value in (("ge", target), ("lt", target), ("eq", target), ("in", [target]), ("ne", target)):
        r = _estimate(http, world["h"]["lib"], {"element": "SJHM", "op": op, "value": value})
        assert r.status_code in (403, 422), (op, r.text)
    r = _estimate(http, world["h"]["lib"], {"not": {"element": "XBM", "op": "eq", "value": "1"}})
    assert r.status_code == 422


def test_repeated_narrowing_never_answers_below_k(http: httpx.Client, world: dict) -> None:
    rows = world["rows"]
    units = sorted({r["YXDM"] for r in rows})
    genders = sorted({r["XBM"] for r in rows})
    scopes: list[dict | None] = [None]
    for u, g in itertools.product([None, *units], [None, *genders]):
        conds = [
            {"element": e, "op": "eq", "value": v} for e, v in (("YXDM", u), ("XBM", g)) if v is not None
        ]
        if conds:
            scopes.append({"all": conds})
    scopes.append({"element": "YXDM", "op": "in", "value": units[:1]})
    seen_suppressed = False
    for scope in scopes:
        r = _estimate(http, world["h"]["lib"], scope)
        assert r.status_code == 200, (scope, r.text)
        body = r.json()
        assert body["exact"] is False
        for n in (body["people"], body["rows"]):
            assert n == 0 or (n >= K and n % K == 0), (scope, body)
        if body["suppressed"]:
            seen_suppressed = True
            assert body["people"] == 0 and body["people_range"] == [0, K - 1]
        else:
            low, high = body["people_range"]
            truth = sum(
                1
                for row in rows
                if all(
                    row[c["element"]] in (c["value"] if c["op"] == "in" else [c["value"]])
                    for c in (scope or {"all": []}).get(
                        "all", [scope] if scope and "element" in scope else []
                    )
                )
            )
            assert low <= truth <= high and low >= K
    assert seen_suppressed  # the narrow scopes were there, and were suppressed


def test_the_producer_and_the_office_get_exact_counts(http: httpx.Client, world: dict, db: Database) -> None:
    scope = {"element": "YXDM", "op": "eq", "value": "0202"}
    for who in ("xgb", "office"):
        r = _estimate(http, world["h"][who], scope)
        assert r.status_code == 200, r.text
        assert r.json()["exact"] is True and r.json()["people"] == 4
    with db.session() as s:
        counts = s.execute(select(AuditRecord).where(AuditRecord.operation == "count")).scalars().all()
    assert counts  # every estimate is audited


def test_estimates_are_rate_limited_per_account_and_the_refusal_audited(
    http: httpx.Client, world: dict, db: Database
) -> None:
    from edudata.sharing.service import ESTIMATE_LIMIT

    for _ in range(ESTIMATE_LIMIT):
        assert _estimate(http, world["h"]["lib"], None).status_code == 200
    r = _estimate(http, world["h"]["lib"], None)
    assert r.status_code == 429 and r.headers["Retry-After"] == "60"
    assert _estimate(http, world["h"]["lib2"], None).status_code == 200  # another account, its own allowance
    with db.session() as s:
        denied = (
            s.execute(
                select(AuditRecord.username).where(
                    AuditRecord.operation == "estimate", AuditRecord.result == "denied"
                )
            )
            .scalars()
            .all()
        )
    assert denied == ["lib"]
