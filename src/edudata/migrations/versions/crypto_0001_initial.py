"""crypto: data keys and per-subject keys (Art. 27-28, 34-36).

Revision ID: crypto_0001
Revises:
Create Date: 2025-01-01
"""

import sqlalchemy as sa
from alembic import op

revision = "crypto_0001"
down_revision = None
branch_labels = ("crypto",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "crypto_data_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=200), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("master_key_version", sa.Integer(), nullable=False),
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crypto_data_key")),
        sa.UniqueConstraint("purpose", "generation", name=op.f("uq_crypto_data_key_purpose_generation")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "crypto_subject_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_ref", sa.String(length=64), nullable=False),
        sa.Column("data_key_id", sa.Integer(), nullable=False),
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("destroyed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["data_key_id"],
            ["crypto_data_key.id"],
            name=op.f("fk_crypto_subject_key_data_key_id_crypto_data_key"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crypto_subject_key")),
        sa.UniqueConstraint("subject_ref", name=op.f("uq_crypto_subject_key_subject_ref")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f("ix_crypto_subject_key_data_key_id"), "crypto_subject_key", ["data_key_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_crypto_subject_key_data_key_id"), table_name="crypto_subject_key")
    op.drop_table("crypto_subject_key")
    op.drop_table("crypto_data_key")
