"""Tables of the privacy domain (C6; Art. 42, 50, 51, 54).

People are never named here in clear: a consent names its person by ``subject_ref`` (the blind index of the
ID number, the same reference the governed store keeps in ``_subject``) and the last four characters only.
Datasets and elements are named by their codes (stable natural keys), like the audit log does.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from edudata.db import Base, utcnow


class PrivacyAttachment(Base):
    """A document on file (assessment report, meeting minutes, filing receipt, audit report), with its hash."""

    __tablename__ = "privacy_attachment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100), default="application/octet-stream")
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by: Mapped[str | None] = mapped_column(String(150), nullable=True)
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class InformationSystem(Base):
    """An information system storing personal information (Art. 50): the platform itself (``datasets`` null =
    every governed dataset) or a business system holding some datasets."""

    __tablename__ = "privacy_system"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(48), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    owner_unit_code: Mapped[str] = mapped_column(String(32))
    datasets: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    protection_level: Mapped[int | None] = mapped_column(Integer, nullable=True)  # 网络安全等级保护 level
    pi_officer_username: Mapped[str | None] = mapped_column(String(150), nullable=True)
    pi_officer_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    pi_officer_since: Mapped[date | None] = mapped_column(Date, nullable=True)
    # An education app (教育 APP) the school develops or uses: at 200,000 people it needs 个人信息安全认证 (Art. 50).
    is_app: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[str | None] = mapped_column(String(150), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CommissionFiling(Base):
    """The system's filing with the city education commissions (向市教育两委备案, Art. 50: ≥ 200,000 people)."""

    __tablename__ = "privacy_filing"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    system_id: Mapped[int] = mapped_column(ForeignKey("privacy_system.id"), index=True)
    authority: Mapped[str] = mapped_column(String(100), default="市教育两委")
    reference_no: Mapped[str] = mapped_column(String(100))
    filed_on: Mapped[date] = mapped_column(Date)
    attachment_id: Mapped[int | None] = mapped_column(ForeignKey("privacy_attachment.id"), nullable=True)
    recorded_by: Mapped[str | None] = mapped_column(String(150), nullable=True)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PIAudit(Base):
    """An annual security audit of the system's PI processing (Art. 50: ≥ 1,000,000 people)."""

    __tablename__ = "privacy_pi_audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    system_id: Mapped[int] = mapped_column(ForeignKey("privacy_system.id"), index=True)
    audited_on: Mapped[date] = mapped_column(Date)
    auditor: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    attachment_id: Mapped[int | None] = mapped_column(ForeignKey("privacy_attachment.id"), nullable=True)
    recorded_by: Mapped[str | None] = mapped_column(String(150), nullable=True)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PersonCount(Base):
    """One count of the PI register: people in a system (``dataset_code`` null) or in one of its datasets."""

    __tablename__ = "privacy_person_count"
    __table_args__ = (Index("ix_privacy_person_count_system_at", "system_code", "counted_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    counted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    system_code: Mapped[str] = mapped_column(String(48))
    dataset_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    people: Mapped[int] = mapped_column(Integer)
    linked: Mapped[bool] = mapped_column(Boolean, default=True)  # counted by ID number across datasets
    counted_by: Mapped[str | None] = mapped_column(String(150), nullable=True)


class SensitiveAssessment(Base):
    """必要性、科学性、伦理性论证 of collecting one sensitive-PI element (Art. 51)."""

    __tablename__ = "privacy_assessment"
    __table_args__ = (Index("ix_privacy_assessment_element", "dataset_code", "element_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_code: Mapped[str] = mapped_column(String(64))
    element_code: Mapped[str] = mapped_column(String(32))
    necessity: Mapped[str] = mapped_column(Text)
    scientific_basis: Mapped[str] = mapped_column(Text)
    ethics: Mapped[str] = mapped_column(Text)
    impact: Mapped[str] = mapped_column(Text)  # told to each person when asking consent
    conclusion: Mapped[str] = mapped_column(String(16))  # necessary / not_necessary
    assessed_on: Mapped[date] = mapped_column(Date)
    attachment_id: Mapped[int | None] = mapped_column(ForeignKey("privacy_attachment.id"), nullable=True)
    recorded_by: Mapped[str | None] = mapped_column(String(150), nullable=True)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CollectiveDecision(Base):
    """单位领导班子集体决策 on an assessment (Art. 51): meeting, date, outcome and the minutes on file."""

    __tablename__ = "privacy_decision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("privacy_assessment.id"), index=True)
    body: Mapped[str] = mapped_column(String(200))
    meeting: Mapped[str] = mapped_column(String(200))
    meeting_date: Mapped[date] = mapped_column(Date)
    outcome: Mapped[str] = mapped_column(String(16))  # approved / rejected
    attendees: Mapped[str] = mapped_column(Text, default="")
    attachment_id: Mapped[int] = mapped_column(ForeignKey("privacy_attachment.id"))
    recorded_by: Mapped[str | None] = mapped_column(String(150), nullable=True)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Consent(Base):
    """A person's separate consent (单独同意, Art. 51) to one sensitive element being processed for a purpose."""

    __tablename__ = "privacy_consent"
    __table_args__ = (Index("ix_privacy_consent_subject", "subject_ref", "dataset_code", "element_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_ref: Mapped[str] = mapped_column(String(32))
    id_hint: Mapped[str] = mapped_column(String(8))
    dataset_code: Mapped[str] = mapped_column(String(64))
    element_code: Mapped[str] = mapped_column(String(32))
    purpose: Mapped[str] = mapped_column(Text)
    notice: Mapped[str] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(String(32), default="paper")
    given_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    recorded_by: Mapped[str | None] = mapped_column(String(150), nullable=True)
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    withdrawn_by: Mapped[str | None] = mapped_column(String(150), nullable=True)


class VerificationCall(Base):
    """One call of an inference-bearing service (``verify``, ``estimate``), for its per-account rate limit (the
    answer and values are not kept here)."""

    __tablename__ = "privacy_verification_call"
    __table_args__ = (Index("ix_privacy_verification_call_account_at", "account_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16), default="verify", server_default="verify")
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class DeidentifiedRelease(Base):
    """A de-identified release for statistics or research (Art. 42, 54) and its measured risk."""

    __tablename__ = "privacy_release"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_code: Mapped[str] = mapped_column(String(64))
    purpose: Mapped[str] = mapped_column(Text)
    quasi_identifiers: Mapped[list[str]] = mapped_column(JSON)
    sensitive_element: Mapped[str | None] = mapped_column(String(32), nullable=True)
    elements: Mapped[list[str]] = mapped_column(JSON)
    k_target: Mapped[int] = mapped_column(Integer)
    l_target: Mapped[int | None] = mapped_column(Integer, nullable=True)
    achieved_k: Mapped[int] = mapped_column(Integer)
    achieved_l: Mapped[int | None] = mapped_column(Integer, nullable=True)
    rows_in: Mapped[int] = mapped_column(Integer)
    rows_out: Mapped[int] = mapped_column(Integer)
    levels: Mapped[dict[str, Any]] = mapped_column(JSON)
    information_loss: Mapped[float] = mapped_column(Float)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON)
    sha256: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[str | None] = mapped_column(String(150), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AppCertification(Base):
    """An education app's personal-information security certification (个人信息安全认证, Art. 50), on file."""

    __tablename__ = "privacy_app_certification"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    system_id: Mapped[int] = mapped_column(ForeignKey("privacy_system.id"), index=True)
    certifier: Mapped[str] = mapped_column(String(200))
    certificate_no: Mapped[str] = mapped_column(String(100))
    certified_on: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    recorded_by: Mapped[str | None] = mapped_column(String(150), nullable=True)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
