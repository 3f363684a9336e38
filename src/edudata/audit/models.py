"""The audit log's tables: records, their Merkle tree, signed checkpoints, cosignatures, epochs (Art. 30, 59).

Records hold plain values (account id, username, unit code) and no foreign keys, because an audit record must
outlive the account, unit or dataset it names (行为追溯). A record is stored as the text its leaf hash covers
(``body``, built once by the append, :mod:`edudata.audit.chain`), and no searchable field can be edited apart
from that text: on SQLite they are virtual columns generated from it (the indexed ones kept in their index); on
PostgreSQL, where thirteen generated columns would parse the JSON thirteen times per insert (measured 3x slower
appends), the append writes them beside the body and a CHECK constraint (``ck_audit_record_body``, migration
``audit_0004``) refuses any row whose fields do not encode to its body. Verification reads the body alone.
``elements`` and ``detail`` are canonical JSON text (sorted keys, compact) inside the body.

A record is inserted by the request that it records, in the same transaction, with nothing but an insert (its
``seq`` comes from the database's own counter). The sequencer later gives it a ``leaf`` (its position in the log)
and the ``leaf_hash`` it integrated into the tree; both are written once.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, DateTime, Index, Integer, String, Text, and_, or_, text
from sqlalchemy.orm import Mapped, mapped_column

from edudata.db import Base

#: ``id`` of the single row of :class:`AuditTree`.
TREE_ID = 1
#: Leaves per stored subtree hash (a tile): proofs need N/256 stored hashes, never every leaf.
TILE_HEIGHT = 8
TILE = 1 << TILE_HEIGHT

#: Columns the auditor searches by (on PostgreSQL indexed over sequenced records: ``leaf IS NOT NULL``).
SEARCHED = ("username", "unit_code", "operation", "dataset")

_SeqType = BigInteger().with_variant(Integer(), "sqlite")  # SQLite: INTEGER PRIMARY KEY AUTOINCREMENT


class AuditRecord(Base):
    """One audited event (审计记录): who, when, from where, what operation, which dataset/elements/rows, result.

    Append-only: the service offers no update or delete. Its leaf hash is SHA-256(0x00 ‖ body), body being the
    canonical encoding of every field (:mod:`edudata.audit.chain`); the tree over the leaf hashes is signed, so
    any edit, removal or reordering after sequencing is found (Art. 59 防篡改).
    """

    __tablename__ = "audit_record"
    __table_args__ = (
        # A position is unique; a pending record has none and no entry (audit_0005): reads by position ask for
        # values or ranges of ``leaf``, which imply it.
        Index(
            "ix_audit_record_leaf",
            "leaf",
            unique=True,
            postgresql_where=text("leaf IS NOT NULL"),
            sqlite_where=text("leaf IS NOT NULL"),
        ),
        # The auditor's search indexes cover sequenced records only, so a request's append writes no search
        # entry (audit_0003 on PostgreSQL, audit_0005 on SQLite): the sequencer writes them, in batches, off
        # the request path. (PostgreSQL's update of ``leaf`` writes a new row version with entries in every
        # index anyway; on SQLite, where each search field is extracted from the body for its index, the
        # append did four extractions and index inserts for them.) Searches ask both halves (:func:`indexed`).
        *(
            Index(
                f"ix_audit_record_{column}",
                column,
                postgresql_where=text("leaf IS NOT NULL"),
                sqlite_where=text("leaf IS NOT NULL"),
            )
            for column in SEARCHED
        ),
        # What the sequencer has still to integrate: small, whatever the size of the log.
        Index(
            "ix_audit_record_pending",
            "seq",
            postgresql_where=text("leaf IS NULL"),
            sqlite_where=text("leaf IS NULL"),
        ),
        {"sqlite_autoincrement": True},
    )

    seq: Mapped[int] = mapped_column(_SeqType, primary_key=True, autoincrement=True)
    #: The record as hashed (:func:`edudata.audit.chain.stored_body`), written once by the append; the fields
    #: below cannot disagree with it (generated from it on SQLite, held to it by a CHECK on PostgreSQL).
    body: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    account_id: Mapped[int | None] = mapped_column(Integer)
    username: Mapped[str | None] = mapped_column(String(150))
    unit_code: Mapped[str | None] = mapped_column(String(32))
    source_ip: Mapped[str | None] = mapped_column(String(64))
    operation: Mapped[str] = mapped_column(String(64))
    dataset: Mapped[str | None] = mapped_column(String(200))
    elements_json: Mapped[str] = mapped_column("elements", Text)
    row_count: Mapped[int | None] = mapped_column(BigInteger)
    filter: Mapped[str | None] = mapped_column(Text)
    result: Mapped[str] = mapped_column(String(16))
    request_id: Mapped[str | None] = mapped_column(String(64))
    detail_json: Mapped[str] = mapped_column("detail", Text)
    leaf: Mapped[int | None] = mapped_column(BigInteger)
    leaf_hash: Mapped[str | None] = mapped_column(String(64))

    @property
    def elements(self) -> list[str]:
        return json.loads(self.elements_json)

    @property
    def detail(self) -> dict[str, Any]:
        return json.loads(self.detail_json)


def indexed(condition: ColumnElement[bool]) -> ColumnElement[bool]:
    """``condition`` on :data:`SEARCHED` columns, written so PostgreSQL uses its partial search indexes:
    (condition AND sequenced) OR (condition AND pending), the second half read from the small pending index."""
    leaf = AuditRecord.__table__.c.leaf
    return or_(and_(condition, leaf.is_not(None)), and_(condition, leaf.is_(None)))


class AuditTree(Base):
    """The current epoch's tree: its size, compact range and root, and the anchor a purge left (one row).

    Only the sequencer writes it, holding its lock (a PostgreSQL advisory lock plus this row, SQLite's write
    lock), so the tree never forks. ``nodes`` is the compact range (hex, comma-separated): enough to append and
    to compute the root. After a purge the anchor holds the compact range of the removed prefix, signed, so the
    remaining leaves still verify from there (Art. 30 retention).
    """

    __tablename__ = "audit_tree"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    epoch: Mapped[int] = mapped_column(Integer)
    base: Mapped[int] = mapped_column(BigInteger)
    size: Mapped[int] = mapped_column(BigInteger)
    nodes: Mapped[str] = mapped_column(Text)
    root: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    anchor_size: Mapped[int] = mapped_column(BigInteger)
    anchor_nodes: Mapped[str] = mapped_column(Text)
    anchor_note: Mapped[str | None] = mapped_column(Text)


class AuditTile(Base):
    """The hash of leaves [idx·256, (idx+1)·256) of an epoch's tree: what proofs are built from."""

    __tablename__ = "audit_tile"

    epoch: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[str] = mapped_column(String(64))


