"""The code sets shipped with the platform (``data/*.csv``), readable without a database.

The validators need GB/T 2260 regions at import-free speed, and ``seed`` loads the same files into the versioned
code-set tables (数据标准, Art. 8(2)); ``data/SOURCES.md`` records where each file came from.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).parent / "data"
_BASE_COLUMNS = ("value", "label", "label_en", "active")


@dataclass(frozen=True)
class BundledCode:
    value: str
    label: str
    label_en: str
    active: bool = True
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class BundledCodeSet:
    code: str
    name: str
    name_en: str
    source: str
    licence: str
    version: str
    effective_from: date
    codes: tuple[BundledCode, ...]

    def values(self, *, active_only: bool = True) -> frozenset[str]:
        return frozenset(c.value for c in self.codes if c.active or not active_only)


def _read_codes(path: Path) -> tuple[BundledCode, ...]:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return tuple(
        BundledCode(
            value=row["value"],
            label=row["label"],
            label_en=row["label_en"],
            active=row["active"].strip().lower() == "true",
            attributes={k: v for k, v in row.items() if k not in _BASE_COLUMNS and v not in (None, "")},
        )
        for row in rows
    )


@lru_cache(maxsize=1)
def bundled_code_sets() -> dict[str, BundledCodeSet]:
    """Every shipped code set by its code, in manifest order."""
    with (DATA_DIR / "code_sets.csv").open(encoding="utf-8", newline="") as fh:
        manifest = list(csv.DictReader(fh))
    return {
        row["code"]: BundledCodeSet(
            code=row["code"],
            name=row["name"],
            name_en=row["name_en"],
            source=row["source"],
            licence=row["licence"],
            version=row["version"],
            effective_from=date.fromisoformat(row["effective_from"]),
            codes=_read_codes(DATA_DIR / row["file"]),
        )
        for row in manifest
    }


def bundled_code_set(code: str) -> BundledCodeSet:
    return bundled_code_sets()[code]


@lru_cache(maxsize=1)
def province_codes() -> frozenset[str]:
    """Two-digit province prefixes of GB/T 2260 (11 北京 … 82 澳门)."""
    return frozenset(
        c.value[:2]
        for c in bundled_code_set("admin_division").codes
        if c.attributes.get("level") == "province"
    )


@lru_cache(maxsize=1)
def county_codes() -> dict[str, bool]:
    """Shipped county-level codes → current (True) or abolished (False); only provinces listed in
    :func:`checked_provinces` have their counties shipped."""
    return {
        c.value: c.active
        for c in bundled_code_set("admin_division").codes
        if c.attributes.get("level") == "county"
    }


@lru_cache(maxsize=1)
def checked_provinces() -> frozenset[str]:
    return frozenset(code[:2] for code in county_codes())


def region_status(code: str) -> str:
    """``known``, ``historical`` (abolished but real), ``unknown`` or ``unchecked`` (province known, its
    counties not shipped) for a six-digit GB/T 2260 code."""
    if code[:2] not in province_codes():
        return "unknown"
    if code[2:] == "0000":
        return "known"
    if code[:2] not in checked_provinces():
        return "unchecked"
    current = county_codes().get(code)
    if current is None:
        return "unknown"
    return "known" if current else "historical"


def region_label(code: str) -> str | None:
    for c in bundled_code_set("admin_division").codes:
        if c.value == code:
            return c.label
    return None
