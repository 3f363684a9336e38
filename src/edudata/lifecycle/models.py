"""Tables of the lifecycle domain: destruction, backups, drills, incidents, alerts, people (Art. 12, 34-36, 49-55, 60).

Destruction requests hold no identifier of the person to destroy: only the pseudonymous ``subject_ref`` (the
blind index of the ID number) and the row ids found when the request was made. Audit-facing columns are plain
values; accounts are referenced by foreign key where the account must exist (agreements, offboarding).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, Boolean, Date, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from edudata.db import Base, utcnow


class DestructionRequest(Base):
    """A request to destroy data (数据销毁申请, Art. 34-36): scope, reason, approval by the office, execution.

    ``scope_kind``: ``person`` (every row of one person in every dataset), ``people`` (the same for a list of
    people, ``subject_refs``), ``dataset`` (a whole dataset) or
    ``before`` (rows of a dataset created before ``cutoff``). ``targets`` maps dataset codes to row ids (person)
    so execution needs no identifier; ``scope_hash`` is SHA-256 over the canonical scope.
    """

    __tablename__ = "lifecycle_destruction"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scope_kind: Mapped[str] = mapped_column(String(16))
    dataset_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    cutoff: Mapped[date | None] = mapped_column(Date, nullable=True)
    subject_ref: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # ``people``: every person's subject reference (one request, one approval, one certificate for all of them).
    subject_refs: Mapped[list | None] = mapped_column(JSON, nullable=True)
    targets: Mapped[dict] = mapped_column(JSON, default=dict)
    row_count: Mapped[int] = mapped_column(BigInteger, default=0)
    reason: Mapped[str] = mapped_column(Text)
    scope_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="requested", index=True)
    requested_by: Mapped[str] = mapped_column(String(150))
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    decided_by: Mapped[str | None] = mapped_column(String(150), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    decision_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    executed_by: Mapped[str | None] = mapped_column(String(150), nullable=True)
    executed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class DestructionCertificate(Base):
    """The signed destruction certificate (销毁证明): what, why, who approved, when, hash of the scope."""

    __tablename__ = "lifecycle_certificate"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("lifecycle_destruction.id"), unique=True)
    body: Mapped[str] = mapped_column(Text)  # canonical JSON, exactly the signed bytes
    signature: Mapped[str] = mapped_column(String(128))
    key_id: Mapped[str] = mapped_column(String(16))
    public_key: Mapped[str] = mapped_column(String(64))
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class BackupRecord(Base):
    """One backup set (备份, Art. 55, 60): where its copies are, its digest, and when it was last verified."""

    __tablename__ = "lifecycle_backup"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    backend: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16), default="manual")
    local_path: Mapped[str] = mapped_column(String(500))
    offsite_path: Mapped[str | None] = mapped_column(String(500), nullable=True)
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(150))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    verified_ok: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    pruned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class BackupSchedule(Base):
    """A scheduled backup with retention (定期备份): run by ``edudata backup run-scheduled`` from cron/timer."""

    __tablename__ = "lifecycle_backup_schedule"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    every_hours: Mapped[int] = mapped_column(Integer)
    keep_last: Mapped[int] = mapped_column(Integer)
    keep_days: Mapped[int] = mapped_column(Integer)
    local_dir: Mapped[str] = mapped_column(String(500))
    offsite_dir: Mapped[str | None] = mapped_column(String(500), nullable=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    last_run_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_by: Mapped[str] = mapped_column(String(150))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class RestoreDrill(Base):
    """A restore drill (恢复演练): a backup restored into a scratch database and checked."""

    __tablename__ = "lifecycle_restore_drill"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    backup_name: Mapped[str] = mapped_column(String(100))
    performed_by: Mapped[str] = mapped_column(String(150))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    ok: Mapped[bool] = mapped_column(Boolean)
    detail: Mapped[dict] = mapped_column(JSON, default=dict)


class EmergencyPlan(Base):
    """The emergency response plan (应急预案, Art. 55); the newest version is in force."""

    __tablename__ = "lifecycle_emergency_plan"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    version: Mapped[str] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text)
    approved_by: Mapped[str | None] = mapped_column(String(150), nullable=True)
    approved_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    created_by: Mapped[str] = mapped_column(String(150))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Incident(Base):
    """A security incident (安全事件, Art. 55): detected, contained, reported to whom, root cause."""

    __tablename__ = "lifecycle_incident"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    severity: Mapped[str] = mapped_column(String(16))
    detected_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    contained_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    reported_to: Mapped[str | None] = mapped_column(String(200), nullable=True)
    reported_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    root_cause: Mapped[str | None] = mapped_column(Text, nullable=True)
    actions: Mapped[str | None] = mapped_column(Text, nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    created_by: Mapped[str] = mapped_column(String(150))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Drill(Base):
    """An emergency drill (应急演练, Art. 55)."""

    __tablename__ = "lifecycle_drill"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scenario: Mapped[str] = mapped_column(String(200))
    held_on: Mapped[date] = mapped_column(Date, index=True)
    participants: Mapped[str] = mapped_column(Text)
    findings: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_by: Mapped[str] = mapped_column(String(150))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AlertHandling(Base):
    """The office's handling of one anomaly alert (异常告警处置); alerts themselves are computed from the audit log."""

    __tablename__ = "lifecycle_alert_handling"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_key: Mapped[str] = mapped_column(String(200), unique=True)
    handled_by: Mapped[str] = mapped_column(String(150))
    handled_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    note: Mapped[str] = mapped_column(Text)


