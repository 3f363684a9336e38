"""Fixtures for units, accounts and logins (organisation and identity domains).

``accounts.create(...)`` writes straight to the database (the demo units are created on first use);
``accounts.headers(username)`` logs in over the live server and returns the bearer header.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import pytest

from edudata.db import Database
from edudata.org.models import Account
from edudata.org.service import create_account, ensure_demo_units
from edudata.sharing.heads import set_head

PASSWORD = "Passw0rd!edu"


class Accounts:
    """Factory for accounts in the demo university's units, and their logins."""

    def __init__(self, db: Database, request: pytest.FixtureRequest) -> None:
        self.db = db
        self._request = request
        self._numbers = itertools.count(1)
        self._units_ready = False
        self.passwords: dict[str, str] = {}

    def ensure_units(self) -> None:
        if self._units_ready:
            return
        with self.db.session() as session:
            ensure_demo_units(session)
            session.commit()
        self._units_ready = True

    def create(
        self,
        username: str | None = None,
        roles: Sequence[str] = ("office_admin",),
        unit_code: str = "0002",
        password: str = PASSWORD,
        display_name: str | None = None,
        email: str | None = None,
        head: bool = False,
    ) -> Account:
        """An account; ``head=True`` also names it head of its unit (who signs 附件2 for the unit, Art. 41)."""
        self.ensure_units()
        username = username or f"user{next(self._numbers)}"
        with self.db.session() as session:
            account = create_account(
                session,
                username=username,
                password=password,
                unit_code=unit_code,
                roles=tuple(roles),
                display_name=display_name,
                granted_by="tests",
                email=email,
            )
            if head:
                set_head(session, unit_code, username, by="tests")
            session.commit()
        self.passwords[username] = password
        return account

    def token(self, username: str, password: str | None = None, totp: str | None = None) -> str:
        http = self._request.getfixturevalue("http")
        body = {"username": username, "password": password or self.passwords.get(username, PASSWORD)}
        if totp:
            body["totp"] = totp
        r = http.post("/api/v1/auth/token", json=body)
        assert r.status_code == 200, r.text
        return r.json()["access_token"]

    def headers(self, username: str, password: str | None = None, totp: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(username, password, totp)}"}


@pytest.fixture
def accounts(db: Database, request: pytest.FixtureRequest) -> Accounts:
    return Accounts(db, request)
