"""Request bodies of the privacy API (unknown fields are refused: a typo must not be silently ignored)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SystemIn(_Body):
    code: str = Field(..., max_length=48)
    name: str = Field(..., max_length=100)
    owner_unit_code: str = Field(..., max_length=32)
    datasets: list[str] = Field(..., min_length=1, max_length=500)
    is_app: bool = False  # an education app (教育 APP): certification at 200,000 people (Art. 50)


class SystemPatch(_Body):
    pi_officer_name: str | None = Field(None, max_length=100)
    pi_officer_username: str | None = Field(None, max_length=150)
    pi_officer_since: date | None = None
    protection_level: int | None = None


class FilingIn(_Body):
    reference_no: str = Field(..., max_length=100)
    filed_on: date
    authority: str = Field("市教育两委", max_length=100)
    attachment_id: int | None = None


class PIAuditIn(_Body):
    audited_on: date
    auditor: str = Field(..., max_length=200)
    summary: str = Field("", max_length=5000)
    attachment_id: int | None = None


class AssessmentIn(_Body):
    dataset: str = Field(..., max_length=64)
    element: str = Field(..., max_length=32)
    necessity: str = Field(..., max_length=5000)
    scientific_basis: str = Field(..., max_length=5000)
    ethics: str = Field(..., max_length=5000)
    impact: str = Field(..., max_length=5000)
    conclusion: str = Field(..., max_length=16)
    assessed_on: date
    attachment_id: int | None = None


class DecisionIn(_Body):
    body: str = Field(..., max_length=200)
    meeting: str = Field(..., max_length=200)
    meeting_date: date
    outcome: str = Field(..., max_length=16)
    attendees: str = Field("", max_length=2000)
    attachment_id: int


class ConsentIn(_Body):
    id_number: str = Field(..., max_length=32)
    dataset: str = Field(..., max_length=64)
    element: str = Field(..., max_length=32)
    purpose: str = Field(..., max_length=1000)
    notice: str = Field(..., max_length=5000)
    channel: str = Field("paper", max_length=32)
    given_at: datetime | None = None


class ConsentsIn(_Body):
    """The consents of many people to some elements of one dataset (forms gathered at enrolment)."""

    id_numbers: list[str] = Field(..., min_length=1, max_length=50_000)
    dataset: str = Field(..., max_length=64)
    elements: list[str] = Field(..., min_length=1, max_length=20)
    purpose: str = Field(..., max_length=1000)
    notice: str = Field(..., max_length=5000)
    channel: str = Field("paper", max_length=32)
    given_at: datetime | None = None


class PersonIn(_Body):
    id_number: str = Field(..., max_length=32)


class Pair(_Body):
    element: str = Field(..., max_length=32)
    value: str = Field(..., max_length=200)


class VerifyIn(_Body):
    dataset: str = Field(..., max_length=64)
    key: Pair
    check: Pair


class ReleaseIn(_Body):
    dataset: str = Field(..., max_length=64)
    quasi_identifiers: list[str] = Field(..., min_length=1, max_length=10)
    k: int = Field(..., ge=2, le=1000)
    sensitive: str | None = Field(None, max_length=32)
    l: int | None = Field(None, ge=2, le=100)  # noqa: E741 - the model's own name (l-diversity)
    extra: list[str] = Field(default_factory=list, max_length=50)
    max_suppression: float = Field(0.05, ge=0, le=0.5)
    purpose: str = Field(..., max_length=1000)


class CertificationIn(_Body):
    certifier: str = Field(..., min_length=2, max_length=200)
    certificate_no: str = Field(..., min_length=2, max_length=100)
    certified_on: date
    valid_until: date | None = None
