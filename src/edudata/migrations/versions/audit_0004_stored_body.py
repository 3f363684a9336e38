"""audit: a record is stored as the text its leaf hash covers; the searchable fields are generated from it

``audit_record.body`` holds the canonical body without ``seq`` (``edudata.audit.chain.stored_body``), filled
here from the existing fields with the same SQL encoder verification used until now, so every existing leaf hash
and checkpoint still holds. No field can be edited apart from the hashed text any more, and verification and the sequencer read one
column instead of rebuilding the text:

- SQLite: the twelve fields and ``at`` become virtual columns generated from ``body`` (the indexed ones kept in
  their index). SQLite cannot turn a column into a generated one, so the table is rebuilt, its AUTOINCREMENT
  counter carried over (a sequence number is never given out twice, also after records were purged).
- PostgreSQL: the fields stay columns the append writes, and the CHECK constraint ``ck_audit_record_body``
  refuses a row whose fields do not encode to its body (stored generated columns parse the JSON once per
  column and insert: measured three times slower appends than the check).

Revision ID: audit_0004
Revises: audit_0003
"""

import sqlalchemy as sa
from alembic import op

revision = "audit_0004"
down_revision = "audit_0003"
branch_labels = None
depends_on = None

#: The fields in body order (0 is ``at``), with their column types; frozen here as this revision made them.
_FIELDS = (
    ("at", "TIMESTAMP WITH TIME ZONE", "DATETIME", True),
    ("account_id", "INTEGER", "INTEGER", False),
    ("username", "VARCHAR(150)", "VARCHAR(150)", False),
    ("unit_code", "VARCHAR(32)", "VARCHAR(32)", False),
    ("source_ip", "VARCHAR(64)", "VARCHAR(64)", False),
    ("operation", "VARCHAR(64)", "VARCHAR(64)", True),
    ("dataset", "VARCHAR(200)", "VARCHAR(200)", False),
    ("elements", "TEXT", "TEXT", True),
    ("row_count", "BIGINT", "BIGINT", False),
    ("filter", "TEXT", "TEXT", False),
    ("result", "VARCHAR(16)", "VARCHAR(16)", True),
    ("request_id", "VARCHAR(64)", "VARCHAR(64)", False),
    ("detail", "TEXT", "TEXT", True),
)
_INTS = {"account_id": "int", "row_count": "bigint"}
#: PostgreSQL: the constraint holding the fields to the body.
CHECK = "ck_audit_record_body"
_SEARCHED = ("username", "unit_code", "operation", "dataset")


def _extract(name: str, i: int) -> str:
    """SQLite: the generated column's expression (as ``edudata.audit.chain.field_sql`` gives it here)."""
    if name == "at":
        return "substr(body, 3, 26)"
    value = f"json_extract(body, '$[{i}]')"
    return f"CAST({value} AS INTEGER)" if name in _INTS else value


def _legacy_body(dialect: str) -> str:
    """The stored body built from the separate columns (``chain.body_sql(dialect, seq=False)`` at this revision)."""
    names = [n for n, *_ in _FIELDS]
    if dialect == "postgresql":
        at = """to_char("at" AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')"""
        args = [at if n == "at" else f'CAST("{n}" AS TEXT)' for n in names]
        return f"array_to_json(ARRAY[{', '.join(args)}])::text"
    args = [f'CAST("{n}" AS TEXT)' if n in _INTS else f'"{n}"' for n in names]
    return f"json_array({', '.join(args)})"


def _generated() -> list[str]:
    """SQLite: the fields as virtual columns generated from the body."""
    out = []
    for i, (name, _pg_type, sqlite_type, required) in enumerate(_FIELDS):
        null = " NOT NULL" if required else ""
        out.append(f'"{name}" {sqlite_type}{null} GENERATED ALWAYS AS ({_extract(name, i)}) VIRTUAL')
    return out


def _indexes() -> None:
    op.create_index("ix_audit_record_at", "audit_record", ["at"])
    for column in _SEARCHED:
        op.create_index(
            f"ix_audit_record_{column}",
            "audit_record",
            [column],
            postgresql_where=sa.text("leaf IS NOT NULL"),
        )


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("ALTER TABLE audit_record ADD COLUMN body TEXT")
        op.execute(f"UPDATE audit_record SET body = {_legacy_body(dialect)}")
        op.execute("ALTER TABLE audit_record ALTER COLUMN body SET NOT NULL")
        op.execute(f"ALTER TABLE audit_record ADD CONSTRAINT {CHECK} CHECK (body = {_legacy_body(dialect)})")
        return
    conn = op.get_bind()
    counter = conn.execute(sa.text("SELECT seq FROM sqlite_sequence WHERE name = 'audit_record'")).scalar()
    columns = ",\n  ".join(
        [
            "seq INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT",
            "body TEXT NOT NULL",
            "leaf BIGINT",
            "leaf_hash VARCHAR(64)",
            *_generated(),
        ]
    )
    op.execute(f"CREATE TABLE audit_record_new (\n  {columns}\n)")
    op.execute(
        "INSERT INTO audit_record_new (seq, body, leaf, leaf_hash) "
        f"SELECT seq, {_legacy_body(dialect)}, leaf, leaf_hash FROM audit_record ORDER BY seq"
    )
    op.drop_table("audit_record")  # its indexes with it
    op.execute("ALTER TABLE audit_record_new RENAME TO audit_record")
    if counter is not None:  # purged or restored-over numbers stay given out
        conn.execute(
            sa.text("DELETE FROM sqlite_sequence WHERE name IN ('audit_record', 'audit_record_new')"),
        )
        conn.execute(
            sa.text("INSERT INTO sqlite_sequence (name, seq) VALUES ('audit_record', :n)"), {"n": counter}
        )
    op.create_index("ix_audit_record_leaf", "audit_record", ["leaf"], unique=True)
    op.create_index("ix_audit_record_pending", "audit_record", ["seq"], sqlite_where=sa.text("leaf IS NULL"))
    _indexes()


def downgrade() -> None:
    raise NotImplementedError("the audit log's stored bodies are not turned back into separate columns")
