"""sharing: applications (附件1), commitments (附件2), reviews, grant credentials, inbox (Art. 37-42, 50)

Revision ID: sharing_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "sharing_0001"
down_revision = None
branch_labels = ("sharing",)
depends_on = ("org_0001", "access_0001")


def upgrade() -> None:
    op.create_table(
        "sharing_commitment_text",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("body_sha256", sa.String(length=64), nullable=False),
        sa.Column("effective_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=150), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sharing_commitment_text")),
        sa.UniqueConstraint("version", name=op.f("uq_sharing_commitment_text_version")),
    )
    op.create_table(
        "sharing_policy",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("auto_approve_unconditional", sa.Boolean(), nullable=False),
        sa.Column("review_working_days", sa.Integer(), nullable=False),
        sa.Column("min_k", sa.Integer(), nullable=False),
        sa.Column("large_scale_threshold", sa.Integer(), nullable=False),
        sa.Column("updated_by", sa.String(length=150), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sharing_policy")),
    )
    op.create_table(
        "sharing_application",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("applicant_account_id", sa.Integer(), nullable=False),
        sa.Column("applicant_username", sa.String(length=150), nullable=False),
        sa.Column("applicant_unit_code", sa.String(length=32), nullable=False),
        sa.Column("contact_name", sa.String(length=100), nullable=False),
        sa.Column("contact_phone", sa.String(length=32), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("business_basis", sa.Text(), nullable=False),
        sa.Column("dataset_code", sa.String(length=64), nullable=False),
        sa.Column("owner_unit_code", sa.String(length=32), nullable=False),
        sa.Column("share_category", sa.String(length=16), nullable=False),
        sa.Column("elements", sa.JSON(), nullable=False),
        sa.Column("row_filter", sa.JSON(), nullable=True),
        sa.Column("masking", sa.JSON(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("delivery", sa.String(length=16), nullable=False),
        sa.Column("security_measures", sa.Text(), nullable=False),
        sa.Column("third_party", sa.Boolean(), nullable=False),
        sa.Column("third_party_name", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=True),
        sa.Column("people_count", sa.Integer(), nullable=True),
        sa.Column("sensitive_elements", sa.JSON(), nullable=False),
        sa.Column("refusal_reason", sa.Text(), nullable=True),
        sa.Column("grant_id", sa.Integer(), nullable=True),
        sa.Column("k_anonymity", sa.Integer(), nullable=True),
        sa.Column("k_quasi_identifiers", sa.JSON(), nullable=True),
        sa.Column("k_computed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("commission_doc_name", sa.String(length=255), nullable=True),
        sa.Column("commission_doc_sha256", sa.String(length=64), nullable=True),
        sa.Column("commission_doc", sa.LargeBinary(), nullable=True),
        sa.Column("commission_doc_by", sa.String(length=150), nullable=True),
        sa.Column("commission_doc_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["applicant_account_id"],
            ["org_account.id"],
            name=op.f("fk_sharing_application_applicant_account_id_org_account"),
        ),
        sa.ForeignKeyConstraint(
            ["grant_id"], ["access_grant.id"], name=op.f("fk_sharing_application_grant_id_access_grant")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sharing_application")),
    )
    op.create_index(
        op.f("ix_sharing_application_applicant_account_id"),
        "sharing_application",
        ["applicant_account_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_sharing_application_applicant_unit_code"),
        "sharing_application",
        ["applicant_unit_code"],
        unique=False,
    )
    op.create_index(
        op.f("ix_sharing_application_dataset_code"), "sharing_application", ["dataset_code"], unique=False
    )
    op.create_index(
        op.f("ix_sharing_application_owner_unit_code"),
        "sharing_application",
        ["owner_unit_code"],
        unique=False,
    )
    op.create_index(op.f("ix_sharing_application_status"), "sharing_application", ["status"], unique=False)
    op.create_table(
        "sharing_credential",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("grant_id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("hint", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=150), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.String(length=150), nullable=True),
        sa.Column("replaced_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["org_account.id"], name=op.f("fk_sharing_credential_account_id_org_account")
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["sharing_application.id"],
            name=op.f("fk_sharing_credential_application_id_sharing_application"),
        ),
        sa.ForeignKeyConstraint(
            ["grant_id"], ["access_grant.id"], name=op.f("fk_sharing_credential_grant_id_access_grant")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sharing_credential")),
        sa.UniqueConstraint("secret_hash", name=op.f("uq_sharing_credential_secret_hash")),
    )
    op.create_index(
        op.f("ix_sharing_credential_application_id"), "sharing_credential", ["application_id"], unique=False
    )
    op.create_index(op.f("ix_sharing_credential_grant_id"), "sharing_credential", ["grant_id"], unique=False)
    op.create_table(
        "sharing_notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("message_zh", sa.String(length=500), nullable=False),
        sa.Column("message_en", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["org_account.id"], name=op.f("fk_sharing_notification_account_id_org_account")
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["sharing_application.id"],
            name=op.f("fk_sharing_notification_application_id_sharing_application"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sharing_notification")),
    )
    op.create_index(
        op.f("ix_sharing_notification_account_id"), "sharing_notification", ["account_id"], unique=False
    )
    op.create_table(
        "sharing_review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("reviewer_unit_code", sa.String(length=32), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision", sa.String(length=16), nullable=True),
        sa.Column("reviewer_account_id", sa.Integer(), nullable=True),
        sa.Column("reviewer_username", sa.String(length=150), nullable=True),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=True),
        sa.Column("overdue_flagged_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["sharing_application.id"],
            name=op.f("fk_sharing_review_application_id_sharing_application"),
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_account_id"],
            ["org_account.id"],
            name=op.f("fk_sharing_review_reviewer_account_id_org_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sharing_review")),
    )
    op.create_index(
        op.f("ix_sharing_review_application_id"), "sharing_review", ["application_id"], unique=False
    )
    op.create_index(
        op.f("ix_sharing_review_reviewer_unit_code"), "sharing_review", ["reviewer_unit_code"], unique=False
    )
    op.create_table(
        "sharing_signature",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("commitment_id", sa.Integer(), nullable=False),
        sa.Column("text_sha256", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=150), nullable=False),
        sa.Column("source_ip", sa.String(length=64), nullable=True),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["org_account.id"], name=op.f("fk_sharing_signature_account_id_org_account")
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["sharing_application.id"],
            name=op.f("fk_sharing_signature_application_id_sharing_application"),
        ),
        sa.ForeignKeyConstraint(
            ["commitment_id"],
            ["sharing_commitment_text.id"],
            name=op.f("fk_sharing_signature_commitment_id_sharing_commitment_text"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sharing_signature")),
    )
    op.create_index(
        op.f("ix_sharing_signature_application_id"), "sharing_signature", ["application_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_sharing_signature_application_id"), table_name="sharing_signature")
    op.drop_table("sharing_signature")
    op.drop_index(op.f("ix_sharing_review_reviewer_unit_code"), table_name="sharing_review")
    op.drop_index(op.f("ix_sharing_review_application_id"), table_name="sharing_review")
    op.drop_table("sharing_review")
    op.drop_index(op.f("ix_sharing_notification_account_id"), table_name="sharing_notification")
    op.drop_table("sharing_notification")
    op.drop_index(op.f("ix_sharing_credential_grant_id"), table_name="sharing_credential")
    op.drop_index(op.f("ix_sharing_credential_application_id"), table_name="sharing_credential")
    op.drop_table("sharing_credential")
    op.drop_index(op.f("ix_sharing_application_status"), table_name="sharing_application")
    op.drop_index(op.f("ix_sharing_application_owner_unit_code"), table_name="sharing_application")
    op.drop_index(op.f("ix_sharing_application_dataset_code"), table_name="sharing_application")
    op.drop_index(op.f("ix_sharing_application_applicant_unit_code"), table_name="sharing_application")
    op.drop_index(op.f("ix_sharing_application_applicant_account_id"), table_name="sharing_application")
    op.drop_table("sharing_application")
    op.drop_table("sharing_policy")
    op.drop_table("sharing_commitment_text")
