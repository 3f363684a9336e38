"""Open-data keys after issue: listed, and revoked at once by their holder or by the office (Art. 47 有条件开放).

A key is scoped to the one view its application was approved for and expires after a year; revocation ends it
before that — a holder who lost it or no longer needs it, the office when the use breaks the conditions it was
granted under. A revoked key stays revoked (the holder applies again); every revocation is audited with who and
why, and the office's needs a reason.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from edudata.audit import service as audit
from edudata.db import utcnow
from edudata.errors import Conflict, NotFound, ValidationFailed
from edudata.identity.principal import Principal
from edudata.identity.tokens import as_utc
from edudata.opendata.models import OpenKey, PublicUser
from edudata.policy import require


def describe(key: OpenKey, holder: PublicUser | None = None) -> dict[str, Any]:
    """A key as its holder and the office see it: never the secret, only its first characters."""
    now = utcnow()
    if key.revoked_at is not None:
        state = "revoked"
    elif key.expires_at is not None and as_utc(key.expires_at) < now:
        state = "expired"
    else:
        state = "active"
    out = {
        "id": key.id, "prefix": key.prefix, "view": key.view_code, "application": key.application_id,
        "state": state, "created_at": key.created_at.isoformat(),
        "expires_at": key.expires_at.isoformat() if key.expires_at else None,
        "revoked_at": key.revoked_at.isoformat() if key.revoked_at else None,
        "revoked_by": key.revoked_by, "revoke_reason": key.revoke_reason,
    }  # fmt: skip
    if holder is not None:
        out["holder"] = {"email": holder.email, "name": holder.name, "organisation": holder.organisation}
    return out


def keys_of(session: Session, user: PublicUser) -> list[dict[str, Any]]:
    rows = session.scalars(select(OpenKey).where(OpenKey.user_id == user.id).order_by(OpenKey.id))
    return [describe(k) for k in rows]


def all_keys(session: Session, who: Principal, view: str | None = None) -> list[dict[str, Any]]:
    """Every key with its holder, for the office."""
    require(who, "opendata.key.manage")
    stmt = select(OpenKey, PublicUser).join(PublicUser, PublicUser.id == OpenKey.user_id).order_by(OpenKey.id)
    if view:
        stmt = stmt.where(OpenKey.view_code == view)
    return [describe(k, u) for k, u in session.execute(stmt).all()]


def revoke_own(session: Session, user: PublicUser, key_id: int, source_ip: str) -> OpenKey:
    """The holder ends its own key (another person's key is as good as absent: 404, audited as refused)."""
    key = session.get(OpenKey, key_id)
    if key is None or key.user_id != user.id:
        raise NotFound(f"没有密钥 {key_id}", f"no key {key_id}")
    return _revoke(
        session, key, f"public:{user.email}"[:150], "持有人撤销 / revoked by its holder", source_ip
    )


def revoke_by_office(session: Session, who: Principal, key_id: int, reason: str) -> OpenKey:
    """The office ends a key at once, with a reason the holder is shown."""
    require(who, "opendata.key.manage")
    reason = reason.strip() if isinstance(reason, str) else ""
    if not reason:
        raise ValidationFailed(
            "reason：撤销须说明理由", "reason: a revocation needs a reason", field="reason"
        )
    key = session.get(OpenKey, key_id)
    if key is None:
        raise NotFound(f"没有密钥 {key_id}", f"no key {key_id}")
    return _revoke(session, key, who.username, reason[:2000], who.source_ip, account_id=who.account_id)


def _revoke(
    session: Session, key: OpenKey, by: str, reason: str, source_ip: str, account_id: int | None = None
) -> OpenKey:
    if key.revoked_at is not None:
        raise Conflict("该密钥已撤销", "this key is already revoked")
    key.revoked_at, key.revoked_by, key.revoke_reason = utcnow(), by, reason
    session.flush()
    audit.record(
        session, operation="opendata_key_revoke", account_id=account_id, username=by, source_ip=source_ip,
        detail={"key_id": key.id, "prefix": key.prefix, "view": key.view_code, "reason": reason[:200]},
    )  # fmt: skip
    return key
