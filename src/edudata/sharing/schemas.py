"""Request shapes of the sharing API."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EstimateIn(_In):
    dataset_code: str = Field(..., max_length=64)
    elements: list[str] = Field(..., max_length=200)
    row_filter: dict[str, Any] | None = None


class ApplicationIn(EstimateIn):
    contact_name: str = Field(..., max_length=100)
    contact_phone: str = Field(..., max_length=32)
    purpose: str = Field(..., max_length=4000)
    purpose_kind: str = Field("business", max_length=16)
    business_basis: str = Field(..., max_length=4000)
    period_start: date | None = None
    period_end: date
    delivery: str = Field("api", max_length=16)
    security_measures: str = Field(..., max_length=4000)
    third_party: bool = False
    third_party_name: str = Field("", max_length=200)


class SignIn(_In):
    text_sha256: str = Field(..., min_length=64, max_length=64)


class NarrowIn(_In):
    elements: list[str] | None = Field(None, max_length=200)
    row_filter: dict[str, Any] | None = None
    masking: dict[str, str] | None = None
    period_end: date | None = None


class ApproveIn(NarrowIn):
    comment: str = Field("", max_length=2000)


class ReasonIn(_In):
    reason: str = Field("", max_length=2000)


class CredentialIn(_In):
    label: str = Field("", max_length=100)


class PolicyIn(_In):
    auto_approve_unconditional: bool | None = None
    review_working_days: int | None = None
    min_k: int | None = None
    large_scale_threshold: int | None = None


class CommitmentIn(_In):
    version: str = Field(..., max_length=32)
    title: str = Field(..., max_length=200)
    body: str = Field(..., max_length=20000)


class UnitHeadIn(_In):
    username: str = Field(..., max_length=150)


class DecisionIn(_In):
    decision: str = Field(..., max_length=16)
    comment: str = Field("", max_length=4000)


class ExternalIn(_In):
    application_id: int = Field(..., ge=1, le=2**31 - 1)
    kind: str = Field("provide", max_length=16)
    elements: list[str] | None = Field(None, max_length=200)
    recipient: str = Field(..., max_length=200)
    purpose: str = Field(..., max_length=4000)
    justification: str = Field(..., max_length=4000)
    security_measures: str = Field(..., max_length=4000)


class ReleaseIn(_In):
    channel: str = Field(..., max_length=200)
    document_sha256: str | None = Field(None, max_length=64)
