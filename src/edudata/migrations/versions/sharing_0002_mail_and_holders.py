"""sharing: why a credential was revoked (its holder), notification mail outcomes, expiry reminders

Revision ID: sharing_0002
Revises: sharing_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "sharing_0002"
down_revision = "sharing_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("sharing_credential", sa.Column("revoke_reason", sa.String(32), nullable=True))
    op.add_column("sharing_notification", sa.Column("mail_state", sa.String(16), nullable=True))
    op.add_column("sharing_notification", sa.Column("mail_error", sa.String(300), nullable=True))
    op.add_column("sharing_notification", sa.Column("mailed_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "sharing_application", sa.Column("expiry_notified_at", sa.DateTime(timezone=True), nullable=True)
    )


def downgrade() -> None:
    with op.batch_alter_table("sharing_application") as batch:
        batch.drop_column("expiry_notified_at")
    with op.batch_alter_table("sharing_notification") as batch:
        batch.drop_column("mailed_at")
        batch.drop_column("mail_error")
        batch.drop_column("mail_state")
    with op.batch_alter_table("sharing_credential") as batch:
        batch.drop_column("revoke_reason")
