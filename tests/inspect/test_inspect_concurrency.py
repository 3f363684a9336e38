"""The finding workflow is compare-and-set: two closes (or two answers) of one finding at the same moment —
real parallel requests, 20 times, on both backends — act once; the other gets 409 "already decided", audited."""

from __future__ import annotations

from sqlalchemy import update

from edudata.db import Database
from edudata.inspect.models import Finding
from support.race import ROUNDS, audit_seq, audit_since, one_won, race, refusals


def _post(path: str, body: dict, headers: dict):  # noqa: ANN202 - a call for race()
    return lambda client: client.post(path, json=body, headers=headers)


def test_two_closes_or_answers_of_one_finding_at_once_act_once(
    server, http, accounts, in_session, db: Database
) -> None:  # noqa: ANN001
    from edudata.org.models import RoleAssignment
    from edudata.org.service import find_account

    for name, role, unit in (("office", "office_admin", "0002"), ("office2", "office_admin", "0002"),
                             ("officer", "unit_data_officer", "0002"), ("officer2", "unit_data_officer", "0002"),
                             ("both", "office_admin", "0002")):  # fmt: skip
        accounts.create(username=name, roles=(role,), unit_code=unit)
    in_session(lambda s: s.add(RoleAssignment(account_id=find_account(s, "both").id, role="auditor")))
    h = {u: accounts.headers(u) for u in ("office", "office2", "officer", "officer2")}
    run = http.post("/api/v1/inspect/runs", json={"mode": "year_end"}, headers=h["office"]).json()
    fid = run["findings"]["new"][0]["id"]
    base = f"/api/v1/inspect/findings/{fid}"
    for _ in range(ROUNDS):
        assert http.post(f"{base}/assign", json={"unit_code": "0002"}, headers=h["office"]).status_code == 200
        start = audit_seq(db)
        answer = {"answer": "已撤销审计员角色"}
        one_won(
            race(
                server.url,
                _post(f"{base}/answer", answer, h["officer"]),
                _post(f"{base}/answer", answer, h["officer2"]),
            )
        )
        start_close = audit_seq(db)
        evidence = {"evidence": "核查 org_role_assignment：已撤销"}
        one_won(
            race(
                server.url,
                _post(f"{base}/close", evidence, h["office"]),
                _post(f"{base}/close", evidence, h["office2"]),
            )
        )
        records = audit_since(db, start)
        assert [r["operation"] for r in records if r["operation"].startswith("inspect_")] == [
            "inspect_answer",
            "inspect_close",
        ]
        assert len(refusals(records, f"{base}/answer")) == 1
        assert len(refusals(audit_since(db, start_close), f"{base}/close")) == 1
        with db.session() as s:  # the next round: the finding open again (as a later run that still sees it)
            s.execute(update(Finding).where(Finding.id == fid).values(status="open"))
            s.commit()
