"""Retention of the audit log: keep at least six months, archive before removing (Art. 30; 网络安全法 第二十一条).

:func:`purge` refuses any cut-off younger than 180 days. Otherwise it verifies the records to be removed, writes
them to a signed archive (JSON Lines + manifest with SHA-256 and Ed25519 signature, see
:mod:`edudata.crypto.package`), removes them and leaves a signed anchor (seq and hash of the last removed record)
so the remaining chain still verifies from there. :func:`verify_archive` checks an archive on its own.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from edudata.audit import chain
from edudata.audit.checkpoints import anchor_message
from edudata.audit.head import HEAD, lock_head
from edudata.audit.models import HEAD_ID, AuditCheckpoint, AuditRecord
from edudata.audit.service import record
from edudata.config import Settings
from edudata.crypto import signing
from edudata.crypto.package import PackageReader, PackageWriter, verify_package
from edudata.db import utcnow
from edudata.errors import Conflict

RETENTION_DAYS = 180
RECORDS_FILE = "records.jsonl"
CHECKPOINTS_FILE = "checkpoints.jsonl"
ARCHIVE_KIND = "edudata-audit-archive"
_PAGE = 10_000


class RetentionNotReached(Conflict):
    """A purge that would remove records younger than the legal minimum of six months."""

    code, title_zh, title_en = "retention-not-reached", "未到日志保留期限", "Retention period not reached"


@dataclass(frozen=True)
class PurgeResult:
    removed: int
    first_seq: int | None
    last_seq: int | None
    archive: Path | None
    anchor_hash: str


@dataclass(frozen=True)
class ArchiveCheck:
    ok: bool
    records: int
    bad_file: str | None = None
    first_bad_seq: int | None = None
    reason_zh: str = ""
    reason_en: str = ""

    def summary(self) -> str:
        if self.ok:
            return f"归档完整 / archive intact: {self.records} 条记录 / records"
        where = f"seq {self.first_bad_seq}" if self.first_bad_seq is not None else self.bad_file
        return f"{where}: {self.reason_zh} / {self.reason_en}"


def _record_dict(row: Any) -> dict[str, Any]:
    """One archived record: every stored field, ``at`` in the chain's canonical text."""
    values = dict(row._mapping)
    values["at"] = chain.format_at(values["at"])
    return values


def _records(session: Session, after: int, upto: int) -> Iterator[dict[str, Any]]:
    table = AuditRecord.__table__
    while after < upto:
        end = min(after + _PAGE, upto)
        rows = session.execute(
            select(table).where(table.c.seq > after, table.c.seq <= end).order_by(table.c.seq)
        ).all()
        yield from (_record_dict(r) for r in rows)
        after = end


def _values(rec: dict[str, Any]) -> tuple:
    return tuple(rec[name] for name in chain.FIELDS)


def _write_archive(
    session: Session, writer: PackageWriter, anchor_seq: int, anchor_hash: str, last: int, before: date
) -> dict[str, Any]:
    """Write records (anchor_seq, last] and their checkpoints, checking the chain on the way; returns the meta."""
    prev, expected = anchor_hash, anchor_seq + 1
    with writer.open(RECORDS_FILE) as out:
        for rec in _records(session, anchor_seq, last):
            digest = chain.link(prev, chain.body(rec["seq"], rec["at"], _values(rec)))
            if rec["seq"] != expected or rec["prev_hash"] != prev or digest != rec["hash"]:
                break
            out.write(chain.canonical_json(rec).encode() + b"\n")
            prev, expected = digest, expected + 1
    if expected != last + 1:
        raise Conflict(
            f"审计链在第 {expected} 条处不完整，拒绝清理；请先核查",
            f"the audit chain is broken at seq {expected}; purge refused, investigate first",
            first_bad_seq=expected,
        )
    checkpoints = session.execute(
        select(AuditCheckpoint.__table__).where(AuditCheckpoint.seq <= last).order_by(AuditCheckpoint.seq)
    ).all()
    with writer.open(CHECKPOINTS_FILE) as out:
        for cp in checkpoints:
            row = dict(cp._mapping)
            row["signed_at"] = chain.format_at(row["signed_at"])
            out.write(chain.canonical_json(row).encode() + b"\n")
    return {
        "kind": ARCHIVE_KIND,
        "first_seq": anchor_seq + 1,
        "last_seq": last,
        "count": last - anchor_seq,
        "chain_prev_hash": anchor_hash,
        "last_hash": prev,
        "before": before.isoformat(),
    }


