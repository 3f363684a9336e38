"""Inspection runs and their findings (检查与监督, Art. 61-64, 67).

A *run* is one inspection in one of the three modes of Art. 62 (日常抽查 daily spot check, 专项检查 special check,
年底检查 year-end check) over chosen checks and units. A *finding* is one violation the platform's own records
show, identified across runs by its fingerprint (check + unit + subject), so a re-run says what is new, what is
still open and what was resolved. A finding is assigned to its unit, answered by the unit and closed by the
office with evidence (Art. 64 责令限期改正, Art. 67 约谈整改). Units and accounts are named by code and username,
like the audit log, so a finding outlives a renamed unit.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from edudata.db import Base, utcnow


class InspectionRun(Base):
    """One inspection (检查): mode, scope (check codes, unit codes or all), who started it, and its counts."""

    __tablename__ = "inspect_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mode: Mapped[str] = mapped_column(String(16), index=True)
    status: Mapped[str] = mapped_column(String(16), default="running")
    title: Mapped[str] = mapped_column(String(200), default="")
    checks: Mapped[list[str]] = mapped_column(JSON)
    units: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    seed: Mapped[int | None] = mapped_column(Integer, nullable=True)
    started_by: Mapped[str] = mapped_column(String(150))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    new_count: Mapped[int] = mapped_column(Integer, default=0)
    open_count: Mapped[int] = mapped_column(Integer, default=0)
    resolved_count: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: the leadership group's notice (检查通知, Art. 61) this run carries out, if any
    notice_id: Mapped[int | None] = mapped_column(ForeignKey("inspect_notice.id"), nullable=True, index=True)


class InspectionContent(Base):
    """The inspection's content as the leadership group set it (Art. 61): the checks inspections run. The
    newest row is in force; earlier ones are the history. Statutory checks are always in it."""

    __tablename__ = "inspect_content"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    checks: Mapped[list[str]] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(Text, default="")
    set_by: Mapped[str] = mapped_column(String(150))
    set_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class InspectionNotice(Base):
    """An inspection notice (检查通知) the leadership group issues (Art. 61): mode, checks, units, period, text."""

    __tablename__ = "inspect_notice"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    mode: Mapped[str] = mapped_column(String(16))
    checks: Mapped[list[str]] = mapped_column(JSON)
    units: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    body: Mapped[str] = mapped_column(Text)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    issued_by: Mapped[str] = mapped_column(String(150))
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Escalation(Base):
    """A finding passed to the discipline inspection and supervision body (移交纪检监察, Art. 64), on record."""

    __tablename__ = "inspect_escalation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    finding_id: Mapped[int] = mapped_column(ForeignKey("inspect_finding.id"), index=True)
    referred_to: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    reference: Mapped[str] = mapped_column(String(200), default="")
    escalated_by: Mapped[str] = mapped_column(String(150))
    escalated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Interview(Base):
    """An interview (约谈, Art. 67): when, who interviewed whom, of which unit, about which findings, outcome."""

    __tablename__ = "inspect_interview"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    held_on: Mapped[date] = mapped_column(Date, index=True)
    unit_code: Mapped[str] = mapped_column(String(32), index=True)
    interviewers: Mapped[list[str]] = mapped_column(JSON)
    interviewees: Mapped[list[str]] = mapped_column(JSON)
    finding_ids: Mapped[list[int]] = mapped_column(JSON)
    subject: Mapped[str] = mapped_column(String(500))
    outcome: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(150))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Finding(Base):
    """One violation (问题) tied to its article, unit and severity, with the evidence the check saw.

    ``status`` follows the office's handling: open → assigned → answered → closed; ``resolved_run_id`` is set
    when a later run no longer sees the violation (the platform's records show it corrected).
    """

    __tablename__ = "inspect_finding"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64), index=True)
    check_code: Mapped[str] = mapped_column(String(64), index=True)
    article: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(16))
    unit_code: Mapped[str | None] = mapped_column(String(32), index=True, nullable=True)
    subject: Mapped[str] = mapped_column(String(300))
    title_zh: Mapped[str] = mapped_column(String(500))
    title_en: Mapped[str] = mapped_column(String(500))
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    first_run_id: Mapped[int] = mapped_column(ForeignKey("inspect_run.id"), index=True)
    last_run_id: Mapped[int] = mapped_column(ForeignKey("inspect_run.id"), index=True)
    resolved_run_id: Mapped[int | None] = mapped_column(
        ForeignKey("inspect_run.id"), index=True, nullable=True
    )
    detected_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    deadline: Mapped[date | None] = mapped_column(Date, nullable=True)
    assigned_unit_code: Mapped[str | None] = mapped_column(String(32), nullable=True)
    assigned_by: Mapped[str | None] = mapped_column(String(150), nullable=True)
    assigned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    answer: Mapped[str | None] = mapped_column(Text, nullable=True)
    answered_by: Mapped[str | None] = mapped_column(String(150), nullable=True)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    close_evidence: Mapped[str | None] = mapped_column(Text, nullable=True)
    closed_by: Mapped[str | None] = mapped_column(String(150), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    reopened: Mapped[int] = mapped_column(Integer, default=0)
    #: how many times a run saw it again right after the previous inspection covering it saw it (重复出现)
    repeat_count: Mapped[int] = mapped_column(Integer, default=0)


class FindingObservation(Base):
    """What one run saw of one finding: ``new``, ``open`` (still there) or ``resolved`` (gone since last time)."""

    __tablename__ = "inspect_observation"
    __table_args__ = (UniqueConstraint("run_id", "finding_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("inspect_run.id"), index=True)
    finding_id: Mapped[int] = mapped_column(ForeignKey("inspect_finding.id"), index=True)
    change: Mapped[str] = mapped_column(String(16))
    #: seen by this run and by the previous run covering its check and unit: a repeat finding
    repeat: Mapped[bool] = mapped_column(Boolean, default=False)
