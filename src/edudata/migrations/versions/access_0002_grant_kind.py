"""access: a grant's kind — read (elements delivered) or verify (用而不存, Art. 51: checked, never read)

Revision ID: access_0002
Revises: access_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "access_0002"
down_revision = "access_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("access_grant", sa.Column("kind", sa.String(16), nullable=False, server_default="read"))


def downgrade() -> None:
    with op.batch_alter_table("access_grant") as batch:
        batch.drop_column("kind")
