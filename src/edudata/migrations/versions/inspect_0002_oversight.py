"""inspect: the leadership group's content and notices, escalations to 纪检监察, interviews, repeat findings
(Art. 61, 64, 67)

Revision ID: inspect_0002
Revises: inspect_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "inspect_0002"
down_revision = "inspect_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inspect_content",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("checks", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("set_by", sa.String(length=150), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspect_content")),
    )
    op.create_table(
        "inspect_notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("checks", sa.JSON(), nullable=False),
        sa.Column("units", sa.JSON(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("issued_by", sa.String(length=150), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspect_notice")),
    )
    op.create_table(
        "inspect_escalation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("finding_id", sa.Integer(), nullable=False),
        sa.Column("referred_to", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=False),
        sa.Column("escalated_by", sa.String(length=150), nullable=False),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["finding_id"],
            ["inspect_finding.id"],
            name=op.f("fk_inspect_escalation_finding_id_inspect_finding"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspect_escalation")),
    )
    op.create_index(op.f("ix_inspect_escalation_finding_id"), "inspect_escalation", ["finding_id"])
    op.create_table(
        "inspect_interview",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("unit_code", sa.String(length=32), nullable=False),
        sa.Column("interviewers", sa.JSON(), nullable=False),
        sa.Column("interviewees", sa.JSON(), nullable=False),
        sa.Column("finding_ids", sa.JSON(), nullable=False),
        sa.Column("subject", sa.String(length=500), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(length=150), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspect_interview")),
    )
    op.create_index(op.f("ix_inspect_interview_held_on"), "inspect_interview", ["held_on"])
    op.create_index(op.f("ix_inspect_interview_unit_code"), "inspect_interview", ["unit_code"])
    with op.batch_alter_table("inspect_run") as batch:
        batch.add_column(sa.Column("notice_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_inspect_run_notice_id_inspect_notice"), "inspect_notice", ["notice_id"], ["id"]
        )
        batch.create_index(op.f("ix_inspect_run_notice_id"), ["notice_id"])
    with op.batch_alter_table("inspect_finding") as batch:
        batch.add_column(sa.Column("repeat_count", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("inspect_observation") as batch:
        batch.add_column(sa.Column("repeat", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("inspect_observation") as batch:
        batch.drop_column("repeat")
    with op.batch_alter_table("inspect_finding") as batch:
        batch.drop_column("repeat_count")
    with op.batch_alter_table("inspect_run") as batch:
        batch.drop_index(op.f("ix_inspect_run_notice_id"))
        batch.drop_constraint(op.f("fk_inspect_run_notice_id_inspect_notice"), type_="foreignkey")
        batch.drop_column("notice_id")
    op.drop_table("inspect_interview")
    op.drop_table("inspect_escalation")
    op.drop_table("inspect_notice")
    op.drop_table("inspect_content")
