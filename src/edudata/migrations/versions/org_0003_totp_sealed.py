"""org: second-factor seeds sealed under the key ring (wider column); ``edudata db upgrade`` then seals the
seeds still stored in clear (identity.totp.seal_clear_seeds: the master key is not the migration's to read)

Revision ID: org_0003
Revises: org_0002
"""

import sqlalchemy as sa
from alembic import op

revision = "org_0003"
down_revision = "org_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("org_account") as batch:
        batch.alter_column(
            "totp_secret", type_=sa.String(255), existing_type=sa.String(64), existing_nullable=True
        )


def downgrade() -> None:
    with op.batch_alter_table("org_account") as batch:
        batch.alter_column(
            "totp_secret", type_=sa.String(64), existing_type=sa.String(255), existing_nullable=True
        )
