"""The tree's state row and its lock: one writer (the sequencer) at a time, so the log never forks (Art. 59).

PostgreSQL: whoever holds the advisory lock :data:`LOCK_KEY` for its transaction is the sequencer (app servers
and workers all try; one wins each round, the others skip), and the state row is also locked ``FOR UPDATE``.
SQLite: the database's single write lock, taken before the state is read.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from edudata.audit import merkle
from edudata.audit.models import TREE_ID, AuditEpoch, AuditTree

TREE = AuditTree.__table__
EPOCHS = AuditEpoch.__table__
#: PostgreSQL advisory lock held by the sequencer for one transaction ("edudata audit" as a 64-bit key).
LOCK_KEY = 0x6564756461756474


def encode_nodes(nodes: list[bytes]) -> str:
    return ",".join(n.hex() for n in nodes)


def decode_nodes(value: str) -> list[bytes]:
    return [bytes.fromhex(n) for n in value.split(",")] if value else []


@dataclass
class TreeState:
    epoch: int
    base: int  # log position of this epoch's leaf 0
    size: int  # leaves in this epoch's tree
    nodes: list[bytes]
    root: bytes
    anchor_size: int = 0  # leaves of this epoch removed by a purge (their compact range is the anchor)
    anchor_nodes: list[bytes] | None = None
    anchor_note: str | None = None

    @property
    def seq(self) -> int:
        """The number of positions given out so far (the next record's position): reports call it the head."""
        return self.base + self.size

    @property
    def anchor_seq(self) -> int:
        return self.base + self.anchor_size

    def compact(self) -> merkle.CompactRange:
        return merkle.CompactRange(self.size, self.nodes)


def _dialect_insert(session: Session):  # noqa: ANN202 - the dialect's insert construct
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def ensure_tree(session: Session) -> None:
    """Create the state row (an empty epoch 1) when absent; safe when several processes do it at once."""
    insert = _dialect_insert(session)
    values = {
        "id": TREE_ID,
        "epoch": 1,
        "base": 0,
        "size": 0,
        "nodes": "",
        "root": merkle.EMPTY_ROOT.hex(),
        "anchor_size": 0,
        "anchor_nodes": "",
    }
    session.execute(insert(TREE).values(values).on_conflict_do_nothing(index_elements=["id"]))
    from edudata.db import utcnow

    session.execute(
        insert(EPOCHS)
        .values(epoch=1, base=0, started_at=utcnow(), first_seq=1)
        .on_conflict_do_nothing(index_elements=["epoch"])
    )


def _state(row) -> TreeState:  # noqa: ANN001 - a Row of TREE
    return TreeState(
        row.epoch,
        row.base,
        row.size,
        decode_nodes(row.nodes),
        bytes.fromhex(row.root),
        row.anchor_size,
        decode_nodes(row.anchor_nodes),
        row.anchor_note,
    )


def read_tree(session: Session) -> TreeState:
    """The state without locking (reports, proofs, verification)."""
    row = session.execute(select(TREE).where(TREE.c.id == TREE_ID)).first()
    if row is None:
        return TreeState(1, 0, 0, [], merkle.EMPTY_ROOT, 0, [], None)
    return _state(row)


def try_lock_tree(session: Session, wait: bool = False) -> TreeState | None:
    """Become the sequencer for this transaction and return the state; None if another one is at work."""
    is_pg = session.get_bind().dialect.name == "postgresql"
    if is_pg:
        fn = "pg_advisory_xact_lock" if wait else "pg_try_advisory_xact_lock"
        got = session.execute(text(f"SELECT {fn}(:k)"), {"k": LOCK_KEY}).scalar()
        if not wait and not got:
            return None
    for _ in range(2):
        if is_pg:
            row = session.execute(select(TREE).where(TREE.c.id == TREE_ID).with_for_update()).first()
        else:
            # A no-op write first takes SQLite's write lock, so what we read next cannot change under us.
            session.execute(update(TREE).where(TREE.c.id == TREE_ID).values(size=TREE.c.size))
            row = session.execute(select(TREE).where(TREE.c.id == TREE_ID)).first()
        if row is not None:
            return _state(row)
        ensure_tree(session)
    raise RuntimeError("audit tree state could not be created")


def lock_tree(session: Session) -> TreeState:
    """Wait for the sequencer's lock (purge, epoch change) and return the state."""
    state = try_lock_tree(session, wait=True)
    assert state is not None
    return state


def save_tree(session: Session, state: TreeState, when) -> None:  # noqa: ANN001 - datetime
    session.execute(
        update(TREE)
        .where(TREE.c.id == TREE_ID)
        .values(
            epoch=state.epoch,
            base=state.base,
            size=state.size,
            nodes=encode_nodes(state.nodes),
            root=state.root.hex(),
            updated_at=when,
            anchor_size=state.anchor_size,
            anchor_nodes=encode_nodes(state.anchor_nodes or []),
            anchor_note=state.anchor_note,
        )
    )
