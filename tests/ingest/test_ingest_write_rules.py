"""Write rules on every path (docs/data-path.md, *One write path*): 一数一源 (Art. 8(4), 19) and the Art. 51
checks apply alike to a file uploaded through the API, submitted with ``edudata ingest`` and pulled by
``edudata ingest-worker`` — the latter two each in a process of its own, which must load the same rules."""

from __future__ import annotations

import json

import httpx
import polars as pl
from ingest_support import business_table, csv_bytes, pull_source, run_cli, student_frame
from sqlalchemy import select

from edudata.access import side_store
from edudata.db import Database
from edudata.ingest.models import Batch

ART51 = "privacy.sensitive_assessment"


def _file(n: int = 6) -> pl.DataFrame:
    """学生工作部's export, with a 学籍状态 column it is not the source of (教务处 is)."""
    return student_frame(n, seed=71).with_columns(pl.lit("01").alias("XJZT"))


def _reasons(http: httpx.Client, h: dict, code: str) -> list[tuple]:
    items = http.get(f"/api/v1/ingest/batches/{code}/issues", headers=h).json()["items"]
    # Row numbers are the file's lines (after its header) or the pulled result's rows: not compared.
    return sorted((i["element"], i["rule"], i["code"], i["action"], i["message_en"]) for i in items)


def test_every_channel_drops_what_the_unit_may_not_write(
    http: httpx.Client, world, db: Database, settings, tmp_path, monkeypatch
) -> None:
    h, frame = world["h"], _file()
    path = tmp_path / "students.csv"
    path.write_bytes(csv_bytes(frame))
    r = world["up"](path.read_bytes())
    assert r.status_code == 201, r.text
    done = run_cli(
        settings, "ingest", str(path), "--dataset", "student_basic", "--unit", "0104", "--as", "xgb"
    )
    assert done.returncode == 0, done.stdout + done.stderr
    systems = {"xgxt": f"sqlite:///{tmp_path / 'xgxt.db'}"}
    monkeypatch.setattr(settings, "pull_connections", systems)
    business_table(systems["xgxt"], frame)
    job = http.post(f"/api/v1/ingest/sources/{pull_source(http, h, 'xgxt')}/pull", headers=h["xgb"])
    assert job.status_code == 202, job.text
    env = {"EDUDATA_PULL_CONNECTIONS": json.dumps(systems)}
    done = run_cli(settings, "ingest-worker", "--once", env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    with db.session() as s:
        batches = list(s.execute(select(Batch).order_by(Batch.id)).scalars())
        assert [b.source_kind for b in batches] == ["csv", "csv", "pull"]
        good = [side_store._open_file(s, settings, b.code, "good")[0].drop("_row") for b in batches]
    for batch in batches:
        # 一数一源: 学籍状态 is not collected from 学生工作部, and the batch says why.
        assert batch.report["not_source"] == ["XJZT"]
        (warning,) = [w for w in batch.report["warnings"] if w["code"] == "not_source"]
        assert warning["source_unit"] == "0103" and "Art. 8(4) and 19" in warning["en"]
    reasons = [_reasons(http, h["xgb"], b.code) for b in batches]
    assert reasons[0] == reasons[1] == reasons[2]
    dropped = {(r[0], r[1], r[3]) for r in reasons[0]}
    assert dropped == {("MZM", ART51, "drop_value"), ("YHKH", ART51, "drop_value")}
    assert len(reasons[0]) == 2 * frame.height  # every row's 民族码 and bank card, each with its reason
    # The officer reads the element's name, its code only beside it in English.
    assert "sensitive PI MZM (民族码) is not collected" in reasons[0][0][4]
    zh = http.get(f"/api/v1/ingest/batches/{batches[0].code}/issues", headers=h["xgb"]).json()["items"][0]
    assert zh["message_zh"].startswith("敏感个人信息“") and "MZM" not in zh["message_zh"]
    for staged in good:
        assert "XJZT" not in staged.columns
        assert staged.get_column("MZM").null_count() == frame.height  # nothing of Art. 51 is kept
        assert staged.get_column("YHKH").null_count() == frame.height
    assert good[0].equals(good[1]) and good[0].equals(good[2])


def test_the_row_api_applies_the_same_rules_as_the_upload(http: httpx.Client, world) -> None:
    """Rows through ``POST /api/v1/data/…/rows`` become a batch with the reasons an upload of them gets."""
    h, frame = world["h"], _file(4)
    uploaded = world["up"](csv_bytes(frame)).json()
    r = http.post("/api/v1/data/student_basic/rows", json={"rows": frame.to_dicts()}, headers=h["xgb"])
    assert r.status_code == 202, r.text
    batch = r.json()
    assert (batch["source"], batch["status"], batch["good"]) == ("api", "validated", 4)
    assert batch["report"]["not_source"] == ["XJZT"]
    assert _reasons(http, h["xgb"], batch["code"]) == _reasons(http, h["xgb"], uploaded["code"])
    stored = http.get("/api/v1/data/student_basic", params={"total": "true"}, headers=h["xgb"]).json()
    assert stored["total"] == 0  # nothing is stored before review (Art. 22)


def test_no_channel_writes_governed_rows_without_review(http: httpx.Client, world) -> None:
    """The data path offers no direct insert or update (Art. 22: data becomes authoritative after review); the
    row API answers 202 with a batch, which drops another source's element (一数一源) like an upload."""
    from edudata.access import datapath

    assert not hasattr(datapath, "insert") and not hasattr(datapath, "update")
    h = world["h"]
    r = http.post("/api/v1/data/student_basic/rows", json={"rows": _file(1).to_dicts()}, headers=h["xgb"])
    assert r.status_code == 202, r.text
    assert (r.json()["status"], r.json()["report"]["not_source"]) == ("validated", ["XJZT"])
    stored = http.get("/api/v1/data/student_basic", params={"total": "true"}, headers=h["xgb"]).json()
    assert stored["total"] == 0


def test_a_pull_job_is_visible_to_its_unit_and_the_office_only(
    http: httpx.Client, world, settings, tmp_path, monkeypatch
) -> None:
    h = world["h"]
    systems = {"xgxt": f"sqlite:///{tmp_path / 'xgxt.db'}"}
    monkeypatch.setattr(settings, "pull_connections", systems)
    business_table(systems["xgxt"], _file(2))
    job = http.post(f"/api/v1/ingest/sources/{pull_source(http, h, 'xgxt')}/pull", headers=h["xgb"]).json()[
        "job"
    ]
    seen = {
        u: http.get(f"/api/v1/ingest/jobs/{job}", headers=h[u]).status_code for u in ("xgb", "office", "rsc")
    }
    assert seen == {"xgb": 200, "office": 200, "rsc": 404}
