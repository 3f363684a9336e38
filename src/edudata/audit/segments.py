"""Hashing one stretch of the audit chain (Art. 59 防篡改), in this process or in a worker process.

Every record carries its own ``prev_hash`` and ``hash``, so a stretch of seqs can be checked on its own: each
record's hash is recomputed from its body and the link it claims, and each link is compared with the record
before it. Stretches are then joined by comparing each one's first link with the previous one's last hash —
the same comparison a single pass makes there. That makes verification parallel: CPython's SHA-256 of a short
body holds the GIL, so on SQLite the stretches run in separate processes, each with a connection of its own.

This module imports only the standard library and :mod:`edudata.audit.chain`, so a worker process starts fast.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from edudata.audit import chain


@dataclass
class Problem:
    seq: int
    zh: str
    en: str


@dataclass
class Segment:
    """What one reader found in seqs [start, end]: its first link, where it stopped, and why."""

    start: int
    end: int
    first_prev: str | None = None
    last_hash: str | None = None
    checked: int = 0
    problem: Problem | None = None


def missing(seq: int) -> Problem:
    return Problem(seq, f"第 {seq} 条记录缺失（已被删除）", f"record seq {seq} is missing (deleted)")


def broken_link(seq: int) -> Problem:
    return Problem(
        seq,
        f"第 {seq} 条记录与前一条的链接断开（被删除、插入或调换顺序）",
        f"record seq {seq} does not link to the previous one (removed, inserted or reordered)",
    )


def stream(raw: Any, dialect: str, after: int, upto: int, batch: int) -> Iterator[list[tuple]]:
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


def read_segment(
    raw: Any, dialect: str, seg: Segment, prev: str | None, signed: dict[int, str], batch: int
) -> Segment:
    """Hash seg.start..seg.end; ``prev`` is the trusted link in, or None to take the first record's as given."""
    sha256 = hashlib.sha256
    expected = seg.start
    for rows in stream(raw, dialect, seg.start - 1, seg.end, batch):
        for seq, prev_hash, hash_, body in rows:
            if seq != expected:
                seg.problem = missing(expected)
                return seg
            if prev is None:
                prev = seg.first_prev = prev_hash
            if prev_hash != prev:
                seg.problem = broken_link(seq)
            elif sha256((prev + body).encode()).hexdigest() != hash_:
                seg.problem = Problem(
                    seq, f"第 {seq} 条记录的内容被改动", f"record seq {seq} was altered (hash mismatch)"
                )
            elif seq in signed and signed[seq] != hash_:
                seg.problem = Problem(
                    seq,
                    f"第 {seq} 条记录与签名校验点不符（此前的记录被改写）",
                    f"record seq {seq} differs from its signed checkpoint (earlier records were rewritten)",
                )
            if seg.problem is not None:
                return seg
            prev, expected, seg.checked = hash_, seq + 1, seg.checked + 1
    seg.last_hash = prev
    if expected <= seg.end:
        seg.problem = missing(expected)
    return seg


def read_sqlite_segment(path: str, seg: Segment, signed: dict[int, str], batch: int) -> Segment:
    """:func:`read_segment` in a worker process, on its own read-only connection to the SQLite file at ``path``.

    It sees committed records only, as the caller does.
    """
    import sqlite3
    from pathlib import Path

    raw = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)
    try:
        return read_segment(raw, "sqlite", seg, None, signed, batch)
    finally:
        raw.close()
