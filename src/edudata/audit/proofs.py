"""Inclusion and consistency proofs from the stored tree (Art. 30 行为追溯, Art. 59 防篡改).

An inclusion proof lets the auditor show a third party "this access is in the log of size N": the record's
leaf text, its index and the sibling hashes up to the root a signed checkpoint states. A consistency proof
shows the tree of one checkpoint is a prefix of a later one's (nothing was removed or changed in between);
witnesses cosign only with one. Subtree hashes come from the 256-leaf tiles the sequencer stored and, below
that, from the leaves' hashes, so a proof reads about N/256 + 256 hashes, never the whole log. Nothing here
needs trusting: the proofs are checked against the signed root, as :func:`merkle.verify_inclusion` does.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from edudata.audit import chain, merkle
from edudata.audit.models import TILE, AuditCheckpoint, AuditEpoch, AuditRecord, AuditTile
from edudata.audit.tree import TreeState, read_tree
from edudata.errors import NotFound, ValidationFailed


class TreeReader:
    """Subtree hashes of one epoch's tree, from tiles, leaf hashes and a purge's anchor (memoised)."""

    def __init__(self, session: Session, epoch: int, base: int, state: TreeState | None = None) -> None:
        self.session, self.epoch, self.base = session, epoch, base
        self.memo: dict[tuple[int, int], bytes] = {}
        self.tiles: dict[int, bytes] | None = None
        self.anchor: dict[tuple[int, int], bytes] = {}
        if state is not None and state.epoch == epoch and state.anchor_size:
            spans = merkle.CompactRange(state.anchor_size, state.anchor_nodes or []).spans()
            self.anchor = dict(zip(spans, state.anchor_nodes or [], strict=True))

    def _tile(self, idx: int) -> bytes:
        if self.tiles is None:
            rows = self.session.execute(
                select(AuditTile.idx, AuditTile.hash).where(AuditTile.epoch == self.epoch)
            ).all()
            self.tiles = {i: bytes.fromhex(h) for i, h in rows}
        return self.tiles[idx]

    def _leaves(self, start: int, end: int) -> list[bytes]:
        rows = self.session.execute(
            select(AuditRecord.leaf, AuditRecord.leaf_hash)
            .where(AuditRecord.leaf >= self.base + start, AuditRecord.leaf < self.base + end)
            .order_by(AuditRecord.leaf)
        ).all()
        if len(rows) != end - start:
            raise NotFound(
                "证明所需的记录已被清理或缺失", "records this proof needs were purged or are missing"
            )
        return [bytes.fromhex(h) for _, h in rows]

    def subtree(self, start: int, end: int) -> bytes:
        key = (start, end)
        if key in self.memo:
            return self.memo[key]
        n = end - start
        if key in self.anchor:
            value = self.anchor[key]
        elif n >= TILE and n & (n - 1) == 0 and start % TILE == 0:
            value = merkle.perfect_root([self._tile(i) for i in range(start // TILE, end // TILE)])
        elif n <= TILE and not any(a < end and start < b for a, b in self.anchor):
            value = merkle.root(self._leaves(start, end))
        elif n == 1:
            raise NotFound("证明所需的记录已被清理", "records this proof needs were purged")
        else:
            k = merkle.largest_power_of_two_below(n)
            value = merkle.node_hash(self.subtree(start, start + k), self.subtree(start + k, end))
        self.memo[key] = value
        return value


@dataclass(frozen=True)
class Located:
    epoch: int
    base: int


def _epoch_of(session: Session, position: int) -> Located:
    row = session.execute(
        select(AuditEpoch.epoch, AuditEpoch.base)
        .where(AuditEpoch.base <= position)
        .order_by(AuditEpoch.epoch.desc())
        .limit(1)
    ).first()
    return Located(row.epoch, row.base) if row else Located(1, 0)


def _b64(hashes: list[bytes]) -> list[str]:
    return [base64.b64encode(h).decode() for h in hashes]


def _checkpoint(session: Session, epoch: int, size: int | None, at_least: int) -> AuditCheckpoint:
    stmt = select(AuditCheckpoint).where(AuditCheckpoint.epoch == epoch, AuditCheckpoint.size >= at_least)
    if size is not None:
        stmt = stmt.where(AuditCheckpoint.size == size)
    cp = session.scalars(stmt.order_by(AuditCheckpoint.size.desc()).limit(1)).first()
    if cp is None:
        raise NotFound(
            "还没有覆盖该记录的签名校验点（稍后再试，或运行 edudata audit sign）",
            "no signed checkpoint covers that record yet (try again shortly, or run edudata audit sign)",
        )
    return cp


def inclusion(session: Session, seq: int, size: int | None = None) -> dict[str, Any]:
    """The proof that record ``seq`` is in the log as of a checkpoint (the latest, or the one of ``size``)."""
    rec = session.get(AuditRecord, seq)
    if rec is None:
        raise NotFound(f"没有编号为 {seq} 的审计记录", f"no audit record with seq {seq}")
    if rec.leaf is None:
        raise NotFound(
            "该记录尚未排入日志树（几秒内完成）",
            "that record is not in the tree yet (it will be within seconds)",
        )
    where = _epoch_of(session, rec.leaf)
    index = rec.leaf - where.base
    cp = _checkpoint(session, where.epoch, size, index + 1)
    reader = TreeReader(session, where.epoch, where.base, read_tree(session))
    body = chain.with_seq(rec.seq, rec.body)
    return {
        "seq": rec.seq,
        "position": rec.leaf,
        "epoch": where.epoch,
        "leaf_index": index,
        "tree_size": cp.size,
        "leaf": chain.leaf_data(rec.leaf, body).decode(),
        "leaf_hash": base64.b64encode(bytes.fromhex(rec.leaf_hash or "")).decode(),
        "proof": _b64(merkle.inclusion_proof(index, cp.size, reader.subtree)),
        "checkpoint": cp.note,
    }


def consistency(
    session: Session, old: int, new: int | None = None, epoch: int | None = None
) -> dict[str, Any]:
    """The proof that the epoch's tree of size ``old`` is a prefix of the one of ``new`` (default: latest)."""
    state = read_tree(session)
    epoch = epoch or state.epoch
    newer = _checkpoint(session, epoch, new, max(old, 0))
    if old < 0 or old > newer.size:
        raise ValidationFailed("大小不合法", "sizes out of order", field="old")
    base = session.scalar(select(AuditEpoch.base).where(AuditEpoch.epoch == epoch)) or 0
    reader = TreeReader(session, epoch, base, state)
    older = session.get(AuditCheckpoint, (epoch, old))
    return {
        "epoch": epoch,
        "old_size": old,
        "new_size": newer.size,
        "proof": _b64(merkle.consistency_proof(old, newer.size, reader.subtree)),
        "old_checkpoint": older.note if older else None,
        "new_checkpoint": newer.note,
    }
