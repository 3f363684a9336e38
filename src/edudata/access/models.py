"""Grants (共享授权) and the policy epoch that invalidates every process's cached decisions at once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from edudata.db import Base, utcnow


class AccessGrant(Base):
    """What one unit may read of one dataset (Art. 38-42): elements, rows, masking, purpose, period.

    The sharing domain creates grants through applications and approvals; the data path only reads them.
    Dataset and unit are named by their codes (stable natural keys, 一校一码), like the audit log does.
    """

    __tablename__ = "access_grant"
    # At most one unrevoked grant per source (one share application: "sharing:<id>"), whatever the code does:
    # a second approval at the same moment cannot leave a second grant that outlives the revocation.
    __table_args__ = (
        Index(
            "uq_access_grant_active_source",
            "source",
            unique=True,
            postgresql_where=text("revoked_at IS NULL AND source IS NOT NULL"),
            sqlite_where=text("revoked_at IS NULL AND source IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_code: Mapped[str] = mapped_column(String(64), index=True)
    grantee_unit_code: Mapped[str] = mapped_column(String(32), index=True)
    grantee_account_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    elements: Mapped[list[str]] = mapped_column(JSON)
    row_filter: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    masking: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    purpose: Mapped[str] = mapped_column(Text)
    # The kind of purpose (Art. 32, 54): business, statistics, research or decision; analysis is de-identified.
    purpose_kind: Mapped[str | None] = mapped_column(String(16), nullable=True)
    deidentified: Mapped[bool] = mapped_column(Boolean, default=False)
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    revoked_by: Mapped[str | None] = mapped_column(String(150), nullable=True)
    revoke_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_by: Mapped[str | None] = mapped_column(String(150), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    source: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # read: the elements are delivered; verify (用而不存, Art. 51): the elements are only checked, never read.
    kind: Mapped[str] = mapped_column(String(16), default="read", server_default="read")


class PolicyEpoch(Base):
    """One row; its counter rises whenever the catalogue or a grant changes. Caches key on it, so every app
    server sees a change on its next request without any message bus."""

    __tablename__ = "access_policy_epoch"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    value: Mapped[int] = mapped_column(Integer, default=0)


class DataCopy(Base):
    """A copy of governed rows handed out of the platform (Art. 35 副本): an export, a signed package, a page
    delivered to a grant holder. Destruction lists the copies that held a person and asks their holders to delete
    them; the people are recorded by ``subject_ref`` only (:class:`DataCopySubject`)."""

    __tablename__ = "access_copy"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # export | package | grant_delivery
    dataset_code: Mapped[str] = mapped_column(String(64), index=True)
    account_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    username: Mapped[str | None] = mapped_column(String(150), nullable=True)
    unit_code: Mapped[str | None] = mapped_column(String(32), nullable=True)
    grant_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    request_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    row_count: Mapped[int] = mapped_column(Integer, default=0)
    made_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class DataCopySubject(Base):
    """One person (their blind-index ``subject_ref``) in one copy."""

    __tablename__ = "access_copy_subject"

    copy_id: Mapped[int] = mapped_column(ForeignKey("access_copy.id", ondelete="CASCADE"), primary_key=True)
    subject_ref: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
