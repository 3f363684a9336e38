"""Reference data of the audit log: the tree's empty state and epoch 1 (Art. 59)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from edudata.audit.tree import ensure_tree


def seed(session: Session) -> None:
    ensure_tree(session)
