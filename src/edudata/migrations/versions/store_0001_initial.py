"""store: registry of governed dataset tables

Revision ID: store_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "store_0001"
down_revision = None
branch_labels = ("store",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "store_table",
        sa.Column("dataset_code", sa.String(64), nullable=False),
        sa.Column("table_name", sa.String(80), nullable=False),
        sa.Column("layout_hash", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("dataset_code", name=op.f("pk_store_table")),
        sa.UniqueConstraint("table_name", name=op.f("uq_store_table_table_name")),
    )


def downgrade() -> None:
    op.drop_table("store_table")
