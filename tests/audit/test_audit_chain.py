"""The audit log is append-only and tamper-evident (Art. 30, 59): appends, sequencing, and what verification finds."""

from __future__ import annotations

import hashlib
import json
import os
import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from edudata.audit import chain
from edudata.audit.checkpoints import sign_head
from edudata.audit.models import AuditCheckpoint, AuditRecord
from edudata.audit.sequencer import pending_count, sequence, sequence_all
from edudata.audit.service import record, record_many, record_now
from edudata.audit.verify import MAX_WORKERS, verify_chain
from edudata.config import Settings
from edudata.db import Database
from edudata.errors import ValidationFailed
from support.audit_log import edit_record

AWKWARD = 'quote" back\\slash\nnew\ttab\x01\x1f\x7f é 中文 😀 \u2028 nul\x00end'


def _fill(db: Database, n: int) -> None:
    with db.session() as s:
        record_many(
            s,
            [
                {
                    "operation": "query",
                    "account_id": i,
                    "username": f"user{i}",
                    "unit_code": "0102",
                    "source_ip": "10.0.0.1",
                    "dataset": "student.basic",
                    "elements": ["姓名", "学号"],
                    "row_count": i * 10,
                    "filter": "unit_code = '0102'",
                    "request_id": f"req{i:08d}",
                    "detail": {"path": "/api/v1/x", "method": "GET"},
                }
                for i in range(1, n + 1)
            ],
        )
        s.commit()


def _sequenced(db: Database, settings: Settings, n: int) -> None:
    _fill(db, n)
    sequence_all(db, settings)


def _sql(db: Database, statement: str) -> None:
    with db.engine.begin() as conn:
        conn.execute(text(statement))


def test_records_are_appended_in_one_chain_that_verifies(db: Database, settings: Settings) -> None:
    record_now(db, operation="login", username="张三", account_id=7, unit_code="0002", source_ip="10.1.1.1")
    with db.session() as s:
        record(
            s,
            operation="export",
            dataset="student.basic",
            elements=["姓名"],
            row_count=42,
            detail={"b": 1, "a": 2},
        )
        s.commit()
    with db.session() as s:
        rows = s.scalars(select(AuditRecord).order_by(AuditRecord.seq)).all()
        assert [r.seq for r in rows] == [1, 2]
        assert [r.leaf for r in rows] == [None, None]  # durable, not yet in the tree
        assert rows[0].username == "张三" and rows[0].result == "success"
        assert rows[1].elements == ["姓名"] and rows[1].detail == {"a": 2, "b": 1}
        assert verify_chain(s, settings).pending == 2
    assert sequence_all(db, settings) == 2
    with db.session() as s:
        rows = s.scalars(select(AuditRecord).order_by(AuditRecord.seq)).all()
        assert [r.leaf for r in rows] == [0, 1] and all(len(r.leaf_hash) == 64 for r in rows)
        result = verify_chain(s, settings)
        assert s.scalar(select(func.count()).select_from(AuditCheckpoint)) == 1
    assert result.ok and result.checked == 2 and result.pending == 0 and result.checkpoints == 1


def test_sql_and_python_encodings_agree_on_awkward_text(db: Database, settings: Settings) -> None:
    """The hash is made in Python and checked from SQL: both must encode every field identically."""
    record_now(
        db,
        operation="query",
        username=AWKWARD[:150],
        dataset=AWKWARD[:200],
        filter=AWKWARD,
        elements=[AWKWARD],
        detail={"z": AWKWARD, "a": [1, 2.5, None, True]},
        row_count=0,
    )
    with db.session() as s:
        if not db.is_sqlite:  # a session time zone far from UTC must not change the encoding
            s.execute(text("SET TIME ZONE 'Asia/Shanghai'"))
        row = s.execute(select(AuditRecord.__table__)).one()._mapping
        values = tuple(row[name] for name in chain.FIELDS)
        in_sql = s.execute(
            text(f"SELECT {chain.body_sql(s.get_bind().dialect.name)} FROM audit_record")
        ).scalar_one()
        assert in_sql == chain.body(row["seq"], chain.format_at(row["at"]), values)
        assert in_sql == chain.with_seq(row["seq"], row["body"])  # the generated columns give the body back
        assert "\x00" not in row["filter"]
    sequence_all(db, settings)
    with db.session() as s:
        assert verify_chain(s, settings).ok


