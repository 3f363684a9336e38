"""access: the register of copies handed out (exports, packages, grant deliveries) and the people in each (Art. 35)

Revision ID: access_0003
Revises: access_0002
"""

import sqlalchemy as sa
from alembic import op

revision = "access_0003"
down_revision = "access_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "access_copy",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("dataset_code", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("username", sa.String(length=150), nullable=True),
        sa.Column("unit_code", sa.String(length=32), nullable=True),
        sa.Column("grant_id", sa.Integer(), nullable=True),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("made_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_copy")),
    )
    op.create_index(op.f("ix_access_copy_dataset_code"), "access_copy", ["dataset_code"])
    op.create_table(
        "access_copy_subject",
        sa.Column("copy_id", sa.Integer(), nullable=False),
        sa.Column("subject_ref", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["copy_id"],
            ["access_copy.id"],
            name=op.f("fk_access_copy_subject_copy_id_access_copy"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("copy_id", "subject_ref", name=op.f("pk_access_copy_subject")),
    )
    op.create_index(op.f("ix_access_copy_subject_subject_ref"), "access_copy_subject", ["subject_ref"])


def downgrade() -> None:
    op.drop_index(op.f("ix_access_copy_subject_subject_ref"), table_name="access_copy_subject")
    op.drop_table("access_copy_subject")
    op.drop_index(op.f("ix_access_copy_dataset_code"), table_name="access_copy")
    op.drop_table("access_copy")
