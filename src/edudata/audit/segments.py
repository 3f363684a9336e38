"""Hashing one stretch of the log's leaves (Art. 59 防篡改), in this process or in a worker process.

A stretch is a range of log positions aligned to the 256-leaf tiles of its epoch's tree. Each record there is
hashed again from its stored body (the fields are generated from it, see :mod:`edudata.audit.chain`); a
complete tile's hash is compared with the one the sequencer stored, and the leaves of any tile that differs
with the hashes the sequencer integrated, so an edited field, or a record moved to another position, fails at
that record; a position with no record is a deleted one. The stretch returns the hash of each tile it
completed (and the leaf hashes of tiles a checkpoint ends inside), from which the caller recomputes the root
at every signed size. Stretches are independent, which makes verification parallel: CPython's SHA-256 of a
short body holds the GIL, so they run in separate processes with connections of their own.

This module imports only the standard library, so a worker process starts fast.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

TILE = 256


@dataclass
class Problem:
    position: int  # 0-based place in the log
    zh: str
    en: str
    seq: int | None = None  # the record's own number, when there is a record

    @property
    def nth(self) -> int:
        """The same place counted from 1 (第 n 条), as reports name it."""
        return self.position + 1


@dataclass
class Segment:
    """Positions [start, end) of ``epoch``, whose leaf 0 is at ``base``; ``cuts``: tiles to keep leaves of."""

    start: int
    end: int
    base: int
    epoch: int
    cuts: frozenset[int] = frozenset()
    tiles: dict[int, bytes] = field(default_factory=dict)
    leaves: dict[int, tuple[int, list[bytes]]] = field(default_factory=dict)
    checked: int = 0
    problem: Problem | None = None


def missing(position: int) -> Problem:
    return Problem(
        position,
        f"第 {position + 1} 条记录缺失（位置 {position}，已被删除或截断）",
        f"record {position + 1} (position {position}) is missing (deleted or cut off)",
    )


def altered(position: int, seq: int) -> Problem:
    return Problem(
        position,
        f"第 {position + 1} 条记录（编号 {seq}）的内容或位置被改动",
        f"record {position + 1} (seq {seq}) was altered or moved (its hash does not match)",
        seq,
    )


def stream(raw: Any, dialect: str, start: int, end: int, batch: int) -> Iterator[list[tuple]]:
    """Batches of (leaf, seq, body) with start <= leaf < end, in leaf order, as plain tuples.

    Pages by position range on the unique leaf index: small pages whatever plan stale statistics lead to, flat
    memory however long the log, no ORM objects, and no ORDER BY (a range's rows arrive nearly sorted).
    """
    mark = "%s" if dialect == "postgresql" else "?"
    sql = f'SELECT "leaf", "seq", "body" FROM audit_record WHERE "leaf" >= {mark} AND "leaf" < {mark}'
    cursor = raw.cursor()
    try:
        at = start
        while at < end:
            stop = min(at + batch, end)
            cursor.execute(sql, (at, stop))
            rows = cursor.fetchall()
            if rows:
                rows.sort()
                yield rows
            at = stop
    finally:
        cursor.close()


def _tile_root(hashes: list[bytes]) -> bytes:
    sha = hashlib.sha256
    level = hashes
    while len(level) > 1:
        it = iter(level)
        level = [sha(b"\x01" + a + b).digest() for a, b in zip(it, it, strict=True)]
    return level[0]


def _query(raw: Any, sql: str, args: tuple) -> list[tuple]:
    cursor = raw.cursor()
    try:
        cursor.execute(sql, args)
        return cursor.fetchall()
    finally:
        cursor.close()


def _stored_tiles(raw: Any, dialect: str, seg: Segment) -> dict[int, bytes]:
    """The tile hashes the sequencer stored for the stretch's complete tiles (local tile index → hash)."""
    mark = "%s" if dialect == "postgresql" else "?"
    first, last = (seg.start - seg.base) // TILE, (seg.end - seg.base) // TILE
    rows = _query(
        raw,
        f"SELECT idx, hash FROM audit_tile WHERE epoch = {mark} AND idx >= {mark} AND idx < {mark}",
        (seg.epoch, first, last),
    )
    return {idx: bytes.fromhex(h) for idx, h in rows}


def _first_altered(raw: Any, dialect: str, first: int, hashes: list[bytes]) -> Problem | None:
    """The first of the records at positions ``first``… whose hash differs from the one the sequencer stored."""
    mark = "%s" if dialect == "postgresql" else "?"
    rows = _query(
        raw,
        f'SELECT "leaf", "seq", "leaf_hash" FROM audit_record WHERE "leaf" >= {mark} AND "leaf" < {mark}',
        (first, first + len(hashes)),
    )
    for leaf, seq, stored in sorted(rows):
        if hashes[leaf - first].hex() != stored:
            return altered(leaf, seq)
    return None


def read_segment(raw: Any, dialect: str, seg: Segment, batch: int) -> Segment:
    """Hash seg.start..seg.end-1, stopping at the first problem.

    A complete tile whose hash is the one stored is taken as it is; any other tile (a stored hash differs or is
    absent, a partial tile) has its leaves compared with the leaf hashes stored, to name the first altered
    record. So the hot loop reads two numbers and the body per record and hashes, nothing else.

    Complete tiles give their hash; a tile the stretch holds only part of (after a purge's anchor, at the
    end, before a problem) and the tiles in ``cuts`` give their leaf hashes, as ``(first position, hashes)``.
    """
    sha = hashlib.sha256
    stored_tiles = _stored_tiles(raw, dialect, seg)
    expected = seg.start
    local = seg.start - seg.base
    tile: list[bytes] = []
    keep = tile.append
    tile_idx, tile_first = local // TILE, local

    def check(hashes: list[bytes]) -> bool:
        """False, with the problem noted and the good leaves kept, when one of ``hashes`` is altered."""
        problem = _first_altered(raw, dialect, seg.base + tile_first, hashes)
        if problem is None:
            return True
        seg.problem = problem
        del hashes[problem.position - seg.base - tile_first :]
        return False

    for rows in stream(raw, dialect, seg.start, seg.end, batch):
        for leaf, seq, body in rows:
            if leaf != expected:
                if check(tile):
                    seg.problem = missing(expected)
                break
            # chain.leaf_data(leaf, chain.with_seq(seq, body)), inlined: the hot loop of verification
            keep(sha(f'\x00{leaf}\n["{seq}",{body[1:]}'.encode()).digest())
            expected += 1
            local += 1
            if local % TILE == 0:
                if tile_first % TILE == 0:
                    root = _tile_root(tile)
                    if stored_tiles.get(tile_idx) != root and not check(tile):
                        break
                    seg.tiles[tile_idx] = root
                    if tile_idx in seg.cuts:
                        seg.leaves[tile_idx] = (tile_first, tile)
                else:
                    if not check(tile):
                        break
                    seg.leaves[tile_idx] = (tile_first, tile)
                tile, tile_idx, tile_first = [], tile_idx + 1, local
                keep = tile.append
        if seg.problem is not None:
            break
    if seg.problem is None and tile:
        check(tile)
    if seg.problem is None and expected < seg.end:
        seg.problem = missing(expected)
    if tile:  # the leaves before a problem still check the checkpoints that end among them
        seg.leaves[tile_idx] = (tile_first, tile)
    seg.checked = (expected if seg.problem is None else seg.problem.position) - seg.start
    return seg


def read_sqlite_segment(path: str, seg: Segment, batch: int) -> Segment:
    """:func:`read_segment` in a worker process, on its own read-only connection to the SQLite file at ``path``.

    It sees committed records only, as the caller does.
    """
    import sqlite3
    from pathlib import Path

    raw = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)
    try:
        return read_segment(raw, "sqlite", seg, batch)
    finally:
        raw.close()


def read_postgresql_segment(conninfo: str, seg: Segment, batch: int) -> Segment:
    """:func:`read_segment` in a worker process, on a connection of its own to the PostgreSQL database."""
    import psycopg

    with psycopg.connect(conninfo) as raw:
        return read_segment(raw, "postgresql", seg, batch)
