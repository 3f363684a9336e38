"""File connectors over real HTTP: encodings, Chinese headers, empty rows, XLSX with a merged header."""

from __future__ import annotations

import io

import httpx
import polars as pl
import xlsxwriter
from ingest_support import HEADERS_ZH, csv_bytes, student_frame


def test_utf8_with_bom_and_chinese_headers_is_read(world) -> None:
    r = world["up"](csv_bytes(student_frame(20), bom=True, chinese=True))
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["good"], body["quarantined"], body["encoding"]) == (20, 0, "utf-8-sig")
    assert body["report"]["mapping"]["学号"] == "XH"


def test_a_gbk_file_is_detected_and_transcoded(world) -> None:
    r = world["up"](csv_bytes(student_frame(20), encoding="gbk", chinese=True))
    assert r.status_code == 201, r.text
    assert (r.json()["good"], r.json()["encoding"]) == (20, "gb18030")


def test_the_uploader_may_name_the_encoding(world) -> None:
    r = world["up"](csv_bytes(student_frame(5), encoding="gb18030", chinese=True), encoding="gbk")
    assert r.status_code == 201 and r.json()["good"] == 5


def test_a_trailing_empty_row_is_dropped_and_counted(world) -> None:
    content = csv_bytes(student_frame(3)) + b",,,,,,,,,,,,,\n"
    body = world["up"](content).json()
    assert (body["rows"], body["good"], body["blank_rows"]) == (3, 3, 1)


def test_unknown_columns_are_reported_and_ignored(world) -> None:
    frame = student_frame(3).with_columns(pl.lit("x").alias("备注"))
    body = world["up"](csv_bytes(frame)).json()
    assert body["good"] == 3 and body["report"]["ignored_columns"] == ["备注"]


def _xlsx(frame: pl.DataFrame, *, merged_group: bool) -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet()
    headers = [HEADERS_ZH[c] for c in frame.columns]
    start = 0
    if merged_group:
        # A two-row header as offices make them: 学号 merged over both rows, a group title over the rest.
        sheet.merge_range(0, 0, 1, 0, headers[0])
        sheet.merge_range(0, 1, 0, len(headers) - 1, "学生基本信息（2025 年秋季）")
        for c, h in enumerate(headers[1:], start=1):
            sheet.write_string(1, c, h)
        start = 2
    else:
        for c, h in enumerate(headers):
            sheet.write_string(0, c, h)
        start = 1
    for r, row in enumerate(frame.iter_rows(), start=start):
        for c, v in enumerate(row):
            if c == frame.columns.index("NJ"):
                sheet.write_number(r, c, int(v))  # a number cell, as Excel keeps it
            else:
                sheet.write_string(r, c, v)
    book.close()
    return out.getvalue()


def test_xlsx_with_a_merged_two_row_header_maps_every_column(world) -> None:
    r = world["up"](_xlsx(student_frame(10), merged_group=True), filename="学生.xlsx")
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["source"], body["good"], body["quarantined"]) == ("xlsx", 10, 0)
    assert set(body["report"]["mapping"].values()) == set(HEADERS_ZH)


def test_a_saved_header_mapping_is_used_for_later_uploads(http: httpx.Client, world) -> None:
    frame = student_frame(4).rename({"XH": "学生编号", "XM": "学生姓名"})
    r = world["up"](csv_bytes(frame))
    assert r.status_code == 422 and "学号" in r.json()["detail_zh"]
    saved = http.put(
        "/api/v1/ingest/student_basic/mappings",
        json={"mappings": {"学生编号": "XH", "学生姓名": "XM"}},
        headers=world["h"]["xgb"],
    )
    assert saved.status_code == 200, saved.text
    assert world["up"](csv_bytes(frame)).json()["good"] == 4


def test_another_units_officer_cannot_submit_the_dataset(world) -> None:
    r = world["up"](csv_bytes(student_frame(3)), user="rsc", unit="0102")
    assert r.status_code == 403 and "Art. 19" in r.json()["detail_en"]


def test_a_large_upload_leaves_nothing_in_the_incoming_folder(world, settings) -> None:  # noqa: ANN001
    """Over 1 MB the file goes through the sealed spool (several chunks), is read back whole, and is removed."""
    from pathlib import Path

    frame = student_frame(12_000, seed=9)
    content = csv_bytes(frame)
    assert len(content) > 2 * 1024 * 1024
    r = world["up"](content)
    assert r.status_code == 201, r.text
    assert r.json()["good"] + r.json()["quarantined"] == 12_000
    folder = Path(settings.data_dir) / "ingest" / "incoming"
    assert not folder.exists() or list(folder.iterdir()) == []
