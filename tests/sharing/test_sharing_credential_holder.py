"""A grant credential lives only as long as its holder may hold it (Art. 30, 40-42): an enabled account with the
applicant role in the grant's applicant unit. Role lost, moved away, disabled or offboarded → refused (403, audited)
and revoked for good; giving the role back does not revive it."""

from __future__ import annotations

import json

import httpx
from sqlalchemy import delete, insert, select

from edudata.audit.models import AuditRecord
from edudata.db import Database, utcnow
from edudata.org.models import Account, RoleAssignment
from edudata.sharing.models import GrantCredential
from support import clock
from support.lifecycle import run_cli
from support.sharing import change_post, credential, granted

DATA = "/api/v1/data/student_basic"


def _refusals(db: Database) -> list[AuditRecord]:
    with db.session() as s:
        return list(s.scalars(select(AuditRecord).where(AuditRecord.operation == "share_credential_refused")))


def _reasons(db: Database) -> list[str | None]:
    with db.session() as s:
        return list(s.scalars(select(GrantCredential.revoke_reason).order_by(GrantCredential.id)))


def test_a_credential_is_refused_once_its_holder_loses_the_applicant_role(
    http: httpx.Client, world: dict, db: Database
) -> None:
    app = granted(http, world)
    key = credential(http, world["h"]["lib"], app["id"])
    assert http.get(DATA, headers=key).status_code == 200
    r = change_post(http, world["h"]["office"])  # still here, in another post
    assert r.status_code == 200, r.text
    refused = http.get(DATA, headers=key)
    assert refused.status_code == 403
    body = refused.json()
    assert body["reason"] == "holder_role_lost" and "数据申请人" in body["detail_zh"]
    assert "applicant role" in body["detail_en"] and body["code"] == "permission-denied"
    [record] = _refusals(db)
    assert record.result == "denied" and record.username == "lib" and record.dataset == "student_basic"
    assert json.loads(record.detail_json)["reason"] == "holder_role_lost"


def test_the_revoked_credential_is_listed_with_its_reason(http: httpx.Client, world: dict) -> None:
    app = granted(http, world)
    credential(http, world["h"]["lib"], app["id"])
    change_post(http, world["h"]["office"])
    seen = http.get(f"/api/v1/sharing/applications/{app['id']}", headers=world["h"]["lib2"]).json()
    [cred] = seen["credentials"]
    assert cred["revoked_at"] and cred["revoke_reason"] == "holder_role_lost"
    assert cred["revoke_reason_label"][0].startswith("凭证持有人")


def test_giving_the_role_back_does_not_revive_the_credential(
    http: httpx.Client, world: dict, db: Database
) -> None:
    app = granted(http, world)
    office = world["h"]["office"]
    key = credential(http, world["h"]["lib"], app["id"])
    change_post(http, office)
    assert (
        http.post("/api/v1/accounts/lib/roles", json={"role": "applicant"}, headers=office).status_code == 201
    )
    again = http.get(DATA, headers=key)
    assert again.status_code == 403 and again.json()["reason"] == "holder_role_lost"
    assert len(_refusals(db)) == 1
    fresh = credential(http, world["h"]["lib"], app["id"])  # a new one, issued on purpose, works
    assert http.get(DATA, headers=fresh).status_code == 200


def test_a_role_removed_and_given_back_past_the_org_service_is_caught_on_the_next_use(
    http: httpx.Client, world: dict, db: Database
) -> None:
    """A change made straight in the database (a restore, a repair script) never told sharing: the check on use
    reads the role assignment's own time, younger than the credential, and revokes the credential then."""
    app = granted(http, world)
    key = credential(http, world["h"]["lib"], app["id"])
    with db.session() as s:
        lib = s.scalar(select(Account.id).where(Account.username == "lib"))
        s.execute(delete(RoleAssignment).where(RoleAssignment.account_id == lib))
        s.execute(insert(RoleAssignment).values(account_id=lib, role="applicant", granted_by="repair",
                                                granted_at=utcnow()))  # fmt: skip
        s.commit()
    r = http.get(DATA, headers=key)
    assert r.status_code == 403 and r.json()["reason"] == "holder_role_lost"
    assert _reasons(db) == ["holder_role_lost"]
    with db.session() as s:
        revoked = s.scalars(
            select(AuditRecord).where(AuditRecord.operation == "share_credential_revoke")
        ).all()
    assert [json.loads(a.detail_json)["reason"] for a in revoked] == ["holder_role_lost"]


