"""Rows into a governed dataset the way a school collects them (docs/data-path.md, *One write path*).

The sensitive elements the rows carry get their Art. 51 paperwork first (an assessment, the collective decision
with its minutes, each person's separate consent), then the producer unit's officer submits the rows through
the data API (202, a batch), the unit's reviewer approves and the office loads it. The reviewer, office and
data-protection accounts are made on first use, one role each (separation of duties, Art. 30).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

from edudata.access.specs import load_spec
from support.privacy import approve

REVIEWER, OFFICE, DPO = "collect_reviewer_{unit}", "collect_office", "collect_dpo"


def _headers(accounts, username: str, roles: tuple[str, ...], unit: str) -> dict:  # noqa: ANN001
    cache = accounts.__dict__.setdefault("_collect_headers", {})
    if username not in cache:
        accounts.create(username=username, roles=roles, unit_code=unit)
        cache[username] = accounts.headers(username)
    return cache[username]


def paperwork(http: httpx.Client, accounts, dataset: str, rows: Sequence[dict[str, Any]]) -> None:  # noqa: ANN001
    """Assessment and collective decision for each sensitive element the rows fill, and every person's consent."""
    dpo = _headers(accounts, DPO, ("data_protection_officer",), "0002")
    status = http.get("/api/v1/privacy/sensitive", params={"dataset": dataset}, headers=dpo)
    assert status.status_code == 200, status.text
    sensitive = {s["element"]: s for s in status.json()["items"]}
    filled = [e for e in sensitive if any(r.get(e) not in (None, "") for r in rows)]
    if not filled:
        return
    for element in filled:
        if not sensitive[element]["collection_allowed"]:
            approve(http, dpo, dataset, element)
    with accounts.db.session() as s:
        person = load_spec(s, dataset).person_element
    if person is None:
        return
    ids = sorted({str(r[person.code]) for r in rows if r.get(person.code)})
    r = http.post(
        "/api/v1/privacy/consents/bulk",
        json={
            "id_numbers": ids,
            "dataset": dataset,
            "elements": filled,
            "purpose": "学籍管理与奖助学金发放",
            "notice": "已告知收集民族、银行卡号的必要性及对个人权益的影响，本人书面同意",
        },
        headers=dpo,
    )
    assert r.status_code == 201, r.text


def review(http: httpx.Client, accounts, code: str, unit: str) -> dict:  # noqa: ANN001
    """The unit reviewer's and the office's approval of a batch; returns the approved batch."""
    reviewer = _headers(accounts, REVIEWER.format(unit=unit), ("unit_reviewer",), unit)
    office = _headers(accounts, OFFICE, ("office_admin",), "0002")
    for who in (reviewer, office):
        r = http.post(f"/api/v1/ingest/batches/{code}/review", json={"decision": "approve"}, headers=who)
        assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "approved", body
    return body


def collect(
    http: httpx.Client,
    accounts,  # noqa: ANN001
    dataset: str,
    rows: Sequence[dict[str, Any]],
    *,
    headers: dict,
    unit: str,
    consent: bool = True,
) -> dict:
    """Submit ``rows`` as ``headers`` (a data officer of ``unit``) and take them through review; returns the
    approved batch. ``consent=False`` skips the Art. 51 paperwork (the sensitive values are then dropped)."""
    if consent:
        paperwork(http, accounts, dataset, rows)
    r = http.post(f"/api/v1/data/{dataset}/rows", json={"rows": list(rows)}, headers=headers)
    assert r.status_code == 202, r.text
    batch = r.json()
    assert batch["quarantined"] == 0, batch
    return review(http, accounts, batch["code"], unit)


def change(
    http: httpx.Client,
    accounts,  # noqa: ANN001
    dataset: str,
    row_id: int,
    changes: dict[str, Any],
    *,
    headers: dict,
    unit: str,
) -> dict:
    """A change of one record through the data API, taken through review; returns the approved batch."""
    r = http.patch(f"/api/v1/data/{dataset}/rows/{row_id}", json={"changes": changes}, headers=headers)
    assert r.status_code == 202, r.text
    return review(http, accounts, r.json()["code"], unit)


def row_ids(http: httpx.Client, dataset: str, headers: dict, key: str) -> dict[str, int]:
    """Key → internal row id of every stored row the caller reads (for tests that name rows by id)."""
    out: dict[str, int] = {}
    cursor = None
    while True:
        params = {"elements": key, "limit": 1000, **({"cursor": cursor} if cursor else {})}
        r = http.get(f"/api/v1/data/{dataset}", params=params, headers=headers)
        assert r.status_code == 200, r.text
        body = r.json()
        out.update({str(row[key]): row["_id"] for row in body["items"]})
        cursor = body["next_cursor"]
        if not cursor:
            return out
