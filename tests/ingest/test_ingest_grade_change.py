"""A catalogue change of grade or type re-writes the stored values it governs (Art. 27-28, 52).

The dataset holds rows collected as the demo collects them (a batch submitted through the data API, reviewed and
loaded) and by an approved upload;
raising 手机号码 to 重要数据 encrypts every value in the current table and in history, lowering it brings the
plaintext back, and update batches then load through review on both backends.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import httpx
import polars as pl
from ingest_support import csv_bytes, student_frame
from sqlalchemy import select, text

from edudata.access import datapath
from edudata.audit.models import AuditRecord
from edudata.config import Settings
from edudata.db import Database
from edudata.lifecycle import operations
from edudata.store.guard import datapath_scope
from support.collect import collect

ELEMENT = "/api/v1/catalog/datasets/student_basic/elements"
ACTOR = {"username": "tests", "source_ip": "local"}


@dataclass(frozen=True)
class Office:
    account_id: int = 0
    username: str = "office-check"
    unit_code: str = "0002"
    roles: frozenset = frozenset({"office_admin"})
    source_ip: str = "local"


def _demo_rows(http: httpx.Client, accounts, world: dict, frame: pl.DataFrame) -> None:  # noqa: ANN001
    """Rows collected through the data API and review, as ``edudata demo`` collects them; without the Art. 51
    paperwork (the sensitive values are dropped, as they are from the uploads that follow)."""
    rows = frame.to_dicts()
    collect(http, accounts, "student_basic", rows, headers=world["h"]["xgb"], unit="0104", consent=False)


def _raw(db: Database, table: str, *columns: str) -> list[tuple]:
    with db.session() as s, datapath_scope("test"):
        quoted = ", ".join(f'"{c}"' for c in columns)
        return [tuple(r) for r in s.execute(text(f'SELECT {quoted} FROM "{table}"')).all()]


def _columns(db: Database, table: str) -> set[str]:
    from sqlalchemy import inspect

    with db.engine.connect() as conn, datapath_scope("test"):
        return {c["name"] for c in inspect(conn).get_columns(table)}


def _read(db: Database, settings: Settings, url: str | None = None) -> dict[str, dict]:
    database = Database(url) if url else db
    try:
        with database.session() as s:
            ctx = datapath.Context(session=s, settings=settings, database=database)
            page = datapath.query(Office(), ctx, "student_basic", page_size=1000)
            s.commit()
            return {r["XH"]: r for r in page.rows}
    finally:
        if url:
            database.dispose()


def _grade(http: httpx.Client, world: dict, grade: str) -> httpx.Response:
    return http.patch(f"{ELEMENT}/ZYMC", json={"grade": grade}, headers=world["h"]["office"])


def _with_new_majors(frame: pl.DataFrame, prefix: str) -> pl.DataFrame:
    # 专业名称: an element neither graded important nor personal information, so plaintext until the office
    # raises its grade (personal elements are encrypted under the person's key from the start).
    return frame.with_columns((pl.lit(prefix) + pl.lit("软件工程") + pl.col("XH")).alias("ZYMC"))


def test_raising_and_lowering_a_grade_migrates_every_stored_value_and_update_batches_still_load(
    http: httpx.Client, world: dict, accounts, db: Database, settings: Settings
) -> None:
    up = world["up"]
    everyone = student_frame(12, seed=7)
    demo, batch = everyone.head(6), everyone.tail(6)
    _demo_rows(http, accounts, world, demo)
    up.approved(csv_bytes(batch))
    # An update batch before the change: history rows exist for both kinds of row.
    up.approved(csv_bytes(_with_new_majors(everyone, "139")))
    assert len(_raw(db, "gd_student_basic__history", "_hid")) == 12

    r = _grade(http, world, "important")
    assert r.status_code == 200, r.text
    for table in ("gd_student_basic", "gd_student_basic__history"):
        rows = _raw(db, table, "zymc", "zymc__bi")
        assert len(rows) == 12
        assert all(isinstance(v, bytes | memoryview) and bi and len(bi) == 32 for v, bi in rows), table
    with db.session() as s:
        audit = s.execute(select(AuditRecord).where(AuditRecord.operation == "migrate_storage")).scalar_one()
    assert audit.elements == ["ZYMC"] and audit.row_count == 24
    assert audit.detail["changes"] == [{"element": "ZYMC", "from": "text", "to": "binary"}]
    stored = _read(db, settings)
    assert {k: v["ZYMC"] for k, v in stored.items()} == dict(
        zip(everyone["XH"], _with_new_majors(everyone, "139")["ZYMC"], strict=True)
    )

    # The update batch that failed with HTTP 500 at the office's approval now loads, history kept.
    done = up.approved(csv_bytes(_with_new_majors(everyone, "137")))
    assert done["status"] == "approved"
    stored = _read(db, settings)
    assert all(v["ZYMC"].startswith("137") for v in stored.values()) and len(stored) == 12
    history = _raw(db, "gd_student_basic__history", "zymc")
    assert len(history) == 24 and all(isinstance(v, bytes | memoryview) for (v,) in history)

    r = _grade(http, world, "general")
    assert r.status_code == 200, r.text
    assert "zymc__bi" not in _columns(db, "gd_student_basic")
    for table in ("gd_student_basic", "gd_student_basic__history"):
        values = [v for (v,) in _raw(db, table, "zymc")]
        assert len(values) in (12, 24) and all(isinstance(v, str) and v for v in values), table
    done = up.approved(csv_bytes(_with_new_majors(everyone, "135")))
    assert done["status"] == "approved"
    assert all(v["ZYMC"].startswith("135") for v in _read(db, settings).values())


def test_a_type_change_that_stored_values_cannot_take_is_refused_and_nothing_changes(
    http: httpx.Client, world: dict, db: Database
) -> None:
    up = world["up"]
    up.approved(csv_bytes(student_frame(4, seed=3)))
    r = http.patch(
        f"{ELEMENT}/ZYMC", json={"data_type": "integer", "max_length": None}, headers=world["h"]["office"]
    )
    assert r.status_code == 409, r.text
    assert "4 个值" in r.json()["detail"] and "ZYMC" in r.json()["detail_en"]
    element = http.get("/api/v1/catalog/datasets/student_basic", headers=world["h"]["office"]).json()
    assert next(e for e in element["elements"] if e["code"] == "ZYMC")["data_type"] == "string"
    assert all(isinstance(v, str) for (v,) in _raw(db, "gd_student_basic", "zymc"))
    with db.session() as s:
        refused = s.execute(
            select(AuditRecord).where(AuditRecord.operation == "migrate_storage")
        ).scalar_one()
    assert refused.result == "failed"


def test_a_backup_taken_before_a_grade_change_still_reads_after_restore(
    http: httpx.Client, world: dict, db: Database, settings: Settings, tmp_path: Path
) -> None:
    up = world["up"]
    frame = student_frame(5, seed=11)
    up.approved(csv_bytes(frame))
    root = settings.resolved_backup_root()
    made = operations.run_backup(settings, db, root / "local", root / "offsite", actor=ACTOR)
    assert _grade(http, world, "important").status_code == 200
    with operations.scratch_database(db.url) as url:
        operations.restore(settings, made.local, url, actor=ACTOR)
        restored = _read(db, settings, url)
    assert {k: v["ZYMC"] for k, v in restored.items()} == dict(zip(frame["XH"], frame["ZYMC"], strict=True))
    assert {k: v["ZYMC"] for k, v in _read(db, settings).items()} == dict(
        zip(frame["XH"], frame["ZYMC"], strict=True)
    )


def test_a_table_left_behind_by_a_catalogue_change_is_refused_until_migrated(
    http: httpx.Client, world: dict, db: Database, settings: Settings
) -> None:
    """A grade changed without its migration (as an earlier release did): the store refuses to read the dataset
    with a 409 naming the element instead of mixing plaintext and ciphertext; ``follow_catalogue`` (what
    ``edudata catalog migrate-storage`` runs) repairs it."""
    from edudata.catalog import service as catalog
    from edudata.catalog.storage import follow_catalogue

    up = world["up"]
    frame = student_frame(3, seed=13)
    up.approved(csv_bytes(frame))
    with db.session() as s:
        catalog.update_element(s, "student_basic", "ZYMC", {"grade": "important"}, updated_by="old-release")
        s.commit()
    r = http.get("/api/v1/data/student_basic", headers=world["h"]["xgb"])
    assert (
        r.status_code == 409 and "ZYMC" in r.json()["detail"] and "migrate-storage" in r.json()["detail_en"]
    )
    with db.session() as s:
        result = follow_catalogue(s, settings, db, Office(), "student_basic")
        s.commit()
    assert (
        result["elements"] == [{"element": "ZYMC", "from": "text", "to": "binary"}] and result["values"] == 3
    )
    assert all(isinstance(v, bytes | memoryview) for (v,) in _raw(db, "gd_student_basic", "zymc"))
    assert {k: v["ZYMC"] for k, v in _read(db, settings).items()} == dict(
        zip(frame["XH"], frame["ZYMC"], strict=True)
    )
