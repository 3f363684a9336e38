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

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
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


class FindingObservation(Base):
    """What one run saw of one finding: ``new``, ``open`` (still there) or ``resolved`` (gone since last time)."""

    __tablename__ = "inspect_observation"
    __table_args__ = (UniqueConstraint("run_id", "finding_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("inspect_run.id"), index=True)
    finding_id: Mapped[int] = mapped_column(ForeignKey("inspect_finding.id"), index=True)
    change: Mapped[str] = mapped_column(String(16))
