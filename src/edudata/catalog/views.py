"""Plain dictionaries of catalogue entries, for the API, the pages and other domains (no ORM objects leak)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from edudata.catalog import classification as cls
from edudata.catalog.codesets import current_version
from edudata.catalog.frequency import iso_duration
from edudata.catalog.models import AuthoritativeSource, CodeSet, CodeSetVersion, DataElement, Dataset
from edudata.catalog.units import units_by_id
from edudata.org.models import Unit


def _unit(units: dict[int, Unit], unit_id: int | None) -> dict[str, str] | None:
    unit = units.get(unit_id) if unit_id is not None else None
    return {"code": unit.code, "name": unit.name, "name_en": unit.name_en or ""} if unit else None


def _stamp(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def element_view(element: DataElement, units: dict[int, Unit]) -> dict[str, Any]:
    return {
        "code": element.code,
        "name": element.name,
        "name_en": element.name_en,
        "description": element.description,
        "data_type": element.data_type,
        "code_set": element.code_set.code if element.code_set else None,
        "required": element.required,
        "max_length": element.max_length,
        "grade": element.grade,
        "share_category": element.share_category,
        "sensitive": element.sensitive,
        "sensitive_type": element.sensitive_type,
        "standard_code": element.standard_code,
        "source_unit": _unit(units, element.source_unit_id),
        "position": element.position,
        "updated_by": element.updated_by,
        "updated_at": _stamp(element.updated_at),
    }


def dataset_view(session: Session, dataset: Dataset, *, with_elements: bool = True) -> dict[str, Any]:
    units = units_by_id(session, [dataset.owner_unit_id, *(e.source_unit_id for e in dataset.elements)])
    grade = cls.GRADES[dataset.grade]
    view: dict[str, Any] = {
        "code": dataset.code,
        "name": dataset.name,
        "name_en": dataset.name_en,
        "description": dataset.description,
        "owner_unit": _unit(units, dataset.owner_unit_id),
        "subject_area": dataset.subject_area,
        "nature": dataset.nature,
        "grade": dataset.grade,
        "grade_label": grade.label,
        "gbt43697_level": grade.gbt43697_level,
        "share_category": dataset.share_category,
        "open_category": dataset.open_category,
        "update_frequency": dataset.update_frequency,
        "sync_interval_seconds": dataset.sync_interval_seconds,
        "sync_interval": iso_duration(dataset.sync_interval_seconds),
        "unit_element": dataset.unit_element,
        "subject_element": dataset.subject_element,
        "sensitive": any(e.sensitive for e in dataset.elements),
        "element_count": len(dataset.elements),
        "created_by": dataset.created_by,
        "created_at": _stamp(dataset.created_at),
        "updated_by": dataset.updated_by,
        "updated_at": _stamp(dataset.updated_at),
    }
    if with_elements:
        view["elements"] = [element_view(e, units) for e in dataset.elements]
    return view


def code_set_view(code_set: CodeSet) -> dict[str, Any]:
    current = current_version(code_set)
    return {
        "code": code_set.code,
        "name": code_set.name,
        "name_en": code_set.name_en,
        "source": code_set.source,
        "licence": code_set.licence,
        "current_version": current.version if current else None,
        "versions": [v.version for v in code_set.versions],
    }


def version_view(version: CodeSetVersion, *, with_codes: bool = True) -> dict[str, Any]:
    view: dict[str, Any] = {
        "code_set": version.code_set.code,
        "version": version.version,
        "effective_from": version.effective_from.isoformat(),
        "created_by": version.created_by,
        "created_at": _stamp(version.created_at),
        "note": version.note,
    }
    if with_codes:
        view["codes"] = [
            {
                "value": c.value,
                "label": c.label,
                "label_en": c.label_en,
                "active": c.active,
                "attributes": c.attributes,
            }
            for c in version.codes
        ]
    return view


def source_view(entry: AuthoritativeSource, units: dict[int, Unit]) -> dict[str, Any]:
    return {
        "standard_code": entry.standard_code,
        "source_unit": _unit(units, entry.source_unit_id),
        "assigned_by": entry.assigned_by,
        "assigned_at": _stamp(entry.assigned_at),
        "note": entry.note,
    }
