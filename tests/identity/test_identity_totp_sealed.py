"""Second-factor seeds are sealed under the key ring at rest (Art. 27): a copy of the database gives no TOTP."""

from __future__ import annotations

import httpx
import pyotp
from sqlalchemy import update

from edudata.crypto.sealed import is_sealed
from edudata.db import Database
from edudata.identity.totp import seal_clear_seeds
from edudata.org.models import Account
from support.org import PASSWORD


def _login(http: httpx.Client, username: str, code: str | None = None) -> httpx.Response:
    body = {"username": username, "password": PASSWORD} | ({"totp": code} if code else {})
    return http.post("/api/v1/auth/token", json=body)


def test_an_enrolled_seed_is_stored_sealed_and_still_verifies(
    http: httpx.Client, db: Database, accounts
) -> None:  # noqa: ANN001
    accounts.create(username="lib", roles=("applicant",), unit_code="0110")
    lib = accounts.headers("lib")
    seed = http.post("/api/v1/me/totp", headers=lib).json()["secret"]
    with db.session() as s:
        stored = s.query(Account).filter_by(username="lib").one().totp_secret
    assert is_sealed(stored) and seed not in stored
    assert (
        http.post("/api/v1/me/totp/confirm", json={"code": pyotp.TOTP(seed).now()}, headers=lib).status_code
        == 200
    )


def test_a_seed_left_in_clear_is_sealed_by_the_upgrade_and_login_still_works(
    http: httpx.Client,
    db: Database,
    settings,
    accounts,  # noqa: ANN001
) -> None:
    account = accounts.create(username="old", roles=("applicant",), unit_code="0110")
    seed = pyotp.random_base32()
    with db.session() as s:  # as an older version stored it
        s.execute(update(Account).where(Account.id == account.id).values(totp_secret=seed, totp_enabled=True))
        s.commit()
    with db.session() as s:
        assert seal_clear_seeds(s, settings) == 1
        s.commit()
    with db.session() as s:
        stored = s.get(Account, account.id).totp_secret
        assert is_sealed(stored) and seed not in stored
        assert seal_clear_seeds(s, settings) == 0  # idempotent
    assert _login(http, "old", pyotp.TOTP(seed).now()).status_code == 200


def test_a_sealed_seed_copied_onto_another_account_does_not_open(
    http: httpx.Client,
    db: Database,
    accounts,  # noqa: ANN001
) -> None:
    accounts.create(username="aa", roles=("applicant",), unit_code="0110")
    victim = accounts.create(username="bb", roles=("applicant",), unit_code="0110")
    seed = http.post("/api/v1/me/totp", headers=accounts.headers("aa")).json()["secret"]
    with db.session() as s:
        sealed = s.query(Account).filter_by(username="aa").one().totp_secret
        s.execute(
            update(Account).where(Account.id == victim.id).values(totp_secret=sealed, totp_enabled=True)
        )
        s.commit()
    r = _login(http, "bb", pyotp.TOTP(seed).now())
    assert r.status_code == 401 and r.json()["field"] == "totp"
