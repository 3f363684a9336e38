"""Statistical snapshots: a report from a snapshot is the same after the live data changed (Art. 22)."""

from __future__ import annotations

import httpx
import polars as pl
from ingest_support import csv_bytes, student_frame


def _approve(up, frame: pl.DataFrame) -> None:  # noqa: ANN001
    code = up(csv_bytes(frame)).json()["code"]
    assert up.review(code, "xgb_rev").status_code == 200
    assert up.review(code, "office").status_code == 200


def test_a_snapshot_report_is_reproducible_after_the_data_changed(http: httpx.Client, world) -> None:
    up, office = world["up"], world["h"]["office"]
    frame = student_frame(40)
    _approve(up, frame)
    caliber = {"element": "NJ", "op": "ge", "value": 2022}
    r = http.post(
        "/api/v1/ingest/student_basic/snapshots",
        json={
            "name": "2025 秋季在校生",
            "time_point": "2025-10-15",
            "caliber": caliber,
            "definition": "2022 级及以后",
        },
        headers=office,
    )
    assert r.status_code == 201, r.text
    snap = r.json()
    wanted = frame.filter(pl.col("NJ").cast(pl.Int64) >= 2022)
    assert snap["rows"] == wanted.height
    first = http.get(
        f"/api/v1/ingest/snapshots/{snap['id']}/report", params={"by": "XBM,NJ"}, headers=office
    ).json()
    expected = wanted.group_by("XBM", "NJ").len().sort("XBM", "NJ")
    assert [(g["XBM"], g["NJ"], g["count"]) for g in first["groups"]] == [
        tuple(r) for r in expected.iter_rows()
    ]

    changed = frame.with_columns(pl.lit("2024").alias("NJ"))  # the live data changes: all in 2024
    _approve(up, changed)
    later = http.get(
        f"/api/v1/ingest/snapshots/{snap['id']}/report", params={"by": "XBM,NJ"}, headers=office
    ).json()
    assert later["groups"] == first["groups"] and later["sha256"] == first["sha256"]
    live = http.get("/api/v1/data/student_basic", params={"limit": 1000}, headers=world["h"]["xgb"]).json()[
        "items"
    ]
    assert {r["NJ"] for r in live} == {2024}


def test_only_the_office_freezes_snapshots(http: httpx.Client, world) -> None:
    r = http.post(
        "/api/v1/ingest/student_basic/snapshots",
        json={"name": "x", "time_point": "2025-10-15"},
        headers=world["h"]["xgb"],
    )
    assert r.status_code == 403


def test_a_snapshot_name_is_unique_per_dataset(http: httpx.Client, world) -> None:
    body = {"name": "年报", "time_point": "2025-09-01"}
    assert (
        http.post(
            "/api/v1/ingest/student_basic/snapshots", json=body, headers=world["h"]["office"]
        ).status_code
        == 201
    )
    assert (
        http.post(
            "/api/v1/ingest/student_basic/snapshots", json=body, headers=world["h"]["office"]
        ).status_code
        == 409
    )
