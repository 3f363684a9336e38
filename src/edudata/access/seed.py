"""The policy epoch row exists from the start."""

from __future__ import annotations

from sqlalchemy.orm import Session

from edudata.access.models import PolicyEpoch


def seed(session: Session) -> None:
    if session.get(PolicyEpoch, 1) is None:
        session.add(PolicyEpoch(id=1, value=0))
        session.flush()
