"""access: grants and the policy epoch

Revision ID: access_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "access_0001"
down_revision = None
branch_labels = ("access",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "access_grant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset_code", sa.String(64), nullable=False),
        sa.Column("grantee_unit_code", sa.String(32), nullable=False),
        sa.Column("grantee_account_id", sa.Integer(), nullable=True),
        sa.Column("elements", sa.JSON(), nullable=False),
        sa.Column("row_filter", sa.JSON(), nullable=True),
        sa.Column("masking", sa.JSON(), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("deidentified", sa.Boolean(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.String(150), nullable=True),
        sa.Column("revoke_reason", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(150), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_grant")),
    )
    op.create_index(op.f("ix_access_grant_dataset_code"), "access_grant", ["dataset_code"])
    op.create_index(op.f("ix_access_grant_grantee_unit_code"), "access_grant", ["grantee_unit_code"])
    op.create_table(
        "access_policy_epoch",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_policy_epoch")),
    )


def downgrade() -> None:
    op.drop_table("access_policy_epoch")
    op.drop_index(op.f("ix_access_grant_grantee_unit_code"), table_name="access_grant")
    op.drop_index(op.f("ix_access_grant_dataset_code"), table_name="access_grant")
    op.drop_table("access_grant")
