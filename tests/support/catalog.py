"""Fixtures for datasets and elements in the catalogue: ``catalog.demo()``, ``catalog.dataset(...)``."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Any

import pytest
from sqlalchemy import select, text

from edudata.catalog.demo import DEMO_UNIT_CODES, load_demo_catalogue
from edudata.catalog.service import create_dataset, get_dataset
from edudata.catalog.views import dataset_view
from edudata.db import Database
from edudata.org.models import Unit
from edudata.org.service import ensure_demo_units

CATALOG_TABLES = (
    "catalog_code_set",
    "catalog_code_set_version",
    "catalog_code",
    "catalog_dataset",
    "catalog_data_element",
    "catalog_source",
    "catalog_source_history",
)


def ensure_units(db: Database, codes: Iterable[str] = ()) -> None:
    """The demo university's units (``edudata.synth.university.UNITS``), created when missing; ``codes`` names
    the ones a test relies on."""
    with db.session() as s:
        ensure_demo_units(s)
        s.commit()
        missing = set(codes) - set(s.scalars(select(Unit.code).where(Unit.code.in_(list(codes)))))
    assert not missing, f"not demo units: {missing}"


class CatalogFactory:
    def __init__(self, db: Database) -> None:
        self.db = db

    def demo(self, created_by: str | None = "demo") -> list[str]:
        """Load the demo catalogue (creating its units); returns the dataset codes added."""
        ensure_units(self.db, DEMO_UNIT_CODES)
        with self.db.session() as s:
            added = load_demo_catalogue(s, created_by=created_by)
            s.commit()
        return added

    def dataset(
        self,
        code: str = "test_dataset",
        owner_unit_code: str = "0104",
        elements: Sequence[dict[str, Any]] | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        """Catalogue one dataset through the service; returns its API view."""
        ensure_units(
            self.db,
            [owner_unit_code, *(e["source_unit_code"] for e in elements or () if e.get("source_unit_code"))],
        )
        values = {"name": "测试数据集", "subject_area": "students", "nature": "students", **fields}
        if elements is None:
            elements = [{"code": "XH", "name": "学号"}, {"code": "XM", "name": "姓名", "data_type": "name"}]
        with self.db.session() as s:
            create_dataset(
                s, code=code, owner_unit_code=owner_unit_code, elements=elements, created_by="test", **values
            )
            s.commit()
            return dataset_view(s, get_dataset(s, code))

    def fingerprint(self) -> str:
        """A digest of every catalogue row: equal before and after means the database is unchanged."""
        digest = hashlib.sha256()
        with self.db.engine.connect() as conn:
            for table in CATALOG_TABLES:
                for row in conn.execute(text(f"SELECT * FROM {table} ORDER BY 1")):  # noqa: S608 - fixed names
                    digest.update(repr(tuple(row)).encode())
        return digest.hexdigest()


@pytest.fixture
def catalog(db: Database) -> CatalogFactory:
    return CatalogFactory(db)
