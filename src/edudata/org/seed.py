"""Separation-of-duties rules in the table (Art. 30): the built-in exclusions of :mod:`edudata.policy.duties`.

They bind whether or not their row exists (``service.sod_pairs`` adds them); seeding writes the missing ones so
the office sees every pair in force beside the stricter pairs it added itself.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from edudata.db import utcnow
from edudata.org.models import SodRule
from edudata.policy.duties import BUILTIN_PAIRS


def default_pairs() -> list[tuple[str, str]]:
    return sorted(BUILTIN_PAIRS)


def seed(session: Session) -> None:
    """Insert the built-in pairs the table lacks (a fresh installation, a test database, an older one)."""
    have = {(a, b) for a, b in session.execute(select(SodRule.role_a, SodRule.role_b)).all()}
    for a, b in default_pairs():
        if (a, b) not in have:
            session.add(SodRule(role_a=a, role_b=b, created_by="system", created_at=utcnow()))
    session.flush()
