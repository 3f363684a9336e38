"""audit: on PostgreSQL the search indexes cover sequenced records only, so an append writes no search entry

The auditor's indexes on username, unit, operation and dataset become partial (``leaf IS NOT NULL``) on
PostgreSQL: the sequencer's update writes a new row version with entries in every index anyway, so the append's
own entries were written twice; now a request's insert updates the table, the time index and the small pending
index, and the search entries are written once, by the sequencer, in batches. Searches ask the pending records
too (``edudata.audit.models.indexed``). SQLite's update touches only the indexes of changed columns: unchanged.

Revision ID: audit_0003
Revises: audit_0002
"""

import sqlalchemy as sa
from alembic import op

revision = "audit_0003"
down_revision = "audit_0002"
branch_labels = None
depends_on = None

_SEARCHED = ("username", "unit_code", "operation", "dataset")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for column in _SEARCHED:
        op.drop_index(f"ix_audit_record_{column}", table_name="audit_record")
        op.create_index(
            f"ix_audit_record_{column}",
            "audit_record",
            [column],
            postgresql_where=sa.text("leaf IS NOT NULL"),
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for column in _SEARCHED:
        op.drop_index(f"ix_audit_record_{column}", table_name="audit_record")
        op.create_index(f"ix_audit_record_{column}", "audit_record", [column], unique=False)
