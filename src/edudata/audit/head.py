"""The one-row chain head: locked by every append so concurrent writers never fork the chain (Art. 59)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from edudata.audit.models import GENESIS_HASH, HEAD_ID, AuditChainHead

HEAD = AuditChainHead.__table__


@dataclass(frozen=True)
class Head:
    seq: int
    hash: str
    anchor_seq: int
    anchor_hash: str


def ensure_head(session: Session) -> None:
    """Create the head row (genesis) when absent; safe when several processes do it at once."""
    values = {
        "id": HEAD_ID,
        "seq": 0,
        "hash": GENESIS_HASH,
        "anchor_seq": 0,
        "anchor_hash": GENESIS_HASH,
    }
    dialect = session.get_bind().dialect.name
    stmt = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(HEAD).values(values)
    session.execute(stmt.on_conflict_do_nothing(index_elements=["id"]))


def lock_head(session: Session) -> Head:
    """Take the chain lock inside the caller's transaction and return the current head.

    PostgreSQL: ``SELECT … FOR UPDATE`` on the head row (held until commit/rollback). SQLite: a no-op UPDATE
    first, which takes the database write lock (waiting on ``busy_timeout``) before anything is read, so the head
    we read cannot change under us.
    """
    columns = (HEAD.c.seq, HEAD.c.hash, HEAD.c.anchor_seq, HEAD.c.anchor_hash)
    is_pg = session.get_bind().dialect.name == "postgresql"
    for _ in range(2):
        if is_pg:
            row = session.execute(select(*columns).where(HEAD.c.id == HEAD_ID).with_for_update()).first()
        else:
            session.execute(update(HEAD).where(HEAD.c.id == HEAD_ID).values(seq=HEAD.c.seq))
            row = session.execute(select(*columns).where(HEAD.c.id == HEAD_ID)).first()
        if row is not None:
            return Head(*row)
        ensure_head(session)
    raise RuntimeError("audit chain head could not be created")


def read_head(session: Session) -> Head:
    """The head without locking (for reports and verification)."""
    columns = (HEAD.c.seq, HEAD.c.hash, HEAD.c.anchor_seq, HEAD.c.anchor_hash)
    row = session.execute(select(*columns).where(HEAD.c.id == HEAD_ID)).first()
    return Head(*row) if row else Head(0, GENESIS_HASH, 0, GENESIS_HASH)
