"""The sequencer: integrates committed audit records into the Merkle tree in batches and signs checkpoints.

Off the request path (Art. 30, 59): a request only inserts its record; here, one process at a time (elected each
round through the database, see :mod:`edudata.audit.tree`) takes the pending records in ``seq`` order, gives each
the next log position, hashes it as an RFC 9162 leaf, extends the tree's compact range, stores a hash per 256
leaves (for proofs) and, every ``audit_checkpoint_every`` records or ``audit_checkpoint_seconds``, a signed
checkpoint. A batch is one transaction: a sequencer killed mid-batch leaves the records pending, as they were,
and the next run integrates them. It runs as a thread in ``edudata serve`` and as ``edudata audit sequence``.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from edudata.audit import merkle
from edudata.audit.checkpoints import latest_checkpoint, make_checkpoint
from edudata.audit.models import TILE, TILE_HEIGHT, AuditCheckpoint, AuditTile
from edudata.audit.tree import TreeState, save_tree, try_lock_tree
from edudata.config import Settings
from edudata.db import Database, utcnow

log = logging.getLogger("edudata.audit.sequencer")
BATCH = 20_000
TILES = AuditTile.__table__


@dataclass
class SequenceResult:
    integrated: int = 0
    state: TreeState | None = None  # None: another sequencer held the lock
    checkpoint: AuditCheckpoint | None = None
    more: bool = False  # a full batch: more may be waiting


def _pending(session: Session, limit: int) -> list[tuple[int, str]]:
    dialect = session.get_bind().dialect.name
    raw = session.connection().connection.driver_connection
    mark = "%s" if dialect == "postgresql" else "?"
    cursor = raw.cursor()
    try:
        cursor.execute(
            f'SELECT "seq", "body" FROM audit_record WHERE leaf IS NULL ORDER BY "seq" LIMIT {mark}',
            (limit,),
        )
        return cursor.fetchall()
    finally:
        cursor.close()


def _assign(session: Session, updates: list[tuple[int, int, str]]) -> None:
    """Write (seq, leaf, leaf_hash) in bulk: one statement per batch on PostgreSQL, executemany on SQLite."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        seqs, leaves, hashes = zip(*updates, strict=True)
        connection.exec_driver_sql(
            "UPDATE audit_record AS r SET leaf = v.leaf, leaf_hash = v.h "
            "FROM unnest(%s::bigint[], %s::bigint[], %s::text[]) AS v(seq, leaf, h) "
            "WHERE r.seq = v.seq AND r.leaf IS NULL",
            (list(seqs), list(leaves), list(hashes)),
        )
        return
    connection.exec_driver_sql(
        "UPDATE audit_record SET leaf = ?, leaf_hash = ? WHERE seq = ? AND leaf IS NULL",
        [(leaf, h, seq) for seq, leaf, h in updates],
    )


