"""The lifecycle API's response models (docs/lifecycle.md): destruction requests, backups, restore drills,
incidents, emergency drills, people and duties registers — each shape written once, for its list and its item."""

from __future__ import annotations

from typing import Any

from edudata.answers import Out


class DestructionRequestOut(Out):
    """A destruction request (Art. 34-36): requested by the office, decided by another, executed by the officer."""

    id: int
    scope: str
    dataset: str | None
    cutoff: str | None
    datasets: dict[str, int]
    people: int = 0
    row_count: int | None
    reason: str | None
    scope_sha256: str | None
    status: str
    requested_by: str | None
    requested_at: str
    decided_by: str | None
    decided_at: str | None
    decision_note: str | None
    executed_by: str | None
    executed_at: str | None


class BackupOut(Out):
    """A backup set on record (Art. 55, 60)."""

    name: str
    backend: str
    kind: str
    size: int | None
    sha256: str | None
    local_path: str | None
    offsite_path: str | None
    created_by: str | None
    created_at: str
    verified_at: str | None
    verified_ok: bool | None
    pruned: bool


class RestoreDrillOut(Out):
    id: int
    backup: str | None
    ok: bool
    performed_by: str | None
    finished_at: str
    detail: Any


class IncidentOut(Out):
    """A security incident and its handling (Art. 55)."""

    id: int
    title: str
    severity: str
    status: str
    detected_at: str | None
    contained_at: str | None
    reported_to: str | None
    reported_at: str | None
    root_cause: str | None
    actions: Any


class DrillOut(Out):
    id: int
    scenario: str
    held_on: str
    participants: str
    findings: str | None


class AgreementOut(Out):
    id: int
    username: str
    kind: str
    signed_on: str
    document_ref: str | None
    revoked: bool


class TrainingOut(Out):
    id: int
    username: str
    course: str
    held_on: str
    hours: int | float
    passed: bool | None


class CertificateOut(Out):
    """A signed destruction certificate (Art. 46) and whether its signature verifies."""

    id: int
    request_id: int
    certificate: dict[str, Any]
    body: str
    signature: str
    key_id: str
    public_key: str
    valid: bool


class ExecutedOut(CertificateOut):
    """The certificate of a destruction just executed; ``reclaimed`` says whether storage was rewritten."""

    reclaimed: bool


class ScheduleOut(Out):
    """A backup schedule (Art. 55)."""

    name: str
    every_hours: int
    keep_last: int
    keep_days: int


class CopyCheckOut(Out):
    """One copy of a backup, checked."""

    ok: bool
    checked: list[str]
    problems: list[Any]


class BackupCheckOut(Out):
    """A backup's copies, verified against their manifest."""

    name: str
    ok: bool
    copies: list[CopyCheckOut]


class PlanRefOut(Out):
    """An emergency plan put on file (Art. 55)."""

    id: int
    title: str
    version: str


class PlanOut(PlanRefOut):
    """The emergency plan in force."""

    body: str
    approved_by: str | None
    approved_on: str | None


class DrillRecordedOut(Out):
    """An emergency drill recorded."""

    id: int
    scenario: str
    held_on: str


class AlertHandledOut(Out):
    """An anomaly alert marked handled."""

    key: str
    handled_by: str
    note: str


class AgreementRecordedOut(Out):
    """A signed agreement put on file (附件3 / 附件4)."""

    id: int
    username: str
    kind: str
    signed_on: str


class AgreementRevokedOut(Out):
    """An agreement withdrawn from file."""

    id: int
    kind: str
    revoked: bool
    revoked_at: str


class OfficerOut(Out):
    """A unit's data-security officer appointed."""

    unit_code: str
    username: str
    appointed_on: str


class TrainingRecordedOut(Out):
    """A training session recorded."""

    id: int
    username: str
    course: str
    hours: int | float


class OffboardingOut(Out):
    """离岗: what was revoked and returned when a person left (Art. 53)."""

    username: str
    left_on: str
    off_duty_until: str
    commitment_id: int | None
    devices: list[dict[str, Any]]
    devices_outstanding: list[Any]
    revoked: dict[str, Any]
    performed_by: str
    performed_at: str
    device_exception: dict[str, Any] | None
    exit_education_on: str | None


class CommitmentOut(Out):
    """An outsourcing firm's secrecy commitment on file (Art. 53)."""

    id: int
    unit_code: str
    signed_on: str


class SecurityAssessmentOut(Out):
    """A security test or risk assessment and whether its findings are overdue (Art. 49)."""

    id: int
    unit_code: str
    kind: str
    held_on: str
    assessor: str
    due_on: str | None
    closed_on: str | None
    overdue: bool


class OfficerOnDutyOut(OfficerOut):
    """A unit's data-security officer in office, with the unit's name (Art. 6, 7)."""

    unit_name: str


class CommitmentListedOut(CommitmentOut):
    """An outsourcing firm's secrecy commitment, as the register lists it (Art. 53)."""

    unit_name: str
    document_ref: str


class AlertOut(Out):
    """An anomaly alert computed from the audit log (bulk export, off-hours reads, many refusals; Art. 55, 59)."""

    key: str
    kind: str
    zh: str
    en: str
    at: str
    count: int
    username: str | None
    address: str | None
    handled: bool
    handled_by: str | None
    note: str | None


class LifecycleObligationOut(Out):
    """An unmet lifecycle or people obligation (what an inspection will find)."""

    code: str
    article: str
    zh: str
    en: str
    subject: str | None
