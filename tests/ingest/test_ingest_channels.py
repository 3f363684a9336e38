"""Channel parity (docs/data-path.md, *One write path*): one file submitted through the API, the web page,
``edudata ingest`` and a pull run by ``edudata ingest-worker`` becomes the same batch — the same counts, report,
reasons and staged rows — the same audit record, and, once reviewed, the same stored rows."""

from __future__ import annotations

import json

import httpx
import polars as pl
from ingest_support import (
    HTML,
    business_table,
    csrf_field,
    csv_bytes,
    page_session,
    pull_source,
    run_cli,
    student_frame,
)
from sqlalchemy import select

from edudata.access import side_store
from edudata.audit.models import AuditRecord
from edudata.db import Database
from edudata.ingest.models import Batch
from support.collect import review

CHANNELS = ["csv", "csv", "csv", "pull"]  # API, page, CLI (a file each), and the pull


def _file() -> pl.DataFrame:
    """20 students, one with a wrong check digit, and a 学籍状态 column 学生工作部 is not the source of."""
    frame = student_frame(20, seed=91)
    ids = frame.get_column("SFZJH").to_list()
    ids[3] = ids[3][:17] + ("0" if ids[3][17] != "0" else "1")
    return frame.with_columns(pl.Series("SFZJH", ids), pl.lit("01").alias("XJZT"))


def _submit_everywhere(http, server, world, settings, tmp_path, monkeypatch, frame) -> None:  # noqa: ANN001
    content = csv_bytes(frame)
    path = tmp_path / "students.csv"
    path.write_bytes(content)
    assert world["up"](content).status_code == 201
    with page_session(server, "xgb") as officer:
        page = officer.get("/ingest", headers=HTML)
        r = officer.post(
            "/ingest/upload",
            headers=HTML,
            data={"csrf_token": csrf_field(page.text), "dataset": "student_basic", "encoding": "auto"},
            files={"file": ("students.csv", content)},
        )
        assert r.status_code == 303, r.text
    done = run_cli(
        settings, "ingest", str(path), "--dataset", "student_basic", "--unit", "0104", "--as", "xgb"
    )
    assert done.returncode == 0, done.stdout + done.stderr
    systems = {"xgxt": f"sqlite:///{tmp_path / 'xgxt.db'}"}
    monkeypatch.setattr(settings, "pull_connections", systems)
    business_table(systems["xgxt"], frame)
    job = http.post(
        f"/api/v1/ingest/sources/{pull_source(http, world['h'], 'xgxt')}/pull", headers=world["h"]["xgb"]
    )
    assert job.status_code == 202, job.text
    done = run_cli(settings, "ingest-worker", "--once", env={"EDUDATA_PULL_CONNECTIONS": json.dumps(systems)})
    assert done.returncode == 0, done.stdout + done.stderr


def _batch(http: httpx.Client, h: dict, code: str) -> dict:
    body = http.get(f"/api/v1/ingest/batches/{code}", headers=h).json()
    report = {k: v for k, v in body["report"].items() if k not in ("mapping", "warnings")}
    warnings = [
        w for w in body["warnings"] if w["code"] != "same_file"
    ]  # the same bytes again: told, not kept
    counts = {k: body[k] for k in ("dataset", "unit", "status", "rows", "good", "quarantined", "uploaded_by")}
    items = http.get(f"/api/v1/ingest/batches/{code}/issues", headers=h).json()["items"]
    reasons = sorted((i["element"], i["rule"], i["code"], i["action"], i["message_en"]) for i in items)
    return {"counts": counts, "report": report, "warnings": warnings, "reasons": reasons}


def _uploads(db: Database) -> list[dict]:
    with db.session() as s:
        records = s.execute(
            select(AuditRecord).where(AuditRecord.operation == "ingest_upload").order_by(AuditRecord.seq)
        ).scalars()
        return [
            {
                "who": (r.username, r.unit_code, r.result, r.dataset, r.row_count),
                "elements": sorted(r.elements or []),
                "detail": {k: v for k, v in (r.detail or {}).items() if k not in ("batch", "source")},
            }
            for r in records
        ]


def _stored(http: httpx.Client, h: dict) -> list[dict]:
    r = http.get("/api/v1/data/student_basic", params={"limit": 1000}, headers=h)
    assert r.status_code == 200, r.text
    return sorted(
        ({k: v for k, v in row.items() if k != "_id"} for row in r.json()["items"]), key=lambda x: x["XH"]
    )


def test_one_file_through_every_channel_is_one_batch(
    http: httpx.Client, server, world, db: Database, settings, tmp_path, monkeypatch, accounts
) -> None:
    h, frame = world["h"], _file()
    _submit_everywhere(http, server, world, settings, tmp_path, monkeypatch, frame)
    with db.session() as s:
        batches = list(s.execute(select(Batch).order_by(Batch.id)).scalars())
        assert [b.source_kind for b in batches] == CHANNELS
        staged = [side_store._open_file(s, settings, b.code, "good")[0].drop("_row") for b in batches]
    views = [_batch(http, h["xgb"], b.code) for b in batches]
    assert views[0]["counts"]["good"] == 19 and views[0]["counts"]["quarantined"] == 1
    assert views[0]["report"]["not_source"] == ["XJZT"]
    for view, frame_staged in zip(views[1:], staged[1:], strict=True):
        assert view == views[0]
        assert frame_staged.equals(staged[0])
    uploads = _uploads(db)
    assert len(uploads) == 4 and all(u == uploads[0] for u in uploads)
    assert uploads[0]["who"] == ("xgb", "0104", "success", "student_basic", 20)
    # Reviewed and loaded, each batch leaves the store as the first one did (each rolled back before the next:
    # a batch checked before another one stored its keys is refused at load, docs/concurrency.md).
    stored = []
    for batch in batches:
        version = review(http, accounts, batch.code, "0104")["version"]
        stored.append(_stored(http, h["xgb"]))
        r = http.post(f"/api/v1/ingest/student_basic/versions/{version}/rollback", headers=h["office"])
        assert r.status_code == 200, r.text
    assert len(stored[0]) == 19 and all(r.get("XJZT") is None for r in stored[0])
    assert all(rows == stored[0] for rows in stored)
