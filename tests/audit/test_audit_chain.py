"""The audit log is append-only and tamper-evident (Art. 30, 59): every edit, removal or reordering is found."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select, text

from edudata.audit import chain
from edudata.audit.checkpoints import sign_head
from edudata.audit.models import GENESIS_HASH, AuditCheckpoint, AuditRecord
from edudata.audit.service import enable_checkpoints, record, record_many, record_now
from edudata.audit.verify import verify_chain
from edudata.config import Settings
from edudata.db import Database
from edudata.errors import ValidationFailed

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
        assert rows[0].username == "张三" and rows[0].result == "success"
        assert rows[1].prev_hash == rows[0].hash
        assert rows[1].elements == ["姓名"] and rows[1].detail == {"a": 2, "b": 1}
        result = verify_chain(s, settings)
    assert result.ok and result.checked == 2


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
        assert "\x00" not in row["filter"]
        assert verify_chain(s, settings).ok


def test_edited_field_fails_at_that_record(db: Database, settings: Settings) -> None:
    _fill(db, 10)
    _sql(db, "UPDATE audit_record SET username = 'someone_else' WHERE seq = 6")
    with db.session() as s:
        result = verify_chain(s, settings)
    assert not result.ok
    assert result.first_bad_seq == 6 and result.checked == 5
    assert "6" in result.reason_zh and "altered" in result.reason_en


def test_edited_timestamp_fails_at_that_record(db: Database, settings: Settings) -> None:
    _fill(db, 5)
    with db.session() as s:
        s.execute(
            AuditRecord.__table__.update().where(AuditRecord.seq == 3).values(at=func.current_timestamp())
        )
        s.commit()
        assert verify_chain(s, settings).first_bad_seq == 3


def test_deleted_row_fails_at_that_seq(db: Database, settings: Settings) -> None:
    _fill(db, 10)
    _sql(db, "DELETE FROM audit_record WHERE seq = 4")
    with db.session() as s:
        result = verify_chain(s, settings)
    assert not result.ok and result.first_bad_seq == 4
    assert "missing" in result.reason_en


def test_swapped_rows_fail_at_the_first_of_them(db: Database, settings: Settings) -> None:
    _fill(db, 10)
    _sql(db, "UPDATE audit_record SET seq = -1 WHERE seq = 3")
    _sql(db, "UPDATE audit_record SET seq = 3 WHERE seq = 7")
    _sql(db, "UPDATE audit_record SET seq = 7 WHERE seq = -1")
    with db.session() as s:
        result = verify_chain(s, settings)
    assert not result.ok and result.first_bad_seq == 3


def test_removed_tail_is_found(db: Database, settings: Settings) -> None:
    _fill(db, 10)
    _sql(db, "DELETE FROM audit_record WHERE seq > 8")
    with db.session() as s:
        result = verify_chain(s, settings)
    assert not result.ok and result.first_bad_seq == 9


def test_rewritten_chain_is_caught_by_the_signed_checkpoint(db: Database, settings: Settings) -> None:
    """Someone who edits a record AND recomputes every later hash (and the head) still cannot forge a signature."""
    _fill(db, 10)
    with db.session() as s:
        sign_head(s, settings)
        s.commit()
        s.execute(AuditRecord.__table__.update().where(AuditRecord.seq == 4).values(row_count=999))
        rows = s.execute(select(AuditRecord.__table__).order_by(AuditRecord.seq)).all()
        prev = GENESIS_HASH
        for row in rows:
            m = row._mapping
            digest = chain.link(
                prev, chain.body(m["seq"], chain.format_at(m["at"]), [m[n] for n in chain.FIELDS])
            )
            s.execute(
                AuditRecord.__table__.update()
                .where(AuditRecord.seq == m["seq"])
                .values(prev_hash=prev, hash=digest)
            )
            prev = digest
        s.execute(text("UPDATE audit_chain_head SET hash = :h"), {"h": prev})
        s.commit()
        result = verify_chain(s, settings)
    assert not result.ok and result.first_bad_seq == 10
    assert "checkpoint" in result.reason_en


def test_forged_checkpoint_signature_fails(db: Database, settings: Settings) -> None:
    _fill(db, 5)
    with db.session() as s:
        checkpoint = sign_head(s, settings)
        assert checkpoint is not None and checkpoint.seq == 5
        s.commit()
        forged = ("00" if checkpoint.signature[:2] != "00" else "11") + checkpoint.signature[2:]
        s.execute(text("UPDATE audit_checkpoint SET signature = :sig"), {"sig": forged})
        s.commit()
        result = verify_chain(s, settings)
    assert not result.ok and result.first_bad_seq == 5
    assert "signature" in result.reason_en


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


def test_appends_sign_a_checkpoint_every_n_records_when_enabled(db: Database, settings: Settings) -> None:
    enable_checkpoints(db, settings.model_copy(update={"audit_checkpoint_every": 4}))
    try:
        for i in range(10):
            record_now(db, operation="query", username=f"u{i}")
    finally:
        enable_checkpoints(db, settings)
    with db.session() as s:
        assert s.scalars(select(AuditCheckpoint.seq).order_by(AuditCheckpoint.seq)).all() == [4, 8]
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


def test_concurrent_appenders_keep_one_chain(db: Database, settings: Settings) -> None:
    """Several writers (threads with their own connections, as several app servers would be) never fork the chain."""
    threads, per_thread, errors = 6, 25, []

    def append(worker: int) -> None:
        try:
            for i in range(per_thread):
                with db.session() as s:
                    record(s, operation="query", username=f"w{worker}", row_count=i)
                    s.commit()
        except Exception as exc:  # surfaced below
            errors.append(exc)

    workers = [threading.Thread(target=append, args=(w,)) for w in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert errors == []
    with db.session() as s:
        seqs = s.scalars(select(AuditRecord.seq).order_by(AuditRecord.seq)).all()
        assert seqs == list(range(1, threads * per_thread + 1))
        result = verify_chain(s, settings)
    assert result.ok and result.checked == threads * per_thread


def test_chain_read_in_stretches_finds_breaks_on_either_side_of_a_join(
    db: Database, settings: Settings
) -> None:
    """Long chains are hashed in stretches by worker processes; a break at or near a join is still found exactly."""
    _fill(db, 40)
    with db.session() as s:
        assert verify_chain(s, settings, split_from=0, batch_size=7).ok
    _sql(db, "DELETE FROM audit_record WHERE seq = 21")  # the first record of the second half
    with db.session() as s:
        result = verify_chain(s, settings, split_from=0, batch_size=7)
    assert not result.ok and result.first_bad_seq == 21 and result.checked == 20
    _fill(db, 0)
    _sql(
        db, "UPDATE audit_record SET seq = 21 WHERE seq = 22"
    )  # the gap closed by moving the next record down
    with db.session() as s:
        result = verify_chain(s, settings, split_from=0, batch_size=7)
    assert not result.ok and result.first_bad_seq == 21
    _sql(db, "UPDATE audit_record SET dataset = 'x' WHERE seq = 35")
    _sql(db, "UPDATE audit_record SET seq = 22 WHERE seq = 21")
    _sql(
        db,
        "INSERT INTO audit_record SELECT 21, at, account_id, username, unit_code, source_ip, operation, dataset, "
        "elements, row_count, filter, result, request_id, detail, prev_hash, hash FROM audit_record WHERE seq = 20",
    )
    with db.session() as s:
        result = verify_chain(s, settings, split_from=0, batch_size=7)
    assert not result.ok and result.first_bad_seq == 21  # a copy of record 20 does not link to 20


def test_an_altered_record_inside_a_worker_stretch_is_named(db: Database, settings: Settings) -> None:
    """A change deep in a stretch hashed by a worker process is reported at its own seq, with the count before it."""
    _fill(db, 40)
    _sql(db, "UPDATE audit_record SET username = 'mallory' WHERE seq = 37")
    with db.session() as s:
        result = verify_chain(s, settings, split_from=0, batch_size=5)
    assert not result.ok and result.first_bad_seq == 37 and result.checked == 36
    assert "altered" in result.reason_en
