"""Typed answers of the sharing API (Art. 37–42: applications, reviews, grants, external provision), in /openapi.json.

The shapes are those of :mod:`edudata.sharing.views` and :func:`edudata.sharing.external.view`, which the pages
render too.
"""

from __future__ import annotations

from typing import Any

from edudata.answers import Out


class CatalogueEntryOut(Out):
    """A dataset as applicants see it: metadata only, and which elements can be requested (Art. 39)."""

    code: str
    name: str
    name_en: str
    description: str
    grade: str
    share_category: str
    update_frequency: str
    owner_unit_code: str
    requestable: bool
    elements: list[dict[str, Any]]


class ApplicationOut(Out):
    """A sharing application with its state, scope and grant (Art. 38–41)."""

    id: int
    status: str
    applicant: str
    applicant_unit_code: str
    purpose: str
    needs_agreement: bool
    dataset_code: str
    owner_unit_code: str
    share_category: str
    elements: list[str]
    period_start: str
    period_end: str
    delivery: str
    third_party: bool
    row_count: int | None
    people_count: int | None
    sensitive_elements: list[Any]
    refusal_reason: str | None
    grant_id: int | None
    created_at: str | None
    submitted_at: str | None
    decided_at: str | None


class ReviewOut(Out):
    """One review step of an application — the producer unit's, then the office's — and its deadline (Art. 40,
    64(2): ``overdue`` once the day has passed undecided)."""

    id: int
    application_id: int
    stage: str
    stage_label: list[str]
    reviewer_unit_code: str
    opened_at: str | None
    due_on: str
    due_note: list[str] | None
    overdue: bool
    decided_at: str | None
    decision: str | None
    reviewer: str | None
    comment: str
    changes: dict[str, Any] | None


class CredentialOut(Out):
    """A grant-scoped API key; the secret is shown in this answer only."""

    id: int
    grant_id: int
    secret: str
    hint: str


class RotatedCredentialOut(CredentialOut):
    """A key rotated: the new one, and the id of the one it replaces."""

    replaces: int


class InboxOut(Out):
    """What waits for the caller: reviews to do (待办) and messages (通知)."""

    tasks: list[dict[str, Any]]
    notifications: list[dict[str, Any]]


class PolicyOut(Out):
    """The office's sharing policy (Art. 40, 50: the statutory threshold may be lowered, never raised)."""

    auto_approve_unconditional: bool
    review_working_days: int
    min_k: int
    large_scale_threshold: int


class HeadOut(Out):
    """A unit's head, who signs 附件2 for the unit (Art. 41)."""

    unit_code: str
    username: str
    designated_by: str
    designated_at: str | None


class HeadsOut(Out):
    """Every unit's head."""

    heads: list[HeadOut]


class ExternalOut(Out):
    """A request to provide or publish granted data outside the school, its decisions and release (Art. 42, 58)."""

    id: int
    application_id: int
    requester: str
    unit_code: str
    owner_unit_code: str
    dataset_code: str
    elements: list[str]
    kind: str
    recipient: str
    purpose: str
    justification: str
    status: str
    created_at: str
    decisions: list[dict[str, Any]]
    secrecy_review: dict[str, Any] | None
    release: dict[str, Any] | None


class ExternalListOut(Out):
    """The external provision requests the caller may see."""

    requests: list[ExternalOut]


class EstimateOut(Out):
    """The 最小化 nudge (Art. 38): what a selection covers, its sensitive elements and advice."""

    dataset: str
    elements: list[str]
    sensitive_elements: list[str]
    advice: list[dict[str, str]]


class ReleasePreviewOut(Out):
    """k-anonymity of a de-identified delivery before release (Art. 42)."""

    k: int
    quasi_identifiers: list[str]
    rows: int
    min_k: int
