"""Corrections: the quarantine download fixed and sent back closes its reasons; a 学号 the corrected batch
accepted for another person is quarantined naming both rows; no row is lost or stored twice."""

from __future__ import annotations

import io

import httpx
import polars as pl
from ingest_support import csv_bytes, student_frame
from openpyxl import load_workbook

BAD = (1, 4, 7)


def _spoiled(frame: pl.DataFrame) -> pl.DataFrame:
    ids = frame["SFZJH"].to_list()
    for i in BAD:
        ids[i] = ids[i][:17] + ("0" if ids[i][17] != "0" else "1")
    return frame.with_columns(pl.Series("SFZJH", ids))


def _fixed_download(http: httpx.Client, world: dict, code: str, frame: pl.DataFrame) -> tuple[bytes, list]:
    """The quarantine download with its ID numbers put right, as an officer fixes it in Excel."""
    r = http.get(f"/api/v1/ingest/batches/{code}/quarantine.xlsx", headers=world["h"]["xgb"])
    assert r.status_code == 200
    book = load_workbook(io.BytesIO(r.content))
    sheet = book.active
    header = [c.value for c in sheet[1]]
    xh, sfz = header.index("学号"), header.index("身份证件号")
    right = dict(zip(frame["XH"], frame["SFZJH"], strict=True))
    for row in sheet.iter_rows(min_row=2):
        row[sfz].value = right[row[xh].value]
    return book, header


def _save(book) -> bytes:  # noqa: ANN001
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _approve(up, code: str) -> None:  # noqa: ANN001
    assert up.review(code, "xgb_rev").status_code == 200
    assert up.review(code, "office").status_code == 200, code


def test_a_corrected_quarantine_closes_its_reasons_and_a_conflicting_identity_is_quarantined_naming_both_rows(
    http: httpx.Client, world: dict
) -> None:
    up, h = world["up"], world["h"]
    frame = student_frame(10, seed=61)
    first = up(csv_bytes(_spoiled(frame))).json()
    assert (first["good"], first["quarantined"]) == (7, 3)
    book, header = _fixed_download(http, world, first["code"], frame)
    # One more line: a 学号 the first batch accepted (row 3 of its file), given to someone else.
    stranger = student_frame(1, seed=99).row(0, named=True)
    taken = frame["XH"][2]
    line = {"学号": taken, "姓名": stranger["XM"], "身份证件号": stranger["SFZJH"], "原行号 / row": None}
    template = [c.value for c in book.active[2]]
    conflict = [line.get(h_, template[i]) for i, h_ in enumerate(header)]
    conflict[header.index("性别码")] = stranger["XBM"]
    conflict[header.index("出生日期")] = stranger["CSRQ"]
    book.active.append(conflict)
    second = up(_save(book), filename="fixed.xlsx", parent=first["code"]).json()
    assert (second["good"], second["quarantined"], second["already_received"]) == (3, 1, 0), second
    issues = http.get(f"/api/v1/ingest/batches/{second['code']}/issues", headers=h["xgb"]).json()["items"]
    clash = [i for i in issues if i["action"] == "quarantine"]
    assert [(i["element"], i["code"]) for i in clash] == [("XH", "identity_conflict")]
    assert (
        f"批次 {first['code']} 第 4 行" in clash[0]["message_zh"]
        and "本文件第 5 行" in clash[0]["message_zh"]
    )

    parent_issues = http.get(f"/api/v1/ingest/batches/{first['code']}/issues", headers=h["xgb"]).json()[
        "items"
    ]
    assert all(i["resolved_by"] is not None for i in parent_issues if i["action"] == "quarantine")
    quality = http.get("/api/v1/ingest/student_basic/quality", headers=h["xgb"]).json()
    assert quality["open_quarantined_rows"] == 1  # the conflict only: fixed reasons are closed

    _approve(up, first["code"])
    _approve(up, second["code"])
    stored = http.get("/api/v1/data/student_basic", params={"limit": 100}, headers=h["xgb"]).json()["items"]
    assert sorted(r["XH"] for r in stored) == sorted(frame["XH"])  # ten rows, each once
    assert {r["XH"]: r["SFZJH"] for r in stored} == dict(zip(frame["XH"], frame["SFZJH"], strict=True))


def test_resending_the_whole_file_takes_only_the_rows_not_yet_received(
    http: httpx.Client, world: dict
) -> None:
    up = world["up"]
    frame = student_frame(10, seed=62)
    first = up(csv_bytes(_spoiled(frame))).json()
    second = up(csv_bytes(frame), parent=first["code"]).json()
    assert (second["rows"], second["good"], second["quarantined"], second["already_received"]) == (
        10,
        3,
        0,
        7,
    )
    _approve(up, first["code"])
    _approve(up, second["code"])
    stored = http.get("/api/v1/data/student_basic", params={"limit": 100}, headers=world["h"]["xgb"]).json()
    assert sorted(r["XH"] for r in stored["items"]) == sorted(frame["XH"])
