"""privacy: education apps and their personal-information security certification (Art. 50).

Revision ID: privacy_0003
Revises: privacy_0002
"""

import sqlalchemy as sa
from alembic import op

revision = "privacy_0003"
down_revision = "privacy_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("privacy_system") as batch:
        batch.add_column(sa.Column("is_app", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        "privacy_app_certification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("system_id", sa.Integer(), nullable=False),
        sa.Column("certifier", sa.String(length=200), nullable=False),
        sa.Column("certificate_no", sa.String(length=100), nullable=False),
        sa.Column("certified_on", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("recorded_by", sa.String(length=150), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["system_id"],
            ["privacy_system.id"],
            name=op.f("fk_privacy_app_certification_system_id_privacy_system"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_app_certification")),
    )
    op.create_index(
        op.f("ix_privacy_app_certification_system_id"), "privacy_app_certification", ["system_id"]
    )


def downgrade() -> None:
    op.drop_table("privacy_app_certification")
    with op.batch_alter_table("privacy_system") as batch:
        batch.drop_column("is_app")
