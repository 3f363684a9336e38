"""State changes of an application are compare-and-set (Art. 40): two requests at the same moment — real
parallel requests against the live server, 20 times — end with one effect, one 409 "already decided", and an
audit record of both; the schema holds one unrevoked grant per application."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from edudata.access.models import AccessGrant
from edudata.db import Database
from edudata.sharing.models import GrantCredential, ShareReview
from support.race import ROUNDS, audit_seq, audit_since, one_won, race, refusals
from support.sharing import apply, credential, sign_and_submit
from support.students import PASSWORD


@pytest.fixture
def second_reviewers(world: dict, accounts) -> dict[str, Any]:
    """A second officer of the producer unit and a second office administrator: two people, one decision."""
    accounts.create(username="xgb_b", roles=("unit_data_officer",), unit_code="0104")
    accounts.create(username="office_b", roles=("office_admin",), unit_code="0002")
    world["h"].update({u: accounts.headers(u, password=PASSWORD) for u in ("xgb_b", "office_b")})
    return world


def _post(path: str, headers: dict, body: dict | None = None):  # noqa: ANN202 - a call for race()
    return lambda client: client.post(path, json=body or {}, headers=headers)


def _reviews(db: Database, app_id: int, stage: str) -> list[ShareReview]:
    with db.session() as s:
        return list(
            s.scalars(
                select(ShareReview).where(ShareReview.application_id == app_id, ShareReview.stage == stage)
            )
        )


def test_two_approvals_or_revocations_at_once_decide_once(
    http: httpx.Client, server, second_reviewers: dict, db: Database
) -> None:
    h = second_reviewers["h"]
    for _ in range(ROUNDS):
        app_id = apply(http, h["lib"])["id"]
        sign_and_submit(http, h["lib"], app_id)
        path = f"/api/v1/sharing/applications/{app_id}"
        for stage, (a, b) in (("producer", ("xgb", "xgb_b")), ("office", ("office", "office_b"))):
            start = audit_seq(db)
            winner, loser = one_won(
                race(server.url, _post(f"{path}/approve", h[a]), _post(f"{path}/approve", h[b]))
            )
            reviews = _reviews(db, app_id, stage)
            assert len(reviews) == 1 and reviews[0].decision == "approved", stage
            assert reviews[0].reviewer_username in loser.json()["detail_en"]
            records = audit_since(db, start)
            approvals = [r for r in records if r["operation"] == "share_approve" and r["result"] == "success"]
            assert [r["username"] for r in approvals] == [reviews[0].reviewer_username]
            (refused,) = refusals(records, f"{path}/approve")
            assert refused["username"] in {a, b} - {reviews[0].reviewer_username}
        assert len(_reviews(db, app_id, "office")) == 1  # the producer's stage opened the office's once
        with db.session() as s:
            grants = s.scalars(select(AccessGrant).where(AccessGrant.source == f"sharing:{app_id}")).all()
        assert len(grants) == 1 and winner.json()["grant_id"] == grants[0].id

        start = audit_seq(db)
        reason = {"reason": "用途已结束，撤销授权"}
        one_won(
            race(
                server.url,
                _post(f"{path}/revoke", h["office"], reason),
                _post(f"{path}/revoke", h["xgb"], reason),
            )
        )
        records = audit_since(db, start)
        assert len([r for r in records if r["operation"] == "share_revoke"]) == 1
        assert len(refusals(records, f"{path}/revoke")) == 1
        assert http.get(path, headers=h["lib"]).json()["status"] == "revoked"


def test_the_schema_holds_one_unrevoked_grant_per_application(
    http: httpx.Client, world: dict, db: Database
) -> None:
    from support.sharing import granted

    app = granted(http, world)
    with db.session() as s, pytest.raises(IntegrityError):
        s.add(AccessGrant(dataset_code="student_basic", grantee_unit_code="0110", elements=["XH"], purpose="again",
                          source=f"sharing:{app['id']}"))  # fmt: skip
        s.flush()


def test_a_revoked_application_serves_nothing_through_any_grant_credential_or_export(
    http: httpx.Client, world: dict, db: Database
) -> None:
    """Every grant and credential derived from the application ends with it; the access check reads the grant's
    own state, so a grant the application no longer points at serves nothing either."""
    from support.sharing import granted

    h = world["h"]
    app = granted(http, world)
    keys = [credential(http, h["lib"], app["id"]), credential(http, h["lib2"], app["id"])]
    with db.session() as s:  # a grant the application does not point at, with a credential made for it
        orphan = AccessGrant(dataset_code="student_basic", grantee_unit_code="0110", elements=["XH", "XM"],
                             purpose="orphan", source=None)  # fmt: skip
        s.add(orphan)
        s.flush()
        s.add(GrantCredential(grant_id=orphan.id, application_id=app["id"], account_id=s.scalar(
            select(GrantCredential.account_id).limit(1)), secret_hash="0" * 64, hint="edg_orphan", created_by="lib"))  # fmt: skip
        s.commit()
        orphan_id = orphan.id
    grant_ids = [app["grant_id"], orphan_id]
    url = "/api/v1/data/student_basic"
    assert http.get(url, params={"grant_id": app["grant_id"]}, headers=h["lib"]).status_code == 200
    r = http.post(
        f"/api/v1/sharing/applications/{app['id']}/revoke", json={"reason": "用途已结束"}, headers=h["office"]
    )
    assert r.status_code == 200, r.text
    for grant_id in grant_ids:
        for path in (url, f"{url}/export"):
            r = http.get(path, params={"grant_id": grant_id}, headers=h["lib"])
            assert r.status_code == 403, (path, grant_id, r.text)
    for key in keys:
        for path in (url, f"{url}/export"):
            assert http.get(path, headers=key).status_code == 401
    with db.session() as s:
        assert (
            s.scalar(
                select(func.count()).select_from(GrantCredential).where(GrantCredential.revoked_at.is_(None))
            )
            == 0
        )