def purge(
    session: Session,
    before: date,
    archive_path: str | Path,
    now: datetime | None = None,
    settings: Settings | None = None,
    actor: dict[str, Any] | None = None,
) -> PurgeResult:
    """Archive, then remove, the records made before ``before`` (UTC midnight); at least 180 days old.

    ``actor`` holds the audit fields of who asked (username, account_id, source_ip, …); the purge is itself
    recorded. The caller commits; if the archive cannot be written nothing is removed.
    """
    now = now or utcnow()
    youngest = now.date() - timedelta(days=RETENTION_DAYS)
    if before > youngest:
        raise RetentionNotReached(
            f"审计日志至少保留六个月（《教育数据管理办法》第三十条、《网络安全法》第二十一条）：清理截止日期最晚为 "
            f"{youngest.isoformat()}，{before.isoformat()} 过新",
            f"audit logs are kept at least six months (regulation Art. 30, Cybersecurity Law Art. 21): the cut-off "
            f"may be {youngest.isoformat()} at the latest, {before.isoformat()} is too recent",
            field="before",
        )
    head = lock_head(session)
    cutoff = datetime.combine(before, time.min, tzinfo=UTC)
    table = AuditRecord.__table__
    first_young = session.scalar(
        select(func.min(table.c.seq)).where(table.c.seq > head.anchor_seq, table.c.at >= cutoff)
    )
    # Only a prefix of the chain can go: stop before the first record at or after the cut-off.
    last = head.seq if first_young is None else first_young - 1
    if last <= head.anchor_seq:
        return PurgeResult(0, None, None, None, head.anchor_hash)

    writer = PackageWriter(archive_path, settings)
    try:
        meta = _write_archive(session, writer, head.anchor_seq, head.anchor_hash, last, before)
    except BaseException:
        writer.abort()
        raise
    archive = writer.close(meta)
    count, last_hash = meta["count"], meta["last_hash"]

    session.execute(delete(AuditRecord).where(AuditRecord.seq <= last))
    session.execute(delete(AuditCheckpoint).where(AuditCheckpoint.seq <= last))
    public_key = signing.public_key_bytes(settings)
    session.execute(
        update(HEAD)
        .where(HEAD.c.id == HEAD_ID)
        .values(
            anchor_seq=last,
            anchor_hash=last_hash,
            anchor_at=now,
            anchor_key_id=signing.key_id(public_key),
            anchor_public_key=public_key.hex(),
            anchor_signature=signing.sign(anchor_message(last, last_hash, now), settings).hex(),
        )
    )
    record(
        session,
        operation="purge",
        dataset="audit_record",
        row_count=count,
        filter=f"at < {cutoff.isoformat()}",
        detail={**meta, "archive": str(archive)},
        **(actor or {}),
    )
    session.flush()
    return PurgeResult(count, head.anchor_seq + 1, last, archive, last_hash)


def verify_archive(path: str | Path, trusted_public_key: bytes | None = None) -> ArchiveCheck:
    """Check an archive's signature and file hashes, then recompute its records' chain from its start hash."""
    check = verify_package(path, trusted_public_key)
    if not check.ok:
        return ArchiveCheck(False, 0, check.bad_file, None, check.reason_zh, check.reason_en)
    meta = check.meta
    if meta.get("kind") != ARCHIVE_KIND:
        return ArchiveCheck(False, 0, "manifest.json", None, "不是审计归档", "not an audit archive")
    reader = PackageReader(Path(path))
    prev, expected, count = meta["chain_prev_hash"], meta["first_seq"], 0
    try:
        with reader.open(RECORDS_FILE) as lines:
            for line in lines:
                rec = json.loads(line)
                digest = chain.link(prev, chain.body(rec["seq"], rec["at"], _values(rec)))
                if rec["seq"] != expected or rec["prev_hash"] != prev or digest != rec["hash"]:
                    return ArchiveCheck(
                        False,
                        count,
                        RECORDS_FILE,
                        expected,
                        "归档中的记录链不完整",
                        "the archived chain is broken",
                    )
                prev, expected, count = digest, expected + 1, count + 1
    finally:
        reader.close()
    if count != meta["count"] or prev != meta["last_hash"]:
        return ArchiveCheck(
            False, count, RECORDS_FILE, expected, "归档记录数与清单不符", "record count differs"
        )
    return ArchiveCheck(True, count)
