"""access: a grant's kind of purpose (Art. 32, 54) — business, statistics, research or decision analysis

Revision ID: access_0004
Revises: access_0003
"""

import sqlalchemy as sa
from alembic import op

revision = "access_0004"
down_revision = "access_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("access_grant", sa.Column("purpose_kind", sa.String(16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("access_grant") as batch:
        batch.drop_column("purpose_kind")
