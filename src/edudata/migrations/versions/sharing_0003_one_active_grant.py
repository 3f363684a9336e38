"""sharing: at most one unrevoked grant per application (partial unique index on ``access_grant.source``)

Before the index is made, an application left with more than one unrevoked grant (two approvals at the same
moment, before this revision) keeps only the grant it points at: the others — orphans no revocation of the
application would have reached — are revoked here, with their credentials, and listed in the migration's output.

Revision ID: sharing_0003
Revises: sharing_0002
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "sharing_0003"
down_revision = "sharing_0002"
branch_labels = None
depends_on = ("access_0001",)

WHERE = "revoked_at IS NULL AND source IS NOT NULL"
REASON = "撤销重复授权：同一申请只保留一个有效授权 / duplicate grant of one application revoked (migration)"


def _revoke_orphans(conn: sa.Connection) -> list[int]:
    dupes = conn.execute(
        sa.text(f"SELECT source FROM access_grant WHERE {WHERE} GROUP BY source HAVING COUNT(*) > 1")
    ).scalars()
    orphans: list[int] = []
    for source in list(dupes):
        kept = None
        if source.startswith("sharing:") and source[8:].isdigit():
            kept = conn.execute(
                sa.text("SELECT grant_id FROM sharing_application WHERE id = :id"), {"id": int(source[8:])}
            ).scalar()
        ids = conn.execute(
            sa.text(f"SELECT id FROM access_grant WHERE source = :s AND {WHERE} ORDER BY id"), {"s": source}
        ).scalars()
        ids = list(ids)
        keep = kept if kept in ids else ids[0]
        orphans += [i for i in ids if i != keep]
    now = datetime.now(UTC)
    for grant_id in orphans:
        conn.execute(
            sa.text(
                "UPDATE access_grant SET revoked_at = :now, revoked_by = 'migration', revoke_reason = :r "
                "WHERE id = :id"
            ),
            {"now": now, "r": REASON, "id": grant_id},
        )
        conn.execute(
            sa.text(
                "UPDATE sharing_credential SET revoked_at = :now, revoked_by = 'migration', "
                "revoke_reason = 'grant_revoked' WHERE grant_id = :id AND revoked_at IS NULL"
            ),
            {"now": now, "id": grant_id},
        )
    return orphans


def upgrade() -> None:
    orphans = _revoke_orphans(op.get_bind())
    if orphans:
        # Every server's cached grants end at once (the policy epoch, edudata.access.policy_cache).
        op.execute("UPDATE access_policy_epoch SET value = value + 1")
        print(f"sharing_0003: revoked duplicate grants {orphans} (one active grant per application)")
    op.create_index(
        "uq_access_grant_active_source",
        "access_grant",
        ["source"],
        unique=True,
        postgresql_where=sa.text(WHERE),
        sqlite_where=sa.text(WHERE),
    )


def downgrade() -> None:
    op.drop_index("uq_access_grant_active_source", table_name="access_grant")
