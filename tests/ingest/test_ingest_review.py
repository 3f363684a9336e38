"""Quarantine and resubmission, bottom-up review with separation of duties, versions, diff and rollback."""

from __future__ import annotations

import io

import httpx
import polars as pl
from ingest_support import csv_bytes, student_frame
from openpyxl import load_workbook
from sqlalchemy import select

from edudata.audit.models import AuditRecord
from edudata.db import Database
from edudata.ingest.models import Issue


def _spoil(frame: pl.DataFrame, rows: list[int]) -> pl.DataFrame:
    """A wrong GB 11643 check digit in the given rows."""
    ids = frame.get_column("SFZJH").to_list()
    for i in rows:
        ids[i] = ids[i][:17] + ("0" if ids[i][17] != "0" else "1")
    return frame.with_columns(pl.Series("SFZJH", ids))


def _stored(http: httpx.Client, world) -> dict[str, dict]:  # noqa: ANN001
    body = http.get("/api/v1/data/student_basic", params={"limit": 1000}, headers=world["h"]["xgb"]).json()
    return {r["XH"]: r for r in body["items"]}


def test_the_office_cannot_approve_before_the_unit(world) -> None:
    up = world["up"]
    code = up(csv_bytes(student_frame(5))).json()["code"]
    r = up.review(code, "office")
    assert r.status_code == 409 and "Art. 22" in r.json()["detail_en"]


def test_the_uploader_cannot_approve_their_own_batch(world) -> None:
    up = world["up"]
    code = up(csv_bytes(student_frame(5)), user="xgb2").json()["code"]  # xgb2 is also the unit's reviewer
    r = up.review(code, "xgb2")
    assert r.status_code == 403 and "Art. 30" in r.json()["detail_en"]
    assert up.review(code, "xgb_rev").json()["status"] == "unit_approved"


def test_a_rejection_needs_a_reason_and_is_recorded(world, db: Database) -> None:
    up = world["up"]
    code = up(csv_bytes(student_frame(5))).json()["code"]
    assert up.review(code, "xgb_rev", decision="reject").status_code == 422
    r = up.review(code, "xgb_rev", decision="reject", reason="专业名称有误")
    assert (r.json()["status"], r.json()["reject_reason"]) == ("rejected", "专业名称有误")
    assert up.review(code, "office").status_code == 409
    with db.session() as s:
        ops = [
            a.detail
            for a in s.execute(select(AuditRecord).where(AuditRecord.operation == "ingest_review")).scalars()
        ]
    assert [o["approve"] for o in ops] == [False]


