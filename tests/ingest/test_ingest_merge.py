"""Merge semantics of update batches (docs/ingest.md): what a file does not say never erases a stored value.

An absent column, an empty cell and a value dropped by the Art. 51 rule keep the stored value; the marker
[清空] clears it explicitly, is counted in the batch report, named in the diff and in the load's audit record;
a required element cannot be cleared.
"""

from __future__ import annotations

import httpx
import polars as pl
from ingest_support import csv_bytes, student_frame
from sqlalchemy import select

from edudata.audit.models import AuditRecord
from edudata.db import Database
from support.collect import DPO, collect
from support.privacy import assess


def _stored(http: httpx.Client, world: dict) -> dict[str, dict]:
    body = http.get("/api/v1/data/student_basic", params={"limit": 1000}, headers=world["h"]["xgb"]).json()
    return {r["XH"]: r for r in body["items"]}


def _reassess_as_unnecessary(http: httpx.Client, accounts, element: str) -> None:  # noqa: ANN001
    """A later assessment finds collecting ``element`` unnecessary (Art. 51): files no longer collect it."""
    r = assess(http, accounts.headers(DPO), "student_basic", element, conclusion="not_necessary")
    assert r.status_code == 201, r.text


def test_absent_columns_empty_cells_and_dropped_values_keep_what_is_stored(
    http: httpx.Client, world: dict, accounts, db: Database
) -> None:
    up = world["up"]
    frame = student_frame(5, seed=21).with_columns(pl.lit("01").alias("MZM"))
    # Collected with the Art. 51 paperwork (assessment, decision, consent), through review.
    collect(http, accounts, "student_basic", frame.to_dicts(), headers=world["h"]["xgb"], unit="0104")
    before = _stored(http, world)
    assert {r["MZM"] for r in before.values()} == {"01"}
    _reassess_as_unnecessary(http, accounts, "MZM")

    # MZM given: the Art. 51 rule drops it (the assessment now finds it unnecessary) — the stored 01 stays.
    dropped = up.approved(
        csv_bytes(frame.with_columns(pl.lit("02").alias("MZM"), pl.lit("数学").alias("ZYMC")))
    )
    issues = http.get(f"/api/v1/ingest/batches/{dropped['code']}/issues", headers=world["h"]["xgb"]).json()
    assert {i["action"] for i in issues["items"] if i["element"] == "MZM"} == {"drop_value"}
    # Columns absent (SJHM, DZYX, MZM) and empty cells (JTDZ) keep theirs too.
    partial = frame.drop("SJHM", "DZYX", "MZM").with_columns(
        pl.lit("").alias("JTDZ"), pl.lit("物理").alias("ZYMC")
    )
    up.approved(csv_bytes(partial))
    after = _stored(http, world)
    for xh, row in after.items():
        assert row["MZM"] == "01" and row["ZYMC"] == "物理"
        assert (row["SJHM"], row["DZYX"], row["JTDZ"]) == (
            before[xh]["SJHM"],
            before[xh]["DZYX"],
            before[xh]["JTDZ"],
        )


def test_the_clearing_marker_clears_a_value_and_is_reported_diffed_and_audited(
    http: httpx.Client, world: dict, db: Database
) -> None:
    up, h = world["up"], world["h"]
    frame = student_frame(4, seed=22)
    first = up.approved(csv_bytes(frame))
    marked = frame.with_columns(
        pl.Series("SJHM", ["[清空]", "【清空】", "", frame["SJHM"][3]]),
        pl.Series("XM", [frame["XM"][0], frame["XM"][1], frame["XM"][2], "[clear]"]),
    )
    second = up.approved(csv_bytes(marked))
    assert (second["good"], second["quarantined"]) == (3, 1)
    assert second["report"]["cleared"] == {"SJHM": 2}
    issues = http.get(f"/api/v1/ingest/batches/{second['code']}/issues", headers=h["xgb"]).json()["items"]
    assert [(i["element"], i["code"]) for i in issues if i["action"] == "quarantine"] == [
        ("XM", "cannot_clear_required")
    ]
    stored = _stored(http, world)
    xh = frame["XH"].to_list()
    assert [stored[k]["SJHM"] for k in xh[:3]] == [None, None, frame["SJHM"][2]]
    assert stored[xh[3]]["XM"] == frame["XM"][3]  # the quarantined row changed nothing

    diff = http.get(
        "/api/v1/ingest/student_basic/diff",
        params={"a": first["version"], "b": second["version"]},
        headers=h["office"],
    ).json()
    cleared = {c["key"]: c["cleared"] for c in diff["changed_rows"]}
    assert cleared == {xh[0]: ["SJHM"], xh[1]: ["SJHM"]}
    with db.session() as s:
        loads = [
            a.detail
            for a in s.execute(
                select(AuditRecord).where(AuditRecord.operation == "insert").order_by(AuditRecord.seq)
            ).scalars()
        ]
    assert loads[-1]["cleared"] == {"SJHM": 2} and "cleared" not in loads[0]
