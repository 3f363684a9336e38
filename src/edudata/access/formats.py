"""Delivery formats (C3): JSON pages, CSV (UTF-8 with BOM so Excel opens it), XLSX, and signed packages."""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from typing import Any

import polars as pl

FORMATS = {
    "csv": ("text/csv; charset=utf-8", "csv"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "json": ("application/json", "json"),
    "package": ("application/zip", "zip"),
}


def concat(frames: Sequence[pl.DataFrame], elements: Sequence[str]) -> pl.DataFrame:
    if not frames:
        return pl.DataFrame({e: [] for e in elements}, schema={e: pl.String for e in elements})
    return pl.concat(frames, how="diagonal_relaxed")


def to_csv(frame: pl.DataFrame) -> bytes:
    return b"\xef\xbb\xbf" + frame.write_csv().encode("utf-8")


def to_xlsx(frame: pl.DataFrame, sheet: str = "data") -> bytes:
    buf = io.BytesIO()
    frame.write_excel(buf, worksheet=sheet[:31], autofit=frame.height < 5000)
    return buf.getvalue()


def to_json(frame: pl.DataFrame, meta: dict[str, Any]) -> bytes:
    return json.dumps({**meta, "rows": frame.to_dicts()}, ensure_ascii=False, default=str).encode("utf-8")
