"""Dashboard items drawn from the other domains' registers (reviews, batches, applications, alerts).

Each function returns nothing until the domain it reads is installed; see :mod:`edudata.inspect.dashboard`.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from edudata.identity.principal import Principal


def office_items(session: Session) -> list:
    return []


def unit_items(session: Session, principal: Principal) -> list:
    return []


def applicant_items(session: Session, principal: Principal) -> list:
    return []


def auditor_items(session: Session) -> list:
    return []
