"""Files as offices really save them: CR-only line ends, UTF-16 "Unicode text", TSV, title rows, a header far
down, an instructions sheet first, header hints in brackets; no data rows refused; the same file twice warned."""

from __future__ import annotations

import io

import polars as pl
from ingest_support import HEADERS_ZH, csv_bytes, student_frame
from openpyxl import Workbook
from sqlalchemy import func, select

from edudata.audit.models import AuditRecord
from edudata.db import Database
from edudata.ingest.models import Batch


def _text(frame: pl.DataFrame, separator: str = ",") -> str:
    return frame.rename(HEADERS_ZH, strict=False).write_csv(separator=separator)


def _accepted(r, n: int) -> dict:  # noqa: ANN001
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["rows"], body["good"], body["quarantined"]) == (n, n, 0), body
    return body


def test_a_classic_mac_csv_with_cr_only_line_ends_is_read_row_by_row(world) -> None:
    frame = student_frame(7, seed=41)
    data = _text(frame).replace("\n", "\r").encode()
    assert b"\n" not in data
    _accepted(world["up"](data), 7)


def test_utf16_unicode_text_tab_or_comma_separated_is_read(world) -> None:
    frame = student_frame(6, seed=42)
    tab = codecs_bom_le() + _text(frame, "\t").replace("\n", "\r\n").encode("utf-16-le")
    body = _accepted(world["up"](tab, filename="students.txt"), 6)
    assert body["encoding"] == "utf-16"
    comma = "\ufeff".encode("utf-16-be") + _text(student_frame(6, seed=43)).encode("utf-16-be")
    _accepted(world["up"](comma), 6)


def codecs_bom_le() -> bytes:
    return b"\xff\xfe"


def test_a_tsv_file_is_read(world) -> None:
    _accepted(world["up"](_text(student_frame(5, seed=44), "\t").encode(), filename="students.tsv"), 5)


def test_title_rows_above_the_header_are_skipped_and_rows_keep_their_file_numbers(http, world) -> None:  # noqa: ANN001
    frame = student_frame(4, seed=45)
    ids = frame["SFZJH"].to_list()
    ids[2] = ids[2][:17] + ("0" if ids[2][17] != "0" else "1")
    data = "2025 级学生基本信息\n填表单位：学生工作部,,,\n" + _text(
        frame.with_columns(pl.Series("SFZJH", ids))
    )
    r = world["up"](data.encode())
    assert (r.json()["good"], r.json()["quarantined"]) == (3, 1), r.text
    issues = http.get(f"/api/v1/ingest/batches/{r.json()['code']}/issues", headers=world["h"]["xgb"]).json()
    assert {i["row"] for i in issues["items"] if i["action"] == "quarantine"} == {6}  # line 6 of the file


def test_an_xlsx_with_an_instructions_sheet_first_and_its_header_in_row_12(world) -> None:
    frame = student_frame(5, seed=46).rename(HEADERS_ZH, strict=False)
    book = Workbook()
    book.active.title = "填表说明"
    book.active.append(["身份证件号请设为文本格式"])
    sheet = book.create_sheet("数据")
    for i in range(11):
        sheet.append([f"说明第 {i + 1} 行"])
    sheet.append(frame.columns)
    for row in frame.iter_rows():
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    _accepted(world["up"](out.getvalue(), filename="students.xlsx"), 5)


def test_a_header_hint_in_brackets_maps_to_its_element_and_its_rule_applies(http, world) -> None:  # noqa: ANN001
    frame = student_frame(4, seed=47)
    born = frame["CSRQ"].to_list()
    born[1] = "2001-01-01"  # does not agree with the ID number's birth date digits
    text = _text(frame.with_columns(pl.Series("CSRQ", born))).replace(
        "出生日期", "出生日期（格式：2003-05-01）"
    )
    r = world["up"](text.encode())
    assert (r.json()["good"], r.json()["quarantined"]) == (3, 1), r.text
    assert r.json()["report"]["mapping"]["出生日期（格式：2003-05-01）"] == "CSRQ"
    issues = http.get(f"/api/v1/ingest/batches/{r.json()['code']}/issues", headers=world["h"]["xgb"]).json()
    assert [(i["element"], i["code"]) for i in issues["items"] if i["action"] == "quarantine"] == [
        ("CSRQ", "birth_date_mismatch")
    ]


def test_a_hinted_header_that_maps_to_nothing_refuses_the_upload_naming_it(world, db: Database) -> None:
    text = _text(student_frame(3, seed=48)).replace("专业名称", "专业（全称）")
    r = world["up"](text.encode())
    assert r.status_code == 422
    assert "专业（全称）" in r.json()["detail"] and "专业（全称）" in r.json()["detail_en"]
    with db.session() as s:
        assert s.execute(select(func.count()).select_from(Batch)).scalar_one() == 0


def test_a_file_without_data_rows_is_refused_and_no_batch_is_created(world, db: Database) -> None:
    header_only = _text(student_frame(1, seed=49)).splitlines()[0] + "\n,,,,\n"
    r = world["up"](header_only.encode())
    assert (
        r.status_code == 422
        and "没有数据行" in r.json()["detail"]
        and "no data rows" in r.json()["detail_en"]
    )
    with db.session() as s:
        assert s.execute(select(func.count()).select_from(Batch)).scalar_one() == 0
        refused = s.execute(
            select(AuditRecord).where(
                AuditRecord.operation == "ingest_upload", AuditRecord.result == "failed"
            )
        ).scalar_one()
    assert "no data rows" in refused.detail["reason"]


def test_the_same_file_submitted_again_is_warned_about(world) -> None:
    data = csv_bytes(student_frame(3, seed=50))
    first = world["up"](data).json()
    assert first["warnings"] == []
    again = world["up"](data).json()
    assert [w["code"] for w in again["warnings"]] == ["same_file"]
    assert again["warnings"][0]["batches"] == [first["code"]] and first["code"] in again["warnings"][0]["zh"]
