"""Loads the shipped code sets (``data/*.csv``) as versions, idempotently (after each migration, before tests).

A shipped version already present is left alone, so versions the office published are never overwritten.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from edudata.catalog.bundled import bundled_code_sets
from edudata.catalog.models import Code, CodeSet, CodeSetVersion


def seed(session: Session) -> None:
    existing = {c.code: c for c in session.scalars(select(CodeSet))}
    versions = {
        (code_set_id, version)
        for code_set_id, version in session.execute(
            select(CodeSetVersion.code_set_id, CodeSetVersion.version)
        )
    }
    for shipped in bundled_code_sets().values():
        code_set = existing.get(shipped.code)
        if code_set is None:
            code_set = CodeSet(
                code=shipped.code,
                name=shipped.name,
                name_en=shipped.name_en,
                source=shipped.source,
                licence=shipped.licence,
            )
            session.add(code_set)
            session.flush()
        if (code_set.id, shipped.version) in versions:
            continue
        version = CodeSetVersion(
            code_set_id=code_set.id,
            version=shipped.version,
            effective_from=shipped.effective_from,
            created_by=None,
            note="随平台发布 / shipped with the platform (data/SOURCES.md)",
        )
        session.add(version)
        session.flush()
        session.add_all(
            Code(
                version_id=version.id,
                value=c.value,
                label=c.label,
                label_en=c.label_en,
                active=c.active,
                position=i,
                attributes=c.attributes or None,
            )
            for i, c in enumerate(shipped.codes)
        )
    session.flush()
