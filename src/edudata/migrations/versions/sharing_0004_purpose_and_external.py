"""sharing: purpose kinds, unit heads signing 附件2, three-party agreements, secrecy reviews and external provision

Art. 10(1), 32, 41, 42, 54, 58: an application's kind of purpose and whether it needs the three-party agreement;
the unit's signature of the commitment by its head; the agreement on file; the leadership group's secrecy review;
written requests to provide or publish data outside the school, their decisions and the release record.

Revision ID: sharing_0004
Revises: sharing_0003
"""

import sqlalchemy as sa
from alembic import op

revision = "sharing_0004"
down_revision = "sharing_0003"
branch_labels = None
depends_on = ("org_0001",)

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column(
        "sharing_application",
        sa.Column("purpose_kind", sa.String(16), nullable=False, server_default="business"),
    )
    op.add_column(
        "sharing_application",
        sa.Column("needs_agreement", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column(
        "sharing_signature", sa.Column("capacity", sa.String(16), nullable=False, server_default="applicant")
    )
    op.add_column("sharing_signature", sa.Column("unit_code", sa.String(32), nullable=True))
    op.create_table(
        "sharing_unit_head",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("unit_code", sa.String(32), nullable=False, index=True),
        sa.Column("account_id", sa.Integer(), sa.ForeignKey("org_account.id"), nullable=False, index=True),
        sa.Column("username", sa.String(150), nullable=False),
        sa.Column("designated_by", sa.String(150), nullable=False),
        sa.Column("designated_at", TZ, nullable=False),
        sa.Column("ended_at", TZ, nullable=True),
    )
    op.create_table(
        "sharing_agreement",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "application_id",
            sa.Integer(),
            sa.ForeignKey("sharing_application.id"),
            nullable=False,
            index=True,
        ),
        sa.Column("user_unit_code", sa.String(32), nullable=False),
        sa.Column("producer_unit_code", sa.String(32), nullable=False),
        sa.Column("office_unit_code", sa.String(32), nullable=False),
        sa.Column("signed_on", sa.Date(), nullable=False),
        sa.Column("document_name", sa.String(255), nullable=False),
        sa.Column("document_sha256", sa.String(64), nullable=False),
        sa.Column("document", sa.LargeBinary(), nullable=False),
        sa.Column("filed_by", sa.String(150), nullable=False),
        sa.Column("filed_at", TZ, nullable=False),
    )
    op.create_table(
        "sharing_secrecy_review",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("subject", sa.String(16), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False, index=True),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("opinion", sa.Text(), nullable=False),
        sa.Column("reviewer_account_id", sa.Integer(), sa.ForeignKey("org_account.id"), nullable=False),
        sa.Column("reviewer_username", sa.String(150), nullable=False),
        sa.Column("decided_at", TZ, nullable=False),
    )
    op.create_table(
        "sharing_external_request",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "application_id",
            sa.Integer(),
            sa.ForeignKey("sharing_application.id"),
            nullable=False,
            index=True,
        ),
        sa.Column("requester_account_id", sa.Integer(), sa.ForeignKey("org_account.id"), nullable=False),
        sa.Column("requester_username", sa.String(150), nullable=False),
        sa.Column("unit_code", sa.String(32), nullable=False, index=True),
        sa.Column("owner_unit_code", sa.String(32), nullable=False, index=True),
        sa.Column("dataset_code", sa.String(64), nullable=False),
        sa.Column("elements", sa.JSON(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("recipient", sa.String(200), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("justification", sa.Text(), nullable=False),
        sa.Column("security_measures", sa.Text(), nullable=False),
        sa.Column("status", sa.String(32), nullable=False, index=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
    )
    op.create_table(
        "sharing_external_decision",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "request_id",
            sa.Integer(),
            sa.ForeignKey("sharing_external_request.id"),
            nullable=False,
            index=True,
        ),
        sa.Column("stage", sa.String(16), nullable=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("account_id", sa.Integer(), sa.ForeignKey("org_account.id"), nullable=False),
        sa.Column("username", sa.String(150), nullable=False),
        sa.Column("decided_at", TZ, nullable=False),
    )
    op.create_table(
        "sharing_external_release",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "request_id",
            sa.Integer(),
            sa.ForeignKey("sharing_external_request.id"),
            nullable=False,
            unique=True,
        ),
        sa.Column(
            "secrecy_review_id", sa.Integer(), sa.ForeignKey("sharing_secrecy_review.id"), nullable=False
        ),
        sa.Column("recipient", sa.String(200), nullable=False),
        sa.Column("elements", sa.JSON(), nullable=False),
        sa.Column("channel", sa.String(200), nullable=False),
        sa.Column("document_sha256", sa.String(64), nullable=True),
        sa.Column("released_by", sa.String(150), nullable=False),
        sa.Column("released_at", TZ, nullable=False),
    )


def downgrade() -> None:
    for table in (
        "sharing_external_release",
        "sharing_external_decision",
        "sharing_external_request",
        "sharing_secrecy_review",
        "sharing_agreement",
        "sharing_unit_head",
    ):
        op.drop_table(table)
    with op.batch_alter_table("sharing_signature") as batch:
        batch.drop_column("unit_code")
        batch.drop_column("capacity")
    with op.batch_alter_table("sharing_application") as batch:
        batch.drop_column("needs_agreement")
        batch.drop_column("purpose_kind")
