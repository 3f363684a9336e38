"""org: an optional e-mail address on accounts, for notifications (待办提醒)

Revision ID: org_0002
Revises: org_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "org_0002"
down_revision = "org_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("org_account", sa.Column("email", sa.String(254), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("org_account") as batch:
        batch.drop_column("email")
