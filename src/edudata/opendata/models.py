"""Tables of the open-data portal (开放数据, Art. 43-46, 56, 58).

- ``opendata_view``: a dataset, or a de-identified or aggregated view of one, proposed for opening, with its
  open category, licence and update frequency; its ``status`` walks the three-level review (三级审核, Art. 46).
- ``opendata_review``: each level's decision, the office's secrecy review (保密审查) among them; kept forever.
- ``opendata_version``: every published materialisation (rows as Arrow IPC, hash, row count): versions are kept.
- ``opendata_search_gram``: character bigrams of the published metadata, the Chinese full-text index.
- ``opendata_public_user`` / ``opendata_public_session``: citizens and organisations registered on the portal
  (not staff accounts: they hold no role and no unit).
- ``opendata_application`` / ``opendata_key``: applications for conditional data and the keys they yield.

Datasets are named by their codes (stable natural keys), as in the audit log and the grants.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from edudata.db import Base, utcnow


class OpenView(Base):
    """A candidate for the open catalogue (开放目录) and, once the leadership group approves, a published view."""

    __tablename__ = "opendata_view"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    dataset_code: Mapped[str] = mapped_column(String(64), index=True)
    unit_code: Mapped[str] = mapped_column(String(32), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # dataset | deidentified | aggregate
    title: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    open_category: Mapped[str] = mapped_column(String(16))
    licence: Mapped[str] = mapped_column(String(32))
    update_frequency: Mapped[str] = mapped_column(String(16))
    refresh_seconds: Mapped[int] = mapped_column(Integer)
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: 有条件开放 (Art. 44(2)): the provider's conditions — who may apply, for what, with which commitments —
    #: each ``{"id", "kind", "text", "text_en"}`` (:mod:`edudata.opendata.conditions`); none for unconditional.
    conditions: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, nullable=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    proposed_by: Mapped[str] = mapped_column(String(150))
    proposed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    refusal_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    refreshed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    next_refresh_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True, index=True
    )
    current_version: Mapped[int] = mapped_column(Integer, default=0)


class OpenReview(Base):
    """One level's decision (unit → office → leadership); ``secrecy`` holds the office's 保密审查 record."""

    __tablename__ = "opendata_review"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    view_id: Mapped[int] = mapped_column(ForeignKey("opendata_view.id"), index=True)
    level: Mapped[str] = mapped_column(String(16))  # unit | office | leadership
    decision: Mapped[str] = mapped_column(String(16))  # approve | refuse
    reviewer: Mapped[str] = mapped_column(String(150))
    reason: Mapped[str] = mapped_column(Text, default="")
    secrecy: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class OpenVersion(Base):
    """One published materialisation of a view; a refresh whose content changed adds the next number."""

    __tablename__ = "opendata_version"
    __table_args__ = (UniqueConstraint("view_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    view_id: Mapped[int] = mapped_column(ForeignKey("opendata_view.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    columns: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    row_count: Mapped[int] = mapped_column(Integer)
    suppressed: Mapped[int] = mapped_column(Integer, default=0)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)  # loaded only when not cached
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SearchGram(Base):
    """A character bigram (or a single character, or a lower-cased Latin word) of a published view's text."""

    __tablename__ = "opendata_search_gram"

    view_id: Mapped[int] = mapped_column(ForeignKey("opendata_view.id"), primary_key=True)
    gram: Mapped[str] = mapped_column(String(32), primary_key=True, index=True)
    weight: Mapped[int] = mapped_column(Integer, default=1)


class PublicUser(Base):
    """A citizen or organisation registered on the portal; may apply once the e-mail address is verified."""

    __tablename__ = "opendata_public_user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    organisation: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    verify_hash: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    verify_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PublicSession(Base):
    """A public user's login (cookie on the portal, bearer on the API): only the secret's SHA-256 is kept."""

    __tablename__ = "opendata_public_session"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("opendata_public_user.id"), index=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class OpenApplication(Base):
    """An application for a conditional view (有条件开放): purpose and use stated, decided by the office."""

    __tablename__ = "opendata_application"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("opendata_public_user.id"), index=True)
    view_id: Mapped[int] = mapped_column(ForeignKey("opendata_view.id"), index=True)
    purpose: Mapped[str] = mapped_column(Text)
    usage: Mapped[str] = mapped_column(Text)
    #: the applicant's answer to each of the view's conditions, by condition id (a commitment: ``true``)
    answers: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    #: the conditions as they stood when the applicant answered them (the review checks those)
    conditions: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, nullable=True)
    #: the office's check of each answer, by condition id (met or not), kept with its decision
    checks: Mapped[dict[str, bool] | None] = mapped_column(JSON, nullable=True)
    status: Mapped[str] = mapped_column(String(16), index=True)  # pending | approved | refused
    decided_by: Mapped[str | None] = mapped_column(String(150), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class OpenKey(Base):
    """An open-data key (开放数据密钥) scoped to the one view its application was approved for."""

    __tablename__ = "opendata_key"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[int] = mapped_column(ForeignKey("opendata_public_user.id"), index=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("opendata_application.id"), unique=True)
    view_code: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    revoked_by: Mapped[str | None] = mapped_column(String(150), nullable=True)
    revoke_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
