"""Tables of the background work: the mail outbox, the schedule of periodic jobs, shared rate-limit buckets.

- ``mail_outbox``: a mail is a row written in the transaction of the change it tells of, so a mail exists exactly
  when its change committed; ``edudata worker`` sends it later, retrying with backoff (a request never waits on
  the relay).
- ``worker_job``: the schedule held in the database (every N seconds, or daily at a time in Beijing time), so
  cron is optional and every worker process sees one schedule.
- ``rate_bucket``: token buckets of the public portal shared by every app server on PostgreSQL (Art. 58).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from edudata.db import Base, utcnow


class MailOutbox(Base):
    """One mail to send. ``kind`` says who composes it: ``plain`` carries its text; ``sharing`` points at a
    notification (``ref_id``) composed just before sending, when the recipient is looked at again."""

    __tablename__ = "mail_outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    ref_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    sender: Mapped[str] = mapped_column(String(254))
    recipient: Mapped[str] = mapped_column(String(254), default="")
    subject: Mapped[str] = mapped_column(String(500), default="")
    # Cleared once sent: a verification link is a secret of its recipient, kept only while it must be sent.
    body: Mapped[str] = mapped_column(Text, default="")
    base_url: Mapped[str] = mapped_column(String(500), default="")
    # pending → sent | failed (given up after MAX_ATTEMPTS) | skipped | no_address
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_error: Mapped[str | None] = mapped_column(String(300), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    __table_args__ = (Index("ix_mail_outbox_due", "state", "next_attempt_at"),)


class WorkerJob(Base):
    """A periodic job of ``edudata worker``: run every ``every_seconds``, or daily at ``daily_at`` (HH:MM,
    Beijing time) when set. ``next_run_at`` is moved forward by the worker that runs it."""

    __tablename__ = "worker_job"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    every_seconds: Mapped[int] = mapped_column(Integer, default=3600)
    daily_at: Mapped[str | None] = mapped_column(String(5), nullable=True)
    next_run_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_ok: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    last_result: Mapped[str | None] = mapped_column(String(500), nullable=True)
    runs: Mapped[int] = mapped_column(Integer, default=0)


class RateBucket(Base):
    """A token bucket shared by every app server: ``tokens`` left at ``at`` (seconds since the epoch)."""

    __tablename__ = "rate_bucket"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    tokens: Mapped[float] = mapped_column(Float)
    at: Mapped[float] = mapped_column(Float)
