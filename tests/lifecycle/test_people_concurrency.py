"""Offboarding (离岗, Art. 53) is compare-and-set: two office members offboarding one person at the same moment —
real parallel requests, 20 times, on both backends — record one offboarding; the other gets 409, both audited."""

from __future__ import annotations

from sqlalchemy import func, select

from edudata.db import Database
from edudata.lifecycle.models import Offboarding
from support import clock
from support.race import ROUNDS, audit_seq, audit_since, one_won, race, refusals

API = "/api/v1/lifecycle/offboarding"


def _offboard(username: str, headers: dict):  # noqa: ANN202 - a call for race()
    body = {"username": username, "left_on": clock.iso(), "devices": [],
            "commitment": {"signed_on": clock.iso(-1), "document_ref": f"离岗承诺书-{username}.pdf"}}  # fmt: skip
    return lambda client: client.post(API, json=body, headers=headers)


def test_two_offboardings_of_one_person_at_once_record_one(
    server, world: dict, accounts, db: Database
) -> None:
    h = world["h"]
    for i in range(ROUNDS):
        name = f"leaver{i}"
        accounts.create(username=name, roles=("applicant",), unit_code="0110")
        start = audit_seq(db)
        winner, loser = one_won(race(server.url, _offboard(name, h["office"]), _offboard(name, h["office2"])))
        assert winner.status_code == 201 and winner.json()["performed_by"] in loser.json()["detail_en"]
        records = audit_since(db, start)
        assert len([r for r in records if r["operation"] == "offboarding"]) == 1
        assert len(refusals(records, API)) == 1
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Offboarding)) == ROUNDS
