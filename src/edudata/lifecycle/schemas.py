"""Request bodies of the lifecycle API (unknown fields refused; lengths bounded)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DestructionIn(_In):
    scope: Literal["person", "people", "dataset", "before"]
    reason: str = Field(min_length=1, max_length=2000)
    id_number: str | None = Field(None, max_length=32)
    numbers: list[str] = Field(default_factory=list, max_length=10)
    # ``people``: the ID numbers of everyone the request destroys (one approval, one certificate).
    id_numbers: list[Annotated[str, Field(max_length=32)]] = Field(default_factory=list, max_length=40_000)
    dataset: str | None = Field(None, max_length=64)
    cutoff: date | None = None


class DecisionIn(_In):
    approve: bool
    note: str | None = Field(None, max_length=2000)


class ScheduleIn(_In):
    name: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9_-]+$")
    every_hours: int = Field(ge=1, le=24 * 31)
    keep_last: int = Field(ge=1, le=1000)
    keep_days: int = Field(ge=0, le=3650)
    # Folders under the backup root (relative to it, or absolute inside it); checked by lifecycle.backup.target_dir
    local_dir: str = Field(min_length=1, max_length=500)
    offsite_dir: str | None = Field(None, min_length=1, max_length=500)


class ScheduleChange(_In):
    """A schedule's new interval, retention and folders (its name stays)."""

    every_hours: int = Field(ge=1, le=24 * 31)
    keep_last: int = Field(ge=1, le=1000)
    keep_days: int = Field(ge=0, le=3650)
    local_dir: str = Field(min_length=1, max_length=500)
    offsite_dir: str | None = Field(None, min_length=1, max_length=500)
    enabled: bool = True


class PlanIn(_In):
    title: str = Field(min_length=1, max_length=200)
    version: str = Field(min_length=1, max_length=32)
    body: str = Field(min_length=1, max_length=200_000)
    approved_by: str | None = Field(None, max_length=150)
    approved_on: date | None = None


class IncidentIn(_In):
    title: str = Field(min_length=1, max_length=200)
    severity: Literal["low", "medium", "high", "critical"]
    detected_at: datetime
    actions: str | None = Field(None, max_length=20_000)


class IncidentChange(_In):
    contained_at: datetime | None = None
    reported_to: str | None = Field(None, max_length=200)
    reported_at: datetime | None = None
    root_cause: str | None = Field(None, max_length=20_000)
    actions: str | None = Field(None, max_length=20_000)
    close: bool = False


class DrillIn(_In):
    scenario: str = Field(min_length=1, max_length=200)
    held_on: date
    participants: str = Field(min_length=1, max_length=5000)
    findings: str | None = Field(None, max_length=20_000)


class HandleIn(_In):
    key: str = Field(min_length=1, max_length=200)
    note: str = Field(min_length=1, max_length=5000)


class AgreementIn(_In):
    username: str = Field(min_length=1, max_length=150)
    kind: Literal["annex3", "annex4"]
    signed_on: date
    document_ref: str = Field(min_length=1, max_length=200)
    document_sha256: str | None = Field(None, pattern=r"^[0-9a-f]{64}$")


class OfficerIn(_In):
    unit_code: str = Field(min_length=1, max_length=32)
    username: str = Field(min_length=1, max_length=150)
    appointed_on: date


class TrainingIn(_In):
    username: str = Field(min_length=1, max_length=150)
    course: str = Field(min_length=1, max_length=200)
    held_on: date
    hours: int = Field(ge=1, le=200)
    passed: bool = True


class Device(_In):
    asset: str = Field(min_length=1, max_length=100)
    returned: bool
    note: str = Field("", max_length=200)


class Commitment(_In):
    signed_on: date
    document_ref: str = Field(min_length=1, max_length=200)
    document_sha256: str | None = Field(None, pattern=r"^[0-9a-f]{64}$")


class DeviceException(_In):
    """Devices not handed back: an exception approved by another office administrator or the leadership."""

    approved_by: str = Field(min_length=1, max_length=150)
    reason: str = Field(min_length=4, max_length=1000)


class OffboardIn(_In):
    username: str = Field(min_length=1, max_length=150)
    left_on: date
    devices: list[Device] = Field(default_factory=list, max_length=50)
    commitment: Commitment | None = None
    device_exception: DeviceException | None = None
    exit_education_on: date | None = None  # 离岗保密教育 (Art. 53)


class OutsourcingCommitmentIn(_In):
    unit_code: str = Field(min_length=1, max_length=32)
    signed_on: date
    document_ref: str = Field(min_length=1, max_length=200)


class AssessmentIn(_In):
    unit_code: str = Field(min_length=1, max_length=32)
    kind: Literal["test", "risk"]
    held_on: date
    assessor: str = Field(min_length=1, max_length=200)
    findings: str = Field("", max_length=4000)
    due_on: date | None = None


class AssessmentClose(_In):
    closed_on: date
