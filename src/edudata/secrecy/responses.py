"""Typed answers of the state-secret API (Art. 56–57), documented in /openapi.json."""

from __future__ import annotations

from edudata.answers import Out


class MarkingOut(Out):
    """A secret marking of a dataset or one element (Art. 56)."""

    id: int
    dataset_code: str
    element_code: str | None
    basis: str
    marked_by: str
    marked_at: str
    lifted_at: str | None


class EntryOut(Out):
    """One handling in the state-secret register (Art. 57)."""

    id: int
    dataset_code: str
    element_code: str | None
    kind: str
    description: str
    recipient: str
    external: bool
    authority_approval: str
    agreement_ref: str
    requested_by: str
    requested_at: str
    status: str
    decided_by: str | None
    decision_note: str
