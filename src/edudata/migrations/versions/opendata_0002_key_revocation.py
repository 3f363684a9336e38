"""opendata: who revoked an open-data key and why (Art. 47)

Revision ID: opendata_0002
Revises: opendata_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "opendata_0002"
down_revision = "opendata_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("opendata_key", sa.Column("revoked_by", sa.String(150), nullable=True))
    op.add_column("opendata_key", sa.Column("revoke_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("opendata_key") as batch:
        batch.drop_column("revoke_reason")
        batch.drop_column("revoked_by")
