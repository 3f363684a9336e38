"""Tables of collection and quality (数据采集与质量, Art. 20-24): batches, quarantine, rules, versions, jobs.

Governed rows never live here: good rows wait for review in an encrypted staging file and become
authoritative only through the data path; quarantined values are kept encrypted on disk too, and the
reasons below show them masked when the element is sensitive (Art. 51).
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
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from edudata.db import Base, utcnow


class Batch(Base):
    """One delivery of a dataset by its producer unit (a file upload or a pull), and its review (Art. 4(1), 22)."""

    __tablename__ = "ingest_batch"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    dataset_code: Mapped[str] = mapped_column(String(64), index=True)
    unit_code: Mapped[str] = mapped_column(String(32))
    source_kind: Mapped[str] = mapped_column(String(16))  # csv, xlsx, pull
    filename: Mapped[str] = mapped_column(String(255), default="")
    encoding: Mapped[str] = mapped_column(String(32), default="")
    size_bytes: Mapped[int] = mapped_column(Integer, default=0)
    sha256: Mapped[str] = mapped_column(String(64), default="")
    # validated → unit_approved → approved (loaded) | rejected | rolled_back
    status: Mapped[str] = mapped_column(String(16), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("ingest_batch.id"), nullable=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    uploaded_by: Mapped[str] = mapped_column(String(150))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    rows_total: Mapped[int] = mapped_column(Integer, default=0)
    rows_good: Mapped[int] = mapped_column(Integer, default=0)
    rows_quarantined: Mapped[int] = mapped_column(Integer, default=0)
    rows_blank: Mapped[int] = mapped_column(Integer, default=0)
    rows_already: Mapped[int] = mapped_column(Integer, default=0)
    report: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    unit_reviewed_by: Mapped[str | None] = mapped_column(String(150), nullable=True)
    unit_reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    unit_comment: Mapped[str] = mapped_column(Text, default="")
    office_reviewed_by: Mapped[str | None] = mapped_column(String(150), nullable=True)
    office_reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    office_comment: Mapped[str] = mapped_column(Text, default="")
    reject_reason: Mapped[str] = mapped_column(Text, default="")
    version_no: Mapped[int | None] = mapped_column(Integer, nullable=True)


class Issue(Base):
    """One failed rule of one quarantined row: row number, element, masked value, rule, bilingual message."""

    __tablename__ = "ingest_issue"
    __table_args__ = (Index("ix_ingest_issue_batch_row", "batch_id", "row_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("ingest_batch.id"))
    row_number: Mapped[int] = mapped_column(Integer)
    row_key: Mapped[str | None] = mapped_column(String(128), nullable=True)
    element: Mapped[str] = mapped_column(String(64))
    rule: Mapped[str] = mapped_column(String(64))
    code: Mapped[str] = mapped_column(String(64))
    value_shown: Mapped[str] = mapped_column(String(255), default="")
    message_zh: Mapped[str] = mapped_column(String(500))
    message_en: Mapped[str] = mapped_column(String(500))
    # quarantine: the row waits for a correction; drop_value: the row went on without this value
    action: Mapped[str] = mapped_column(String(16), default="quarantine")
    resolved_by_batch_id: Mapped[int | None] = mapped_column(Integer, nullable=True)


class Rule(Base):
    """A rule the office adds to a dataset beyond its data standard: regex, range, allowed values, cross-field."""

    __tablename__ = "ingest_rule"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_code: Mapped[str] = mapped_column(String(64), index=True)
    element: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    message_zh: Mapped[str] = mapped_column(String(500), default="")
    message_en: Mapped[str] = mapped_column(String(500), default="")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str | None] = mapped_column(String(150), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class HeaderMapping(Base):
    """A saved mapping from a column header a producer uses to a data element of the dataset."""

    __tablename__ = "ingest_mapping"
    __table_args__ = (UniqueConstraint("dataset_code", "header"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_code: Mapped[str] = mapped_column(String(64), index=True)
    header: Mapped[str] = mapped_column(String(200))
    element: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[str | None] = mapped_column(String(150), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Version(Base):
    """An approved batch made authoritative: version N of a dataset (Art. 22), which the office can roll back."""

    __tablename__ = "ingest_version"
    __table_args__ = (UniqueConstraint("dataset_code", "version_no"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_code: Mapped[str] = mapped_column(String(64), index=True)
    version_no: Mapped[int] = mapped_column(Integer)
    batch_id: Mapped[int] = mapped_column(ForeignKey("ingest_batch.id"))
    rows_inserted: Mapped[int] = mapped_column(Integer, default=0)
    rows_updated: Mapped[int] = mapped_column(Integer, default=0)
    approved_by: Mapped[str] = mapped_column(String(150))
    approved_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | rolled_back
    rolled_back_by: Mapped[str | None] = mapped_column(String(150), nullable=True)
    rolled_back_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Snapshot(Base):
    """A statistical snapshot (统计时点 and 口径, Art. 22): frozen rows, so reports reproduce later."""

    __tablename__ = "ingest_snapshot"
    __table_args__ = (UniqueConstraint("dataset_code", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_code: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(100))
    time_point: Mapped[date] = mapped_column(Date)
    caliber: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    definition: Mapped[str] = mapped_column(Text, default="")
    elements: Mapped[list[str]] = mapped_column(JSON, default=list)
    version_no: Mapped[int | None] = mapped_column(Integer, nullable=True)
    row_count: Mapped[int] = mapped_column(Integer, default=0)
    sha256: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(150))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Source(Base):
    """A producer's business system the platform pulls a dataset from: an allow-listed connection (registered by
    the office, password sealed) and a table with its column mapping (chosen by the unit), see ``ingest.pull``."""

    __tablename__ = "ingest_source"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_code: Mapped[str] = mapped_column(String(64), index=True)
    unit_code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100))
    url: Mapped[str] = mapped_column(Text)  # shown without its password
    query: Mapped[str] = mapped_column(Text, default="")  # free SQL of older versions: never run
    connection: Mapped[str] = mapped_column(String(64), default="")  # a name in settings.pull_connections
    secret: Mapped[str | None] = mapped_column(Text, nullable=True)  # the connection's password, sealed
    table_name: Mapped[str] = mapped_column(String(130), default="")
    columns: Mapped[dict[str, str] | None] = mapped_column(
        JSON, nullable=True, default=dict
    )  # column → element
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    owner_account_id: Mapped[int] = mapped_column(Integer)
    last_run_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_by: Mapped[str] = mapped_column(String(150))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Job(Base):
    """A durable job (pull, scheduled pull): claimed by one worker at a time, re-claimed after its lease ends."""

    __tablename__ = "ingest_job"
    __table_args__ = (Index("ix_ingest_job_status_run_at", "status", "run_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="queued")  # queued | running | done | failed
    run_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=3)
    locked_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    error: Mapped[str] = mapped_column(Text, default="")


class Setting(Base):
    """The office's settings of collection (one row): how long a finished batch's staging files are kept
    (Art. 35: no copy longer than needed). ``None`` = the deployment's default (``EDUDATA_STAGING_RETENTION_DAYS``)."""

    __tablename__ = "ingest_setting"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    staging_retention_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    updated_by: Mapped[str | None] = mapped_column(String(150), nullable=True)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
