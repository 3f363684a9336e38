"""lifecycle: one destruction request for many people (subject references of the ``people`` scope, Art. 35).

Revision ID: lifecycle_0003
Revises: lifecycle_0002
"""

import sqlalchemy as sa
from alembic import op

revision = "lifecycle_0003"
down_revision = "lifecycle_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("lifecycle_destruction") as batch:
        batch.add_column(sa.Column("subject_refs", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("lifecycle_destruction") as batch:
        batch.drop_column("subject_refs")
