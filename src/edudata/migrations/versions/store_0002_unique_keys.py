"""store: governed tables hold each key once, and each person once where the catalogue says so

Tables made before this revision get their unique indexes (``uq_<table>_key``, ``uq_<table>_person``) after a
check that no duplicate is stored; with duplicates the upgrade stops, names the values and says what to do
(see :func:`edudata.store.uniqueness.add_unique_indexes`). Tables made later carry them from the start.

Revision ID: store_0002
Revises: store_0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

revision = "store_0002"
down_revision = "store_0001"
branch_labels = None
depends_on = ("catalog_0001", "access_0001")


def upgrade() -> None:
    from edudata.access.specs import spec_from_catalogue
    from edudata.errors import NotFound
    from edudata.store.uniqueness import add_unique_indexes

    conn = op.get_bind()
    codes = (
        conn.execute(sa.text("SELECT dataset_code FROM store_table ORDER BY dataset_code")).scalars().all()
    )
    session = Session(bind=conn)
    for code in codes:
        try:
            spec = spec_from_catalogue(session, code)
        except NotFound:
            continue  # a table whose dataset left the catalogue: nothing to key it by
        made = add_unique_indexes(conn, spec)
        if made:
            print(f"store_0002: {spec.table_name}: {', '.join(made)}")


def downgrade() -> None:
    from edudata.access.specs import spec_from_catalogue
    from edudata.errors import NotFound
    from edudata.store.uniqueness import drop_unique_indexes

    conn = op.get_bind()
    session = Session(bind=conn)
    for code in conn.execute(sa.text("SELECT dataset_code FROM store_table")).scalars().all():
        try:
            spec = spec_from_catalogue(session, code)
        except NotFound:
            continue
        drop_unique_indexes(conn, spec)
