"""Catalogue edits as use cases (数据资源目录, Art. 8, 39): policy, change, audit record — the same for the API and
the web pages, so an edit made on a page leaves the same audit record as the same edit through the API (Art. 30).

The caller commits (the API through ``session.commit``, pages after showing a form error on rollback).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from edudata.audit.service import record
from edudata.catalog import service, views
from edudata.catalog.models import DataElement, Dataset
from edudata.catalog.storage import follow_catalogue
from edudata.catalog.units import units_by_id
from edudata.config import Settings
from edudata.db import Database
from edudata.identity.principal import Principal
from edudata.policy import require


def _audit(session: Session, who: Principal, request_id: str | None, operation: str, **fields: Any) -> None:
    record(
        session, operation=operation, account_id=who.account_id, username=who.username, unit_code=who.unit_code,
        source_ip=who.source_ip, request_id=request_id, **fields,
    )  # fmt: skip


def _changed(current: Mapping[str, Any], changes: Mapping[str, Any]) -> list[str]:
    """The fields an edit really changes: a page submits the whole form, the API only what it sets."""
    return sorted(k for k, v in changes.items() if current.get(k, object()) != v)


def create_dataset(
    session: Session, who: Principal, fields: Mapping[str, Any], elements: list[dict[str, Any]] | None = None,
    *, request_id: str | None = None,
) -> Dataset:  # fmt: skip
    require(who, "catalog.dataset.edit")
    dataset = service.create_dataset(session, **fields, elements=elements or [], created_by=who.username)
    _audit(session, who, request_id, "insert", dataset=dataset.code, elements=[e.code for e in dataset.elements],
           detail={"object": "catalog_dataset"})  # fmt: skip
    return dataset


def update_dataset(
    session: Session, who: Principal, code: str, changes: Mapping[str, Any], *, request_id: str | None = None
) -> Dataset:
    require(who, "catalog.dataset.edit")
    current = views.dataset_view(session, service.get_dataset(session, code), with_elements=False)
    current["owner_unit_code"] = (current.get("owner_unit") or {}).get("code")
    fields = _changed(current, changes)
    dataset = service.update_dataset(session, code, changes, updated_by=who.username)
    _audit(
        session,
        who,
        request_id,
        "update",
        dataset=code,
        detail={"object": "catalog_dataset", "fields": fields},
    )
    return dataset


def add_element(
    session: Session, who: Principal, code: str, spec: Mapping[str, Any], *, request_id: str | None = None
) -> DataElement:
    require(who, "catalog.element.edit")
    element = service.add_element(session, code, spec, created_by=who.username)
    _audit(session, who, request_id, "insert", dataset=code, elements=[element.code],
           detail={"object": "catalog_data_element"})  # fmt: skip
    return element


def update_element(
    session: Session, settings: Settings, db: Database, who: Principal, code: str, element_code: str,
    changes: Mapping[str, Any], *, request_id: str | None = None,
) -> DataElement:  # fmt: skip
    """Change an element; stored values follow a new code set (``follow_catalogue``) in the same transaction."""
    require(who, "catalog.element.edit")
    element = service.get_element(service.get_dataset(session, code), element_code)
    current = views.element_view(element, units_by_id(session, [element.source_unit_id]))
    current["source_unit_code"] = (current.get("source_unit") or {}).get("code")
    fields = _changed(current, changes)
    element = service.update_element(session, code, element_code, changes, updated_by=who.username)
    migrated = follow_catalogue(session, settings, db, who, code, request_id=request_id)
    _audit(session, who, request_id, "update", dataset=code, elements=[element_code],
           detail={"object": "catalog_data_element", "fields": fields, "migrated_values": migrated["values"]})  # fmt: skip
    return element
