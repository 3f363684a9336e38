"""ingest: pull sources against the allow-list of business systems (connection name, sealed password, table and
column mapping). Sources of older versions (any URL, free SQL) are disabled and their URL's password removed.

Revision ID: ingest_0002
Revises: ingest_0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

revision = "ingest_0002"
down_revision = "ingest_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ingest_source") as batch:
        batch.add_column(sa.Column("connection", sa.String(64), nullable=False, server_default=""))
        batch.add_column(sa.Column("secret", sa.Text(), nullable=True))
        batch.add_column(sa.Column("table_name", sa.String(130), nullable=False, server_default=""))
        batch.add_column(sa.Column("columns", sa.JSON(), nullable=True))
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, url FROM ingest_source")).all()
    for source_id, url in rows:
        try:
            shown = make_url(url).render_as_string(hide_password=True)
        except (ArgumentError, ValueError):  # an unreadable legacy URL is dropped, never kept with a secret
            shown = "?"
        bind.execute(
            sa.text("UPDATE ingest_source SET url = :u, enabled = :f WHERE id = :i"),
            {"u": shown, "f": False, "i": source_id},
        )


def downgrade() -> None:
    with op.batch_alter_table("ingest_source") as batch:
        for name in ("columns", "table_name", "secret", "connection"):
            batch.drop_column(name)
