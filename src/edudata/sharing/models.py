"""Tables of data sharing (数据共享, Art. 37-42, 50): applications (附件1), the use commitment (附件2) and its
signatures, reviews with deadlines, grant-scoped API credentials and the inbox.

The grant itself is :class:`edudata.access.models.AccessGrant` (the data path reads it); an application points at
the grant its approval created.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from edudata.db import Base, utcnow


class CommitmentText(Base):
    """One version of the use commitment (附件2 数据使用承诺书); a version is never edited, only superseded."""

    __tablename__ = "sharing_commitment_text"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[str] = mapped_column(String(32), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    body_sha256: Mapped[str] = mapped_column(String(64))
    effective_from: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(150), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SharingPolicy(Base):
    """The office's sharing settings (one row): auto-approval of 无条件共享, review deadline, minimum k, the
    Art. 50 threshold."""

    __tablename__ = "sharing_policy"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    auto_approve_unconditional: Mapped[bool] = mapped_column(Boolean, default=False)
    review_working_days: Mapped[int] = mapped_column(Integer, default=5)
    min_k: Mapped[int] = mapped_column(Integer, default=5)
    large_scale_threshold: Mapped[int] = mapped_column(Integer, default=200_000)
    updated_by: Mapped[str | None] = mapped_column(String(150), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ShareApplication(Base):
    """A share application (附件1 数据共享申请表): who asks, why, for exactly which elements and rows, how long."""

    __tablename__ = "sharing_application"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    applicant_account_id: Mapped[int] = mapped_column(ForeignKey("org_account.id"), index=True)
    applicant_username: Mapped[str] = mapped_column(String(150))
    applicant_unit_code: Mapped[str] = mapped_column(String(32), index=True)
    contact_name: Mapped[str] = mapped_column(String(100))
    contact_phone: Mapped[str] = mapped_column(String(32))
    purpose: Mapped[str] = mapped_column(Text)
    # What the data is for (Art. 32, 54): business, statistics, research or decision analysis; the last three are
    # delivered de-identified whatever else the application says.
    purpose_kind: Mapped[str] = mapped_column(String(16), default="business")
    business_basis: Mapped[str] = mapped_column(Text)
    dataset_code: Mapped[str] = mapped_column(String(64), index=True)
    owner_unit_code: Mapped[str] = mapped_column(String(32), index=True)
    share_category: Mapped[str] = mapped_column(String(16))
    elements: Mapped[list[str]] = mapped_column(JSON)
    row_filter: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    masking: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    delivery: Mapped[str] = mapped_column(String(16))
    security_measures: Mapped[str] = mapped_column(Text)
    third_party: Mapped[bool] = mapped_column(Boolean, default=False)
    third_party_name: Mapped[str] = mapped_column(String(200), default="")
    # Data beyond the authoritative basic data of Art. 10(1) needs the three-party agreement before the grant.
    needs_agreement: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(32), index=True)
    row_count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    people_count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    sensitive_elements: Mapped[list[str]] = mapped_column(JSON, default=list)
    refusal_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    grant_id: Mapped[int | None] = mapped_column(ForeignKey("access_grant.id"), nullable=True)
    k_anonymity: Mapped[int | None] = mapped_column(Integer, nullable=True)
    k_quasi_identifiers: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    k_computed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    commission_doc_name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    commission_doc_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    commission_doc: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    commission_doc_by: Mapped[str | None] = mapped_column(String(150), nullable=True)
    commission_doc_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # When the applicant was told the grant is about to end (once per application).
    expiry_notified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class CommitmentSignature(Base):
    """The applicant's signature of one commitment version: account, time, address and the text's SHA-256."""

    __tablename__ = "sharing_signature"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("sharing_application.id"), index=True)
    commitment_id: Mapped[int] = mapped_column(ForeignKey("sharing_commitment_text.id"))
    text_sha256: Mapped[str] = mapped_column(String(64))
    account_id: Mapped[int] = mapped_column(ForeignKey("org_account.id"))
    username: Mapped[str] = mapped_column(String(150))
    # ``applicant`` (the person who applies) or ``unit`` (the applicant unit's head, for the unit, Art. 41).
    capacity: Mapped[str] = mapped_column(String(16), default="applicant")
    unit_code: Mapped[str | None] = mapped_column(String(32), nullable=True)
    source_ip: Mapped[str | None] = mapped_column(String(64), nullable=True)
    signed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ShareReview(Base):
    """One review stage of an application (producer unit, then office — Art. 40) with its deadline."""

    __tablename__ = "sharing_review"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("sharing_application.id"), index=True)
    stage: Mapped[str] = mapped_column(String(16))
    reviewer_unit_code: Mapped[str] = mapped_column(String(32), index=True)
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    due_on: Mapped[date] = mapped_column(Date)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    decision: Mapped[str | None] = mapped_column(String(16), nullable=True)
    reviewer_account_id: Mapped[int | None] = mapped_column(ForeignKey("org_account.id"), nullable=True)
    reviewer_username: Mapped[str | None] = mapped_column(String(150), nullable=True)
    comment: Mapped[str] = mapped_column(Text, default="")
    changes: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    overdue_flagged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class GrantCredential(Base):
    """An API key scoped to one grant (共享凭证): only its SHA-256 is stored; the data path accepts it for that
    grant only, and nothing else in the API accepts it at all."""

    __tablename__ = "sharing_credential"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("access_grant.id"), index=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("sharing_application.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("org_account.id"))
    label: Mapped[str] = mapped_column(String(100), default="")
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hint: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[str] = mapped_column(String(150))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    revoked_by: Mapped[str | None] = mapped_column(String(150), nullable=True)
    # rotated, revoked, grant_revoked, or the holder's: holder_role_lost, holder_moved, holder_disabled.
    revoke_reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    replaced_by_id: Mapped[int | None] = mapped_column(Integer, nullable=True)


class Notification(Base):
    """A message in someone's web inbox (待办与通知): a review waiting, a decision, a revocation.

    With notification mail on, it is also the mail's record: ``mail_state`` is ``sent``, ``failed`` (with
    ``mail_error``), ``no_address`` (the account has no e-mail) or ``skipped`` (the account may no longer see the
    application); None when no mail was due (mail off).
    """

    __tablename__ = "sharing_notification"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("org_account.id"), index=True)
    application_id: Mapped[int | None] = mapped_column(ForeignKey("sharing_application.id"), nullable=True)
    kind: Mapped[str] = mapped_column(String(32))
    message_zh: Mapped[str] = mapped_column(String(500))
    message_en: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    mail_state: Mapped[str | None] = mapped_column(String(16), nullable=True)
    mail_error: Mapped[str | None] = mapped_column(String(300), nullable=True)
    mailed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class UnitHead(Base):
    """The head of a unit (单位负责人), who signs 附件2 for the unit (Art. 41) and signs off its written requests
    to provide data outside the school (Art. 42). One current head per unit; earlier ones keep ``ended_at``."""

    __tablename__ = "sharing_unit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_code: Mapped[str] = mapped_column(String(32), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("org_account.id"), index=True)
    username: Mapped[str] = mapped_column(String(150))
    designated_by: Mapped[str] = mapped_column(String(150))
    designated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class TripartiteAgreement(Base):
    """The three-party authorisation agreement (三方授权协议, Art. 10(1)) of one application: the user unit, the
    producer unit and the office signed it; the office files the signed document (kept with its SHA-256)."""

    __tablename__ = "sharing_agreement"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("sharing_application.id"), index=True)
    user_unit_code: Mapped[str] = mapped_column(String(32))
    producer_unit_code: Mapped[str] = mapped_column(String(32))
    office_unit_code: Mapped[str] = mapped_column(String(32))
    signed_on: Mapped[date] = mapped_column(Date)
    document_name: Mapped[str] = mapped_column(String(255))
    document_sha256: Mapped[str] = mapped_column(String(64))
    document: Mapped[bytes] = mapped_column(LargeBinary)
    filed_by: Mapped[str] = mapped_column(String(150))
    filed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SecrecyReview(Base):
    """The leadership group's security and secrecy review (安全保密审查, Art. 58) of data going outside the school:
    a third-party release of a share application, or an external provision request."""

    __tablename__ = "sharing_secrecy_review"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject: Mapped[str] = mapped_column(String(16))  # application | external
    subject_id: Mapped[int] = mapped_column(Integer, index=True)
    decision: Mapped[str] = mapped_column(String(16))  # approved | refused
    opinion: Mapped[str] = mapped_column(Text)
    reviewer_account_id: Mapped[int] = mapped_column(ForeignKey("org_account.id"))
    reviewer_username: Mapped[str] = mapped_column(String(150))
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ExternalRequest(Base):
    """A written request to provide shared data to someone outside the school or to publish it (对外提供或发布,
    Art. 42): the unit's head, the producer unit and the office agree, the leadership group's secrecy review
    (Art. 58) passes, then the office records the release."""

    __tablename__ = "sharing_external_request"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("sharing_application.id"), index=True)
    requester_account_id: Mapped[int] = mapped_column(ForeignKey("org_account.id"))
    requester_username: Mapped[str] = mapped_column(String(150))
    unit_code: Mapped[str] = mapped_column(String(32), index=True)
    owner_unit_code: Mapped[str] = mapped_column(String(32), index=True)
    dataset_code: Mapped[str] = mapped_column(String(64))
    elements: Mapped[list[str]] = mapped_column(JSON)
    kind: Mapped[str] = mapped_column(String(16))  # provide | publish
    recipient: Mapped[str] = mapped_column(String(200))
    purpose: Mapped[str] = mapped_column(Text)
    justification: Mapped[str] = mapped_column(Text)
    security_measures: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(32), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ExternalDecision(Base):
    """One stage's decision on an external request: unit head, producer unit, office or secrecy review."""

    __tablename__ = "sharing_external_decision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("sharing_external_request.id"), index=True)
    stage: Mapped[str] = mapped_column(String(16))
    decision: Mapped[str] = mapped_column(String(16))
    comment: Mapped[str] = mapped_column(Text, default="")
    account_id: Mapped[int] = mapped_column(ForeignKey("org_account.id"))
    username: Mapped[str] = mapped_column(String(150))
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ExternalRelease(Base):
    """The record of data actually provided or published outside (Art. 42, 58): tied to its approved request —
    no release row exists without one (``request_id`` unique, not null)."""

    __tablename__ = "sharing_external_release"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("sharing_external_request.id"), unique=True)
    secrecy_review_id: Mapped[int] = mapped_column(ForeignKey("sharing_secrecy_review.id"))
    recipient: Mapped[str] = mapped_column(String(200))
    elements: Mapped[list[str]] = mapped_column(JSON)
    channel: Mapped[str] = mapped_column(String(200))
    document_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    released_by: Mapped[str] = mapped_column(String(150))
    released_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
