"""ingest: batches, quarantine reasons, rules, header mappings, versions, snapshots, pull sources, jobs

Revision ID: ingest_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "ingest_0001"
down_revision = None
branch_labels = ("ingest",)
depends_on = None


def upgrade() -> None:

    op.create_table(
        "ingest_batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("dataset_code", sa.String(length=64), nullable=False),
        sa.Column("unit_code", sa.String(length=32), nullable=False),
        sa.Column("source_kind", sa.String(length=16), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("encoding", sa.String(length=32), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("uploaded_by", sa.String(length=150), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rows_total", sa.Integer(), nullable=False),
        sa.Column("rows_good", sa.Integer(), nullable=False),
        sa.Column("rows_quarantined", sa.Integer(), nullable=False),
        sa.Column("rows_blank", sa.Integer(), nullable=False),
        sa.Column("rows_already", sa.Integer(), nullable=False),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.Column("unit_reviewed_by", sa.String(length=150), nullable=True),
        sa.Column("unit_reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("unit_comment", sa.Text(), nullable=False),
        sa.Column("office_reviewed_by", sa.String(length=150), nullable=True),
        sa.Column("office_reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("office_comment", sa.Text(), nullable=False),
        sa.Column("reject_reason", sa.Text(), nullable=False),
        sa.Column("version_no", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["ingest_batch.id"], name=op.f("fk_ingest_batch_parent_id_ingest_batch")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ingest_batch")),
        sa.UniqueConstraint("code", name=op.f("uq_ingest_batch_code")),
    )
    op.create_index(op.f("ix_ingest_batch_dataset_code"), "ingest_batch", ["dataset_code"], unique=False)
    op.create_index(op.f("ix_ingest_batch_status"), "ingest_batch", ["status"], unique=False)
    op.create_table(
        "ingest_job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("run_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("locked_by", sa.String(length=100), nullable=True),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ingest_job")),
    )
    op.create_index("ix_ingest_job_status_run_at", "ingest_job", ["status", "run_at"], unique=False)
    op.create_table(
        "ingest_mapping",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset_code", sa.String(length=64), nullable=False),
        sa.Column("header", sa.String(length=200), nullable=False),
        sa.Column("element", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=150), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ingest_mapping")),
        sa.UniqueConstraint("dataset_code", "header", name=op.f("uq_ingest_mapping_dataset_code_header")),
    )
    op.create_index(op.f("ix_ingest_mapping_dataset_code"), "ingest_mapping", ["dataset_code"], unique=False)
    op.create_table(
        "ingest_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset_code", sa.String(length=64), nullable=False),
        sa.Column("element", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("message_zh", sa.String(length=500), nullable=False),
        sa.Column("message_en", sa.String(length=500), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=150), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ingest_rule")),
    )
    op.create_index(op.f("ix_ingest_rule_dataset_code"), "ingest_rule", ["dataset_code"], unique=False)
    op.create_table(
        "ingest_snapshot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset_code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("time_point", sa.Date(), nullable=False),
        sa.Column("caliber", sa.JSON(), nullable=True),
        sa.Column("definition", sa.Text(), nullable=False),
        sa.Column("elements", sa.JSON(), nullable=False),
        sa.Column("version_no", sa.Integer(), nullable=True),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=150), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ingest_snapshot")),
        sa.UniqueConstraint("dataset_code", "name", name=op.f("uq_ingest_snapshot_dataset_code_name")),
    )
    op.create_index(
        op.f("ix_ingest_snapshot_dataset_code"), "ingest_snapshot", ["dataset_code"], unique=False
    )
    op.create_table(
        "ingest_source",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset_code", sa.String(length=64), nullable=False),
        sa.Column("unit_code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("owner_account_id", sa.Integer(), nullable=False),
        sa.Column("last_run_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(length=150), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ingest_source")),
    )
    op.create_index(op.f("ix_ingest_source_dataset_code"), "ingest_source", ["dataset_code"], unique=False)
    op.create_table(
        "ingest_issue",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("row_key", sa.String(length=128), nullable=True),
        sa.Column("element", sa.String(length=64), nullable=False),
        sa.Column("rule", sa.String(length=64), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("value_shown", sa.String(length=255), nullable=False),
        sa.Column("message_zh", sa.String(length=500), nullable=False),
        sa.Column("message_en", sa.String(length=500), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("resolved_by_batch_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["ingest_batch.id"], name=op.f("fk_ingest_issue_batch_id_ingest_batch")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ingest_issue")),
    )
    op.create_index("ix_ingest_issue_batch_row", "ingest_issue", ["batch_id", "row_number"], unique=False)
    op.create_table(
        "ingest_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset_code", sa.String(length=64), nullable=False),
        sa.Column("version_no", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("rows_inserted", sa.Integer(), nullable=False),
        sa.Column("rows_updated", sa.Integer(), nullable=False),
        sa.Column("approved_by", sa.String(length=150), nullable=False),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("rolled_back_by", sa.String(length=150), nullable=True),
        sa.Column("rolled_back_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["ingest_batch.id"], name=op.f("fk_ingest_version_batch_id_ingest_batch")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ingest_version")),
        sa.UniqueConstraint(
            "dataset_code", "version_no", name=op.f("uq_ingest_version_dataset_code_version_no")
        ),
    )
    op.create_index(op.f("ix_ingest_version_dataset_code"), "ingest_version", ["dataset_code"], unique=False)


def downgrade() -> None:

    op.drop_index(op.f("ix_ingest_version_dataset_code"), table_name="ingest_version")
    op.drop_table("ingest_version")
    op.drop_index("ix_ingest_issue_batch_row", table_name="ingest_issue")
    op.drop_table("ingest_issue")
    op.drop_index(op.f("ix_ingest_source_dataset_code"), table_name="ingest_source")
    op.drop_table("ingest_source")
    op.drop_index(op.f("ix_ingest_snapshot_dataset_code"), table_name="ingest_snapshot")
    op.drop_table("ingest_snapshot")
    op.drop_index(op.f("ix_ingest_rule_dataset_code"), table_name="ingest_rule")
    op.drop_table("ingest_rule")
    op.drop_index(op.f("ix_ingest_mapping_dataset_code"), table_name="ingest_mapping")
    op.drop_table("ingest_mapping")
    op.drop_index("ix_ingest_job_status_run_at", table_name="ingest_job")
    op.drop_table("ingest_job")
    op.drop_index(op.f("ix_ingest_batch_status"), table_name="ingest_batch")
    op.drop_index(op.f("ix_ingest_batch_dataset_code"), table_name="ingest_batch")
    op.drop_table("ingest_batch")
