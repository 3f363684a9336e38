"""Publication review is compare-and-set (Art. 46, 58): two reviewers of one level deciding at the same moment —
real parallel requests, 20 times, on both backends — decide once; the leadership's double approval publishes
one version; the other request gets 409 "already decided", and both are audited."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select

from edudata.db import Database
from edudata.opendata.models import OpenReview, OpenVersion, OpenView
from opendata.conftest import SECRECY, proposal
from support.race import ROUNDS, audit_seq, audit_since, one_won, race, refusals
from support.students import PASSWORD

LEVELS = (("kyc_rev", "kyc_rev2", {}), ("office", "office2", {"secrecy": SECRECY}), ("leader", "leader2", {}))


def _post(path: str, body: dict, headers: dict):  # noqa: ANN202 - a call for race()
    return lambda client: client.post(path, json=body, headers=headers)


def test_two_reviews_of_one_level_at_once_decide_once_and_publish_once(
    od: httpx.Client, portal_server, staff: dict, accounts, db: Database
) -> None:
    for name, role, unit in (("kyc_rev2", "unit_reviewer", "0106"), ("office2", "office_admin", "0002"),
                             ("leader2", "leadership", "0002")):  # fmt: skip
        accounts.create(username=name, roles=(role,), unit_code=unit)
        staff[name] = accounts.headers(name, password=PASSWORD)
    for i in range(ROUNDS):
        r = od.post("/api/v1/opendata/proposals", json=proposal(code=f"papers-{i}"), headers=staff["kyc"])
        assert r.status_code == 201, r.text
        path = f"/api/v1/opendata/proposals/papers-{i}/review"
        for a, b, extra in LEVELS:
            body = {"decision": "approve", **extra}
            start = audit_seq(db)
            winner, _loser = one_won(
                race(portal_server.url, _post(path, body, staff[a]), _post(path, body, staff[b]))
            )
            records = audit_since(db, start)
            assert len([r for r in records if r["operation"].startswith("opendata_review_")]) == 1
            assert len(refusals(records, path)) == 1
        assert winner.json()["status"] == "published" and winner.json()["version"] == 1
        with db.session() as s:
            view_id = s.scalar(select(OpenView.id).where(OpenView.code == f"papers-{i}"))
            assert (
                s.scalar(select(func.count()).select_from(OpenReview).where(OpenReview.view_id == view_id))
                == 3
            )
            assert (
                s.scalar(select(func.count()).select_from(OpenVersion).where(OpenVersion.view_id == view_id))
                == 1
            )
