"""Reference data of the privacy domain: the platform itself as a system of the PI register (Art. 50)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from edudata.privacy.register import ensure_platform_system


def seed(session: Session) -> None:
    ensure_platform_system(session)
