"""audit: from one hash chain under a lock to a Merkle tree fed by a sequencer (Art. 30, 59)

Records are now inserted with a number from the database's own counter (no chain head to lock); the sequencer
integrates them as leaves of an RFC 9162 tree and signs C2SP checkpoints. The chained records already stored
become pending leaves, in seq order, so the first sequencing run integrates them at positions seq − 1 (the
positions of purged records are not given out again). Before the chain columns are dropped the old chain is
checked once, link by link, and what was found is kept in epoch 1's record: the evidence the chain gave ends in
the tree that replaces it, not silently.

Revision ID: audit_0002
Revises: audit_0001
"""

import hashlib
import json
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "audit_0002"
down_revision = "audit_0001"
branch_labels = None
depends_on = None

EMPTY_ROOT = hashlib.sha256(b"").hexdigest()


def _legacy_chain(conn: sa.Connection, anchor_seq: int, anchor_hash: str) -> dict:
    """Follow the old chain from its anchor: how many records, intact or where it broke, and its last hash."""
    from edudata.audit.chain import body_sql

    dialect = conn.dialect.name
    sql = sa.text(
        f'SELECT "seq", "prev_hash", "hash", {body_sql(dialect)} FROM audit_record '
        'WHERE "seq" > :a AND "seq" <= :b'
    )
    top = conn.execute(sa.text("SELECT max(seq) FROM audit_record")).scalar() or 0
    prev, expected, after = anchor_hash, anchor_seq + 1, anchor_seq
    while after < top:
        rows = sorted(conn.execute(sql, {"a": after, "b": after + 10_000}).all())
        for seq, prev_hash, hash_, body in rows:
            ok = seq == expected and prev_hash == prev
            if not ok or hashlib.sha256((prev + body).encode()).hexdigest() != hash_:
                return {"records": expected - anchor_seq - 1, "intact": False, "first_bad_seq": expected}
            prev, expected = hash_, expected + 1
        after += 10_000
    return {"records": expected - anchor_seq - 1, "intact": True, "last_hash": prev}


def upgrade() -> None:
    conn = op.get_bind()
    head = conn.execute(sa.text("SELECT anchor_seq, anchor_hash FROM audit_chain_head WHERE id = 1")).first()
    anchor_seq, anchor_hash = (head[0], head[1]) if head else (0, "0" * 64)
    legacy = _legacy_chain(conn, anchor_seq, anchor_hash)
    legacy["checkpoints"] = conn.execute(sa.text("SELECT count(*) FROM audit_checkpoint")).scalar()

    op.drop_table("audit_checkpoint")
    op.drop_table("audit_chain_head")
    if conn.dialect.name == "sqlite":
        # INTEGER PRIMARY KEY AUTOINCREMENT: numbers are never reused, even after the newest row is removed.
        with op.batch_alter_table(
            "audit_record", recreate="always", table_kwargs={"sqlite_autoincrement": True}
        ) as batch:
            batch.alter_column("seq", type_=sa.Integer(), existing_nullable=False, autoincrement=True)
            batch.drop_column("prev_hash")
            batch.drop_column("hash")
            batch.add_column(sa.Column("leaf", sa.BigInteger(), nullable=True))
            batch.add_column(sa.Column("leaf_hash", sa.String(length=64), nullable=True))
    else:
        op.execute("CREATE SEQUENCE audit_record_seq_seq OWNED BY audit_record.seq")
        op.execute("SELECT setval('audit_record_seq_seq', greatest((SELECT max(seq) FROM audit_record), 1))")
        op.execute("ALTER TABLE audit_record ALTER COLUMN seq SET DEFAULT nextval('audit_record_seq_seq')")
        op.drop_column("audit_record", "prev_hash")
        op.drop_column("audit_record", "hash")
        op.add_column("audit_record", sa.Column("leaf", sa.BigInteger(), nullable=True))
        op.add_column("audit_record", sa.Column("leaf_hash", sa.String(length=64), nullable=True))
    op.create_index("ix_audit_record_leaf", "audit_record", ["leaf"], unique=True)
    op.create_index(
        "ix_audit_record_pending",
        "audit_record",
        ["seq"],
        postgresql_where=sa.text("leaf IS NULL"),
        sqlite_where=sa.text("leaf IS NULL"),
    )

    tree = op.create_table(
        "audit_tree",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("base", sa.BigInteger(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("nodes", sa.Text(), nullable=False),
        sa.Column("root", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("anchor_size", sa.BigInteger(), nullable=False),
        sa.Column("anchor_nodes", sa.Text(), nullable=False),
        sa.Column("anchor_note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_tree")),
    )
    op.create_table(
        "audit_tile",
        sa.Column("epoch", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("idx", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("epoch", "idx", name=op.f("pk_audit_tile")),
    )
    op.create_table(
        "audit_checkpoint",
        sa.Column("epoch", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("size", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("root", sa.String(length=64), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("epoch", "size", name=op.f("pk_audit_checkpoint")),
    )
    op.create_table(
        "audit_cosignature",
        sa.Column("witness", sa.String(length=200), nullable=False),
        sa.Column("epoch", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("size", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("cosigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("line", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("witness", "epoch", "size", name=op.f("pk_audit_cosignature")),
    )
    epoch = op.create_table(
        "audit_epoch",
        sa.Column("epoch", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("base", sa.BigInteger(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_seq", sa.BigInteger(), nullable=False),
        sa.Column("gap_from", sa.BigInteger(), nullable=True),
        sa.Column("gap_to", sa.BigInteger(), nullable=True),
        sa.Column("witness", sa.String(length=200), nullable=True),
        sa.Column("evidence", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("epoch", name=op.f("pk_audit_epoch")),
    )
    now = datetime.now(UTC)
    op.bulk_insert(
        tree,
        [
            {
                "id": 1,
                "epoch": 1,
                "base": anchor_seq,
                "size": 0,
                "nodes": "",
                "root": EMPTY_ROOT,
                "updated_at": now,
                "anchor_size": 0,
                "anchor_nodes": "",
                "anchor_note": None,
            }
        ],
    )
    op.bulk_insert(
        epoch,
        [
            {
                "epoch": 1,
                "base": anchor_seq,
                "started_at": now,
                "first_seq": anchor_seq + 1,
                "evidence": json.dumps({"legacy_chain": legacy}, sort_keys=True),
            }
        ],
    )


def downgrade() -> None:
    raise NotImplementedError(
        "the hash chain cannot be rebuilt from a Merkle tree without re-signing: restore a backup instead"
    )
