"""Destruction steps are compare-and-set (Art. 34-36): two approvals or two executions of one request at the
same moment — real parallel requests, 20 times, on both backends — decide and destroy once: one certificate,
one ledger entry, one 409 "already decided", both audited."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select

from edudata.db import Database
from edudata.lifecycle import ledger
from edudata.lifecycle.models import DestructionCertificate
from support.collect import collect
from support.race import ROUNDS, audit_seq, audit_since, one_won, race, refusals
from support.students import PASSWORD, student

API = "/api/v1/lifecycle/destruction-requests"


def _post(path: str, headers: dict, body: dict | None = None):  # noqa: ANN202 - a call for race()
    return lambda client: client.post(path, json=body, headers=headers)


def test_two_approvals_or_executions_of_one_request_at_once_act_once(
    http: httpx.Client, server, world: dict, accounts, db: Database, settings
) -> None:
    accounts.create(username="office3", roles=("office_admin",), unit_code="0002")
    accounts.create(username="destroyer2", roles=("destruction_officer",), unit_code="0002")
    h = {**world["h"], **{u: accounts.headers(u, password=PASSWORD) for u in ("office3", "destroyer2")}}
    people = [student(100 + i) for i in range(ROUNDS)]
    collect(http, accounts, "student_basic", people, headers=h["xgb"], unit="0104")
    for i, person in enumerate(people):
        body = {
            "scope": "person",
            "id_number": person["SFZJH"],
            "reason": "学生申请删除个人信息（第三十五条）",
        }
        req = http.post(API, json=body, headers=h["office"]).json()
        path = f"{API}/{req['id']}"
        start = audit_seq(db)
        approve = {"approve": True}
        one_won(
            race(
                server.url,
                _post(f"{path}/decision", h["office2"], approve),
                _post(f"{path}/decision", h["office3"], approve),
            )
        )
        records = audit_since(db, start)
        assert len([r for r in records if r["operation"] == "destruction_approve"]) == 1
        assert len(refusals(records, f"{path}/decision")) == 1

        start = audit_seq(db)
        winner, loser = one_won(
            race(
                server.url,
                _post(f"{path}/execute", h["destroyer"]),
                _post(f"{path}/execute", h["destroyer2"]),
            )
        )
        assert winner.json()["valid"] is True
        records = audit_since(db, start)
        assert len([r for r in records if r["operation"] == "destroy" and r["result"] == "success"]) == 1
        assert len(refusals(records, f"{path}/execute")) == 1
        with db.session() as s:
            certs = s.scalar(
                select(func.count())
                .select_from(DestructionCertificate)
                .where(DestructionCertificate.request_id == req["id"])
            )
        assert certs == 1
        assert len([e for e in ledger.entries(settings) if e["request"] == req["id"]]) == 1
        assert http.get(API, headers=h["office"]).json()["items"][0]["executed_by"] in {
            "destroyer",
            "destroyer2",
        }
        assert i + 1 == len(ledger.entries(settings))
