"""ingest: the office's settings of collection (the staging retention, Art. 35), one row.

Revision ID: ingest_0003
Revises: ingest_0002
"""

import sqlalchemy as sa
from alembic import op

revision = "ingest_0003"
down_revision = "ingest_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ingest_setting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staging_retention_days", sa.Integer(), nullable=True),
        sa.Column("updated_by", sa.String(150), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ingest_setting")),
    )


def downgrade() -> None:
    op.drop_table("ingest_setting")
