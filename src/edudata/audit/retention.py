"""Retention of the audit log: keep at least six months, archive before removing (Art. 30; 网络安全法 第二十一条).

:func:`purge` refuses any cut-off later than :func:`latest_cutoff`: six *calendar* months before today in Beijing
(not 180 days — "不少于六个月" is counted in months of the school's calendar, Art. 30), so a record made on the
Beijing day D may go only from the day after D + 6 months. Otherwise it integrates what is pending, verifies the
whole log (a broken log is never purged), writes the oldest records of the current epoch to a signed archive
(JSON Lines + manifest with SHA-256 and Ed25519 signature, see :mod:`edudata.crypto.package`), removes them and
leaves a signed anchor: the compact range of the removed leaves (the roots of the perfect subtrees covering
them), so the remaining leaves still rebuild the same tree and every later checkpoint still verifies.
:func:`verify_archive` checks an archive on its own, leaf by leaf, up to the anchor it left.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from edudata.audit import chain, merkle, note
from edudata.audit.checkpoints import origin
from edudata.audit.models import AuditCheckpoint, AuditRecord
from edudata.audit.sequencer import sequence
from edudata.audit.service import record
from edudata.audit.tree import decode_nodes, encode_nodes, lock_tree, save_tree
from edudata.clock import CHINA, today_in_china
from edudata.config import Settings
from edudata.crypto import signing
from edudata.crypto.package import PackageReader, PackageWriter, verify_package
from edudata.db import utcnow
from edudata.errors import Conflict

RETENTION_MONTHS = 6
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


def months_before(day: date, months: int) -> date:
    """The same day ``months`` calendar months earlier; a day the earlier month lacks goes to its last day
    (31 August − 6 months = 28 or 29 February)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    last = (date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)).day
    return date(year, month, min(day.day, last))


def latest_cutoff(now: datetime | None = None) -> date:
    """The latest cut-off a purge may name (Art. 30): six calendar months before today in Beijing. Records made
    before that Beijing day's midnight are at least six months and a day old; everything younger stays."""
    return months_before(today_in_china(now), RETENTION_MONTHS)


def cutoff_instant(before: date) -> datetime:
    """The instant a cut-off day begins: midnight in Beijing (the school's day), as UTC."""
    return datetime.combine(before, time.min, tzinfo=CHINA).astimezone(UTC)


def _record_dict(row: Any) -> dict[str, Any]:
    """One archived record: every field, ``at`` in the canonical text (the stored body is what the fields were
    generated from, so the archive keeps the fields alone, as archives always have)."""
    values = dict(row._mapping)
    del values["body"]
    values["at"] = chain.format_at(values["at"])
    return values


def _records(session: Session, first: int, last: int) -> Iterator[dict[str, Any]]:
    """Records at positions first ≤ leaf < last, in order."""
    table = AuditRecord.__table__
    while first < last:
        end = min(first + _PAGE, last)
        rows = session.execute(
            select(table).where(table.c.leaf >= first, table.c.leaf < end).order_by(table.c.leaf)
        ).all()
        yield from (_record_dict(r) for r in rows)
        first = end


def _values(rec: dict[str, Any]) -> tuple:
    return tuple(rec[name] for name in chain.FIELDS)


def anchor_text(log: str, epoch: int, base: int, size: int, nodes: list[bytes]) -> str:
    """What a purge's anchor states (and the log's key signs): the compact range of the removed leaves."""
    return f"edudata-audit-anchor/v2\n{log}\nepoch {epoch} base {base}\nsize {size}\nnodes {encode_nodes(nodes) or '-'}\n"


def _leaf(rec: dict[str, Any]) -> bytes:
    return merkle.leaf_hash(chain.leaf_data(rec["leaf"], chain.body(rec["seq"], rec["at"], _values(rec))))


