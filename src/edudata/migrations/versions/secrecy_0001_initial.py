"""secrecy: 涉密 markings and the register of handling secret data (Art. 56-57).

Revision ID: secrecy_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "secrecy_0001"
down_revision = None
branch_labels = ("secrecy",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "secrecy_marking",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset_code", sa.String(length=48), nullable=False),
        sa.Column("element_code", sa.String(length=32), nullable=False),
        sa.Column("basis", sa.Text(), nullable=False),
        sa.Column("marked_by", sa.String(length=64), nullable=False),
        sa.Column("marked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lifted_by", sa.String(length=64), nullable=True),
        sa.Column("lifted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_secrecy_marking")),
        sa.UniqueConstraint(
            "dataset_code", "element_code", name=op.f("uq_secrecy_marking_dataset_code_element_code")
        ),
    )
    op.create_index(op.f("ix_secrecy_marking_dataset_code"), "secrecy_marking", ["dataset_code"])
    op.create_table(
        "secrecy_register_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset_code", sa.String(length=48), nullable=False),
        sa.Column("element_code", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("recipient", sa.String(length=200), nullable=False),
        sa.Column("external", sa.Boolean(), nullable=False),
        sa.Column("authority_approval", sa.String(length=200), nullable=False),
        sa.Column("agreement_ref", sa.String(length=200), nullable=False),
        sa.Column("requested_by", sa.String(length=64), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_secrecy_register_entry")),
    )
    op.create_index(
        op.f("ix_secrecy_register_entry_dataset_code"), "secrecy_register_entry", ["dataset_code"]
    )


def downgrade() -> None:
    op.drop_table("secrecy_register_entry")
    op.drop_table("secrecy_marking")
