"""Reference data of the audit log: the chain head's genesis row (Art. 59)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from edudata.audit.head import ensure_head


def seed(session: Session) -> None:
    ensure_head(session)
