"""audit: an append writes fewer index entries; the sequencer writes the search entries, on both databases

- ``ix_audit_record_leaf`` covers sequenced records only (``leaf IS NOT NULL``) on both databases: a pending
  record has no position, and its NULL entry in the unique index was written by the append only for the
  sequencer to move it. Every read by position asks for ``leaf`` ranges or values, which imply it.
- SQLite: the auditor's search indexes (username, unit, operation, dataset) cover sequenced records only, as on
  PostgreSQL since ``audit_0003``: the append no longer extracts four fields from the body into four indexes
  (measured: about 1.5-2x the appends, with the sequencer's update doing that work instead, off the request
  path). Searches ask the pending records too (``edudata.audit.models.indexed``).

Revision ID: audit_0005
Revises: audit_0004
"""

import sqlalchemy as sa
from alembic import op

revision = "audit_0005"
down_revision = "audit_0004"
branch_labels = None
depends_on = None

_SEARCHED = ("username", "unit_code", "operation", "dataset")
_SEQUENCED = "leaf IS NOT NULL"


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.drop_index("ix_audit_record_leaf", table_name="audit_record")
    op.create_index(
        "ix_audit_record_leaf",
        "audit_record",
        ["leaf"],
        unique=True,
        postgresql_where=sa.text(_SEQUENCED),
        sqlite_where=sa.text(_SEQUENCED),
    )
    if not sqlite:
        return
    for column in _SEARCHED:
        op.drop_index(f"ix_audit_record_{column}", table_name="audit_record")
        op.create_index(
            f"ix_audit_record_{column}", "audit_record", [column], sqlite_where=sa.text(_SEQUENCED)
        )


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.drop_index("ix_audit_record_leaf", table_name="audit_record")
    op.create_index("ix_audit_record_leaf", "audit_record", ["leaf"], unique=True)
    if not sqlite:
        return
    for column in _SEARCHED:
        op.drop_index(f"ix_audit_record_{column}", table_name="audit_record")
        op.create_index(f"ix_audit_record_{column}", "audit_record", [column])
