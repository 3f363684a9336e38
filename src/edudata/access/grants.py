"""Reading grants for decisions; creating, revoking and ending them (the sharing domain and the people's
lifecycle — leaving, moving — call these; the grant table is written nowhere else)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from edudata.access.decision import GrantView
from edudata.access.models import AccessGrant
from edudata.access.policy_cache import bump_epoch, cached
from edudata.db import utcnow
from edudata.errors import NotFound

GRANT_KINDS = ("read", "verify")


def _view(g: AccessGrant) -> GrantView:
    return GrantView(
        id=g.id,
        dataset_code=g.dataset_code,
        grantee_unit_code=g.grantee_unit_code,
        elements=tuple(g.elements or ()),
        row_filter=g.row_filter,
        masking=dict(g.masking or {}),
        # SQLite hands back naive datetimes for timezone-aware columns; they were stored as UTC.
        expires_at=g.expires_at.replace(tzinfo=UTC)
        if g.expires_at and not g.expires_at.tzinfo
        else g.expires_at,
        revoked=g.revoked_at is not None,
        deidentified=g.deidentified,
        grantee_account_id=g.grantee_account_id,
        kind=g.kind or "read",
    )


def active_grants(session: Session, dataset_code: str, unit_code: str) -> tuple[GrantView, ...]:
    """Unrevoked grants of ``unit_code`` on ``dataset_code`` (expiry is checked at decision time)."""

    def load() -> tuple[GrantView, ...]:
        rows = session.execute(
            select(AccessGrant).where(
                AccessGrant.dataset_code == dataset_code,
                AccessGrant.grantee_unit_code == unit_code,
                AccessGrant.revoked_at.is_(None),
            )
        ).scalars()
        return tuple(_view(g) for g in rows)

    return cached(session, "grants", f"{dataset_code}|{unit_code}", load)


def create_grant(
    session: Session,
    *,
    dataset_code: str,
    grantee_unit_code: str,
    elements: Sequence[str],
    purpose: str,
    row_filter: dict | None = None,
    masking: dict[str, str] | None = None,
    expires_at: datetime | None = None,
    created_by: str | None = None,
    deidentified: bool = False,
    grantee_account_id: int | None = None,
    source: str | None = None,
    kind: str = "read",
    purpose_kind: str | None = None,
) -> AccessGrant:
    if kind not in GRANT_KINDS:
        raise ValueError(f"grant kind {kind!r}")
    grant = AccessGrant(
        kind=kind,
        dataset_code=dataset_code,
        grantee_unit_code=grantee_unit_code,
        grantee_account_id=grantee_account_id,
        elements=list(elements),
        row_filter=row_filter,
        masking=dict(masking or {}),
        purpose=purpose,
        purpose_kind=purpose_kind,
        deidentified=deidentified,
        starts_at=utcnow(),
        expires_at=expires_at,
        created_by=created_by,
        source=source,
    )
    session.add(grant)
    session.flush()
    return grant


def revoke_grant(session: Session, grant_id: int, *, by: str, reason: str) -> AccessGrant:
    grant = session.get(AccessGrant, grant_id)
    if grant is None:
        raise NotFound(f"授权 {grant_id} 不存在", f"grant {grant_id} does not exist")
    if grant.revoked_at is None:
        grant.revoked_at = utcnow()
        grant.revoked_by = by
        grant.revoke_reason = reason
        session.flush()
    return grant


def end_for_account(
    session: Session, account_id: int, *, by: str, reason: str, now: datetime | None = None
) -> int:
    """End every data grant issued to the account itself (Art. 30), as on leaving or on a move between units,
    since a grant was given for the work of the old post; decisions cached before are dropped with it (the
    bulk update bypasses the ORM's watch of grants). Returns how many ended."""
    ended = session.execute(
        update(AccessGrant)
        .where(AccessGrant.grantee_account_id == account_id, AccessGrant.revoked_at.is_(None))
        .values(revoked_at=now or utcnow(), revoked_by=by, revoke_reason=reason[:200])
        .execution_options(synchronize_session=False)
    ).rowcount
    if ended:
        bump_epoch(session)
    return int(ended or 0)
