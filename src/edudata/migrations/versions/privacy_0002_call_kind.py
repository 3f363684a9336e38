"""privacy: the per-account call counter also limits estimates (column ``kind``: verify | estimate)

Revision ID: privacy_0002
Revises: privacy_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "privacy_0002"
down_revision = "privacy_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "privacy_verification_call", sa.Column("kind", sa.String(16), nullable=False, server_default="verify")
    )


def downgrade() -> None:
    with op.batch_alter_table("privacy_verification_call") as batch:
        batch.drop_column("kind")
