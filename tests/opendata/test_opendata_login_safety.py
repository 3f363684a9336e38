"""The portal's login and registration do not tell whether an address exists (no 409, the same time), and a
guessed password locks the address after the threshold (Art. 54)."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from edudata.identity.models import LoginAttempt
from opendata.conftest import CITIZEN, Catcher, register_and_login


def test_registering_a_known_address_answers_like_a_new_one(
    od: httpx.Client, staff: dict, smtp: Catcher
) -> None:
    register_and_login(od, smtp)
    new = od.post("/api/v1/open/register", json={**CITIZEN, "email": "new.person@example.org"})
    known = od.post("/api/v1/open/register", json=CITIZEN)
    assert new.status_code == known.status_code == 202
    assert set(new.json()) == set(known.json()) and known.json()["verified"] is False
    assert "已注册" not in known.text and "already" not in known.text


def test_an_unknown_address_and_a_wrong_password_answer_alike(
    od: httpx.Client, staff: dict, smtp: Catcher
) -> None:
    register_and_login(od, smtp)
    unknown = od.post(
        "/api/v1/open/login", json={"email": "nobody@example.org", "password": "Whatever-2026!"}
    )
    wrong = od.post("/api/v1/open/login", json={"email": CITIZEN["email"], "password": "Whatever-2026!"})
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json()["detail_en"] == wrong.json()["detail_en"]


def test_the_portal_locks_an_address_after_repeated_failures(
    od: httpx.Client,
    staff: dict,
    smtp: Catcher,
    settings,
    db,  # noqa: ANN001
) -> None:
    register_and_login(od, smtp)
    bad = {"email": CITIZEN["email"], "password": "Wrong-password-1!"}
    for _ in range(settings.lockout_threshold):
        assert od.post("/api/v1/open/login", json=bad).status_code == 401
    locked = od.post("/api/v1/open/login", json={"email": CITIZEN["email"], "password": CITIZEN["password"]})
    assert locked.status_code == 423 and int(locked.headers["Retry-After"]) > 0, locked.text
    with db.session() as s:
        reasons = (
            s.execute(select(LoginAttempt.reason).where(LoginAttempt.username == "open:" + CITIZEN["email"]))
            .scalars()
            .all()
        )
    assert reasons.count("bad_password") == settings.lockout_threshold and "locked" in reasons
