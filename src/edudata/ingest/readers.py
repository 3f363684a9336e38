"""Reading a CSV or XLSX file into a frame of text columns named by data element (Art. 20 采集).

Headers are mapped to elements by code, by Chinese or English name, or by a mapping the unit saved; markers
people add (``*``, ``（必填）``, full-width letters, stray spaces) are ignored. Every value is read as text so
validation sees what was typed. ``_row`` is the row number in the file, so a data officer can find a row;
wholly empty rows (a trailing empty row, a blank line) are dropped and counted.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

import polars as pl

from edudata.catalog.patterns import WHITESPACE_RE
from edudata.errors import ValidationFailed
from edudata.store.spec import DatasetSpec

MAX_COLUMNS = 500
HEADER_SCAN_ROWS = 10
# Columns of a quarantine download, ignored when the corrected file comes back.
ROW_COLUMN, REASON_COLUMN = "原行号 / row", "问题说明 / reasons"
_MARKERS = re.compile(r"[*＊]|[（(](必填|必填项|选填|required|optional)[)）]", re.IGNORECASE)
_WS = re.compile(WHITESPACE_RE)


@dataclass
class Table:
    frame: pl.DataFrame  # one String column per mapped element, plus _row
    mapping: dict[str, str]  # header → element
    ignored: list[str] = field(default_factory=list)
    blank_rows: int = 0


def normalise_header(text: object) -> str:
    value = unicodedata.normalize("NFKC", "" if text is None else str(text))
    return _WS.sub("", _MARKERS.sub("", value)).lower()


def header_lookup(spec: DatasetSpec, saved: Mapping[str, str], names_en: Mapping[str, str]) -> dict[str, str]:
    """Normalised header → element code: saved mappings win over codes, names and English names."""
    lookup: dict[str, str] = {}
    for e in spec.elements:
        if names_en.get(e.code):
            lookup[normalise_header(names_en[e.code])] = e.code
        lookup[normalise_header(e.name)] = e.code
        lookup[normalise_header(e.code)] = e.code
    lookup.update({normalise_header(h): el for h, el in saved.items() if spec.element(el)})
    return lookup


def map_headers(
    headers: list[str], lookup: Mapping[str, str], spec: DatasetSpec
) -> tuple[dict[int, str], list[str]]:
    """Column index → element code, and the headers that map to nothing (reported, not loaded)."""
    if len(headers) > MAX_COLUMNS:
        raise ValidationFailed(
            f"文件有 {len(headers)} 列，超过上限 {MAX_COLUMNS} 列；请只保留本数据集的数据项",
            f"the file has {len(headers)} columns, more than the limit of {MAX_COLUMNS}; keep only this dataset's "
            "elements",
            field="file",
        )
    found: dict[int, str] = {}
    ignored: list[str] = []
    for i, h in enumerate(headers):
        key = normalise_header(h)
        if key in (normalise_header(ROW_COLUMN), normalise_header(REASON_COLUMN)) or not key:
            continue
        element = lookup.get(key)
        if element is None:
            ignored.append(str(h)[:100])
        elif element in found.values():
            raise ValidationFailed(
                f"有两列都对应数据项“{spec.element(element).name}”（{element}），请删除其中一列",
                f"two columns map to element {element}; remove one of them",
                field="file",
            )
        else:
            found[i] = element
    missing = [e for e in spec.elements if e.required and e.code not in found.values()]
    if not found or missing:
        names = "、".join(e.name for e in missing[:10]) or "（无）"
        raise ValidationFailed(
            f"文件缺少必填数据项的列：{names}；可在“列名映射”中保存本单位的列名与数据项的对应关系",
            f"the file lacks columns for required elements: {', '.join(e.code for e in missing[:10]) or '(none)'}; "
            "save a header mapping for your column names",
            field="file",
            missing=[e.code for e in missing],
        )
    return found, ignored


def _finish(frame: pl.DataFrame) -> tuple[pl.DataFrame, int]:
    columns = [c for c in frame.columns if c != "_row"]
    blank = pl.all_horizontal(
        [pl.col(c).is_null() | (pl.col(c).str.replace_all(WHITESPACE_RE, "") == "") for c in columns]
    )
    kept = frame.filter(~blank)
    return kept, frame.height - kept.height


def read_csv(path: Path, lookup: Mapping[str, str], spec: DatasetSpec, filename: str) -> Table:
    with path.open(encoding="utf-8-sig", newline="") as f:
        first = f.readline(4 * 1024 * 1024)
    try:
        headers = next(csv.reader([first]))
    except (csv.Error, StopIteration):
        headers = []
    columns, ignored = map_headers(headers, lookup, spec)
    try:
        raw = pl.read_csv(
            path,
            infer_schema=False,
            columns=sorted(columns),
            truncate_ragged_lines=True,
        )
        raw.columns = [columns[i] for i in sorted(columns)]
    except (pl.exceptions.PolarsError, ValueError) as exc:
        raise ValidationFailed(
            f"无法解析 CSV 文件“{filename}”：{str(exc)[:200]}",
            f"cannot parse the CSV file '{filename}': {str(exc)[:200]}",
            field="file",
        ) from None
    frame = raw.with_row_index("_row", offset=2).with_columns(pl.col("_row").cast(pl.Int64))
    frame, blank = _finish(frame)
    mapping = {headers[i]: el for i, el in columns.items()}
    return Table(frame, mapping, ignored, blank)


def _cell(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_xlsx(path: Path, lookup: Mapping[str, str], spec: DatasetSpec, filename: str) -> Table:
    """The first sheet; the header is the row (among the first ten) naming most elements. A merged header
    cell is empty in every row but its first, so an empty header cell takes the value above it."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds for a damaged file
        raise ValidationFailed(
            f"无法读取 Excel 文件“{filename}”", f"cannot read the Excel file '{filename}'", field="file"
        ) from None
    try:
        sheet = book.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        top: list[tuple] = []
        for row in rows:
            top.append(row)
            if len(top) >= HEADER_SCAN_ROWS:
                break
        if top and max(len(r) for r in top) > MAX_COLUMNS:
            map_headers([""] * max(len(r) for r in top), lookup, spec)
        scores = [sum(1 for v in r if normalise_header(v) in lookup) for r in top]
        if not scores or max(scores) == 0:
            map_headers([str(v) for v in (top[0] if top else ())], lookup, spec)
        h = scores.index(max(scores))
        width = max(len(r) for r in top)
        headers: list[str] = []
        for c in range(width):
            value = top[h][c] if c < len(top[h]) else None
            up = h - 1
            while value is None and up >= 0:  # a vertically merged header cell
                above = top[up][c] if c < len(top[up]) else None
                value = above if normalise_header(above) in lookup else None
                up -= 1
            headers.append("" if value is None else str(value))
        columns, ignored = map_headers(headers, lookup, spec)
        data: dict[str, list] = {el: [] for el in columns.values()}
        numbers: list[int] = []
        index = sorted(columns)
        for n, row in enumerate([*top[h + 1 :], *rows], start=h + 2):
            numbers.append(n)
            for i in index:
                data[columns[i]].append(_cell(row[i]) if i < len(row) else None)
    finally:
        book.close()
    frame = pl.DataFrame(
        {
            "_row": pl.Series(numbers, dtype=pl.Int64),
            **{k: pl.Series(v, dtype=pl.String) for k, v in data.items()},
        }
    )
    frame, blank = _finish(frame)
    mapping = {headers[i]: el for i, el in columns.items()}
    return Table(frame, mapping, ignored, blank)
