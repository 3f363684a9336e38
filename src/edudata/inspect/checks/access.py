"""Grant checks: a grant is used only in its period, and one nobody uses is withdrawn (Art. 42, 最小必要 Art. 30).

Use of a grant is read from the audit log: every delivery through the data path records ``basis = grant:<id>``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from sqlalchemy import Integer, cast, func, select
from sqlalchemy.orm import Session

from edudata.access.models import AccessGrant
from edudata.audit.models import AuditRecord
from edudata.inspect.registry import CheckContext, Hit, check

UNUSED_DAYS = 90
_MARK = '"basis":"grant:'


def _grant_id_expr(session: Session):  # noqa: ANN202 - a SQL expression
    """The grant id inside the canonical detail JSON (``…"basis":"grant:12",…``), per dialect."""
    col = AuditRecord.detail_json
    if session.get_bind().dialect.name == "postgresql":
        # split_part, not a regular expression: several times faster over millions of records.
        return cast(func.nullif(func.split_part(func.split_part(col, _MARK, 2), '"', 1), ""), Integer)
    # SQLite's CAST reads the leading digits of the text and ignores the rest.
    return cast(func.substr(col, func.instr(col, _MARK) + len(_MARK)), Integer)


def last_uses(session: Session, since: datetime | None = None) -> dict[int, tuple[datetime, datetime]]:
    """grant id → (first, last) successful delivery at or after ``since``, from the audit log."""
    gid = _grant_id_expr(session).label("gid")
    query = select(gid, func.min(AuditRecord.at), func.max(AuditRecord.at)).where(
        AuditRecord.operation.in_(("query", "export")),
        AuditRecord.result == "success",
        AuditRecord.detail_json.like(f"%{_MARK}%"),
    )
    if since is not None:
        query = query.where(AuditRecord.at >= since)
    return {int(g): (first, last) for g, first, last in session.execute(query.group_by(gid)) if g is not None}


@check(
    "access.grant_used_after_expiry",
    article="42",
    severity="high",
    requires=("access", "audit"),
    zh="共享授权仅在有效期内使用",
    en="Grants used only within their period",
)
def grant_used_after_expiry(ctx: CheckContext) -> Iterator[Hit]:
    """A grant with a delivery recorded after its expiry (the data path refuses these, so a hit means data left
    another way or the grant's expiry was moved back)."""
    grants = ctx.session.execute(
        select(AccessGrant).where(AccessGrant.expires_at.is_not(None)).order_by(AccessGrant.id)
    ).scalars()
    grants = [g for g in grants if ctx.aware(g.expires_at) < ctx.now]
    if not grants:
        return
    since = min(ctx.aware(g.expires_at) for g in grants)
    uses = last_uses(ctx.session, since)
    for g in grants:
        used = uses.get(g.id)
        if used is None or ctx.aware(used[1]) <= ctx.aware(g.expires_at):
            continue
        yield Hit(
            g.grantee_unit_code,
            f"grant:{g.id}",
            f"共享授权 {g.id}（{g.dataset_code}）已于 {ctx.aware(g.expires_at):%Y-%m-%d} 到期，之后仍被使用",
            f"grant {g.id} ({g.dataset_code}) expired on {ctx.aware(g.expires_at):%Y-%m-%d} and was used after",
            {
                "grant_id": g.id,
                "dataset": g.dataset_code,
                "expires_at": ctx.aware(g.expires_at).isoformat(),
                "last_use": ctx.aware(used[1]).isoformat(),
            },
        )


@check(
    "access.grant_unused",
    article="42",
    severity="low",
    requires=("access", "audit"),
    zh=f"共享授权 {UNUSED_DAYS} 天未使用应收回",
    en=f"Grants unused for {UNUSED_DAYS} days withdrawn",
)
def grant_unused(ctx: CheckContext) -> Iterator[Hit]:
    """A live grant (not revoked, not expired) older than 90 days with no delivery in the last 90 days: the
    need it was given for has ended (最小必要), so the office should revoke it."""
    cutoff = ctx.now - timedelta(days=UNUSED_DAYS)
    grants = ctx.session.execute(
        select(AccessGrant)
        .where(AccessGrant.revoked_at.is_(None), AccessGrant.starts_at < cutoff)
        .order_by(AccessGrant.id)
    ).scalars()
    grants = [g for g in grants if g.expires_at is None or ctx.aware(g.expires_at) > ctx.now]
    if not grants:
        return
    recent = last_uses(ctx.session, cutoff)
    for g in grants:
        if g.id in recent:
            continue
        yield Hit(
            g.grantee_unit_code,
            f"grant:{g.id}",
            f"共享授权 {g.id}（{g.dataset_code}）已 {UNUSED_DAYS} 天以上未使用，应予收回",
            f"grant {g.id} ({g.dataset_code}) has not been used for {UNUSED_DAYS} days or more; revoke it",
            {"grant_id": g.id, "dataset": g.dataset_code, "starts_at": ctx.aware(g.starts_at).isoformat()},
        )
