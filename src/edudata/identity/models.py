"""Bearer tokens, web sessions, login attempts and the blacklist (Art. 54 身份鉴别, Art. 59 行为追溯).

Tokens and session ids are random secrets handed to the client once; only their SHA-256 is stored, so a copy of
the database grants no access. Login attempts are kept to lock out guessing (per account and per address).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from edudata.db import Base, utcnow


class ApiToken(Base):
    """An API bearer token (访问令牌): expires after ``token_ttl_minutes``, revocable at once."""

    __tablename__ = "identity_api_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("org_account.id"), index=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class WebSession(Base):
    """A browser session (会话): the cookie holds the secret, the row its hash and the CSRF token."""

    __tablename__ = "identity_web_session"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_hash: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("org_account.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # How the person signed in: "password" (local, with TOTP when enrolled), "cas" or "oidc" (the school's
    # sign-on; its second factor is the IdP's). ``sso_ref`` is the SHA-256 of the CAS service ticket or the
    # OIDC session id, so the IdP's single-logout message can find this session.
    auth_method: Mapped[str] = mapped_column(String(16), default="password", server_default="password")
    sso_ref: Mapped[str | None] = mapped_column(String(64), index=True, nullable=True)


class LoginAttempt(Base):
    """One login attempt (登录记录), successful or not; failures in a window lock the account and the address.

    ``reason`` says why it failed (``bad_password``, ``locked``, ``disabled`` …) or, on a success row, what reset
    the failure count (``ok`` for a login, ``unlocked`` for an administrator's unlock).
    """

    __tablename__ = "identity_login_attempt"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(150), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    success: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True, default=utcnow)


class Blacklist(Base):
    """A refused account (``kind="account"``, value = username) or address (``kind="address"``, IP or CIDR)."""

    __tablename__ = "identity_blacklist"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(150))
    reason: Mapped[str] = mapped_column(String(500), default="")
    created_by: Mapped[str | None] = mapped_column(String(150), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class ServiceClient(Base):
    """A business system's API client (服务账户, Art. 30, 54): OAuth2 client credentials for an account of its own,
    bound to a unit and never to a person's password.

    Only SHA-256 of each secret is kept (they are 256-bit random strings, like tokens). Rotating keeps the old
    secret valid until ``previous_valid_until`` so the system can be redeployed without an outage.
    """

    __tablename__ = "identity_service_client"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("org_account.id"), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    secret_hash: Mapped[str] = mapped_column(String(64))
    previous_secret_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    previous_valid_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_by: Mapped[str | None] = mapped_column(String(150), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    rotated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
