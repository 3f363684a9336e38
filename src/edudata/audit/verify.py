"""Verifying the audit log (行为追溯, 防篡改; Art. 30, 59): leaves, tree, checkpoints, witnesses.

Every sequenced record is hashed again from its stored fields and compared with the hash integrated at its
position (an edit, a deletion or a move is named at that record); the tree is rebuilt from those hashes, tile by
tile, and its root compared at every signed size: the log's own checkpoints (valid signature by a trusted key)
and checkpoints a witness cosigned, which come from outside the database. Against a witnessed checkpoint a cut
tail (the witness saw more than the database holds) and a rewrite by someone without the key (same size,
another root) are found too. Stretches of the log are hashed at once, one per core. A rollback the sequencer
already recorded as a new epoch is reported as a gap, with its positions, never hidden.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import threading
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import partial

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from edudata.audit import merkle, note
from edudata.audit.checkpoints import origin
from edudata.audit.models import TILE_HEIGHT, AuditCheckpoint, AuditEpoch, AuditRecord
from edudata.audit.segments import (
    TILE,
    Problem,
    Segment,
    read_postgresql_segment,
    read_segment,
    read_sqlite_segment,
)
from edudata.audit.tree import read_tree
from edudata.config import Settings
from edudata.crypto import signing

BATCH = 10_000
#: Logs longer than this are cut into one stretch per core, hashed at once by workers.
PARALLEL_FROM = 100_000
#: Workers at most, beside this thread.
MAX_WORKERS = 3


@dataclass(frozen=True)
class Gap:
    """Positions [gap_from, gap_to) a witness had seen that the database lost (a restore, a cut tail)."""

    epoch: int
    gap_from: int
    gap_to: int
    started_at: str
    witness: str | None

    def describe(self) -> tuple[str, str]:
        n = self.gap_to - self.gap_from
        return (
            f"第 {self.epoch} 纪元之前丢失 {n} 条记录（位置 {self.gap_from}–{self.gap_to - 1}，见证方 {self.witness} "
            f"曾签署；{self.started_at} 发现并记录）",
            f"{n} records lost before epoch {self.epoch} (positions {self.gap_from}–{self.gap_to - 1}, cosigned by "
            f"witness {self.witness}; found and recorded at {self.started_at})",
        )


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    first_bad_seq: int | None = None  # the first bad record counted from 1 (position + 1)
    reason_zh: str = ""
    reason_en: str = ""
    head_seq: int = 0  # positions given out so far
    checkpoints: int = 0
    witnessed: int = 0
    pending: int = 0
    epoch: int = 1
    gaps: tuple[Gap, ...] = ()
    record_seq: int | None = None  # the bad record's own number, when there is one

    def summary(self) -> str:
        if not self.ok:
            return (
                f"第 {self.first_bad_seq} 条起不完整 / broken at record {self.first_bad_seq}: "
                f"{self.reason_zh} / {self.reason_en}"
            )
        text = (
            f"完整 / intact: {self.checked} 条记录 / records, {self.checkpoints} 个签名校验点 / checkpoints, "
            f"{self.witnessed} 个见证 / witnessed, {self.pending} 条待排序 / pending"
        )
        for gap in self.gaps:
            zh, en = gap.describe()
            text += f"\n缺口 / GAP: {zh} / {en}"
        return text


@dataclass
class _Point:
    size: int
    root: bytes
    label: str


@dataclass
class _Epoch:
    epoch: int
    base: int
    start: int  # first local leaf still stored (after a purge)
    size: int  # leaves still stored up to
    start_range: merkle.CompactRange
    points: dict[int, _Point] = field(default_factory=dict)
    sized: bool = True  # False: a past epoch whose end only its checkpoints tell


def _may_fork() -> bool:
    """Fork the workers only from a process with one thread (the CLI, a benchmark): a forked copy of a threaded
    server could inherit a lock another thread held. Forked workers start in milliseconds; spawned ones import
    again."""
    return os.name == "posix" and threading.active_count() == 1


def _stretch_readers(session: Session) -> tuple[Callable[[int], Executor], Callable] | None:
    """How stretches after the first are read; None: in one pass here (an in-memory SQLite database).

    Worker processes with connections of their own, on both databases: SHA-256 of a short body holds the GIL,
    so threads would take turns. Forked from a single-threaded process, spawned otherwise.
    """
    engine = session.get_bind()
    dialect = engine.dialect.name
    if dialect == "postgresql":
        conninfo = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        reader = partial(read_postgresql_segment, conninfo)
    else:
        path = engine.url.database
        if dialect != "sqlite" or not path or path == ":memory:":
            return None
        reader = partial(read_sqlite_segment, path)
    context = multiprocessing.get_context("fork" if _may_fork() else "spawn")
    return lambda n: ProcessPoolExecutor(max_workers=n, mp_context=context), reader


def _read(session: Session, ep: _Epoch, cuts: frozenset[int], batch: int, split_from: int) -> list[Segment]:
    """Hash positions of ``ep`` in tile-aligned stretches, one per core when long."""
    first, last = ep.base + ep.start, ep.base + ep.size
    n = last - first
    readers = _stretch_readers(session)
    parts = max(2, min(os.cpu_count() or 1, MAX_WORKERS + 1))
    raw = session.connection().connection.driver_connection
    dialect = session.get_bind().dialect.name
    if readers is None or n <= split_from:
        return [read_segment(raw, dialect, Segment(first, last, ep.base, ep.epoch, cuts), batch)]
    step = max(TILE, -(-n // parts // TILE) * TILE)
    inner = [ep.base + ((ep.start + k * step) // TILE) * TILE for k in range(1, parts)]
    bounds = [first, *sorted({x for x in inner if first < x < last}), last]
    segments = [Segment(a, b, ep.base, ep.epoch, cuts) for a, b in zip(bounds, bounds[1:], strict=False)]
    make_pool, read_apart = readers
    with make_pool(len(segments) - 1) as pool:
        gc.freeze()  # a forked worker must never collect (and so close) this process's database connections
        try:
            futures = [pool.submit(read_apart, seg, batch) for seg in segments[1:]]
        finally:
            gc.unfreeze()
        read_segment(raw, dialect, segments[0], batch)
        return [
            segments[0],
            *(f.result() for f in futures),
        ]  # a failed read raises: an error, never a verdict


def _check_roots(ep: _Epoch, segments: list[Segment]) -> tuple[Problem | None, int, bytes | None]:
    """Rebuild the tree from the stretches' tiles; the first problem, leaves checked, and the root at ep.size."""
    checked, leaf_problem = 0, None
    tiles: dict[int, bytes] = {}
    leaves: dict[int, tuple[int, list[bytes]]] = {}
    for seg in segments:
        checked += seg.checked
        tiles.update(seg.tiles)
        leaves.update(seg.leaves)
        if seg.problem is not None:
            leaf_problem = seg.problem
            break
    reach = ep.size if leaf_problem is None else leaf_problem.position - ep.base  # leaves known good below

    def advance(compact: merkle.CompactRange, target: int) -> None:
        while compact.size < target:
            pos = compact.size
            idx = pos // TILE
            if pos % TILE == 0 and pos + TILE <= target and idx in tiles:
                compact.append_subtree(TILE_HEIGHT, tiles[idx])
            else:
                first, hashes = leaves[idx]
                compact.append(hashes[pos - first])

    compact = ep.start_range.copy()
    root_at_size, previous = None, ep.start
    for size in sorted({*ep.points, ep.size}):
        if size < ep.start or size > reach:
            continue
        advance(compact, max(compact.size, size // TILE * TILE))
        here = compact.copy()
        advance(here, size)
        computed = here.root()
        if size == ep.size:
            root_at_size = computed
        point = ep.points.get(size)
        if point is None:
            continue
        if computed != point.root:
            at = ep.base + previous
            problem = Problem(
                at,
                f"第 {at + 1}–{ep.base + size} 条之间的记录被改写：与{point.label}（大小 {size}）的根哈希不符",
                f"records {at + 1}–{ep.base + size} were rewritten: the tree differs from {point.label} at size {size}",
            )
            return problem, checked, None
        previous = size
    return leaf_problem, checked, root_at_size


def _trusted_checkpoint(signed: str, name: str, keys: set[bytes]) -> note.Checkpoint | None:
    for key in keys:
        try:
            parsed = note.verify(signed, name, key)
        except note.NoteError:
            continue
        try:
            return note.parse_checkpoint(parsed.text)
        except note.NoteError:
            return None
    return None


def verify_log(
    session: Session,
    settings: Settings | None = None,
    *,
    trusted_public_keys: Iterable[bytes] | None = None,
    witnessed: Iterable[str] = (),
    witness_keys: Mapping[str, bytes] | None = None,
    batch_size: int = BATCH,
    split_from: int = PARALLEL_FROM,
) -> VerifyResult:
    """Check the whole log; ``ok`` with the counts, or the first bad record and why (Chinese and English).

    ``witnessed``: checkpoint notes from outside the database (a witness's state, ``edudata audit witness``);
    with ``witness_keys`` (name → public key) each must carry a valid cosignature by one of them.
    """
    keys = (
        set(trusted_public_keys) if trusted_public_keys is not None else {signing.public_key_bytes(settings)}
    )
    name = origin(settings)
    problems: list[Problem] = []
    state = read_tree(session)
    epoch_rows = session.execute(select(AuditEpoch.__table__).order_by(AuditEpoch.epoch)).all()
    bases = {r.epoch: r.base for r in epoch_rows} | {state.epoch: state.base}
    epochs: dict[int, _Epoch] = {}
    gaps = []
    for i, row in enumerate(epoch_rows):
        if row.gap_from is not None:
            gaps.append(Gap(row.epoch, row.gap_from, row.gap_to, str(row.started_at)[:19], row.witness))
        if row.epoch == state.epoch:
            continue
        later = epoch_rows[i + 1] if i + 1 < len(epoch_rows) else None
        end = later.gap_from if later is not None and later.gap_from is not None else None
        ep = _Epoch(row.epoch, row.base, 0, 0 if end is None else end - row.base, merkle.CompactRange())
        ep.sized = end is not None
        epochs[row.epoch] = ep
    anchor = merkle.CompactRange(state.anchor_size, state.anchor_nodes or [])
    if state.anchor_size and not _anchor_signed(state, name, keys):
        problems.append(
            Problem(
                state.anchor_seq,
                "清理锚点的签名无效：日志的起点被改动",
                "the purge anchor's signature is invalid: the start of the log was altered",
            )
        )
    epochs[state.epoch] = _Epoch(state.epoch, state.base, state.anchor_size, state.size, anchor)

    cp = AuditCheckpoint.__table__
    rows = session.execute(select(cp).order_by(cp.c.epoch, cp.c.size)).all()
    for row in rows:
        base = bases.get(row.epoch, 0)
        parsed = _trusted_checkpoint(row.note, name, keys)
        if parsed is None or (parsed.epoch, parsed.size, parsed.root.hex()) != (
            row.epoch,
            row.size,
            row.root,
        ):
            at = base + max(row.size - 1, 0)
            problems.append(
                Problem(
                    at,
                    f"第 {row.epoch} 纪元大小 {row.size} 的签名校验点不是由受信任的密钥签署（伪造或篡改）",
                    f"checkpoint (epoch {row.epoch}, size {row.size}) is not validly signed by a trusted key "
                    "(forged or altered)",
                )
            )
            continue
        ep = epochs.get(row.epoch)
        if ep is not None:
            if not ep.sized:
                ep.size = max(ep.size, row.size)
            ep.points.setdefault(
                row.size, _Point(row.size, parsed.root, "签名校验点 / the signed checkpoint")
            )

    n_witnessed = 0
    for signed in witnessed:
        parsed = _trusted_checkpoint(signed, name, keys)
        cosigned = witness_keys is None or any(
            _cosigned(signed, wname, wkey) for wname, wkey in witness_keys.items()
        )
        if parsed is None or not cosigned:
            problems.append(
                Problem(
                    state.seq,
                    "见证方提供的校验点签名无效",
                    "a witnessed checkpoint carries no valid signature of the log and its witness",
                )
            )
            continue
        n_witnessed += 1
        label = "见证方签署的校验点 / the witnessed checkpoint"
        ep = epochs.get(parsed.epoch)
        if ep is None or parsed.epoch > state.epoch:
            problems.append(
                Problem(
                    state.seq,
                    f"见证方见过第 {parsed.epoch} 纪元，本库没有：日志被回滚到更早的备份",
                    f"the witness saw epoch {parsed.epoch}, which this database lacks: the log was rolled back",
                )
            )
            continue
        if parsed.size > ep.size:
            covered = any(g.epoch > ep.epoch and g.gap_from <= ep.base + ep.size for g in gaps)
            if not covered:
                at = ep.base + max(ep.size, 0)
                problems.append(
                    Problem(
                        at,
                        f"末尾的记录被删除：见证方签署过 {parsed.size} 条，库中只有 {ep.size} 条（自第 {at + 1} 条起缺失）",
                        f"records at the end were removed: the witness cosigned {parsed.size}, the database holds "
                        f"{ep.size} (missing from record {at + 1})",
                    )
                )
            continue
        known = ep.points.get(parsed.size)
        if known is not None and known.root != parsed.root:
            problems.append(
                Problem(
                    ep.base + parsed.size - 1,
                    f"日志密钥对大小 {parsed.size} 签署了两个不同的根（分叉）",
                    f"the log's key signed two different roots at size {parsed.size} (a fork)",
                )
            )
            continue
        ep.points[parsed.size] = _Point(parsed.size, parsed.root, label)

    checked = 0
    for ep in sorted(epochs.values(), key=lambda e: e.epoch):
        limit = min((p.position for p in problems), default=None)
        if limit is not None and limit < ep.base + ep.start:
            break
        cuts = frozenset({s // TILE for s in (*ep.points, ep.size) if s % TILE})
        segments = _read(session, ep, cuts, batch_size, split_from)
        found, n, root_now = _check_roots(ep, segments)
        checked += n
        if found is not None:
            problems.append(found)
        elif ep.epoch == state.epoch and root_now is not None and root_now != state.root:
            problems.append(
                Problem(
                    ep.base + ep.size,
                    "树的状态与记录不符（被改动）",
                    "the tree's stored state does not match its records (altered)",
                )
            )

    beyond = session.scalar(select(func.count()).where(AuditRecord.leaf >= state.seq)) or 0
    if beyond:
        problems.append(
            Problem(
                state.seq,
                f"有 {beyond} 条记录的位置超出了树的大小（被插入）",
                f"{beyond} records claim positions beyond the tree's size (inserted)",
            )
        )
    pending = session.scalar(select(func.count()).where(AuditRecord.leaf.is_(None))) or 0
    common = {
        "head_seq": state.seq,
        "checkpoints": len(rows),
        "witnessed": n_witnessed,
        "pending": pending,
        "epoch": state.epoch,
        "gaps": tuple(gaps),
    }
    if problems:
        first = min(problems, key=lambda p: p.position)
        return VerifyResult(False, checked, first.nth, first.zh, first.en, record_seq=first.seq, **common)
    return VerifyResult(True, checked, **common)


def _anchor_signed(state, name: str, keys: set[bytes]) -> bool:  # noqa: ANN001 - a TreeState
    from edudata.audit.retention import anchor_text

    expected = anchor_text(name, state.epoch, state.base, state.anchor_size, state.anchor_nodes or [])
    for key in keys:
        try:
            if note.verify(state.anchor_note or "", name, key).text == expected:
                return True
        except note.NoteError:
            continue
    return False


def _cosigned(signed: str, name: str, key: bytes) -> bool:
    try:
        note.verify_cosignature(signed, name, key)
    except note.NoteError:
        return False
    return True


#: The name the other domains (inspection, restore drills) call it by.
verify_chain = verify_log
