"""Collects every domain's tables into ``Base.metadata`` (for migrations and the schema-drift test)."""

from __future__ import annotations

import importlib
import importlib.util

from sqlalchemy import MetaData

from edudata.db import Base

# Each domain folder owns a ``models.py``; a domain without tables simply has none.
DOMAINS = (
    "org",
    "identity",
    "catalog",
    "audit",
    "crypto",
    "access",
    "store",
    "ingest",
    "sharing",
    "opendata",
    "privacy",
    "lifecycle",
    "inspect",
    "secrecy",
    "worker",
)


def load_all_models() -> MetaData:
    for domain in DOMAINS:
        name = f"edudata.{domain}.models"
        if importlib.util.find_spec(f"edudata.{domain}") and importlib.util.find_spec(name):
            importlib.import_module(name)
    return Base.metadata