def test_another_applicants_credential_of_the_unit_keeps_working(http: httpx.Client, world: dict) -> None:
    app = granted(http, world)
    mine = credential(http, world["h"]["lib"], app["id"])
    theirs = credential(http, world["h"]["lib2"], app["id"])
    change_post(http, world["h"]["office"])
    assert http.get(DATA, headers=mine).status_code == 403
    assert http.get(DATA, headers=theirs).status_code == 200


def test_losing_another_role_leaves_the_credential_alone(http: httpx.Client, world: dict) -> None:
    app = granted(http, world)
    office = world["h"]["office"]
    key = credential(http, world["h"]["lib"], app["id"])
    # a role the use duty may hold beside it (Art. 30 keeps processing, audit and administration apart from use)
    assert (
        http.post(
            "/api/v1/accounts/lib/roles", json={"role": "data_protection_officer"}, headers=office
        ).status_code
        == 201
    )
    assert (
        http.delete("/api/v1/accounts/lib/roles/data_protection_officer", headers=office).status_code == 200
    )
    assert http.get(DATA, headers=key).status_code == 200


def test_a_holder_moved_to_another_unit_is_refused_and_loses_every_role(
    http: httpx.Client, world: dict, db: Database
) -> None:
    app = granted(http, world)
    key = credential(http, world["h"]["lib"], app["id"])
    r = http.post("/api/v1/accounts/lib/unit", json={"unit_code": "0201"}, headers=world["h"]["office"])
    assert r.status_code == 200, r.text
    assert r.json()["unit_code"] == "0201" and r.json()["roles"] == []
    refused = http.get(DATA, headers=key)
    assert refused.status_code == 403 and refused.json()["reason"] == "holder_moved"
    assert "调离申请单位" in refused.json()["detail_zh"]
    assert _reasons(db) == ["holder_moved"]


def test_a_holder_moved_past_the_org_service_is_caught_on_the_next_use(
    http: httpx.Client, world: dict, db: Database
) -> None:
    app = granted(http, world)
    key = credential(http, world["h"]["lib"], app["id"])
    with (
        db.engine.begin() as conn
    ):  # the role kept, the unit changed by hand: the holder is no longer the unit's
        conn.exec_driver_sql(
            "UPDATE org_account SET unit_id = (SELECT id FROM org_unit WHERE code = '0201') WHERE username = 'lib'"
        )
    r = http.get(DATA, headers=key)
    assert r.status_code == 403 and r.json()["reason"] == "holder_moved"
    assert _reasons(db) == ["holder_moved"]


def test_a_holder_is_not_disabled_past_offboarding_and_the_credential_stays_as_it_was(
    http: httpx.Client, world: dict
) -> None:
    """The plain disable refuses an applicant (a role holder leaves through offboarding, Art. 53): nothing
    ends, so the credential still reads; offboarding ends it (the next test)."""
    app = granted(http, world)
    key = credential(http, world["h"]["lib"], app["id"])
    r = http.post("/api/v1/accounts/lib/disable", headers=world["h"]["office"])
    assert r.status_code == 409 and r.json()["code"] == "offboarding-required"
    assert http.get(DATA, headers=key).status_code == 200


def test_offboarding_the_holder_ends_the_credential(http: httpx.Client, world: dict, db: Database) -> None:
    app = granted(http, world)
    key = credential(http, world["h"]["lib"], app["id"])
    body = {"username": "lib", "left_on": clock.iso(0),
            "commitment": {"signed_on": clock.iso(-1), "document_ref": "离岗承诺书-lib.pdf"}}  # fmt: skip
    r = http.post("/api/v1/lifecycle/offboarding", json=body, headers=world["h"]["office"])
    assert r.status_code == 201, r.text
    refused = http.get(DATA, headers=key)
    assert refused.status_code == 403 and refused.json()["reason"] in {"holder_role_lost", "holder_disabled"}
    [reason] = _reasons(db)
    assert reason == refused.json()["reason"]


def test_revoking_the_role_on_the_command_line_ends_the_credential_at_once(
    http: httpx.Client, world: dict, db: Database, settings
) -> None:  # noqa: ANN001
    app = granted(http, world)
    key = credential(http, world["h"]["lib"], app["id"])
    assert http.post("/api/v1/accounts/lib/roles", json={"role": "data_protection_officer"},
                     headers=world["h"]["office"]).status_code == 201  # fmt: skip
    done = run_cli(settings, "account", "revoke", "lib", "applicant")
    assert done.returncode == 0, done.stdout + done.stderr
    assert _reasons(db) == ["holder_role_lost"]  # revoked by the command itself, before any use
    with db.session() as s:
        by = s.scalar(select(GrantCredential.revoked_by))
    assert by.startswith("cli:")
    assert http.get(DATA, headers=key).status_code == 403
