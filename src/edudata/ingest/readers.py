"""Reading a CSV or XLSX file into a frame of text columns named by data element (Art. 20 采集).

Headers are mapped to elements by code, by Chinese or English name, or by a mapping the unit saved; markers
people add (``*``, ``（必填）``, full-width letters, stray spaces) are ignored. Every value is read as text so
validation sees what was typed. ``_row`` is the row number in the file, so a data officer can find a row;
wholly empty rows (a trailing empty row, a blank line) are dropped and counted.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

import polars as pl

from edudata.catalog.patterns import WHITESPACE_RE
from edudata.errors import ValidationFailed
from edudata.store.spec import DatasetSpec

MAX_COLUMNS = 500
HEADER_SCAN_ROWS = 30
# Columns of a quarantine download, ignored when the corrected file comes back.
ROW_COLUMN, REASON_COLUMN = "原行号 / row", "问题说明 / reasons"
SOURCE_ROW = "_source_row"
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


_HINT = re.compile(r"[(\[【〔][^)\]】〕]*[)\]】〕]")


def _element_of(header: object, lookup: Mapping[str, str]) -> tuple[str | None, bool]:
    """The element a header names, and whether it carries a hint in brackets (``出生日期（格式：2003-05-01）``):
    a header that differs from an element's name only by such a hint maps to that element."""
    key = normalise_header(header)
    if key in lookup:
        return lookup[key], False
    base = _HINT.sub("", key)
    return lookup.get(base) if base else None, base != key


def header_score(row: Sequence[object], lookup: Mapping[str, str]) -> int:
    return sum(1 for v in row if v is not None and _element_of(v, lookup)[0] is not None)


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
    hinted: list[str] = []
    for i, h in enumerate(headers):
        key = normalise_header(h)
        if key == normalise_header(ROW_COLUMN):
            found[i] = SOURCE_ROW  # a corrected quarantine download: the row number in the batch it corrects
            continue
        if key == normalise_header(REASON_COLUMN) or not key:
            continue
        element, has_hint = _element_of(h, lookup)
        if element is None:
            (hinted if has_hint else ignored).append(str(h)[:100])
        elif element in found.values():
            raise ValidationFailed(
                f"有两列都对应数据项“{spec.element(element).name}”（{element}），请删除其中一列",
                f"two columns map to element {element}; remove one of them",
                field="file",
            )
        else:
            found[i] = element
    if hinted:
        # A header with a hint is a column someone meant to fill: collecting the file without it would pass
        # rows a rule on that element should stop.
        names = "、".join(f"“{h}”" for h in hinted[:5])
        raise ValidationFailed(
            f"列 {names} 对应不到本数据集的任何数据项；请把列名改为数据项名称，或在“列名映射”页面保存对应关系",
            f"column(s) {', '.join(hinted[:5])} map to no element of this dataset; rename them to the element's "
            "name or save a header mapping",
            field="file",
            unmapped=hinted[:20],
        )
    missing = [e for e in spec.elements if e.required and e.code not in found.values()]
    if not set(found.values()) - {SOURCE_ROW} or missing:
        names = "、".join(e.name for e in missing[:10]) or "（无）"
        raise ValidationFailed(
            f"文件缺少必填数据项的列：{names}；可在“列名映射”页面（/ingest/mappings）保存本单位的列名与数据项的对应关系",
            f"the file lacks columns for required elements: {', '.join(e.code for e in missing[:10]) or '(none)'}; "
            "save a header mapping for your column names (/ingest/mappings)",
            field="file",
            missing=[e.code for e in missing],
        )
    return found, ignored


def pick_header(top: Sequence[Sequence[object]], lookup: Mapping[str, str]) -> int:
    """The row among the first rows naming most elements: title rows and instructions above it are skipped."""
    scores = [header_score(r, lookup) for r in top]
    return scores.index(max(scores)) if scores and max(scores) > 0 else 0


def _require_rows(frame: pl.DataFrame, filename: str) -> None:
    if frame.height == 0:
        raise ValidationFailed(
            f"文件“{filename}”中没有数据行（只有表头或全为空行），未创建批次",
            f"'{filename}' holds no data rows (a header only, or empty rows); no batch was created",
            field="file",
        )


def _finish(frame: pl.DataFrame) -> tuple[pl.DataFrame, int]:
    columns = [c for c in frame.columns if not c.startswith("_")]
    blank = pl.all_horizontal(
        [pl.col(c).is_null() | (pl.col(c).str.replace_all(WHITESPACE_RE, "") == "") for c in columns]
    )
    kept = frame.filter(~blank)
    return kept, frame.height - kept.height


_SEPARATORS = (",", "\t", ";")


def _binary(source: Path | bytes):  # noqa: ANN202 - a path, or the bytes as a file object
    return source if isinstance(source, Path) else io.BytesIO(source)