def _integrate(
    state: TreeState, rows: list[tuple[int, str]]
) -> tuple[list[tuple[int, int, str]], list[dict]]:
    """Extend the compact range by ``rows``; the updates to write and the tiles completed on the way."""
    nodes, size, base, sha = state.nodes, state.size, state.base, merkle._sha256
    updates, tiles = [], []
    for seq, body in rows:
        position = base + size
        # chain.leaf_data(position, chain.with_seq(seq, body)), inlined
        leaf = sha(f'\x00{position}\n["{seq}",{body[1:]}'.encode()).digest()
        updates.append((seq, position, leaf.hex()))
        nodes.append(leaf)
        s, height = size, 0
        while s & 1:
            right = nodes.pop()
            nodes[-1] = sha(b"\x01" + nodes[-1] + right).digest()
            s >>= 1
            height += 1
            if height == TILE_HEIGHT:
                tiles.append({"epoch": state.epoch, "idx": (size + 1) // TILE - 1, "hash": nodes[-1].hex()})
        size += 1
    state.size = size
    state.root = merkle.CompactRange(size, nodes).root()
    return updates, tiles


def _due(session: Session, state: TreeState, settings: Settings, now: datetime) -> bool:
    last = latest_checkpoint(session, state.epoch)
    if last is None:
        return state.size > 0
    if last.size >= state.size:
        return False
    at = last.signed_at if last.signed_at.tzinfo else last.signed_at.replace(tzinfo=now.tzinfo)
    return (
        state.size - last.size >= settings.audit_checkpoint_every
        or (now - at).total_seconds() >= settings.audit_checkpoint_seconds
    )


def sequence(
    session: Session,
    settings: Settings | None = None,
    *,
    batch: int = BATCH,
    checkpoint: bool | None = None,
    wait: bool = False,
) -> SequenceResult:
    """Integrate up to ``batch`` pending records; sign a checkpoint when due (``checkpoint=True``: always when
    the head is unsigned, ``False``: never). The caller commits. Returns without work when another process is
    the sequencer (unless ``wait``)."""
    from edudata.config import get_settings

    settings = settings or get_settings()
    state = try_lock_tree(session, wait=wait)
    if state is None:
        return SequenceResult()
    rows = _pending(session, batch)
    now = utcnow()
    result = SequenceResult(len(rows), state, None, len(rows) == batch)
    if rows:
        updates, tiles = _integrate(state, rows)
        _assign(session, updates)
        if tiles:
            session.execute(insert(TILES), tiles)
        save_tree(session, state, now)
    if checkpoint is True:
        last = latest_checkpoint(session, state.epoch)
        due = state.size > 0 and (last is None or last.size < state.size)
    else:
        due = checkpoint is None and _due(session, state, settings, now)
    if due:
        result.checkpoint = make_checkpoint(session, state, now, settings)
    return result


def sequence_all(
    database: Database, settings: Settings | None = None, *, checkpoint: bool | None = None
) -> int:
    """Integrate everything pending, batch by batch (one transaction each); how many were integrated."""
    total = 0
    while True:
        with database.session() as session:
            result = sequence(session, settings, checkpoint=False, wait=True)
            session.commit()
        total += result.integrated
        if not result.more:
            break
    if checkpoint is not False:
        with database.session() as session:
            sequence(session, settings, checkpoint=checkpoint, wait=True)
            session.commit()
    return total


def pending_count(session: Session) -> int:
    from sqlalchemy import func

    from edudata.audit.models import AuditRecord

    return (
        session.scalar(select(func.count()).select_from(AuditRecord).where(AuditRecord.leaf.is_(None))) or 0
    )


class SequencerThread:
    """The sequencer inside a server or worker process: every ``interval`` seconds, then at once while busy.

    On PostgreSQL every app server runs one and the advisory lock lets one work per round; after a round that
    signed a checkpoint, the configured witnesses are asked to cosign it.
    """

    def __init__(self, database: Database, settings: Settings, interval: float | None = None) -> None:
        self.database, self.settings = database, settings
        self.interval = interval if interval is not None else settings.audit_sequence_interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="audit-sequencer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def round(self) -> SequenceResult:
        if self.settings.audit_witnesses:
            with self.database.session() as session:
                waiting = pending_count(session)
            if waiting:  # a restore underneath us must be found before the tree grows again
                from edudata.audit.witness_client import check_witnesses

                check_witnesses(self.database, self.settings)
        with self.database.session() as session:
            result = sequence(session, self.settings)
            session.commit()
        if result.checkpoint is not None and self.settings.audit_witnesses:
            from edudata.audit.witness_client import submit_to_witnesses

            submit_to_witnesses(self.database, self.settings)
        return result

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                result = self.round()
            except Exception:  # logged loudly; the records stay pending and the next round retries
                log.exception("audit sequencing failed")
                result = SequenceResult()
            if not result.more:
                self._stop.wait(self.interval)
        try:  # sign what was integrated before stopping
            with self.database.session() as session:
                sequence(session, self.settings, checkpoint=True)
                session.commit()
        except Exception:
            log.exception("audit sequencing at shutdown failed")


def attach(app) -> None:  # noqa: ANN001 - FastAPI app
    """Run a sequencer thread for the app's lifetime (``edudata serve``) unless the interval is 0."""
    import contextlib

    settings = app.state.settings
    if settings.audit_sequence_interval <= 0:
        return
    inner = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(application):  # noqa: ANN001, ANN202 - Starlette's lifespan protocol
        thread = SequencerThread(app.state.db, settings)
        thread.start()
        try:
            async with inner(application) as state:
                yield state
        finally:
            thread.stop()

    app.router.lifespan_context = lifespan
