"""Typed answers of the audit API (Art. 30: a tamper-evident log kept six months), documented in /openapi.json."""

from __future__ import annotations

from typing import Any

from edudata.answers import Out


class VerifyOut(Out):
    """The log verified: every leaf, the tree and every signed checkpoint; rollbacks against a witness in ``gaps``."""

    ok: bool
    checked: int
    head_seq: int
    first_bad_seq: int | None
    record_seq: int | None
    reason_zh: str
    reason_en: str
    checkpoints: int
    pending: int
    epoch: int
    gaps: list[dict[str, Any]]
    latest_checkpoint: dict[str, Any] | None


class CheckpointOut(Out):
    """The latest signed checkpoint with its cosignatures, the log's key and its epochs."""

    log_key: str
    note: str | None
    epoch: int | None
    size: int | None
    epochs: list[dict[str, Any]]


class InclusionProofOut(Out):
    """RFC 6962 proof that one record is in a signed tree."""

    seq: int
    epoch: int
    leaf_index: int
    tree_size: int
    leaf: str
    leaf_hash: str
    proof: list[str]
    checkpoint: str


class ConsistencyProofOut(Out):
    """RFC 6962 proof that an older signed tree is a prefix of a newer one."""

    epoch: int
    old_size: int
    new_size: int
    proof: list[str]
    old_checkpoint: str | None
    new_checkpoint: str


class RetentionOut(Out):
    """Today's retention boundary (Art. 30)."""

    today: str
    months: int
    timezone: str
    latest_cutoff: str
    rule_zh: str
    rule_en: str


class TraceOut(Out):
    """行为追溯: who read a dataset or a person's records, with proofs, and who could have (Art. 30)."""

    since: str
    until: str
    dataset: str | None
    person: bool
    row_id: int | None
    reads: list[dict[str, Any]]
    truncated: bool
    could: dict[str, dict[str, Any]]
    checkpoint: str | None
