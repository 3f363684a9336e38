"""Excel damage found by cause, and office habits mapped (docs/ingest.md): real workbooks built by the test.

XLSX (openpyxl) and legacy .xls (xlwt, read back by python-calamine) with number cells where identifiers
belong; a CSV with scientific notation; labels for codes, short codes, ideographic spaces in names, date-times
with a zero time. Exact accepted/quarantined counts, reason codes and stored normalised values.
"""

from __future__ import annotations

import io

import polars as pl
import xlwt
from ingest_support import csv_bytes, student_frame
from openpyxl import Workbook

XLSX = "students.xlsx"


def _xlsx(
    headers: list[str], rows: list[list], *, before: list[list] | None = None, first_sheet: bool = False
) -> bytes:
    book = Workbook()
    sheet = book.active
    if first_sheet:  # an instructions sheet first, the data on the second
        sheet.title = "填表说明"
        sheet.append(["请按模板填写，身份证号请设为文本格式"])
        sheet = book.create_sheet("学生名单")
    for row in before or []:
        sheet.append(row)
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _xls(headers: list[str], rows: list[list]) -> bytes:
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("学生")
    for c, h in enumerate(headers):
        sheet.write(0, c, h)
    for r, row in enumerate(rows, start=1):
        for c, v in enumerate(row):
            if v is not None:
                sheet.write(r, c, v)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _issues(http, world, code: str) -> list[dict]:  # noqa: ANN001
    body = http.get(
        f"/api/v1/ingest/batches/{code}/issues", params={"limit": 5000}, headers=world["h"]["xgb"]
    )
    return [i for i in body.json()["items"] if i["action"] == "quarantine"]


def _codes_by_row(issues: list[dict]) -> dict[int, set[tuple[str, str]]]:
    out: dict[int, set[tuple[str, str]]] = {}
    for i in issues:
        out.setdefault(i["row"], set()).add((i["element"], i["code"]))
    return out


def _digit_ids(n: int, seed: int) -> pl.DataFrame:
    """Students whose ID number is all digits (one ending in X cannot be a number cell)."""
    return student_frame(3 * n, seed=seed).filter(~pl.col("SFZJH").str.ends_with("X")).head(n)


def _habits(frame: pl.DataFrame) -> list[list]:
    """Rows as an office types them: 男/女 for the gender code, 1 for 民族 01 (a number cell), a full-width
    space inside the name, the birth date as a date-time with a zero time."""
    rows = []
    for r in frame.iter_rows(named=True):
        rows.append(
            [r["XH"], r["XM"][0] + "\u3000" + r["XM"][1:], "男" if r["XBM"] == "1" else "女", 1, r["SFZJH"],
             r["CSRQ"] + " 00:00:00", r["YXDM"], r["ZYMC"], r["NJ"], r["SJHM"]]
        )  # fmt: skip
    return rows


HEADERS = [
    "学号",
    "姓名",
    "性别码",
    "民族码",
    "身份证件号",
    "出生日期",
    "院系代码",
    "专业名称",
    "年级",
    "手机号码",
]


