"""lifecycle: device exception and exit education on offboarding; outsourcing commitments; security tests and
risk assessments (Art. 49, 53).

Revision ID: lifecycle_0002
Revises: lifecycle_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "lifecycle_0002"
down_revision = "lifecycle_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("lifecycle_offboarding") as batch:
        batch.add_column(sa.Column("device_exception", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("exit_education_on", sa.Date(), nullable=True))
    op.create_table(
        "lifecycle_outsourcing_commitment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("signed_on", sa.Date(), nullable=False),
        sa.Column("document_ref", sa.String(length=200), nullable=False),
        sa.Column("recorded_by", sa.String(length=150), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["org_unit.id"], name=op.f("fk_lifecycle_outsourcing_commitment_unit_id_org_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lifecycle_outsourcing_commitment")),
    )
    op.create_index(
        op.f("ix_lifecycle_outsourcing_commitment_unit_id"), "lifecycle_outsourcing_commitment", ["unit_id"]
    )
    op.create_table(
        "lifecycle_security_assessment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("assessor", sa.String(length=200), nullable=False),
        sa.Column("findings", sa.Text(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("recorded_by", sa.String(length=150), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["org_unit.id"], name=op.f("fk_lifecycle_security_assessment_unit_id_org_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lifecycle_security_assessment")),
    )
    op.create_index(
        op.f("ix_lifecycle_security_assessment_unit_id"), "lifecycle_security_assessment", ["unit_id"]
    )


def downgrade() -> None:
    op.drop_table("lifecycle_security_assessment")
    op.drop_table("lifecycle_outsourcing_commitment")
    with op.batch_alter_table("lifecycle_offboarding") as batch:
        batch.drop_column("exit_education_on")
        batch.drop_column("device_exception")