def read_csv(path: Path | bytes, lookup: Mapping[str, str], spec: DatasetSpec, filename: str) -> Table:
    """A CSV or TSV file, or an upload's UTF-8 bytes (the separator whose header row names most elements);
    title rows above the header are skipped."""
    if isinstance(path, Path):
        f = path.open(encoding="utf-8-sig", newline="")
    else:
        f = io.TextIOWrapper(io.BytesIO(path), encoding="utf-8-sig", newline="")
    with f:
        lines = [f.readline(4 * 1024 * 1024) for _ in range(HEADER_SCAN_ROWS)]
    lines = [line for line in lines if line]
    best: tuple[int, str, int, list[list[str]]] = (-1, ",", 0, [])
    for separator in _SEPARATORS:
        try:
            top = list(csv.reader(lines, delimiter=separator))
        except csv.Error:
            continue
        h = pick_header(top, lookup)
        score = header_score(top[h], lookup) if top else 0
        if score > best[0]:
            best = (score, separator, h, top)
    _score, separator, h, top = best
    headers = top[h] if top else []
    columns, ignored = map_headers(headers, lookup, spec)
    try:
        raw = pl.read_csv(
            _binary(path),
            separator=separator,
            skip_rows=h,
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
    frame = raw.with_row_index("_row", offset=h + 2).with_columns(pl.col("_row").cast(pl.Int64))
    frame, blank = _finish(frame)
    _require_rows(frame, filename)
    mapping = {headers[i]: el for i, el in columns.items() if el != SOURCE_ROW}
    return Table(frame, mapping, ignored, blank)


NUMBER_COLUMN = "_num|"  # + element: the cell was a number cell in the workbook (Excel may have damaged it)


def _cell(value: object) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _from_rows(
    top: list[Sequence[object]],
    rest: Iterable[Sequence[object]],
    lookup: Mapping[str, str],
    spec: DatasetSpec,
    filename: str,
) -> Table:
    """A sheet's rows as a table: the header row found among ``top``; a vertically merged header cell (empty
    in every row but its first) takes the value above it. Number cells are flagged per element."""
    if top and max(len(r) for r in top) > MAX_COLUMNS:
        map_headers([""] * max(len(r) for r in top), lookup, spec)
    h = pick_header(top, lookup)
    width = max((len(r) for r in top), default=0)
    headers: list[str] = []
    for c in range(width):
        value = top[h][c] if c < len(top[h]) else None
        up = h - 1
        while (value is None or value == "") and up >= 0:
            above = top[up][c] if c < len(top[up]) else None
            value = above if _element_of(above, lookup)[0] is not None else None
            up -= 1
        headers.append("" if value is None else str(value))
    columns, ignored = map_headers(headers, lookup, spec)
    data: dict[str, list] = {el: [] for el in columns.values()}
    numbers: dict[str, list[bool]] = {el: [] for el in columns.values()}
    row_numbers: list[int] = []
    index = sorted(columns)
    for n, row in enumerate([*top[h + 1 :], *rest], start=h + 2):
        row_numbers.append(n)
        for i in index:
            value = row[i] if i < len(row) else None
            data[columns[i]].append(_cell(value))
            numbers[columns[i]].append(_is_number(value))
    flags = {f"{NUMBER_COLUMN}{el}": pl.Series(v, dtype=pl.Boolean) for el, v in numbers.items() if any(v)}
    frame = pl.DataFrame(
        {
            "_row": pl.Series(row_numbers, dtype=pl.Int64),
            **{k: pl.Series(v, dtype=pl.String) for k, v in data.items()},
            **flags,
        }
    )
    frame, blank = _finish(frame)
    _require_rows(frame, filename)
    mapping = {headers[i]: el for i, el in columns.items() if el != SOURCE_ROW}
    return Table(frame, mapping, ignored, blank)


def _best_sheet(tops: list[list[Sequence[object]]], lookup: Mapping[str, str]) -> int:
    """The sheet whose header names most elements (an instructions sheet first is passed over)."""
    scores = [max((header_score(r, lookup) for r in top), default=0) for top in tops]
    return scores.index(max(scores)) if scores else 0


def _unreadable(filename: str) -> ValidationFailed:
    return ValidationFailed(
        f"无法读取 Excel 文件“{filename}”", f"cannot read the Excel file '{filename}'", field="file"
    )


def read_xlsx(path: Path | bytes, lookup: Mapping[str, str], spec: DatasetSpec, filename: str) -> Table:
    """The sheet naming most elements, its header among its first rows; cells read with their types."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(_binary(path), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds for a damaged file
        raise _unreadable(filename) from None
    try:
        sheets = book.worksheets
        tops = [list(s.iter_rows(max_row=HEADER_SCAN_ROWS, values_only=True)) for s in sheets]
        chosen = _best_sheet(tops, lookup)
        rows: Iterator[Sequence[object]] = sheets[chosen].iter_rows(values_only=True)
        top = [next(rows) for _ in range(len(tops[chosen]))]
        return _from_rows(top, rows, lookup, spec, filename)
    finally:
        book.close()


def read_xls(path: Path | bytes, lookup: Mapping[str, str], spec: DatasetSpec, filename: str) -> Table:
    """A legacy Excel 97-2003 workbook (.xls), read by python-calamine with its cell types."""
    from python_calamine import CalamineWorkbook

    try:
        book = (
            CalamineWorkbook.from_path(str(path))
            if isinstance(path, Path)
            else CalamineWorkbook.from_filelike(io.BytesIO(path))
        )
        sheets = [book.get_sheet_by_index(i).to_python() for i in range(len(book.sheet_names))]
    except Exception:  # noqa: BLE001 - a damaged or non-Excel OLE file
        raise _unreadable(filename) from None
    tops = [sheet[:HEADER_SCAN_ROWS] for sheet in sheets]
    chosen = _best_sheet(tops, lookup)
    sheet = sheets[chosen]
    return _from_rows(sheet[:HEADER_SCAN_ROWS], sheet[HEADER_SCAN_ROWS:], lookup, spec, filename)
