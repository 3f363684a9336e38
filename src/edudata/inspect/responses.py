"""Typed answers of the inspection API (Art. 62–64 oversight, Art. 58 reports), documented in /openapi.json."""

from __future__ import annotations

from typing import Any

from edudata.answers import Out


class FindingOut(Out):
    """One finding of an inspection, as :func:`edudata.inspect.report.finding_dict` renders it."""

    id: int
    check: str
    article: str
    article_zh: str
    severity: str
    unit_code: str | None
    unit_name: str
    unit_name_en: str
    subject: str
    title_zh: str
    title_en: str
    evidence: dict[str, Any]
    status: str
    deadline: str | None
    overdue: bool
    assigned_unit_code: str | None
    answer: str | None
    answered_by: str | None
    close_evidence: str | None
    closed_by: str | None
    first_run_id: int
    resolved_run_id: int | None
    reopened: int
    repeat_count: int


class EscalationOut(Out):
    """A finding referred to another authority (Art. 64)."""

    id: int
    referred_to: str
    reason: str
    reference: str
    escalated_by: str
    escalated_at: str


class InterviewOut(Out):
    """A recorded interview (约谈) of a unit's leadership (Art. 63)."""

    id: int
    held_on: str
    unit_code: str
    interviewers: list[str]
    interviewees: list[str]
    finding_ids: list[int]
    subject: str
    outcome: str
    recorded_by: str


class FindingDetailOut(FindingOut):
    """A finding with its escalations and interviews."""

    escalations: list[EscalationOut]
    interviews: list[InterviewOut]


class EscalationsOut(Out):
    """The escalations of one finding, after a new one."""

    finding_id: int
    escalations: list[EscalationOut]


class NoticeOut(Out):
    """An inspection notice announced to the units (Art. 62)."""

    id: int
    title: str
    mode: str
    checks: list[str]
    units: list[str] | None
    body: str
    starts_on: str
    ends_on: str
    issued_by: str
    issued_at: str


class ContentCheckOut(Out):
    """A check of the inspection content, enabled or not."""

    code: str
    article: str
    title_zh: str
    title_en: str
    enabled: bool
    statutory: bool


class ContentOut(Out):
    """The office's inspection content: which checks run."""

    set_by: str | None
    set_at: str | None
    note: str
    checks: list[ContentCheckOut]


class ReportRunOut(Out):
    """The run a report describes."""

    id: int
    mode: str
    mode_zh: str
    mode_en: str
    title: str
    status: str
    started_by: str
    started_at: str
    finished_at: str | None
    checks: list[str]
    units: list[str] | None
    seed: int | None
    error: str | None
    notice_id: int | None


class ReportCountsOut(Out):
    """Counts of a run's findings by change."""

    new: int
    open: int
    resolved: int
    current: int


class ReportFindingOut(FindingOut):
    """A finding in a report, marked when it repeats."""

    repeat: bool


class ReportOut(Out):
    """An inspection report as data (the JSON form of the report page and PDF)."""

    run: ReportRunOut
    counts: ReportCountsOut
    repeats: int
    checks: list[dict[str, Any]]
    by_article: list[dict[str, Any]]
    by_unit: list[dict[str, Any]]
    findings: dict[str, list[ReportFindingOut]]
    severity_names: dict[str, Any]
    status_names: dict[str, Any]
