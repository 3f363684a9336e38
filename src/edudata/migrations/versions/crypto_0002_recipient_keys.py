"""crypto: recipients' X25519 public keys for sealed packages of important data (Art. 26).

Revision ID: crypto_0002
Revises: crypto_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "crypto_0002"
down_revision = "crypto_0001"
branch_labels = None
depends_on = "org_0001"


def upgrade() -> None:
    op.create_table(
        "crypto_recipient_key",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("public_key", sa.String(length=64), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["org_account.id"], name=op.f("fk_crypto_recipient_key_account_id_org_account")
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_crypto_recipient_key")),
    )


def downgrade() -> None:
    op.drop_table("crypto_recipient_key")
