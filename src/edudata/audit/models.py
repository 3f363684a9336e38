"""The audit log's tables: hash-chained records, the one-row chain head, signed checkpoints (Art. 30, 59).

Records hold plain values (account id, username, unit code) and no foreign keys, because an audit record must
outlive the account, unit or dataset it names (行为追溯). ``elements`` and ``detail`` are stored as canonical JSON
text (sorted keys, compact) so the hash covers exactly the characters stored and both databases return them
unchanged.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from edudata.db import Base

#: What the first record chains to before any purge has left an anchor.
GENESIS_HASH = "0" * 64
#: ``id`` of the single row of :class:`AuditChainHead`.
HEAD_ID = 1


class AuditRecord(Base):
    """One audited event (审计记录): who, when, from where, what operation, which dataset/elements/rows, result.

    Append-only: the service offers no update or delete; ``hash`` = SHA-256 over ``prev_hash`` and every field,
    so a changed, removed or reordered record breaks the chain at that record (Art. 59 防篡改).
    """

    __tablename__ = "audit_record"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    account_id: Mapped[int | None] = mapped_column(Integer)
    username: Mapped[str | None] = mapped_column(String(150), index=True)
    unit_code: Mapped[str | None] = mapped_column(String(32), index=True)
    source_ip: Mapped[str | None] = mapped_column(String(64))
    operation: Mapped[str] = mapped_column(String(64), index=True)
    dataset: Mapped[str | None] = mapped_column(String(200), index=True)
    elements_json: Mapped[str] = mapped_column("elements", Text)
    row_count: Mapped[int | None] = mapped_column(BigInteger)
    filter: Mapped[str | None] = mapped_column(Text)
    result: Mapped[str] = mapped_column(String(16))
    request_id: Mapped[str | None] = mapped_column(String(64))
    detail_json: Mapped[str] = mapped_column("detail", Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    @property
    def elements(self) -> list[str]:
        return json.loads(self.elements_json)

    @property
    def detail(self) -> dict[str, Any]:
        return json.loads(self.detail_json)


class AuditChainHead(Base):
    """The chain's head (last seq and hash) and its anchor, in one row locked by every append.

    Locking this row (``SELECT … FOR UPDATE`` on PostgreSQL, the write lock on SQLite) serialises appends from
    several app servers, so the chain never forks. After a purge (Art. 30 retention) the anchor holds the seq and
    hash of the last archived record, signed, so the remaining chain still verifies from there.
    """

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))
    anchor_seq: Mapped[int] = mapped_column(BigInteger)
    anchor_hash: Mapped[str] = mapped_column(String(64))
    anchor_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    anchor_key_id: Mapped[str | None] = mapped_column(String(16))
    anchor_public_key: Mapped[str | None] = mapped_column(String(64))
    anchor_signature: Mapped[str | None] = mapped_column(String(128))


class AuditCheckpoint(Base):
    """A signed head (签名校验点): Ed25519 signature over (seq, hash, signed_at) by the platform's signing key.

    Even someone able to rewrite every record and recompute every hash cannot forge these without the key.
    """

    __tablename__ = "audit_checkpoint"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[str] = mapped_column(String(64))
    signed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    key_id: Mapped[str] = mapped_column(String(16))
    public_key: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(128))
