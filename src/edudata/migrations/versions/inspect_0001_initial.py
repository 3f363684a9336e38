"""inspect: inspection runs, findings and what each run observed

Revision ID: inspect_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "inspect_0001"
down_revision = None
branch_labels = ("inspect",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inspect_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("checks", sa.JSON(), nullable=False),
        sa.Column("units", sa.JSON(), nullable=True),
        sa.Column("seed", sa.Integer(), nullable=True),
        sa.Column("started_by", sa.String(150), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("new_count", sa.Integer(), nullable=False),
        sa.Column("open_count", sa.Integer(), nullable=False),
        sa.Column("resolved_count", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspect_run")),
    )
    op.create_index(op.f("ix_inspect_run_mode"), "inspect_run", ["mode"])
    op.create_index(op.f("ix_inspect_run_started_at"), "inspect_run", ["started_at"])
    op.create_table(
        "inspect_finding",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("check_code", sa.String(64), nullable=False),
        sa.Column("article", sa.String(32), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("unit_code", sa.String(32), nullable=True),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("title_zh", sa.String(500), nullable=False),
        sa.Column("title_en", sa.String(500), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("first_run_id", sa.Integer(), nullable=False),
        sa.Column("last_run_id", sa.Integer(), nullable=False),
        sa.Column("resolved_run_id", sa.Integer(), nullable=True),
        sa.Column("detected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("assigned_unit_code", sa.String(32), nullable=True),
        sa.Column("assigned_by", sa.String(150), nullable=True),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answered_by", sa.String(150), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("close_evidence", sa.Text(), nullable=True),
        sa.Column("closed_by", sa.String(150), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reopened", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["first_run_id"], ["inspect_run.id"], name=op.f("fk_inspect_finding_first_run_id_inspect_run")
        ),
        sa.ForeignKeyConstraint(
            ["last_run_id"], ["inspect_run.id"], name=op.f("fk_inspect_finding_last_run_id_inspect_run")
        ),
        sa.ForeignKeyConstraint(
            ["resolved_run_id"],
            ["inspect_run.id"],
            name=op.f("fk_inspect_finding_resolved_run_id_inspect_run"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspect_finding")),
    )
    for column in (
        "fingerprint",
        "check_code",
        "unit_code",
        "status",
        "first_run_id",
        "last_run_id",
        "resolved_run_id",
    ):
        op.create_index(op.f(f"ix_inspect_finding_{column}"), "inspect_finding", [column])
    op.create_table(
        "inspect_observation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("finding_id", sa.Integer(), nullable=False),
        sa.Column("change", sa.String(16), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["inspect_run.id"], name=op.f("fk_inspect_observation_run_id_inspect_run")
        ),
        sa.ForeignKeyConstraint(
            ["finding_id"],
            ["inspect_finding.id"],
            name=op.f("fk_inspect_observation_finding_id_inspect_finding"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspect_observation")),
        sa.UniqueConstraint("run_id", "finding_id", name=op.f("uq_inspect_observation_run_id_finding_id")),
    )
    op.create_index(op.f("ix_inspect_observation_run_id"), "inspect_observation", ["run_id"])
    op.create_index(op.f("ix_inspect_observation_finding_id"), "inspect_observation", ["finding_id"])


def downgrade() -> None:
    op.drop_table("inspect_observation")
    op.drop_table("inspect_finding")
    op.drop_table("inspect_run")
