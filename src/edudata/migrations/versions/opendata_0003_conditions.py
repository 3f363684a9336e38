"""opendata: the conditions of conditional open data, the applicant's answers and the office's checks (Art. 44(2))

Revision ID: opendata_0003
Revises: opendata_0002
"""

import sqlalchemy as sa
from alembic import op

revision = "opendata_0003"
down_revision = "opendata_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("opendata_view", sa.Column("conditions", sa.JSON(), nullable=True))
    op.add_column("opendata_application", sa.Column("answers", sa.JSON(), nullable=True))
    op.add_column("opendata_application", sa.Column("conditions", sa.JSON(), nullable=True))
    op.add_column("opendata_application", sa.Column("checks", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("opendata_application") as batch:
        batch.drop_column("checks")
        batch.drop_column("conditions")
        batch.drop_column("answers")
    with op.batch_alter_table("opendata_view") as batch:
        batch.drop_column("conditions")
