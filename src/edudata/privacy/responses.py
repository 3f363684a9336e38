"""Typed answers of the personal-information API (Art. 50–51, 54), documented in /openapi.json."""

from __future__ import annotations

from typing import Any

from edudata.answers import Out


class AttachmentOut(Out):
    """A document kept on file, with its SHA-256."""

    id: int
    name: str
    sha256: str
    size: int


class CountsOut(Out):
    """The PI register's fresh people counts (Art. 50)."""

    counts: list[dict[str, Any]]


class DatasetPeopleOut(Out):
    """People counted in one dataset of a system (null when not linked by ID number)."""

    dataset: str
    people: int | None
    linked: bool


class FilingRefOut(Out):
    """A commission filing's reference."""

    reference_no: str
    filed_on: str


class SystemOut(Out):
    """An information system in the PI register, with its latest count and what is on file (Art. 50)."""

    code: str
    name: str
    owner_unit_code: str
    datasets: list[str] | None
    is_app: bool
    people: int | None
    counted_at: str | None
    per_dataset: list[DatasetPeopleOut]
    officer_required: bool
    level3_required: bool
    pi_officer: str | None
    pi_officer_username: str | None
    protection_level: int | None
    filing: FilingRefOut | None
    last_pi_audit: str | None
    pi_audit_due_on: str | None


class FilingOut(Out):
    """A filing with the commission, recorded."""

    id: int
    reference_no: str
    filed_on: str


class CertificationOut(Out):
    """An education app's PI security certification, on file."""

    id: int
    certificate_no: str
    certified_on: str
    valid_until: str | None


class PIAuditOut(Out):
    """A PI-protection compliance audit, and when the next is due."""

    id: int
    audited_on: str
    next_due_on: str | None


class AssessmentOut(Out):
    """A sensitive-PI impact assessment (Art. 51)."""

    id: int
    dataset: str
    element: str
    conclusion: str


class DecisionOut(Out):
    """The collective decision on an assessment (Art. 51)."""

    id: int
    assessment_id: int
    outcome: str


class ConsentOut(Out):
    """A person's separate consent to one element (Art. 51); only the ID number's last characters are shown."""

    id: int
    id_hint: str
    dataset: str
    element: str
    purpose: str
    channel: str
    given_at: str
    withdrawn_at: str | None


class ConsentsAddedOut(Out):
    """Consents recorded in one go."""

    dataset: str
    elements: list[str]
    people: int
    consents: int


class ConsentListOut(Out):
    """One person's consent records."""

    consents: list[ConsentOut]


class MatchOut(Out):
    """用而不存: whether the pair matches, and nothing else."""

    match: bool


class ReleaseReportOut(Out):
    """A de-identified release and its measured risk (Art. 42, 54): the k (and l) reached, what was generalised
    (``levels``) and suppressed, and the digest of the delivered rows."""

    id: int
    dataset: str
    purpose: str
    quasi_identifiers: list[str]
    sensitive: str | None
    elements: list[str]
    k_target: int
    l_target: int | None
    achieved_k: int
    achieved_l: int | None
    rows_in: int
    rows_out: int
    levels: dict[str, Any]
    information_loss: float
    metrics: dict[str, Any]
    sha256: str
    created_by: str | None
    created_at: str | None


class ReleaseOut(Out):
    """A release delivered as JSON: its report and the de-identified records (keyed by element code)."""

    report: ReleaseReportOut
    rows: list[dict[str, Any]]


class ObligationOut(Out):
    """An Art. 50 / 51 obligation not met on the platform's own records (the inspection reads the same list)."""

    kind: str
    article: str
    system_code: str | None
    subject: str
    message_zh: str
    message_en: str
    people: int | None
    due_on: str | None


class SensitiveElementOut(Out):
    """A sensitive element of the catalogue and whether collection into it is allowed yet (Art. 51)."""

    dataset: str
    element: str
    name: str
    sensitive_type: str | None
    assessment_id: int | None
    decision_id: int | None
    collection_allowed: bool
    reason_zh: str
    reason_en: str