def test_a_bulk_append_stores_awkward_text_as_its_body_says(db: Database, settings: Settings) -> None:
    """Batches go to PostgreSQL as COPY text built by the append (its own escaping): every field of every row,
    awkward characters included, must arrive exactly as the hashed body holds it, or the CHECK refuses it."""
    events = [
        {
            "operation": "export",
            "account_id": i,
            "username": AWKWARD[: 150 - i % 3],
            "unit_code": "01\\02\t",
            "source_ip": None if i % 2 else "::1",
            "dataset": AWKWARD[:200],
            "elements": [AWKWARD, "XH\\"],
            "row_count": None if i % 3 else -i,
            "filter": AWKWARD * 2 if i % 5 else "",
            "request_id": f"r\t{i}",
            "detail": {"z": AWKWARD, "path": "C:\\tmp\\x", "n": [i, 2.5, None, True]},
        }
        for i in range(120)
    ]
    with db.session() as s:
        assert record_many(s, events) == 120
        s.commit()
    with db.session() as s:
        rows = s.execute(select(AuditRecord.__table__).order_by(AuditRecord.seq)).all()
        assert len(rows) == 120
        for row in (r._mapping for r in rows):
            values = tuple(row[name] for name in chain.FIELDS)
            assert row["body"] == chain.stored_body(chain.format_at(row["at"]), values)
            assert "\x00" not in row["username"] and row["unit_code"] == "01\\02\t"
        first = rows[0]._mapping
        assert first["row_count"] == 0 and first["source_ip"] == "::1" and first["filter"] == ""
        assert first["detail"] == chain.canonical_json(json.loads(first["detail"]))
    sequence_all(db, settings)
    with db.session() as s:
        assert verify_chain(s, settings).ok


def test_an_invalid_event_late_in_a_batch_leaves_nothing_written(db: Database) -> None:
    """A batch is sent in chunks as it is prepared; an invalid event after the first chunks were sent writes
    none of it, and the caller's transaction goes on (its own work and later records commit)."""
    good = {"operation": "query", "username": "u", "dataset": "student.basic"}
    with db.session() as s:
        record(s, operation="update", dataset="student.basic")
        with pytest.raises(ValidationFailed):
            record_many(s, [good] * 2500 + [{"operation": "query", "result": "maybe"}])
        with pytest.raises(TypeError):
            record_many(s, [good] * 1500 + [{"operation": "query", "colour": "red"}])
        record_many(s, [good] * 60)
        s.commit()
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(AuditRecord)) == 61


@pytest.mark.parametrize("column", ["username", "row_count", "at", "detail"])
def test_a_field_cannot_be_edited_apart_from_the_hashed_body(
    db: Database, settings: Settings, column: str
) -> None:
    """The searchable columns are generated from the stored body: changing one means changing what is hashed."""
    _sequenced(db, settings, 2)
    value = {"username": "'mallory'", "row_count": "7", "at": "CURRENT_TIMESTAMP", "detail": "'{}'"}[column]
    with pytest.raises(DBAPIError):
        _sql(db, f"UPDATE audit_record SET {column} = {value} WHERE seq = 1")
    with db.session() as s:
        assert verify_chain(s, settings).ok


def test_edited_field_fails_at_that_record(db: Database, settings: Settings) -> None:
    _sequenced(db, settings, 10)
    edit_record(db, 6, username="someone_else")
    with db.session() as s:
        result = verify_chain(s, settings)
    assert not result.ok
    assert result.first_bad_seq == 6 and result.record_seq == 6 and result.checked == 5
    assert "6" in result.reason_zh and "altered" in result.reason_en


def test_edited_timestamp_fails_at_that_record(db: Database, settings: Settings) -> None:
    _sequenced(db, settings, 5)
    edit_record(db, 3, at=chain.format_at(datetime.now(UTC)))
    with db.session() as s:
        assert verify_chain(s, settings).first_bad_seq == 3


