"""Default separation-of-duties rules (Art. 30: 数据处理、使用、销毁和安全审计的权限分离).

The auditor and the destruction officer may not hold each other's role, nor any role that processes or uses data
(office administrator, unit data officer, unit reviewer, applicant, technical support). Seeding fills an empty
table only, so a pair the office removed on purpose stays removed.
"""

from __future__ import annotations

from itertools import combinations

from sqlalchemy import select
from sqlalchemy.orm import Session

from edudata.db import utcnow
from edudata.org.models import SodRule
from edudata.org.roles import Role

CONTROL_ROLES = (Role.AUDITOR, Role.DESTRUCTION_OFFICER)
PROCESSING_ROLES = (
    Role.OFFICE_ADMIN,
    Role.UNIT_DATA_OFFICER,
    Role.UNIT_REVIEWER,
    Role.APPLICANT,
    Role.TECH_SUPPORT,
)


def default_pairs() -> list[tuple[str, str]]:
    pairs = {tuple(sorted(p)) for p in combinations(CONTROL_ROLES, 2)}
    pairs |= {tuple(sorted((c, p))) for c in CONTROL_ROLES for p in PROCESSING_ROLES}
    return sorted((str(a), str(b)) for a, b in pairs)


def seed(session: Session) -> None:
    """Insert the default pairs when the table is empty (a fresh installation or a test database)."""
    if session.execute(select(SodRule.id).limit(1)).first():
        return
    for a, b in default_pairs():
        session.add(SodRule(role_a=a, role_b=b, created_by="system", created_at=utcnow()))
    session.flush()