def test_an_xlsx_with_number_cells_quarantines_damaged_identifiers_by_cause_and_maps_office_habits(
    http, world
) -> None:  # noqa: ANN001
    up = world["up"]
    frame = _digit_ids(30, seed=31)
    rows = _habits(frame)
    for i in range(0, 10):
        rows[i][4] = float(rows[i][4])  # ID number kept as a number cell: 15-17 significant digits only
    for i in range(10, 20):
        rows[i][0] = int("00" + rows[i][0][2:])  # 学号 002302… as a number cell: the zeros are gone
    r = up(_xlsx(HEADERS, rows), filename=XLSX)
    assert r.status_code == 201, r.text
    batch = r.json()
    assert (batch["rows"], batch["good"], batch["quarantined"]) == (30, 10, 20)
    by_row = _codes_by_row(_issues(http, world, batch["code"]))
    assert by_row == {
        **{n: {("SFZJH", "excel_precision")} for n in range(2, 12)},
        **{n: {("XH", "excel_number_cell")} for n in range(12, 22)},
    }  # no "wrong check digit": the reason is what Excel did
    message = next(i for i in _issues(http, world, batch["code"]) if i["code"] == "excel_precision")
    assert "15 位有效数字" in message["message_zh"] and "文本" in message["message_zh"]
    assert "Text" in message["message_en"]
    normalised = batch["report"]["normalised"]
    assert normalised["XBM"]["label"] == 30 and normalised["MZM"]["padded"] == 30
    assert normalised["XM"]["whitespace"] == 30 and normalised["CSRQ"]["changed"] == 30

    assert up.review(batch["code"], "xgb_rev").status_code == 200
    assert up.review(batch["code"], "office").status_code == 200
    stored = http.get("/api/v1/data/student_basic", params={"limit": 100}, headers=world["h"]["xgb"]).json()
    got = {row["XH"]: row for row in stored["items"]}
    want = frame.slice(20, 10)
    assert sorted(got) == sorted(want["XH"])
    for r in want.iter_rows(named=True):
        row = got[r["XH"]]
        assert (row["XM"], row["XBM"], row["CSRQ"], row["SFZJH"]) == (
            r["XM"],
            r["XBM"],
            r["CSRQ"],
            r["SFZJH"],
        )


def test_a_declared_width_restores_the_leading_zeros_excel_dropped_and_reports_it(http, world) -> None:  # noqa: ANN001
    up, h = world["up"], world["h"]
    rule = http.post(
        "/api/v1/ingest/student_basic/rules",
        json={"element": "XH", "kind": "width", "params": {"digits": 12}},
        headers=h["office"],
    )
    assert rule.status_code == 201, rule.text
    frame = student_frame(8, seed=32).with_columns(("00" + pl.col("XH").str.slice(2)).alias("XH"))
    rows = _habits(frame)
    for row in rows:
        row[0] = int(row[0])  # 2302000001: ten digits of a twelve-digit 学号
    rows[7][0] = 1234567890123  # a number cell of 13 digits: longer than the width, refused as such
    batch = up(_xlsx(HEADERS, rows), filename=XLSX).json()
    assert (batch["good"], batch["quarantined"]) == (7, 1)
    assert _codes_by_row(_issues(http, world, batch["code"])) == {
        9: {("XH", "excel_number_cell")}  # its bad_width follows from the damage and is not repeated
    }
    assert batch["report"]["normalised"]["XH"]["padded"] == 7
    assert up.review(batch["code"], "xgb_rev").status_code == 200
    assert up.review(batch["code"], "office").status_code == 200
    stored = http.get("/api/v1/data/student_basic", params={"limit": 100}, headers=h["xgb"]).json()
    assert sorted(r["XH"] for r in stored["items"]) == sorted(frame["XH"].head(7))


def test_a_legacy_xls_is_read_with_its_cell_types(http, world) -> None:  # noqa: ANN001
    up = world["up"]
    frame = _digit_ids(6, seed=33)
    rows = _habits(frame)
    rows[0][4] = float(rows[0][4])  # a number cell ID number
    for row in rows[1:]:
        row[6] = int(row[6])  # 院系代码 0202 as the number 202: the unit set makes it unambiguous
    r = up(_xls(HEADERS, rows), filename="students.xls")
    assert r.status_code == 201, r.text
    batch = r.json()
    assert (batch["source"], batch["good"], batch["quarantined"]) == ("xls", 5, 1)
    assert _codes_by_row(_issues(http, world, batch["code"])) == {2: {("SFZJH", "excel_precision")}}
    assert batch["report"]["normalised"]["YXDM"]["padded"] == 5


def test_scientific_notation_in_a_csv_is_named_as_excel_damage(http, world) -> None:  # noqa: ANN001
    up = world["up"]
    frame = student_frame(5, seed=34)
    ids = frame["SFZJH"].to_list()
    ids[1] = "1.20114E+17"
    ids[3] = "1.2011420050813E+17"
    batch = up(csv_bytes(frame.with_columns(pl.Series("SFZJH", ids)))).json()
    assert (batch["good"], batch["quarantined"]) == (3, 2)
    assert _codes_by_row(_issues(http, world, batch["code"])) == {
        3: {("SFZJH", "excel_scientific")},
        5: {("SFZJH", "excel_scientific")},
    }