def test_deleted_row_fails_at_that_position(db: Database, settings: Settings) -> None:
    _sequenced(db, settings, 10)
    _sql(db, "DELETE FROM audit_record WHERE seq = 4")
    with db.session() as s:
        result = verify_chain(s, settings)
    assert not result.ok and result.first_bad_seq == 4
    assert "missing" in result.reason_en


def test_swapped_positions_fail_at_the_first_of_them(db: Database, settings: Settings) -> None:
    _sequenced(db, settings, 10)
    _sql(db, "UPDATE audit_record SET leaf = -1 WHERE seq = 3")
    _sql(db, "UPDATE audit_record SET leaf = 2 WHERE seq = 7")
    _sql(db, "UPDATE audit_record SET leaf = 6 WHERE seq = 3")
    with db.session() as s:
        result = verify_chain(s, settings)
    assert not result.ok and result.first_bad_seq == 3 and result.record_seq == 7


def test_removed_tail_is_found_against_the_trees_size(db: Database, settings: Settings) -> None:
    _sequenced(db, settings, 10)
    _sql(db, "DELETE FROM audit_record WHERE seq > 8")
    with db.session() as s:
        result = verify_chain(s, settings)
    assert not result.ok and result.first_bad_seq == 9


def test_rewritten_leaves_are_caught_by_the_signed_checkpoint(db: Database, settings: Settings) -> None:
    """Someone who edits a record AND recomputes its leaf hash (and the tree's state) cannot forge a signature."""
    _sequenced(db, settings, 10)
    edit_record(db, 4, row_count=999)
    with db.session() as s:
        row = s.execute(select(AuditRecord.__table__).where(AuditRecord.seq == 4)).one()._mapping
        body = chain.body(4, chain.format_at(row["at"]), [row[n] for n in chain.FIELDS])
        assert body == chain.with_seq(4, row["body"])  # the edit reached the generated columns
        leaf = hashlib.sha256(b"\x00" + chain.leaf_data(3, body)).hexdigest()
        s.execute(AuditRecord.__table__.update().where(AuditRecord.seq == 4).values(leaf_hash=leaf))
        s.commit()
        result = verify_chain(s, settings)
    assert not result.ok and result.first_bad_seq == 1  # somewhere in 1–10, the checkpoint's stretch
    assert "rewritten" in result.reason_en and "1–10" in result.reason_en


def test_forged_checkpoint_signature_fails(db: Database, settings: Settings) -> None:
    _sequenced(db, settings, 5)
    with db.session() as s:
        cp = s.scalars(select(AuditCheckpoint)).one()
        assert cp.size == 5 and cp.seq == 5 and cp.note.startswith("edudata.local/audit\n5\n")
        forged = cp.note.replace("\n5\n", "\n4\n", 1)
        s.execute(text("UPDATE audit_checkpoint SET note = :n"), {"n": forged})
        s.commit()
        result = verify_chain(s, settings)
    assert not result.ok and result.first_bad_seq == 5
    assert "signed" in result.reason_en


def test_checkpoint_by_an_unknown_key_fails(db: Database, settings: Settings, tmp_path) -> None:  # noqa: ANN001
    _fill(db, 3)
    stranger = Settings(data_dir=tmp_path, database_url=settings.database_url)
    with db.session() as s:
        sign_head(s, stranger)
        s.commit()
        result = verify_chain(s, settings)
    assert not result.ok and result.first_bad_seq == 3 and "trusted" in result.reason_en


def test_sign_head_is_idempotent_and_cheap_to_repeat(db: Database, settings: Settings) -> None:
    with db.session() as s:
        assert sign_head(s, settings) is None  # nothing to sign yet
    _fill(db, 2)
    with db.session() as s:
        first = sign_head(s, settings)
        again = sign_head(s, settings)
        s.commit()
        assert first is not None and again is not None and first.seq == again.seq == 2
        assert s.scalar(select(func.count()).select_from(AuditCheckpoint)) == 1


def test_sequencer_signs_a_checkpoint_every_n_records(db: Database, settings: Settings) -> None:
    every4 = settings.model_copy(update={"audit_checkpoint_every": 4})
    for i in range(10):
        record_now(db, operation="query", username=f"u{i}")
        with db.session() as s:
            sequence(s, every4)
            s.commit()
    with db.session() as s:
        assert s.scalars(select(AuditCheckpoint.size).order_by(AuditCheckpoint.size)).all() == [1, 5, 9]
        assert verify_chain(s, settings).ok


