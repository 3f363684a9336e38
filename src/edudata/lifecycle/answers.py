"""The lifecycle API's response models (docs/lifecycle.md): destruction requests, backups, restore drills,
incidents, emergency drills, people and duties registers — each shape written once, for its list and its item."""

from __future__ import annotations

from typing import Any

from edudata.api.models import Out


class DestructionRequestOut(Out):
    """A destruction request (Art. 34-36): requested by the office, decided by another, executed by the officer."""

    id: int
    scope: str
    dataset: str | None
    cutoff: str | None
    datasets: dict[str, int]
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
