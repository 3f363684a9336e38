"""Plain dictionaries of open-data views for the API, the pages, CKAN and DCAT (no ORM objects leak)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from edudata.catalog.classification import OPEN_LABELS
from edudata.opendata.conditions import KINDS
from edudata.opendata.definitions import LICENCES
from edudata.opendata.models import OpenVersion, OpenView
from edudata.opendata.publish import current_version, versions_of
from edudata.opendata.review import STATUS_NAMES, reviews_of
from edudata.org.models import Unit

FREQUENCY_LABELS = {
    "realtime": ("实时", "real time"), "hourly": ("每小时", "hourly"), "daily": ("每日", "daily"),
    "weekly": ("每周", "weekly"), "monthly": ("每月", "monthly"), "termly": ("每学期", "each term"),
    "yearly": ("每年", "yearly"),
}  # fmt: skip


def _stamp(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def unit_names(session: Session, codes: list[str]) -> dict[str, tuple[str, str]]:
    rows = session.execute(select(Unit.code, Unit.name, Unit.name_en).where(Unit.code.in_(codes))).all()
    return {r[0]: (r[1], r[2] or r[1]) for r in rows}


def version_view(version: OpenVersion) -> dict[str, Any]:
    return {
        "number": version.number,
        "created_at": _stamp(version.created_at),
        "row_count": version.row_count,
        "suppressed": version.suppressed,
        "sha256": version.sha256,
    }


def view_summary(
    session: Session, view: OpenView, units: dict[str, tuple[str, str]] | None = None
) -> dict[str, Any]:
    units = units if units is not None else unit_names(session, [view.unit_code])
    licence = LICENCES.get(view.licence, (view.licence, view.licence, ""))
    version = current_version(session, view)
    return {
        "code": view.code,
        "title": view.title,
        "title_en": view.title_en,
        "description": view.description,
        "keywords": list(view.keywords or []),
        "dataset": view.dataset_code,
        "kind": view.kind,
        "unit": {
            "code": view.unit_code,
            "name": units.get(view.unit_code, ("", ""))[0],
            "name_en": units.get(view.unit_code, ("", ""))[1],
        },
        "open_category": view.open_category,
        "open_category_label": OPEN_LABELS.get(view.open_category, (view.open_category, view.open_category)),
        "licence": {"id": view.licence, "title": licence[0], "title_en": licence[1], "url": licence[2]},
        "update_frequency": view.update_frequency,
        "frequency_label": FREQUENCY_LABELS.get(
            view.update_frequency, (view.update_frequency, view.update_frequency)
        ),
        "status": view.status,
        "status_label": STATUS_NAMES.get(view.status, (view.status, view.status)),
        "published_at": _stamp(view.published_at),
        "updated_at": _stamp(version.created_at if version else view.refreshed_at),
        "refreshed_at": _stamp(view.refreshed_at),
        "next_refresh_at": _stamp(view.next_refresh_at),
        "version": view.current_version,
        "row_count": version.row_count if version else 0,
        "columns": version.columns if version else [],
        "conditions": [
            {**c, "kind_label": KINDS.get(c["kind"], (c["kind"], c["kind"]))} for c in view.conditions or []
        ],
    }


def view_detail(session: Session, view: OpenView, *, staff: bool = False) -> dict[str, Any]:
    out = view_summary(session, view)
    out["versions"] = [version_view(v) for v in versions_of(session, view)]
    if staff:
        out["definition"] = view.definition
        out["proposed_by"] = view.proposed_by
        out["proposed_at"] = _stamp(view.proposed_at)
        out["refusal_reason"] = view.refusal_reason
        out["reviews"] = reviews_of(session, view)
    return out
