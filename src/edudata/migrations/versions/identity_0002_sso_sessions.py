"""identity: how a web session signed in (password, CAS, OIDC) and its single-logout reference

Revision ID: identity_0002
Revises: identity_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "identity_0002"
down_revision = "identity_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("identity_web_session") as batch:
        batch.add_column(sa.Column("auth_method", sa.String(16), nullable=False, server_default="password"))
        batch.add_column(sa.Column("sso_ref", sa.String(64), nullable=True))
        batch.create_index("ix_identity_web_session_sso_ref", ["sso_ref"])


def downgrade() -> None:
    with op.batch_alter_table("identity_web_session") as batch:
        batch.drop_index("ix_identity_web_session_sso_ref")
        batch.drop_column("sso_ref")
        batch.drop_column("auth_method")
