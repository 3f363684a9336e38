"""The list of people a ``people`` destruction names (Art. 35), as the office brings it: ID numbers pasted one per
line, or a CSV / XLSX file with a column of them (the CLI's ``--file`` and the page's upload read it the same way).

The result keeps one entry per line of the source, blank where a line holds no ID number (a header, an empty
row), so a refusal of the list (``destruction.checked_id_numbers``) names the line the office sees in their file.
"""

from __future__ import annotations

import csv
import io

from edudata.errors import ValidationFailed

#: Column headers that name the ID number (JY/T 1006 element code, its Chinese name, the API's field name).
HEADERS = (
    "sfzjh",
    "身份证件号",
    "身份证件号码",
    "身份证号",
    "身份证号码",
    "公民身份号码",
    "id_number",
    "id number",
)
MAX_BYTES = 4 * 1024 * 1024  # 40,000 people (the most one request names) in well under this


def _unreadable(filename: str) -> ValidationFailed:
    return ValidationFailed(
        f"无法读取身份证件号名单“{filename[:100]}”：请上传 CSV、XLSX 或每行一个号码的文本文件",
        f"cannot read the list of ID numbers '{filename[:100]}': upload a CSV, an XLSX or a text file with one "
        "number a line",
        field="id_file",
    )


def _column(rows: list[list[str]], filename: str) -> list[str]:
    """The ID-number column: the one headed by an ID-number header, or the only column; other lines blank."""
    if not rows:
        return []
    header = [str(c or "").strip().lower() for c in rows[0]]
    named = [i for i, h in enumerate(header) if h in HEADERS]
    if named:
        at = named[0]
        return [""] + [str(r[at] or "").strip() if at < len(r) else "" for r in rows[1:]]
    if max(len(r) for r in rows) <= 1:
        return [str(r[0] or "").strip() if r else "" for r in rows]
    raise ValidationFailed(
        f"“{filename[:100]}”有多列，请把身份证件号所在列的表头写为“身份证件号”或 SFZJH",
        f"'{filename[:100]}' has several columns: head the ID-number column '身份证件号' or SFZJH",
        field="id_file",
    )


def _decode(data: bytes, filename: str) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise _unreadable(filename)


def _xlsx_rows(data: bytes, filename: str) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds for a damaged file
        raise _unreadable(filename) from None
    try:
        sheet = book.worksheets[0]
        return [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        book.close()


def from_text(text: str) -> list[str]:
    """Pasted ID numbers, one a line."""
    return [line.strip() for line in text.splitlines()]


def from_file(filename: str, data: bytes) -> list[str]:
    """The ID numbers of a CSV, XLSX or plain-text file, one entry per line of the file."""
    if len(data) > MAX_BYTES:
        raise ValidationFailed(
            f"名单文件超过 {MAX_BYTES // 2**20} MB",
            f"the list is larger than {MAX_BYTES // 2**20} MB",
            field="id_file",
        )
    if data[:4] == b"PK\x03\x04":  # an XLSX workbook is a zip archive
        return _column(_xlsx_rows(data, filename), filename)
    text = _decode(data, filename)
    if filename.lower().endswith(".csv") or "," in text or "\t" in text:
        dialect = "excel-tab" if "\t" in text and "," not in text else "excel"
        return _column(list(csv.reader(io.StringIO(text), dialect=dialect)), filename)
    return from_text(text)
