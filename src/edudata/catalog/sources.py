"""一数一源 (one data, one source, Art. 8(4), 19): the register of authoritative source units.

Each standard data element (``student.SFZJH``) has exactly one authoritative producer unit. A dataset of any
unit may carry the element, but only naming that source; a second source is refused (409). Only the office
reassigns a source, and every assignment is kept in ``catalog_source_history``.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from edudata.catalog.inputs import STANDARD_CODE, clean_code, clean_text
from edudata.catalog.models import AuthoritativeSource, DataElement, SourceAssignment
from edudata.catalog.units import unit_by_code, units_by_id
from edudata.db import utcnow
from edudata.errors import Conflict

ARTICLE_ZH = "《教育数据管理办法》第八条第（四）项、第十九条"
ARTICLE_EN = "Art. 8(4) and 19 of the regulation"


def registered_source(session: Session, standard_code: str) -> AuthoritativeSource | None:
    return session.get(AuthoritativeSource, standard_code)


def second_source_refused(
    session: Session, *, element_name: str, standard_code: str, existing_unit_id: int, other_unit_id: int
) -> Conflict:
    """The 409 for a second source, naming the element, the registered unit and the article."""
    units = units_by_id(session, [existing_unit_id, other_unit_id])
    existing, other = units[existing_unit_id], units[other_unit_id]
    return Conflict(
        f"一数一源：数据项“{element_name}”（{standard_code}）的权威来源单位已登记为"
        f"{existing.name}（{existing.code}），不能再由{other.name}（{other.code}）作为来源；"
        f"如需变更请由网信办重新指定（{ARTICLE_ZH}）",
        f"one data, one source: the authoritative source of element '{element_name}' ({standard_code}) is "
        f"registered as {existing.name_en or existing.name} ({existing.code}); {other.name_en or other.name} "
        f"({other.code}) cannot be a second source; the office may reassign it ({ARTICLE_EN})",
        field="source_unit_code",
        standard_code=standard_code,
        registered_source_unit=existing.code,
    )


def ensure_source(
    session: Session,
    *,
    standard_code: str,
    element_name: str,
    unit_id: int | None,
    default_unit_id: int,
    assigned_by: str | None,
) -> int:
    """The source unit an element must name: the registered one; registers ``unit_id`` (or the default) when the
    standard code is new. A different explicit unit is refused with 409."""
    existing = registered_source(session, standard_code)
    if existing is not None:
        if unit_id is not None and unit_id != existing.source_unit_id:
            raise second_source_refused(
                session,
                element_name=element_name,
                standard_code=standard_code,
                existing_unit_id=existing.source_unit_id,
                other_unit_id=unit_id,
            )
        return existing.source_unit_id
    chosen = unit_id if unit_id is not None else default_unit_id
    session.add(
        AuthoritativeSource(standard_code=standard_code, source_unit_id=chosen, assigned_by=assigned_by)
    )
    session.add(
        SourceAssignment(
            standard_code=standard_code,
            source_unit_id=chosen,
            assigned_by=assigned_by,
            reason="首次登记 / first use",
        )
    )
    session.flush()  # the register row must exist before an element references it
    return chosen


def list_sources(session: Session) -> list[AuthoritativeSource]:
    return list(session.scalars(select(AuthoritativeSource).order_by(AuthoritativeSource.standard_code)))


def source_history(session: Session, standard_code: str) -> list[SourceAssignment]:
    return list(
        session.scalars(
            select(SourceAssignment)
            .where(SourceAssignment.standard_code == standard_code)
            .order_by(SourceAssignment.id)
        )
    )


def assign_source(
    session: Session, standard_code: str, *, source_unit_code: str, reason: str, assigned_by: str | None
) -> AuthoritativeSource:
    """The office names the authoritative source of a standard data element (Art. 8(4)): registers it, or
    reassigns it — every element with this standard code follows (the database cascades the change). Each
    assignment is recorded."""
    standard_code = clean_code(
        standard_code,
        "standard_code",
        STANDARD_CODE,
        max_length=128,
        hint="主题.数据项代码，如 student.SFZJH",
    )
    unit = unit_by_code(session, source_unit_code, "source_unit_code")
    reason = clean_text(reason, "reason", max_length=500)
    entry = registered_source(session, standard_code)
    previous = entry.source_unit_id if entry is not None else None
    if previous == unit.id:
        return entry
    if entry is None:
        entry = AuthoritativeSource(standard_code=standard_code, source_unit_id=unit.id)
        session.add(entry)
    entry.source_unit_id = unit.id
    entry.assigned_by, entry.assigned_at, entry.note = assigned_by, utcnow(), reason
    session.add(
        SourceAssignment(
            standard_code=standard_code,
            previous_unit_id=previous,
            source_unit_id=unit.id,
            assigned_by=assigned_by,
            reason=reason,
        )
    )
    session.flush()
    if previous is not None:
        # The database cascaded the key change to the elements; stamp them and forget stale copies.
        session.execute(
            update(DataElement)
            .where(DataElement.standard_code == standard_code)
            .values(updated_by=assigned_by, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        session.expire_all()
    return session.get(AuthoritativeSource, standard_code)
