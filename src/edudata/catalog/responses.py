"""Typed answers of the catalogue API (Art. 8, 19, 24: the data catalogue, 一数一源, code sets), in /openapi.json.

The shapes are those of :mod:`edudata.catalog.views`, which the pages and other domains read too.
"""

from __future__ import annotations

from typing import Any

from edudata.answers import Out


class UnitRefOut(Out):
    """A unit named by an entry (owner or authoritative source)."""

    code: str
    name: str
    name_en: str


class ElementOut(Out):
    """A data element of a dataset."""

    code: str
    name: str
    name_en: str
    description: str
    data_type: str
    code_set: str | None
    required: bool
    max_length: int | None
    grade: str
    share_category: str
    sensitive: bool
    sensitive_type: str | None
    standard_code: str
    source_unit: UnitRefOut | None
    position: int
    updated_by: str | None
    updated_at: str | None


class DatasetSummaryOut(Out):
    """A catalogue dataset with its classification and grade (Art. 8, 19), as the catalogue search lists it."""

    code: str
    name: str
    name_en: str
    description: str
    owner_unit: UnitRefOut | None
    subject_area: str
    nature: str
    grade: str
    grade_label: str
    share_category: str
    open_category: str
    update_frequency: str
    sync_interval_seconds: int
    sync_interval: str | None
    unit_element: str | None
    subject_element: str | None
    sensitive: bool
    element_count: int
    created_by: str | None
    created_at: str | None
    updated_by: str | None
    updated_at: str | None


class DatasetOut(DatasetSummaryOut):
    """A catalogue dataset with its classification, grade and elements (Art. 8, 19)."""

    elements: list[ElementOut]


class SourceOut(Out):
    """The authoritative source unit of a standard data element (一数一源, Art. 8(4))."""

    standard_code: str
    source_unit: UnitRefOut | None
    assigned_by: str | None
    assigned_at: str | None
    note: str


class CodeOut(Out):
    """One code of a code-set version."""

    value: str
    label: str
    label_en: str
    active: bool
    attributes: dict[str, Any] | None


class VersionSummaryOut(Out):
    """A published version of a code set, as the list of its versions shows it."""

    code_set: str
    version: str
    effective_from: str
    created_by: str | None
    created_at: str | None
    note: str


class VersionOut(VersionSummaryOut):
    """A published version of a code set, with its codes."""

    codes: list[CodeOut]


class CodeSetOut(Out):
    """A code set and its versions."""

    code: str
    name: str
    name_en: str
    source: str
    licence: str
    current_version: str | None
    versions: list[str]


class CodeSetDetailOut(CodeSetOut):
    """A code set with the codes of one version (the current one unless asked)."""

    version: VersionOut


class NoticeOut(Out):
    """A warning on an accepted value (a normalisation, a legacy form …)."""

    code: str
    message_zh: str
    message_en: str


class CheckOut(Out):
    """One value checked against a data standard (数据标准, Art. 8(2), 24); a code check adds ``code_set`` and
    ``version``."""

    ok: bool
    value: str | None
    original: str | None
    error_code: str | None
    message_zh: str
    message_en: str
    warnings: list[NoticeOut]
    details: dict[str, Any]
    normalised: bool


class ChecksOut(Out):
    """Many values checked at once (``values``): each result, and how many failed."""

    results: list[CheckOut]
    invalid: int
