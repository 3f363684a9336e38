"""lifecycle: destruction and certificates, backups, schedules, drills, incidents, alerts, people (Art. 12, 34-36, 49-55, 60)

Revision ID: lifecycle_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "lifecycle_0001"
down_revision = None
branch_labels = ("lifecycle",)
depends_on = "org_0001"


def upgrade() -> None:
    op.create_table(
        "lifecycle_alert_handling",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_key", sa.String(length=200), nullable=False),
        sa.Column("handled_by", sa.String(length=150), nullable=False),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lifecycle_alert_handling")),
        sa.UniqueConstraint("alert_key", name=op.f("uq_lifecycle_alert_handling_alert_key")),
    )
    op.create_table(
        "lifecycle_backup",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("backend", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("local_path", sa.String(length=500), nullable=False),
        sa.Column("offsite_path", sa.String(length=500), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=150), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("verified_ok", sa.Boolean(), nullable=True),
        sa.Column("pruned_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lifecycle_backup")),
        sa.UniqueConstraint("name", name=op.f("uq_lifecycle_backup_name")),
    )
    op.create_index(op.f("ix_lifecycle_backup_created_at"), "lifecycle_backup", ["created_at"], unique=False)
    op.create_table(
        "lifecycle_backup_schedule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("every_hours", sa.Integer(), nullable=False),
        sa.Column("keep_last", sa.Integer(), nullable=False),
        sa.Column("keep_days", sa.Integer(), nullable=False),
        sa.Column("local_dir", sa.String(length=500), nullable=False),
        sa.Column("offsite_dir", sa.String(length=500), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("last_run_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(length=150), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lifecycle_backup_schedule")),
        sa.UniqueConstraint("name", name=op.f("uq_lifecycle_backup_schedule_name")),
    )
    op.create_table(
        "lifecycle_destruction",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope_kind", sa.String(length=16), nullable=False),
        sa.Column("dataset_code", sa.String(length=64), nullable=True),
        sa.Column("cutoff", sa.Date(), nullable=True),
        sa.Column("subject_ref", sa.String(length=64), nullable=True),
        sa.Column("targets", sa.JSON(), nullable=False),
        sa.Column("row_count", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("scope_hash", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("requested_by", sa.String(length=150), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=150), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("executed_by", sa.String(length=150), nullable=True),
        sa.Column("executed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lifecycle_destruction")),
    )
    op.create_index(
        op.f("ix_lifecycle_destruction_status"), "lifecycle_destruction", ["status"], unique=False
    )
    op.create_table(
        "lifecycle_drill",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scenario", sa.String(length=200), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("participants", sa.Text(), nullable=False),
        sa.Column("findings", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=150), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lifecycle_drill")),
    )
    op.create_index(op.f("ix_lifecycle_drill_held_on"), "lifecycle_drill", ["held_on"], unique=False)
    op.create_table(
        "lifecycle_emergency_plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("approved_by", sa.String(length=150), nullable=True),
        sa.Column("approved_on", sa.Date(), nullable=True),
        sa.Column("created_by", sa.String(length=150), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lifecycle_emergency_plan")),
    )
    op.create_table(
        "lifecycle_incident",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("detected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("contained_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reported_to", sa.String(length=200), nullable=True),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("root_cause", sa.Text(), nullable=True),
        sa.Column("actions", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=150), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lifecycle_incident")),
    )
    op.create_index(op.f("ix_lifecycle_incident_status"), "lifecycle_incident", ["status"], unique=False)
    op.create_table(
        "lifecycle_restore_drill",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("backup_name", sa.String(length=100), nullable=False),
        sa.Column("performed_by", sa.String(length=150), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lifecycle_restore_drill")),
    )
    op.create_index(
        op.f("ix_lifecycle_restore_drill_finished_at"),
        "lifecycle_restore_drill",
        ["finished_at"],
        unique=False,
    )
    op.create_table(
        "lifecycle_certificate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("signature", sa.String(length=128), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("public_key", sa.String(length=64), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["lifecycle_destruction.id"],
            name=op.f("fk_lifecycle_certificate_request_id_lifecycle_destruction"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lifecycle_certificate")),
        sa.UniqueConstraint("request_id", name=op.f("uq_lifecycle_certificate_request_id")),
    )
    op.create_table(
        "lifecycle_agreement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("signed_on", sa.Date(), nullable=False),
        sa.Column("document_ref", sa.String(length=200), nullable=False),
        sa.Column("document_sha256", sa.String(length=64), nullable=True),
        sa.Column("recorded_by", sa.String(length=150), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["org_account.id"], name=op.f("fk_lifecycle_agreement_account_id_org_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lifecycle_agreement")),
    )
    op.create_index(
        op.f("ix_lifecycle_agreement_account_id"), "lifecycle_agreement", ["account_id"], unique=False
    )
    op.create_table(
        "lifecycle_training",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("course", sa.String(length=200), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("hours", sa.Integer(), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("recorded_by", sa.String(length=150), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["org_account.id"], name=op.f("fk_lifecycle_training_account_id_org_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lifecycle_training")),
    )
    op.create_index(
        op.f("ix_lifecycle_training_account_id"), "lifecycle_training", ["account_id"], unique=False
    )
    op.create_table(
        "lifecycle_unit_officer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("appointed_on", sa.Date(), nullable=False),
        sa.Column("appointed_by", sa.String(length=150), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["org_account.id"], name=op.f("fk_lifecycle_unit_officer_account_id_org_account")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["org_unit.id"], name=op.f("fk_lifecycle_unit_officer_unit_id_org_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lifecycle_unit_officer")),
    )
    op.create_index(
        op.f("ix_lifecycle_unit_officer_account_id"), "lifecycle_unit_officer", ["account_id"], unique=False
    )
    op.create_index(
        op.f("ix_lifecycle_unit_officer_unit_id"), "lifecycle_unit_officer", ["unit_id"], unique=False
    )
    op.create_table(
        "lifecycle_offboarding",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("left_on", sa.Date(), nullable=False),
        sa.Column("off_duty_until", sa.Date(), nullable=False),
        sa.Column("commitment_id", sa.Integer(), nullable=False),
        sa.Column("devices", sa.JSON(), nullable=False),
        sa.Column("revoked", sa.JSON(), nullable=False),
        sa.Column("performed_by", sa.String(length=150), nullable=False),
        sa.Column("performed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["org_account.id"], name=op.f("fk_lifecycle_offboarding_account_id_org_account")
        ),
        sa.ForeignKeyConstraint(
            ["commitment_id"],
            ["lifecycle_agreement.id"],
            name=op.f("fk_lifecycle_offboarding_commitment_id_lifecycle_agreement"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lifecycle_offboarding")),
        sa.UniqueConstraint("account_id", name=op.f("uq_lifecycle_offboarding_account_id")),
    )


def downgrade() -> None:
    op.drop_table("lifecycle_offboarding")
    op.drop_table("lifecycle_unit_officer")
    op.drop_table("lifecycle_training")
    op.drop_table("lifecycle_agreement")
    op.drop_table("lifecycle_certificate")
    op.drop_table("lifecycle_restore_drill")
    op.drop_table("lifecycle_incident")
    op.drop_table("lifecycle_emergency_plan")
    op.drop_table("lifecycle_drill")
    op.drop_table("lifecycle_destruction")
    op.drop_table("lifecycle_backup_schedule")
    op.drop_table("lifecycle_backup")
    op.drop_table("lifecycle_alert_handling")
