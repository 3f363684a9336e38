"""Bearer tokens and web sessions: random secrets for the client, only their SHA-256 in the database (Art. 54).

A token or session works until it expires or is revoked; every request re-checks the account (disabled,
blacklisted), so neither outlives a decision to cut someone off.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from edudata.config import Settings
from edudata.db import utcnow
from edudata.identity.models import ApiToken, WebSession

SESSION_COOKIE = "edudata_session"


def digest(secret: str) -> str:
    """SHA-256 (hex) of a token or session secret: what the database keeps."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class Issued:
    """A secret handed to the client once, its expiry, and (for web sessions) the session's CSRF token."""

    secret: str
    expires_at: datetime
    csrf_token: str = ""


def issue_token(session: Session, account_id: int, settings: Settings, now: datetime | None = None) -> Issued:
    now = now or utcnow()
    secret = "edt_" + secrets.token_urlsafe(32)
    expires = now + timedelta(minutes=settings.token_ttl_minutes)
    session.add(
        ApiToken(token_hash=digest(secret), account_id=account_id, expires_at=expires, created_at=now)
    )
    session.flush()
    return Issued(secret, expires)


def open_session(
    session: Session,
    account_id: int,
    settings: Settings,
    now: datetime | None = None,
    *,
    auth_method: str = "password",
    sso_ref: str | None = None,
) -> Issued:
    """A new browser session; ``sso_ref`` (a CAS ticket or OIDC session id) is stored as its SHA-256."""
    now = now or utcnow()
    secret = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    expires = now + timedelta(minutes=settings.session_ttl_minutes)
    session.add(
        WebSession(
            session_hash=digest(secret),
            account_id=account_id,
            csrf_token=csrf,
            expires_at=expires,
            created_at=now,
            last_seen_at=now,
            auth_method=auth_method,
            sso_ref=digest(sso_ref) if sso_ref else None,
        )
    )
    session.flush()
    return Issued(secret, expires, csrf)


def find_token(session: Session, secret: str) -> ApiToken | None:
    return session.execute(select(ApiToken).where(ApiToken.token_hash == digest(secret))).scalar_one_or_none()


def find_session(session: Session, secret: str) -> WebSession | None:
    return session.execute(
        select(WebSession).where(WebSession.session_hash == digest(secret))
    ).scalar_one_or_none()


def is_live(expires_at: datetime, revoked_at: datetime | None, now: datetime) -> bool:
    return revoked_at is None and as_utc(expires_at) > now


def as_utc(value: datetime) -> datetime:
    """SQLite returns naive datetimes for timezone-aware columns; they were stored as UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def revoke_token(session: Session, secret: str, now: datetime | None = None) -> bool:
    token = find_token(session, secret)
    if token is None or token.revoked_at is not None:
        return False
    token.revoked_at = now or utcnow()
    session.flush()
    return True


def revoke_session(session: Session, secret: str, now: datetime | None = None) -> bool:
    web = find_session(session, secret)
    if web is None or web.revoked_at is not None:
        return False
    web.revoked_at = now or utcnow()
    session.flush()
    return True


def revoke_sso_sessions(session: Session, sso_ref: str, now: datetime | None = None) -> list[int]:
    """End the live sessions the IdP's single-logout names; returns their accounts."""
    rows = session.execute(
        select(WebSession).where(WebSession.sso_ref == digest(sso_ref), WebSession.revoked_at.is_(None))
    ).scalars()
    ended = []
    for web in rows:
        web.revoked_at = now or utcnow()
        ended.append(web.account_id)
    session.flush()
    return ended


def revoke_all(session: Session, account_id: int, now: datetime | None = None) -> None:
    """End every token and session of an account (disabled, blacklisted, password changed)."""
    now = now or utcnow()
    for model in (ApiToken, WebSession):
        session.execute(
            update(model)
            .where(model.account_id == account_id, model.revoked_at.is_(None))
            .values(revoked_at=now)
        )
    session.flush()
