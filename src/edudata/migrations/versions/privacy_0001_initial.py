"""privacy: PI register and obligations, sensitive-PI assessments, decisions and consents, verification
calls, de-identified releases (Art. 42, 50, 51, 54).

No foreign keys to other domains: datasets, elements and accounts are named by their codes, like the audit log.

Revision ID: privacy_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "privacy_0001"
down_revision = None
branch_labels = ("privacy",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "privacy_attachment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_by", sa.String(length=150), nullable=True),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_attachment")),
    )
    op.create_table(
        "privacy_consent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_ref", sa.String(length=32), nullable=False),
        sa.Column("id_hint", sa.String(length=8), nullable=False),
        sa.Column("dataset_code", sa.String(length=64), nullable=False),
        sa.Column("element_code", sa.String(length=32), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("notice", sa.Text(), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("given_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=150), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_by", sa.String(length=150), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_consent")),
    )
    op.create_index(
        "ix_privacy_consent_subject",
        "privacy_consent",
        ["subject_ref", "dataset_code", "element_code"],
        unique=False,
    )
    op.create_table(
        "privacy_person_count",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("counted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("system_code", sa.String(length=48), nullable=False),
        sa.Column("dataset_code", sa.String(length=64), nullable=True),
        sa.Column("people", sa.Integer(), nullable=False),
        sa.Column("linked", sa.Boolean(), nullable=False),
        sa.Column("counted_by", sa.String(length=150), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_person_count")),
    )
    op.create_index(
        "ix_privacy_person_count_system_at",
        "privacy_person_count",
        ["system_code", "counted_at"],
        unique=False,
    )
    op.create_table(
        "privacy_release",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset_code", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("quasi_identifiers", sa.JSON(), nullable=False),
        sa.Column("sensitive_element", sa.String(length=32), nullable=True),
        sa.Column("elements", sa.JSON(), nullable=False),
        sa.Column("k_target", sa.Integer(), nullable=False),
        sa.Column("l_target", sa.Integer(), nullable=True),
        sa.Column("achieved_k", sa.Integer(), nullable=False),
        sa.Column("achieved_l", sa.Integer(), nullable=True),
        sa.Column("rows_in", sa.Integer(), nullable=False),
        sa.Column("rows_out", sa.Integer(), nullable=False),
        sa.Column("levels", sa.JSON(), nullable=False),
        sa.Column("information_loss", sa.Float(), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=150), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_release")),
    )
    op.create_table(
        "privacy_system",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=48), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("owner_unit_code", sa.String(length=32), nullable=False),
        sa.Column("datasets", sa.JSON(), nullable=True),
        sa.Column("protection_level", sa.Integer(), nullable=True),
        sa.Column("pi_officer_username", sa.String(length=150), nullable=True),
        sa.Column("pi_officer_name", sa.String(length=100), nullable=True),
        sa.Column("pi_officer_since", sa.Date(), nullable=True),
        sa.Column("created_by", sa.String(length=150), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_system")),
        sa.UniqueConstraint("code", name=op.f("uq_privacy_system_code")),
    )
    op.create_table(
        "privacy_verification_call",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_verification_call")),
    )
    op.create_index(
        "ix_privacy_verification_call_account_at",
        "privacy_verification_call",
        ["account_id", "at"],
        unique=False,
    )
    op.create_table(
        "privacy_assessment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset_code", sa.String(length=64), nullable=False),
        sa.Column("element_code", sa.String(length=32), nullable=False),
        sa.Column("necessity", sa.Text(), nullable=False),
        sa.Column("scientific_basis", sa.Text(), nullable=False),
        sa.Column("ethics", sa.Text(), nullable=False),
        sa.Column("impact", sa.Text(), nullable=False),
        sa.Column("conclusion", sa.String(length=16), nullable=False),
        sa.Column("assessed_on", sa.Date(), nullable=False),
        sa.Column("attachment_id", sa.Integer(), nullable=True),
        sa.Column("recorded_by", sa.String(length=150), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["attachment_id"],
            ["privacy_attachment.id"],
            name=op.f("fk_privacy_assessment_attachment_id_privacy_attachment"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_assessment")),
    )
    op.create_index(
        "ix_privacy_assessment_element", "privacy_assessment", ["dataset_code", "element_code"], unique=False
    )
    op.create_table(
        "privacy_filing",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("system_id", sa.Integer(), nullable=False),
        sa.Column("authority", sa.String(length=100), nullable=False),
        sa.Column("reference_no", sa.String(length=100), nullable=False),
        sa.Column("filed_on", sa.Date(), nullable=False),
        sa.Column("attachment_id", sa.Integer(), nullable=True),
        sa.Column("recorded_by", sa.String(length=150), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["attachment_id"],
            ["privacy_attachment.id"],
            name=op.f("fk_privacy_filing_attachment_id_privacy_attachment"),
        ),
        sa.ForeignKeyConstraint(
            ["system_id"], ["privacy_system.id"], name=op.f("fk_privacy_filing_system_id_privacy_system")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_filing")),
    )
    op.create_index(op.f("ix_privacy_filing_system_id"), "privacy_filing", ["system_id"], unique=False)
    op.create_table(
        "privacy_pi_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("system_id", sa.Integer(), nullable=False),
        sa.Column("audited_on", sa.Date(), nullable=False),
        sa.Column("auditor", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("attachment_id", sa.Integer(), nullable=True),
        sa.Column("recorded_by", sa.String(length=150), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["attachment_id"],
            ["privacy_attachment.id"],
            name=op.f("fk_privacy_pi_audit_attachment_id_privacy_attachment"),
        ),
        sa.ForeignKeyConstraint(
            ["system_id"], ["privacy_system.id"], name=op.f("fk_privacy_pi_audit_system_id_privacy_system")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_pi_audit")),
    )
    op.create_index(op.f("ix_privacy_pi_audit_system_id"), "privacy_pi_audit", ["system_id"], unique=False)
    op.create_table(
        "privacy_decision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.String(length=200), nullable=False),
        sa.Column("meeting", sa.String(length=200), nullable=False),
        sa.Column("meeting_date", sa.Date(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("attendees", sa.Text(), nullable=False),
        sa.Column("attachment_id", sa.Integer(), nullable=False),
        sa.Column("recorded_by", sa.String(length=150), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["privacy_assessment.id"],
            name=op.f("fk_privacy_decision_assessment_id_privacy_assessment"),
        ),
        sa.ForeignKeyConstraint(
            ["attachment_id"],
            ["privacy_attachment.id"],
            name=op.f("fk_privacy_decision_attachment_id_privacy_attachment"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_decision")),
    )
    op.create_index(
        op.f("ix_privacy_decision_assessment_id"), "privacy_decision", ["assessment_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_privacy_decision_assessment_id"), table_name="privacy_decision")
    op.drop_table("privacy_decision")
    op.drop_index(op.f("ix_privacy_pi_audit_system_id"), table_name="privacy_pi_audit")
    op.drop_table("privacy_pi_audit")
    op.drop_index(op.f("ix_privacy_filing_system_id"), table_name="privacy_filing")
    op.drop_table("privacy_filing")
    op.drop_index("ix_privacy_assessment_element", table_name="privacy_assessment")
    op.drop_table("privacy_assessment")
    op.drop_index("ix_privacy_verification_call_account_at", table_name="privacy_verification_call")
    op.drop_table("privacy_verification_call")
    op.drop_table("privacy_system")
    op.drop_table("privacy_release")
    op.drop_index("ix_privacy_person_count_system_at", table_name="privacy_person_count")
    op.drop_table("privacy_person_count")
    op.drop_index("ix_privacy_consent_subject", table_name="privacy_consent")
    op.drop_table("privacy_consent")
    op.drop_table("privacy_attachment")
