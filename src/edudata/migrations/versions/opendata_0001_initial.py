"""opendata: views under review, reviews, published versions, search grams, public users, applications, keys

No foreign keys to other domains: datasets and units are named by their codes, as in the audit log.

Revision ID: opendata_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "opendata_0001"
down_revision = None
branch_labels = ("opendata",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "opendata_public_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("organisation", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("verify_hash", sa.String(length=64), nullable=True),
        sa.Column("verify_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opendata_public_user")),
        sa.UniqueConstraint("email", name=op.f("uq_opendata_public_user_email")),
    )
    op.create_index(
        op.f("ix_opendata_public_user_verify_hash"), "opendata_public_user", ["verify_hash"], unique=False
    )
    op.create_table(
        "opendata_view",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("dataset_code", sa.String(length=64), nullable=False),
        sa.Column("unit_code", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("title_en", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("open_category", sa.String(length=16), nullable=False),
        sa.Column("licence", sa.String(length=32), nullable=False),
        sa.Column("update_frequency", sa.String(length=16), nullable=False),
        sa.Column("refresh_seconds", sa.Integer(), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("proposed_by", sa.String(length=150), nullable=False),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("refusal_reason", sa.Text(), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_refresh_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("current_version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opendata_view")),
        sa.UniqueConstraint("code", name=op.f("uq_opendata_view_code")),
    )
    op.create_index(op.f("ix_opendata_view_dataset_code"), "opendata_view", ["dataset_code"], unique=False)
    op.create_index(
        op.f("ix_opendata_view_next_refresh_at"), "opendata_view", ["next_refresh_at"], unique=False
    )
    op.create_index(op.f("ix_opendata_view_status"), "opendata_view", ["status"], unique=False)
    op.create_index(op.f("ix_opendata_view_unit_code"), "opendata_view", ["unit_code"], unique=False)
    op.create_table(
        "opendata_application",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("view_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("usage", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decided_by", sa.String(length=150), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["opendata_public_user.id"],
            name=op.f("fk_opendata_application_user_id_opendata_public_user"),
        ),
        sa.ForeignKeyConstraint(
            ["view_id"], ["opendata_view.id"], name=op.f("fk_opendata_application_view_id_opendata_view")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opendata_application")),
    )
    op.create_index(op.f("ix_opendata_application_status"), "opendata_application", ["status"], unique=False)
    op.create_index(
        op.f("ix_opendata_application_user_id"), "opendata_application", ["user_id"], unique=False
    )
    op.create_index(
        op.f("ix_opendata_application_view_id"), "opendata_application", ["view_id"], unique=False
    )
    op.create_table(
        "opendata_public_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["opendata_public_user.id"],
            name=op.f("fk_opendata_public_session_user_id_opendata_public_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opendata_public_session")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_opendata_public_session_token_hash")),
    )
    op.create_index(
        op.f("ix_opendata_public_session_user_id"), "opendata_public_session", ["user_id"], unique=False
    )
    op.create_table(
        "opendata_review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("view_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("reviewer", sa.String(length=150), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("secrecy", sa.JSON(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["view_id"], ["opendata_view.id"], name=op.f("fk_opendata_review_view_id_opendata_view")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opendata_review")),
    )
    op.create_index(op.f("ix_opendata_review_view_id"), "opendata_review", ["view_id"], unique=False)
    op.create_table(
        "opendata_search_gram",
        sa.Column("view_id", sa.Integer(), nullable=False),
        sa.Column("gram", sa.String(length=32), nullable=False),
        sa.Column("weight", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["view_id"], ["opendata_view.id"], name=op.f("fk_opendata_search_gram_view_id_opendata_view")
        ),
        sa.PrimaryKeyConstraint("view_id", "gram", name=op.f("pk_opendata_search_gram")),
    )
    op.create_index(op.f("ix_opendata_search_gram_gram"), "opendata_search_gram", ["gram"], unique=False)
    op.create_table(
        "opendata_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("view_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("columns", sa.JSON(), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("suppressed", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["view_id"], ["opendata_view.id"], name=op.f("fk_opendata_version_view_id_opendata_view")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opendata_version")),
        sa.UniqueConstraint("view_id", "number", name=op.f("uq_opendata_version_view_id_number")),
    )
    op.create_index(op.f("ix_opendata_version_view_id"), "opendata_version", ["view_id"], unique=False)
    op.create_table(
        "opendata_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("view_code", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["opendata_application.id"],
            name=op.f("fk_opendata_key_application_id_opendata_application"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["opendata_public_user.id"],
            name=op.f("fk_opendata_key_user_id_opendata_public_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opendata_key")),
        sa.UniqueConstraint("application_id", name=op.f("uq_opendata_key_application_id")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_opendata_key_key_hash")),
    )
    op.create_index(op.f("ix_opendata_key_user_id"), "opendata_key", ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_opendata_key_user_id"), table_name="opendata_key")
    op.drop_table("opendata_key")
    op.drop_index(op.f("ix_opendata_version_view_id"), table_name="opendata_version")
    op.drop_table("opendata_version")
    op.drop_index(op.f("ix_opendata_search_gram_gram"), table_name="opendata_search_gram")
    op.drop_table("opendata_search_gram")
    op.drop_index(op.f("ix_opendata_review_view_id"), table_name="opendata_review")
    op.drop_table("opendata_review")
    op.drop_index(op.f("ix_opendata_public_session_user_id"), table_name="opendata_public_session")
    op.drop_table("opendata_public_session")
    op.drop_index(op.f("ix_opendata_application_view_id"), table_name="opendata_application")
    op.drop_index(op.f("ix_opendata_application_user_id"), table_name="opendata_application")
    op.drop_index(op.f("ix_opendata_application_status"), table_name="opendata_application")
    op.drop_table("opendata_application")
    op.drop_index(op.f("ix_opendata_view_unit_code"), table_name="opendata_view")
    op.drop_index(op.f("ix_opendata_view_status"), table_name="opendata_view")
    op.drop_index(op.f("ix_opendata_view_next_refresh_at"), table_name="opendata_view")
    op.drop_index(op.f("ix_opendata_view_dataset_code"), table_name="opendata_view")
    op.drop_table("opendata_view")
    op.drop_index(op.f("ix_opendata_public_user_verify_hash"), table_name="opendata_public_user")
    op.drop_table("opendata_public_user")
