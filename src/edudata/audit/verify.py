"""Verifying the audit chain (行为追溯, 防篡改; Art. 30, 59): recompute every hash, follow every link.

Reads the records in seq order as ``(seq, prev_hash, hash, body)`` — the canonical body built by the database
itself (see :mod:`edudata.audit.chain`) — in pages of 10,000 plain tuples, and hashes them here, so the checker
trusts nothing the database computes but the text of the fields. Also checks that no seq is missing (a deleted
row), that the last record is the head, and that every signed checkpoint (and the purge anchor) carries a valid
signature by a trusted key and matches the record hash at its seq. Reports the FIRST broken record.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from edudata.audit import chain
from edudata.audit.checkpoints import anchor_message, checkpoint_message
from edudata.audit.head import HEAD, Head, read_head
from edudata.audit.models import HEAD_ID, AuditCheckpoint
from edudata.config import Settings
from edudata.crypto import signing

BATCH = 10_000
#: Chains longer than this are read in two halves at once on PostgreSQL.
PARALLEL_FROM = 100_000


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    reason_zh: str = ""
    reason_en: str = ""
    head_seq: int = 0
    checkpoints: int = 0

    def summary(self) -> str:
        if self.ok:
            return f"完整 / intact: {self.checked} 条记录 / records, {self.checkpoints} 个签名校验点 / checkpoints"
        return f"第 {self.first_bad_seq} 条起不完整 / broken at seq {self.first_bad_seq}: {self.reason_zh} / {self.reason_en}"


@dataclass
class _Problem:
    seq: int
    zh: str
    en: str


def _stream(raw: Any, dialect: str, after: int, upto: int, batch: int) -> Iterator[list[tuple]]:
    """Batches of (seq, prev_hash, hash, body) with after < seq <= upto, in seq order, as plain tuples.

    Pages by seq range (``seq > a AND seq <= a + batch``) on a DB-API connection: each page is small whatever plan
    stale statistics lead to (a chain's seqs are contiguous), memory stays flat however long the chain, and no
    per-row ORM objects are made. Rows arrive nearly in order; sorting them here is linear.
    """
    mark = "%s" if dialect == "postgresql" else "?"
    sql = (
        f'SELECT "seq", "prev_hash", "hash", {chain.body_sql(dialect)} FROM audit_record '
        f'WHERE "seq" > {mark} AND "seq" <= {mark}'
    )
    cursor = raw.cursor()
    try:
        while after < upto:
            end = min(after + batch, upto)
            cursor.execute(sql, (after, end))
            rows = cursor.fetchall()
            if rows:
                rows.sort()  # in seq order; no ORDER BY, so no sort node that could spill to disk
                yield rows
            after = end
    finally:
        cursor.close()


def _checkpoint_problems(
    session: Session, trusted: set[bytes], anchor_seq: int, anchor_hash: str
) -> tuple[dict[int, str], list[_Problem], int]:
    """Signed hashes by seq, the problems found in the checkpoints themselves, and how many there are."""
    signed: dict[int, str] = {}
    problems: list[_Problem] = []
    cp_table = AuditCheckpoint.__table__  # plain rows: never stale objects from the session's identity map
    rows = session.execute(select(cp_table).order_by(cp_table.c.seq)).all()
    for cp in rows:
        try:
            public_key, signature = bytes.fromhex(cp.public_key), bytes.fromhex(cp.signature)
        except ValueError:
            public_key, signature = b"", b""
        if public_key not in trusted:
            problems.append(
                _Problem(
                    cp.seq,
                    f"第 {cp.seq} 条的签名校验点不是由受信任的密钥签署",
                    f"checkpoint at seq {cp.seq} is not signed by a trusted key",
                )
            )
        elif not signing.verify(public_key, checkpoint_message(cp.seq, cp.hash, cp.signed_at), signature):
            problems.append(
                _Problem(
                    cp.seq,
                    f"第 {cp.seq} 条的签名校验点签名无效（被伪造或篡改）",
                    f"checkpoint signature at seq {cp.seq} is invalid (forged or altered)",
                )
            )
        elif cp.seq < anchor_seq:
            continue  # archived with the purged records
        elif cp.seq == anchor_seq and cp.hash != anchor_hash:
            problems.append(
                _Problem(cp.seq, "签名校验点与清理锚点不一致", "checkpoint disagrees with the purge anchor")
            )
        else:
            signed[cp.seq] = cp.hash
    return signed, problems, len(rows)


def _anchor_problem(session: Session, trusted: set[bytes]) -> _Problem | None:
    row = session.execute(select(HEAD).where(HEAD.c.id == HEAD_ID)).mappings().first()
    if row is None or row["anchor_seq"] == 0:
        return None
    try:
        public_key, signature = (
            bytes.fromhex(row["anchor_public_key"]),
            bytes.fromhex(row["anchor_signature"]),
        )
    except (TypeError, ValueError):
        public_key, signature = b"", b""
    message = (
        anchor_message(row["anchor_seq"], row["anchor_hash"], row["anchor_at"]) if row["anchor_at"] else b""
    )
    if public_key in trusted and signing.verify(public_key, message, signature):
        return None
    seq = row["anchor_seq"] + 1
    return _Problem(
        seq,
        "清理锚点的签名无效：链的起点被改动",
        "the purge anchor's signature is invalid: the chain's start was altered",
    )


@dataclass
class _Segment:
    """What one reader found in seqs (start - 1, end]: its first link, where it stopped, and why."""

    start: int
    end: int
    first_prev: str | None = None
    last_hash: str | None = None
    checked: int = 0
    problem: _Problem | None = None


def _missing(seq: int) -> _Problem:
    return _Problem(seq, f"第 {seq} 条记录缺失（已被删除）", f"record seq {seq} is missing (deleted)")


def _broken_link(seq: int) -> _Problem:
    return _Problem(
        seq,
        f"第 {seq} 条记录与前一条的链接断开（被删除、插入或调换顺序）",
        f"record seq {seq} does not link to the previous one (removed, inserted or reordered)",
    )


def _read_segment(
    raw: Any, dialect: str, seg: _Segment, prev: str | None, signed: dict[int, str], batch: int
) -> None:
    """Hash seg.start..seg.end; ``prev`` is the trusted link in, or None to take the first record's as given."""
    sha256 = hashlib.sha256
    expected = seg.start
    for rows in _stream(raw, dialect, seg.start - 1, seg.end, batch):
        for seq, prev_hash, hash_, body in rows:
            if seq != expected:
                seg.problem = _missing(expected)
                return
            if prev is None:
                prev = seg.first_prev = prev_hash
            if prev_hash != prev:
                seg.problem = _broken_link(seq)
            elif sha256((prev + body).encode()).hexdigest() != hash_:
                seg.problem = _Problem(
                    seq, f"第 {seq} 条记录的内容被改动", f"record seq {seq} was altered (hash mismatch)"
                )
            elif seq in signed and signed[seq] != hash_:
                seg.problem = _Problem(
                    seq,
                    f"第 {seq} 条记录与签名校验点不符（此前的记录被改写）",
                    f"record seq {seq} differs from its signed checkpoint (earlier records were rewritten)",
                )
            if seg.problem is not None:
                return
            prev, expected, seg.checked = hash_, seq + 1, seg.checked + 1
    seg.last_hash = prev
    if expected <= seg.end:
        seg.problem = _missing(expected)


def _walk(
    session: Session, head: Head, signed: dict[int, str], limit: int, batch_size: int, split_from: int
) -> tuple[_Problem | None, int]:
    """Follow the chain from the anchor up to ``limit`` (exclusive); the first record problem and how many passed.

    On PostgreSQL a long chain is read in two halves on two connections at once: the server builds one half's
    bodies while this process hashes the other's. The halves are joined by checking that the second half's first
    record links to the first half's last hash, which is the same check a single pass makes there.
    """
    upto = min(head.seq, limit - 1)
    dialect = session.get_bind().dialect.name
    first = head.anchor_seq + 1
    if dialect == "postgresql" and upto - first > split_from:
        middle = (first + upto) // 2
        segments = [_Segment(first, middle), _Segment(middle + 1, upto)]
        engine = session.get_bind()

        failures: list[BaseException] = []

        def read(seg: _Segment, prev: str | None) -> None:
            try:
                with engine.connect() as conn:
                    _read_segment(conn.connection.driver_connection, dialect, seg, prev, signed, batch_size)
            except BaseException as exc:  # re-raised below: a failed read is an error, never a verdict
                failures.append(exc)

        helper = threading.Thread(target=read, args=(segments[1], None), name="audit-verify")
        helper.start()
        read(segments[0], head.anchor_hash)
        helper.join()
        if failures:
            raise failures[0]
    else:
        segments = [_Segment(first, upto)]
        raw = session.connection().connection.driver_connection
        _read_segment(raw, dialect, segments[0], head.anchor_hash, signed, batch_size)
    checked, prev = 0, head.anchor_hash
    for seg in segments:
        if seg.first_prev is not None and seg.first_prev != prev:
            return _broken_link(seg.start), checked
        checked += seg.checked
        if seg.problem is not None:
            return seg.problem, checked
        prev = seg.last_hash
    if upto == head.seq and prev != head.hash:
        return _Problem(
            head.seq, "链头与最后一条记录不符", "the chain head does not match the last record"
        ), checked
    return None, checked


def verify_chain(
    session: Session,
    settings: Settings | None = None,
    *,
    trusted_public_keys: Iterable[bytes] | None = None,
    batch_size: int = BATCH,
    split_from: int = PARALLEL_FROM,
) -> VerifyResult:
    """Check the whole chain; ``ok`` with the count, or the first broken seq and why (in Chinese and English).

    Checkpoints are trusted when signed by one of ``trusted_public_keys`` (default: this platform's key).
    Records are read from committed data; on PostgreSQL chains longer than ``split_from`` in two halves at once.
    """
    trusted = (
        set(trusted_public_keys) if trusted_public_keys is not None else {signing.public_key_bytes(settings)}
    )
    # Checkpoints before the head: any checkpoint beyond the head read afterwards is then evidence, not a race.
    head = read_head(session)
    signed, problems, n_checkpoints = _checkpoint_problems(
        session, trusted, head.anchor_seq, head.anchor_hash
    )
    head = read_head(session)
    anchor = _anchor_problem(session, trusted)
    if anchor is not None:
        problems.append(anchor)
    # No record problem after the first checkpoint problem can be the first one: stop there.
    limit = min((p.seq for p in problems), default=head.seq + 1)

    found, checked = _walk(session, head, signed, limit, batch_size, split_from)
    beyond = [s for s in signed if s > head.seq]
    if beyond:
        problems.append(
            _Problem(
                head.seq + 1,
                f"签名校验点 {min(beyond)} 超出链头：末尾的记录被删除",
                f"checkpoint {min(beyond)} is beyond the head: records at the end were removed",
            )
        )
    candidates = ([found] if found else []) + problems  # a record problem wins a tie: it is more specific
    found = min(candidates, key=lambda p: p.seq) if candidates else None
    if found is not None:
        return VerifyResult(False, checked, found.seq, found.zh, found.en, head.seq, n_checkpoints)
    return VerifyResult(True, checked, None, "", "", head.seq, n_checkpoints)
