"""Retention (Art. 30; Cybersecurity Law Art. 21): at least six months, archived and signed before removal."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from edudata.audit.checkpoints import sign_head
from edudata.audit.merkle import CompactRange
from edudata.audit.models import AuditCheckpoint, AuditRecord
from edudata.audit.retention import RetentionNotReached, purge, verify_archive
from edudata.audit.sequencer import sequence_all
from edudata.audit.service import record_many
from edudata.audit.tree import encode_nodes, read_tree
from edudata.audit.verify import verify_chain
from edudata.config import Settings
from edudata.crypto import signing
from edudata.db import Database, utcnow
from edudata.errors import Conflict
from support.audit_log import edit_record

NOW = utcnow()
OLD = NOW - timedelta(days=300)


def _history(db: Database, settings: Settings, old: int = 30, new: int = 10) -> None:
    """``old`` records from 300 days ago (an imported log), a checkpoint, then ``new`` records from today."""
    with db.session() as s:
        record_many(
            s, [{"operation": "query", "username": f"old{i}", "row_count": i} for i in range(old)], at=OLD
        )
        sign_head(s, settings)
        record_many(s, [{"operation": "export", "username": f"new{i}"} for i in range(new)])
        s.commit()


def _count(db: Database) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(AuditRecord))


def test_purging_records_younger_than_six_months_is_refused(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    _history(db, settings)
    with db.session() as s, pytest.raises(RetentionNotReached) as refused:
        purge(s, (NOW - timedelta(days=179)).date(), tmp_path / "a.zip", settings=settings)
    assert refused.value.status == 409
    assert "第三十条" in refused.value.zh and "网络安全法" in refused.value.zh
    assert "Art. 30" in refused.value.en and "Cybersecurity Law Art. 21" in refused.value.en
    assert _count(db) == 40 and not (tmp_path / "a.zip").exists()


def test_archive_then_purge_keeps_the_rest_verifiable(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    _history(db, settings)
    archive = tmp_path / "audit-archive.zip"
    with db.session() as s:
        result = purge(
            s, (NOW - timedelta(days=200)).date(), archive, settings=settings, actor={"username": "ops"}
        )
        s.commit()
    assert (result.removed, result.first_seq, result.last_seq) == (30, 1, 30)
    with db.session() as s:
        seqs = s.scalars(select(AuditRecord.seq).order_by(AuditRecord.seq)).all()
        assert seqs[0] == 31 and len(seqs) == 11  # ten new records and the record of the purge itself
        purge_record = s.scalars(select(AuditRecord).where(AuditRecord.operation == "purge")).one()
        assert purge_record.username == "ops" and purge_record.row_count == 30
        # The checkpoint at the cut stays (the anchor rebuilds its root); earlier ones went with their records.
        assert s.scalars(select(AuditCheckpoint.size)).all() == [30]
    sequence_all(db, settings)
    with db.session() as s:
        verified = verify_chain(s, settings)
    assert verified.ok and verified.checked == 11
    checked = verify_archive(archive, signing.public_key_bytes(settings))
    assert checked.ok and checked.records == 30


def test_archive_with_one_changed_byte_fails(db: Database, settings: Settings, tmp_path: Path) -> None:
    _history(db, settings, old=50, new=0)
    archive = tmp_path / "audit.zip"
    with db.session() as s:
        purge(s, (NOW - timedelta(days=200)).date(), archive, settings=settings)
        s.commit()
    data = bytearray(archive.read_bytes())
    at = data.index(b"records.jsonl") + 200  # inside the compressed records, past the local header
    data[at] ^= 0x01
    archive.write_bytes(bytes(data))
    checked = verify_archive(archive)
    assert not checked.ok and checked.bad_file == "records.jsonl"


def test_archive_as_directory_detects_an_edited_record(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    _history(db, settings, old=5, new=0)
    archive = tmp_path / "archive-dir"
    with db.session() as s:
        purge(s, (NOW - timedelta(days=200)).date(), archive, settings=settings)
        s.commit()
    assert verify_archive(archive).ok
    records = archive / "records.jsonl"
    records.write_bytes(records.read_bytes().replace(b'"old3"', b'"evil"'))
    checked = verify_archive(archive)
    assert not checked.ok and checked.bad_file == "records.jsonl"


def test_forged_anchor_breaks_the_chain(db: Database, settings: Settings, tmp_path: Path) -> None:
    """Deleting old records and faking an anchor (to hide the deletion) is caught: the anchor is signed."""
    _history(db, settings)
    with db.session() as s:
        purge(s, (NOW - timedelta(days=200)).date(), tmp_path / "a.zip", settings=settings)
        s.commit()
        # Remove three more records and move the anchor over them: its nodes are computable, its signature not.
        hashes = s.scalars(
            text("SELECT leaf_hash FROM audit_record WHERE leaf >= 30 AND leaf < 33 ORDER BY leaf")
        )
        state = read_tree(s)
        moved = CompactRange(state.anchor_size, state.anchor_nodes)
        moved.extend([bytes.fromhex(h) for h in hashes])
        s.execute(text("DELETE FROM audit_record WHERE leaf < 33"))
        s.execute(
            text("UPDATE audit_tree SET anchor_size = 33, anchor_nodes = :n"),
            {"n": encode_nodes(moved.nodes)},
        )
        s.commit()
        result = verify_chain(s, settings)
    assert not result.ok and result.first_bad_seq == 34 and "anchor" in result.reason_en


def test_purge_refuses_to_overwrite_an_archive_and_removes_nothing(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    _history(db, settings)
    existing = tmp_path / "exists.zip"
    existing.write_bytes(b"an earlier archive")
    with db.session() as s, pytest.raises(Conflict):
        purge(s, (NOW - timedelta(days=200)).date(), existing, settings=settings)
    assert _count(db) == 40 and existing.read_bytes() == b"an earlier archive"


def test_purge_refuses_a_broken_chain(db: Database, settings: Settings, tmp_path: Path) -> None:
    _history(db, settings)
    edit_record(db, 12, username="x")
    with db.session() as s, pytest.raises(Conflict) as refused:
        purge(s, (NOW - timedelta(days=200)).date(), tmp_path / "a.zip", settings=settings)
    assert refused.value.extra["first_bad_seq"] == 12
    assert _count(db) == 40 and not (tmp_path / "a.zip").exists()


def test_dating_an_import_before_the_newest_record_is_refused(db: Database) -> None:
    with db.session() as s:
        record_many(s, [{"operation": "query"}])
        s.commit()
        with pytest.raises(Exception, match="cannot be dated"):
            record_many(s, [{"operation": "query"}], at=OLD)
