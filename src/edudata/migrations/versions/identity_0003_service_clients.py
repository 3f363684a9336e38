"""identity: service accounts' OAuth2 client credentials (hashed, rotated with a grace period)

Revision ID: identity_0003
Revises: identity_0002
"""

import sqlalchemy as sa
from alembic import op

revision = "identity_0003"
down_revision = "identity_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "identity_service_client",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("previous_secret_hash", sa.String(64), nullable=True),
        sa.Column("previous_valid_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(150), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rotated_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["org_account.id"], name=op.f("fk_identity_service_client_account_id_org_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_service_client")),
        sa.UniqueConstraint("client_id", name=op.f("uq_identity_service_client_client_id")),
        sa.UniqueConstraint("account_id", name=op.f("uq_identity_service_client_account_id")),
    )


def downgrade() -> None:
    op.drop_table("identity_service_client")