class Agreement(Base):
    """A signed confidentiality agreement on file (保密协议): 附件3 before work, 附件4 on leaving (Art. 12, 49)."""

    __tablename__ = "lifecycle_agreement"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("org_account.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # annex3 | annex4
    signed_on: Mapped[date] = mapped_column(Date)
    document_ref: Mapped[str] = mapped_column(String(200))
    document_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    recorded_by: Mapped[str] = mapped_column(String(150))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class UnitOfficer(Base):
    """A unit's data-protection officer (数据安全/保护负责人, Art. 49, 53)."""

    __tablename__ = "lifecycle_unit_officer"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("org_account.id"), index=True)
    appointed_on: Mapped[date] = mapped_column(Date)
    appointed_by: Mapped[str] = mapped_column(String(150))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class TrainingRecord(Base):
    """Data-security training attended (安全培训, Art. 53)."""

    __tablename__ = "lifecycle_training"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("org_account.id"), index=True)
    course: Mapped[str] = mapped_column(String(200))
    held_on: Mapped[date] = mapped_column(Date)
    hours: Mapped[int] = mapped_column(Integer)
    passed: Mapped[bool] = mapped_column(Boolean, default=True)
    recorded_by: Mapped[str] = mapped_column(String(150))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Offboarding(Base):
    """One offboarding (离岗离职, Art. 12, 49): what was revoked, devices handed back, the off-duty period."""

    __tablename__ = "lifecycle_offboarding"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("org_account.id"), unique=True)
    left_on: Mapped[date] = mapped_column(Date)
    off_duty_until: Mapped[date] = mapped_column(Date)
    commitment_id: Mapped[int] = mapped_column(ForeignKey("lifecycle_agreement.id"))
    devices: Mapped[list] = mapped_column(JSON, default=list)
    revoked: Mapped[dict] = mapped_column(JSON, default=dict)
    performed_by: Mapped[str] = mapped_column(String(150))
    performed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Devices not back need an exception approved by another office administrator or the leadership group
    # ({"approved_by", "reason"}, Art. 53 清退信息设备); the exit secrecy education (离岗保密教育) is dated.
    device_exception: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    exit_education_on: Mapped[date | None] = mapped_column(Date, nullable=True)


class OutsourcingCommitment(Base):
    """An outsourcing firm's signed 《天津市教育数据安全保密承诺书》 on file, per support unit (Art. 53)."""

    __tablename__ = "lifecycle_outsourcing_commitment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    signed_on: Mapped[date] = mapped_column(Date)
    document_ref: Mapped[str] = mapped_column(String(200))
    recorded_by: Mapped[str] = mapped_column(String(150))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SecurityAssessment(Base):
    """A security test (安全测评) or risk assessment (风险评估) of a unit, its findings and the date they are due
    to be corrected; ``closed_on`` when they are (Art. 49 定期组织开展安全测评和风险评估)."""

    __tablename__ = "lifecycle_security_assessment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # test | risk
    held_on: Mapped[date] = mapped_column(Date)
    assessor: Mapped[str] = mapped_column(String(200))
    findings: Mapped[str] = mapped_column(Text, default="")
    due_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    closed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    recorded_by: Mapped[str] = mapped_column(String(150))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
