"""identity: API tokens, web sessions, login attempts, blacklist (Art. 54, 59)

Revision ID: identity_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "identity_0001"
down_revision = None
branch_labels = ("identity",)
depends_on = "org_0001"


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "identity_api_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        _ts("expires_at"),
        _ts("revoked_at", nullable=True),
        _ts("created_at"),
        sa.ForeignKeyConstraint(
            ["account_id"], ["org_account.id"], name=op.f("fk_identity_api_token_account_id_org_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_api_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_identity_api_token_token_hash")),
    )
    op.create_index(op.f("ix_identity_api_token_account_id"), "identity_api_token", ["account_id"])

    op.create_table(
        "identity_web_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_hash", sa.String(64), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        _ts("expires_at"),
        _ts("revoked_at", nullable=True),
        _ts("created_at"),
        _ts("last_seen_at"),
        sa.ForeignKeyConstraint(
            ["account_id"], ["org_account.id"], name=op.f("fk_identity_web_session_account_id_org_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_web_session")),
        sa.UniqueConstraint("session_hash", name=op.f("uq_identity_web_session_session_hash")),
    )
    op.create_index(op.f("ix_identity_web_session_account_id"), "identity_web_session", ["account_id"])

    op.create_table(
        "identity_login_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(150), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("success", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(64), nullable=False),
        _ts("at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_login_attempt")),
    )
    for column in ("username", "address", "at"):
        op.create_index(op.f(f"ix_identity_login_attempt_{column}"), "identity_login_attempt", [column])

    op.create_table(
        "identity_blacklist",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("value", sa.String(150), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("created_by", sa.String(150), nullable=True),
        _ts("created_at"),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_blacklist")),
    )


def downgrade() -> None:
    op.drop_table("identity_blacklist")
    for column in ("at", "address", "username"):
        op.drop_index(op.f(f"ix_identity_login_attempt_{column}"), table_name="identity_login_attempt")
    op.drop_table("identity_login_attempt")
    op.drop_index(op.f("ix_identity_web_session_account_id"), table_name="identity_web_session")
    op.drop_table("identity_web_session")
    op.drop_index(op.f("ix_identity_api_token_account_id"), table_name="identity_api_token")
    op.drop_table("identity_api_token")
