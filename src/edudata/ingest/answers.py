"""The ingest API's response models (docs/ingest.md): a batch, its issues, a version, a rule, a mapping.

Shared by the upload, the row API, the review and the lists, so each shape is written once."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from edudata.answers import Out


class Review(Out):
    by: str | None
    comment: str | None


class BatchOut(Out):
    """A batch of collected rows and where it stands in the review chain (Art. 4(1), 22)."""

    code: str
    dataset: str
    unit: str
    status: str = Field(description="quarantine … unit_approved, approved, rejected, rolled_back")
    source: str | None
    filename: str | None
    encoding: str | None
    uploaded_by: str | None
    uploaded_at: str | None
    rows: int | None
    good: int | None
    quarantined: int | None
    blank_rows: int | None
    already_received: int | None
    unit_review: Review
    office_review: Review
    reject_reason: str | None
    version: int | None
    report: dict[str, Any]
    warnings: list[Any]


class IssueOut(Out):
    """One reason a value or row was not collected as submitted (masked when the value is sensitive)."""

    row: int | None
    element: str | None
    rule: str | None
    code: str | None
    value: Any
    message_zh: str | None
    message_en: str | None
    resolved_by: int | None
    action: str | None


class VersionOut(Out):
    version: int
    batch_id: int | None
    inserted: int | None
    updated: int | None
    approved_by: str | None
    approved_at: str | None
    status: str


class RuleOut(Out):
    id: int
    element: str | None
    kind: str
    params: Any
    enabled: bool


class MappingOut(Out):
    id: int
    header: str
    element: str
    element_name: str | None
    created_by: str | None


class ConnectionOut(Out):
    name: str
    url: str


class RolledBackOut(Out):
    """A dataset version rolled back (Art. 22)."""

    version: int
    status: str


class RuleAddedOut(Out):
    """A quality rule added beyond the data standard."""

    id: int
    element: str
    kind: str
    params: dict[str, Any]


class MappingsSavedOut(Out):
    """The producer's column names saved for a dataset."""

    dataset: str
    saved: int


class SnapshotOut(Out):
    """A snapshot taken at a time point (统计口径)."""

    id: int
    name: str
    rows: int
    sha256: str
    version: int | None


class ChangedRowOut(Out):
    """A record changed between two versions: its key, the elements that changed, those cleared on purpose."""

    key: Any
    elements: list[str]
    cleared: list[str]


class DiffOut(Out):
    """Rows added, removed and changed between versions ``a`` and ``b`` (Art. 22, 26); at most 200 of each are
    listed, sensitive values masked. ``added_rows`` are records (keyed by element code)."""

    dataset: str
    a: int
    b: int
    key: str
    added: int
    removed: int
    changed: int
    added_rows: list[dict[str, Any]]
    removed_keys: list[Any]
    changed_rows: list[ChangedRowOut]


class SnapshotReportOut(Out):
    """A statistic over a snapshot (统计口径, Art. 26): one count per group of the ``by`` elements (each group a
    record keyed by element code, plus ``count``)."""

    snapshot: int
    name: str
    dataset: str
    time_point: str
    caliber: dict[str, Any] | None
    definition: str | None
    version: int | None
    rows: int
    sha256: str
    by: list[str]
    groups: list[dict[str, Any]]


class SourceOut(Out):
    """A business system registered as a dataset's pull source (the URL shown without its password)."""

    id: int
    dataset: str
    unit: str
    name: str
    connection: str
    url: str
    table: str | None
    columns: dict[str, str]
    enabled: bool


class JobQueuedOut(Out):
    """A pull queued for the worker."""

    job: int
    status: str


class JobOut(Out):
    """A worker job and its outcome."""

    id: int
    kind: str
    status: str
    attempts: int
    result: dict[str, Any] | None
    error: str | None


class RetentionOut(Out):
    """The staging retention in force (Art. 35): the office's, else the deployment's default."""

    staging_retention_days: int
    default_staging_retention_days: int
    set_by_office: bool
    updated_by: str | None
    updated_at: str | None


class QualityOut(Out):
    """A dataset's quality report: validity over its batches, counts per rule, open quarantine, trend."""

    dataset: str
    batches: int
    rows: int
    good: int
    validity_rate: float
    open_quarantined_rows: int
    by_rule: list[dict[str, Any]]
    trend: list[dict[str, Any]]