def test_quarantined_rows_carry_reasons_and_download_as_xlsx(http: httpx.Client, world) -> None:
    up = world["up"]
    batch = up(csv_bytes(_spoil(student_frame(20), [3, 11]))).json()
    assert (batch["good"], batch["quarantined"]) == (18, 2)
    items = http.get(f"/api/v1/ingest/batches/{batch['code']}/issues", headers=world["h"]["office"]).json()[
        "items"
    ]
    # The privacy domain drops the 民族码 / 银行卡号 values of every row (no Art. 51 assessment on file in this
    # world): issues of rows that stay good, not quarantine reasons.
    items = [i for i in items if not i["code"].startswith("privacy.")]
    assert [(i["row"], i["element"], i["code"]) for i in items] == [
        (5, "SFZJH", "bad_check_digit"),
        (13, "SFZJH", "bad_check_digit"),
    ]
    assert "*" in items[0]["value"] and items[0]["message_zh"] and items[0]["message_en"]
    r = http.get(f"/api/v1/ingest/batches/{batch['code']}/quarantine.xlsx", headers=world["h"]["xgb"])
    assert r.status_code == 200
    sheet = load_workbook(io.BytesIO(r.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "原行号 / row" and rows[0][-1] == "问题说明 / reasons"
    assert [row[0] for row in rows[1:]] == [5, 13] and "校验位" in rows[1][-1]
    assert (
        http.get(
            f"/api/v1/ingest/batches/{batch['code']}/quarantine.xlsx", headers=world["h"]["office"]
        ).status_code
        == 403
    )


def test_a_corrected_resubmission_is_neither_lost_nor_counted_twice(
    http: httpx.Client, world, db: Database
) -> None:
    up = world["up"]
    clean = student_frame(20)
    first = up(csv_bytes(_spoil(clean, [3, 11]))).json()
    xlsx = http.get(
        f"/api/v1/ingest/batches/{first['code']}/quarantine.xlsx", headers=world["h"]["xgb"]
    ).content
    book = load_workbook(io.BytesIO(xlsx))
    sheet = book.active
    headers = [c.value for c in sheet[1]]
    col = headers.index("身份证件号") + 1
    fixed = {3: clean.get_column("SFZJH")[3], 11: clean.get_column("SFZJH")[11]}
    for r, i in zip((2, 3), (3, 11), strict=True):
        sheet.cell(r, col).value = fixed[i]
    out = io.BytesIO()
    book.save(out)
    second = up(out.getvalue(), filename="fixed.xlsx", parent=first["code"]).json()
    assert (second["good"], second["quarantined"], second["already_received"]) == (2, 0, 0)
    # the producer sends the whole corrected file once more: the 18 rows accepted before are not taken again
    third = up(csv_bytes(clean), parent=first["code"]).json()
    assert (third["good"], third["already_received"]) == (2, 18)
    with db.session() as s:
        open_issues = (
            s.execute(select(Issue).where(Issue.resolved_by_batch_id.is_(None), Issue.action == "quarantine"))
            .scalars()
            .all()
        )
    assert open_issues == []
    for code in (first["code"], second["code"]):
        assert up.review(code, "xgb_rev").status_code == 200
        assert up.review(code, "office").status_code == 200
    stored = _stored(http, world)
    assert len(stored) == 20 and set(stored) == set(clean.get_column("XH").to_list())
    quality = http.get("/api/v1/ingest/student_basic/quality", headers=world["h"]["office"]).json()
    assert quality["open_quarantined_rows"] == 0


def test_rollback_restores_the_previous_version_and_diff_shows_the_change(http: httpx.Client, world) -> None:
    up = world["up"]
    base = student_frame(10)
    assert up.approved(csv_bytes(base))["version"] == 1
    before = _stored(http, world)
    changed = base.with_columns(
        pl.when(pl.int_range(pl.len()) < 3).then(pl.lit("金融学")).otherwise(pl.col("ZYMC")).alias("ZYMC")
    )
    extra = student_frame(2, seed=5).with_columns(
        (pl.lit("2019") + pl.col("XH").str.slice(4)).alias("XH")
    )  # two new students
    assert up.approved(csv_bytes(pl.concat([changed, extra])))["version"] == 2
    after = _stored(http, world)
    assert len(after) == 12 and sum(after[k]["ZYMC"] != before[k]["ZYMC"] for k in before) == 3

    d = http.get(
        "/api/v1/ingest/student_basic/diff", params={"a": 1, "b": 2}, headers=world["h"]["office"]
    ).json()
    assert (d["added"], d["removed"], d["changed"]) == (2, 0, 3)
    assert all(c["elements"] == ["ZYMC"] for c in d["changed_rows"])
    assert (
        http.get(
            "/api/v1/ingest/student_basic/diff", params={"a": 1, "b": 2}, headers=world["h"]["xgb"]
        ).status_code
        == 403
    )

    assert (
        http.post(
            "/api/v1/ingest/student_basic/versions/1/rollback", headers=world["h"]["office"]
        ).status_code
        == 409
    )
    r = http.post("/api/v1/ingest/student_basic/versions/2/rollback", headers=world["h"]["office"])
    assert r.status_code == 200, r.text
    restored = _stored(http, world)
    assert restored == before