def test_record_now_survives_the_callers_rollback(db: Database) -> None:
    with db.session() as s:
        record(s, operation="update", dataset="student.basic")
        s.rollback()  # the audited change failed: its record goes with it ...
        record_now(
            db, operation="permission_denied", result="denied", username="mallory"
        )  # ... the refusal stays
    with db.session() as s:
        rows = s.scalars(select(AuditRecord)).all()
        assert [(r.operation, r.result, r.username) for r in rows] == [
            ("permission_denied", "denied", "mallory")
        ]


def test_invalid_operation_or_result_is_refused_and_nothing_is_written(db: Database) -> None:
    with db.session() as s:
        with pytest.raises(ValidationFailed):
            record(s, operation="Drop Table", username="x")
        with pytest.raises(ValidationFailed):
            record(s, operation="query", result="maybe")
        s.commit()
        assert s.scalar(select(func.count()).select_from(AuditRecord)) == 0


def test_concurrent_appenders_and_sequencers_keep_one_log(db: Database, settings: Settings) -> None:
    """Writers with their own connections (as several app servers) append at once while two sequencers run: every
    record gets exactly one position, no position is given twice, and the tree verifies."""
    threads, per_thread, errors = 6, 25, []
    done = threading.Event()

    def append(worker: int) -> None:
        try:
            for i in range(per_thread):
                with db.session() as s:
                    record(s, operation="query", username=f"w{worker}", row_count=i)
                    s.commit()
        except Exception as exc:  # surfaced below
            errors.append(exc)

    def sequencer() -> None:
        try:
            while not done.is_set():
                with db.session() as s:
                    sequence(s, settings, batch=7)
                    s.commit()
        except Exception as exc:
            errors.append(exc)

    seqs_threads = [threading.Thread(target=sequencer) for _ in range(2)]
    workers = [threading.Thread(target=append, args=(w,)) for w in range(threads)]
    for t in [*seqs_threads, *workers]:
        t.start()
    for w in workers:
        w.join()
    done.set()
    for t in seqs_threads:
        t.join()
    assert errors == []
    sequence_all(db, settings)
    with db.session() as s:
        leaves = s.scalars(select(AuditRecord.leaf).order_by(AuditRecord.leaf)).all()
        assert leaves == list(range(threads * per_thread))
        assert pending_count(s) == 0
        result = verify_chain(s, settings)
    assert result.ok and result.checked == threads * per_thread


def test_log_read_in_stretches_finds_breaks_on_either_side_of_a_join(
    db: Database, settings: Settings
) -> None:
    """Long logs are hashed in tile-aligned stretches by workers; a break at or near a join is found exactly."""
    _sequenced(db, settings, 1200)
    with db.session() as s:
        assert verify_chain(s, settings, split_from=0, batch_size=97).ok
    parts = max(2, min(os.cpu_count() or 1, MAX_WORKERS + 1))
    join = -(-1200 // parts // 256) * 256 + 1  # the first record of the second stretch, counted from 1
    _sql(db, f"DELETE FROM audit_record WHERE leaf = {join - 1}")
    with db.session() as s:
        result = verify_chain(s, settings, split_from=0, batch_size=97)
    assert not result.ok and result.first_bad_seq == join and result.checked == join - 1
    _sql(db, f"UPDATE audit_record SET leaf = {join - 1} WHERE leaf = {join}")  # the gap closed by a move
    with db.session() as s:
        result = verify_chain(s, settings, split_from=0, batch_size=97)
    assert not result.ok and result.first_bad_seq == join and "altered or moved" in result.reason_en


def test_an_altered_record_inside_a_worker_stretch_is_named(db: Database, settings: Settings) -> None:
    """A change deep in a stretch hashed by a worker is reported at its own place, with the count before it."""
    _sequenced(db, settings, 1000)
    edit_record(db, 937, username="mallory")
    with db.session() as s:
        result = verify_chain(s, settings, split_from=0, batch_size=50)
    assert not result.ok and result.first_bad_seq == 937 and result.checked == 936
    assert "altered" in result.reason_en