def purge(
    session: Session,
    before: date,
    archive_path: str | Path,
    now: datetime | None = None,
    settings: Settings | None = None,
    actor: dict[str, Any] | None = None,
) -> PurgeResult:
    """Archive, then remove, the records made before ``before`` (midnight in Beijing); ``before`` may be at most
    :func:`latest_cutoff` — six calendar months ago (Art. 30).

    ``actor`` holds the audit fields of who asked (username, account_id, source_ip, …); the purge is itself
    recorded. The caller commits; if the archive cannot be written nothing is removed.
    """
    now = now or utcnow()
    youngest = latest_cutoff(now)
    if before > youngest:
        raise RetentionNotReached(
            f"审计日志至少保留六个月（《教育数据管理办法》第三十条、《网络安全法》第二十一条）：清理截止日期（北京时间，按自然月计）最晚为 "
            f"{youngest.isoformat()}，{before.isoformat()} 过新",
            f"audit logs are kept at least six months (regulation Art. 30, Cybersecurity Law Art. 21): the cut-off "
            f"(a Beijing day, counted in calendar months) may be {youngest.isoformat()} at the latest, {before.isoformat()} is too recent",
            field="before",
        )
    from edudata.audit.verify import verify_log

    while sequence(session, settings, checkpoint=False, wait=True).more:
        pass
    state = lock_tree(session)
    start = state.base + state.anchor_size
    cutoff = cutoff_instant(before)
    table = AuditRecord.__table__
    first_young = session.scalar(
        select(func.min(table.c.leaf)).where(table.c.leaf >= start, table.c.at >= cutoff)
    )
    # Only a prefix of the tree can go: stop before the first record at or after the cut-off.
    last = state.seq if first_young is None else first_young
    if last <= start:
        return PurgeResult(0, None, None, None, state.root.hex())
    checked = verify_log(session, settings)
    if not checked.ok and checked.first_bad_seq is not None and checked.first_bad_seq - 1 < last:
        raise Conflict(
            f"审计日志在第 {checked.first_bad_seq} 条处不完整，拒绝清理；请先核查",
            f"the audit log is broken at record {checked.first_bad_seq}; purge refused, investigate first",
            first_bad_seq=checked.first_bad_seq,
        )

    compact = merkle.CompactRange(state.anchor_size, state.anchor_nodes or [])
    writer = PackageWriter(archive_path, settings)
    try:
        with writer.open(RECORDS_FILE) as out:
            for rec in _records(session, start, last):
                compact.append(_leaf(rec))
                out.write(chain.canonical_json(rec).encode() + b"\n")
        cut = last - state.base
        checkpoints = session.execute(
            select(AuditCheckpoint.__table__).where(
                AuditCheckpoint.epoch == state.epoch, AuditCheckpoint.size < cut
            )
        ).all()
        with writer.open(CHECKPOINTS_FILE) as out:
            for cp in checkpoints:
                row = dict(cp._mapping)
                row["signed_at"] = chain.format_at(row["signed_at"])
                out.write(chain.canonical_json(row).encode() + b"\n")
    except BaseException:
        writer.abort()
        raise
    meta = {
        "kind": ARCHIVE_KIND,
        "epoch": state.epoch,
        "base": state.base,
        "first_position": start,
        "last_position": last - 1,
        "count": last - start,
        "anchor_before": {"size": state.anchor_size, "nodes": encode_nodes(state.anchor_nodes or [])},
        "anchor_after": {"size": cut, "nodes": encode_nodes(compact.nodes)},
        "before": before.isoformat(),
    }
    archive = writer.close(meta)

    session.execute(delete(AuditRecord).where(AuditRecord.leaf >= start, AuditRecord.leaf < last))
    session.execute(
        delete(AuditCheckpoint).where(AuditCheckpoint.epoch == state.epoch, AuditCheckpoint.size < cut)
    )
    log = origin(settings)
    state.anchor_size, state.anchor_nodes = cut, compact.nodes
    state.anchor_note = note.sign(
        anchor_text(log, state.epoch, state.base, cut, compact.nodes), log, signing.private_key(settings)
    )
    save_tree(session, state, now)
    record(
        session,
        operation="purge",
        dataset="audit_record",
        row_count=meta["count"],
        filter=f"at < {cutoff.isoformat()}",
        detail={**meta, "archive": str(archive)},
        **(actor or {}),
    )
    session.flush()
    return PurgeResult(meta["count"], start + 1, last, archive, compact.root().hex())


def verify_archive(path: str | Path, trusted_public_key: bytes | None = None) -> ArchiveCheck:
    """Check an archive's signature and file hashes, then recompute its records' chain from its start hash."""
    check = verify_package(path, trusted_public_key)
    if not check.ok:
        return ArchiveCheck(False, 0, check.bad_file, None, check.reason_zh, check.reason_en)
    meta = check.meta
    if meta.get("kind") != ARCHIVE_KIND:
        return ArchiveCheck(False, 0, "manifest.json", None, "不是审计归档", "not an audit archive")
    reader = PackageReader(Path(path))
    before, after = meta["anchor_before"], meta["anchor_after"]
    compact = merkle.CompactRange(before["size"], decode_nodes(before["nodes"]))
    expected, count = meta["first_position"], 0
    try:
        with reader.open(RECORDS_FILE) as lines:
            for line in lines:
                rec = json.loads(line)
                digest = _leaf(rec)
                if rec["leaf"] != expected or digest.hex() != rec["leaf_hash"]:
                    return ArchiveCheck(
                        False,
                        count,
                        RECORDS_FILE,
                        expected + 1,
                        "归档中的记录被改动",
                        "an archived record was altered",
                    )
                compact.append(digest)
                expected, count = expected + 1, count + 1
    finally:
        reader.close()
    if (
        count != meta["count"]
        or compact.size != after["size"]
        or encode_nodes(compact.nodes) != after["nodes"]
    ):
        return ArchiveCheck(
            False,
            count,
            RECORDS_FILE,
            expected + 1,
            "归档记录与清单不符",
            "the records differ from the manifest",
        )
    return ArchiveCheck(True, count)
