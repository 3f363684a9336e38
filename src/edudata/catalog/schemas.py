"""Request bodies of the catalogue API: unknown fields are refused, every string has a length limit."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

ShortText = Annotated[str, Field(max_length=200)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ElementIn(_Body):
    code: str = Field(max_length=32)
    name: str = Field(max_length=100)
    name_en: str = Field("", max_length=200)
    description: str = Field("", max_length=1000)
    data_type: str = Field("string", max_length=16)
    code_set: str | None = Field(None, max_length=64)
    required: bool = False
    max_length: int | None = Field(None, ge=1, le=4000)
    grade: str | None = Field(None, max_length=16)
    share_category: str | None = Field(None, max_length=16)
    sensitive: bool = False
    sensitive_type: str | None = Field(None, max_length=32)
    standard_code: str | None = Field(None, max_length=128)
    source_unit_code: str | None = Field(None, max_length=16)


class ElementChange(_Body):
    name: str | None = Field(None, max_length=100)
    name_en: str | None = Field(None, max_length=200)
    description: str | None = Field(None, max_length=1000)
    data_type: str | None = Field(None, max_length=16)
    code_set: str | None = Field(None, max_length=64)
    required: bool | None = None
    max_length: int | None = Field(None, ge=1, le=4000)
    grade: str | None = Field(None, max_length=16)
    share_category: str | None = Field(None, max_length=16)
    sensitive: bool | None = None
    sensitive_type: str | None = Field(None, max_length=32)
    source_unit_code: str | None = Field(None, max_length=16)


class DatasetIn(_Body):
    code: str = Field(max_length=48)
    name: str = Field(max_length=100)
    name_en: str = Field("", max_length=200)
    description: str = Field("", max_length=2000)
    owner_unit_code: str = Field(max_length=16)
    subject_area: str = Field(max_length=32)
    nature: str = Field(max_length=32)
    grade: str | None = Field(None, max_length=16)
    share_category: str | None = Field(None, max_length=16)
    open_category: str | None = Field(None, max_length=16)
    update_frequency: str | None = Field(None, max_length=16)
    unit_element: str | None = Field(None, max_length=32)
    subject_element: str | None = Field(None, max_length=32)
    elements: list[ElementIn] = Field(default_factory=list, max_length=500)


class DatasetChange(_Body):
    name: str | None = Field(None, max_length=100)
    name_en: str | None = Field(None, max_length=200)
    description: str | None = Field(None, max_length=2000)
    owner_unit_code: str | None = Field(None, max_length=16)
    subject_area: str | None = Field(None, max_length=32)
    nature: str | None = Field(None, max_length=32)
    grade: str | None = Field(None, max_length=16)
    share_category: str | None = Field(None, max_length=16)
    open_category: str | None = Field(None, max_length=16)
    update_frequency: str | None = Field(None, max_length=16)
    unit_element: str | None = Field(None, max_length=32)
    subject_element: str | None = Field(None, max_length=32)


class SourceAssignmentIn(_Body):
    source_unit_code: str = Field(max_length=16)
    reason: str = Field(max_length=500)


class CodeIn(_Body):
    value: str = Field(max_length=64)
    label: str = Field(max_length=200)
    label_en: str = Field("", max_length=200)
    active: bool = True
    attributes: dict[str, str | int | float | bool | None] | None = Field(None, max_length=20)


class CodeSetVersionIn(_Body):
    version: str = Field(max_length=64)
    effective_from: date
    note: str = Field("", max_length=1000)
    codes: list[CodeIn] = Field(min_length=1, max_length=5000)


class CodeSetIn(CodeSetVersionIn):
    code: str = Field(max_length=64)
    name: str = Field(max_length=200)
    name_en: str = Field("", max_length=200)
    source: str = Field("", max_length=500)
    licence: str = Field("", max_length=300)


StandardType = Literal[
    "id_number", "mobile", "student_number", "staff_number", "school_code", "gender", "email", "date",
    "bank_card", "name", "code",
]  # fmt: skip


class ValidateIn(_Body):
    """One value (``value``) or up to 1000 (``values``) of one standard type; ``code`` needs ``code_set``."""

    type: StandardType
    value: str | None = Field(None, max_length=200)
    values: list[ShortText | None] | None = Field(None, max_length=1000)
    code_set: str | None = Field(None, max_length=64)
    version: str | None = Field(None, max_length=64)
    school_code: str | None = Field(None, max_length=10)

    def items(self) -> list[Any]:
        return list(self.values) if self.values is not None else [self.value]
