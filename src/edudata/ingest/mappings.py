"""Saved column mappings (列名映射): a producer's own header → a data element, for every later upload.

The office and the producer unit's data officer list, save and delete them (一数一源: the owner unit is the
dataset's only producer, so a dataset's mappings are that unit's). Every change is audited.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from edudata.access.specs import load_spec
from edudata.audit import service as audit
from edudata.errors import NotFound, PermissionDenied, ValidationFailed
from edudata.ingest.models import HeaderMapping
from edudata.policy import allowed
from edudata.store.spec import DatasetSpec


def may_edit(who: Any, spec: DatasetSpec) -> bool:
    return allowed(who, "ingest.mapping.edit", unit_code=spec.owner_unit_code)


def _require(who: Any, spec: DatasetSpec) -> None:
    if not may_edit(who, spec):
        raise PermissionDenied(
            "只有网信办或数据生产单位的数据管理员可以维护列名映射",
            "only the office or the producer's data officer maintains header mappings",
        )


def listed(session: Session, dataset_code: str) -> list[dict[str, Any]]:
    spec = load_spec(session, dataset_code)
    rows = session.execute(
        select(HeaderMapping).where(HeaderMapping.dataset_code == dataset_code).order_by(HeaderMapping.header)
    ).scalars()
    return [
        {
            "id": m.id,
            "header": m.header,
            "element": m.element,
            "element_name": spec.element(m.element).name if spec.element(m.element) else m.element,
            "created_by": m.created_by,
        }
        for m in rows
    ]


def save(session: Session, who: Any, dataset_code: str, mappings: Mapping[str, str], actor: dict) -> int:
    spec = load_spec(session, dataset_code)
    _require(who, spec)
    clean = {str(h).strip()[:200]: str(e).strip() for h, e in mappings.items() if str(h).strip()}
    bad = [e for e in clean.values() if spec.element(e) is None]
    if bad or not clean:
        raise ValidationFailed(
            f"数据集没有数据项 {', '.join(bad)[:100]}" if bad else "请填写列名和数据项",
            f"the dataset has no element {', '.join(bad)[:100]}" if bad else "give a header and an element",
            field="mappings",
        )
    for header, element in clean.items():
        row = session.execute(
            select(HeaderMapping).where(
                HeaderMapping.dataset_code == dataset_code, HeaderMapping.header == header
            )
        ).scalar_one_or_none()
        if row is None:
            session.add(
                HeaderMapping(
                    dataset_code=dataset_code, header=header, element=element, created_by=who.username
                )
            )
        else:
            row.element = element
    audit.record(
        session,
        operation="ingest_mapping",
        dataset=dataset_code,
        detail={"headers": list(clean)[:50]},
        **actor,
    )
    return len(clean)


def delete(session: Session, who: Any, dataset_code: str, mapping_id: int, actor: dict) -> None:
    spec = load_spec(session, dataset_code)
    _require(who, spec)
    row = session.get(HeaderMapping, mapping_id)
    if row is None or row.dataset_code != dataset_code:
        raise NotFound(f"没有列名映射 {mapping_id}", f"no header mapping {mapping_id}")
    session.delete(row)
    audit.record(
        session,
        operation="ingest_mapping",
        dataset=dataset_code,
        detail={"deleted": row.header[:200], "element": row.element},
        **actor,
    )
