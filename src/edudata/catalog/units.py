"""The catalogue's view of organisation units (owner units, authoritative source units), by code (一校一码)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from edudata.errors import ValidationFailed
from edudata.org.models import Unit


def unit_by_code(session: Session, code: str | None, field: str) -> Unit:
    """The unit with ``code``; an unknown code is the caller's mistake (422), naming the field."""
    unit = session.scalar(select(Unit).where(Unit.code == (code or "").strip())) if code else None
    if unit is None:
        raise ValidationFailed(
            f"{field}：单位代码 {code or '（空）'} 不存在",
            f"{field}: there is no unit with code {code or '(empty)'}",
            field=field,
        )
    return unit


def units_by_id(session: Session, ids: Iterable[int | None]) -> dict[int, Unit]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {u.id: u for u in session.scalars(select(Unit).where(Unit.id.in_(wanted)))}


def unit_id_by_code(session: Session, code: str) -> int | None:
    return session.scalar(select(Unit.id).where(Unit.code == code))