class AuditCheckpoint(Base):
    """A signed tree head (签名校验点) as a C2SP signed note: origin, size, root, time, epoch.

    Even someone able to rewrite every record and recompute every hash cannot forge these without the key.
    """

    __tablename__ = "audit_checkpoint"

    epoch: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    root: Mapped[str] = mapped_column(String(64))
    signed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    key_id: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text)

    @property
    def seq(self) -> int:
        """How many positions of the whole log this checkpoint covers (its epoch's base + size)."""
        for line in self.note.split("\n\n", 1)[0].split("\n")[3:]:
            words = line.split(" ")
            if len(words) == 4 and words[0] == "epoch":
                return int(words[3]) + self.size
        return self.size


class AuditCosignature(Base):
    """A witness's cosignature of a checkpoint: the witness saw it, consistent with all it saw before."""

    __tablename__ = "audit_cosignature"

    witness: Mapped[str] = mapped_column(String(200), primary_key=True)
    epoch: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    cosigned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    line: Mapped[str] = mapped_column(Text)


class AuditEpoch(Base):
    """One stretch of the log with a tree of its own; a new one begins when a rollback is found (never silent).

    ``gap_from``–``gap_to`` are the log positions the witness had cosigned but the database no longer holds (a
    restore from an older backup, or a cut tail): stated, shown to the auditor, never given out again.
    """

    __tablename__ = "audit_epoch"

    epoch: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    base: Mapped[int] = mapped_column(BigInteger)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    first_seq: Mapped[int] = mapped_column(BigInteger)
    gap_from: Mapped[int | None] = mapped_column(BigInteger)
    gap_to: Mapped[int | None] = mapped_column(BigInteger)
    witness: Mapped[str | None] = mapped_column(String(200))
    evidence: Mapped[str | None] = mapped_column(Text)  # the witness's cosigned checkpoint that shows the gap
    note: Mapped[str | None] = mapped_column(Text)  # the log's signed statement of the new epoch
