"""What a name, label or description in the catalogue may contain.

Names end up in web pages, exports, reports and SQL comments; a whitelist keeps markup and SQL fragments out at
the door (a 422 naming the field) instead of relying on every later consumer to escape them.
"""

from __future__ import annotations

import re

from edudata.errors import ValidationFailed

# Letters and digits of any script, spaces and the punctuation found in real dataset and element names.
_NAME = re.compile(r"[\w \u3000（）()·・、，,.\-—_/：:《》“”+&\[\]【】]+")
_FORBIDDEN_IN_TEXT = re.compile(r"[<>\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
DATASET_CODE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
ELEMENT_CODE = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*")
STANDARD_CODE = re.compile(r"[a-z][a-z0-9_]*\.[A-Z][A-Z0-9_]*")
CODE_VALUE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]*")
CODE_SET_CODE = DATASET_CODE


#: How the pages name a field in a message (issue 18: “名称：不能为空”, not “name：不能为空”).
FIELD_LABELS: dict[str, tuple[str, str]] = {
    "name": ("名称", "Name"),
    "name_en": ("英文名称", "English name"),
    "description": ("说明", "Description"),
    "code": ("代码", "Code"),
    "label": ("名称", "Label"),
    "label_en": ("英文名称", "English label"),
    "licence": ("许可协议", "Licence"),
    "note": ("备注", "Note"),
    "reason": ("理由", "Reason"),
    "source": ("来源", "Source"),
    "version": ("版本", "Version"),
    "standard_code": ("标准代码", "Standard code"),
}


def _zh(field: str) -> str:
    return FIELD_LABELS.get(field, (field, field))[0]


def _en(field: str) -> str:
    return FIELD_LABELS.get(field, (field, field))[1]


def clean_name(value: str | None, field: str, *, max_length: int, required: bool = True) -> str:
    """A display name: trimmed, within ``max_length``, letters/digits/common punctuation only."""
    text = (value or "").strip()
    if not text:
        if required:
            raise ValidationFailed(f"{_zh(field)}：不能为空", f"{_en(field)}: must not be empty", field=field)
        return ""
    if len(text) > max_length:
        raise ValidationFailed(
            f"{_zh(field)}：不能超过 {max_length} 个字符",
            f"{_en(field)}: at most {max_length} characters",
            field=field,
        )
    if not _NAME.fullmatch(text):
        raise ValidationFailed(
            f"{_zh(field)}：只能包含文字、数字、空格和常用标点（不允许 < > ' \" ; 等字符）",
            f"{_en(field)}: only letters, digits, spaces and common punctuation are allowed (no < > ' \" ; …)",
            field=field,
        )
    return text


def clean_text(value: str | None, field: str, *, max_length: int) -> str:
    """Free text (a description): no markup brackets, no control characters, within ``max_length``."""
    text = (value or "").strip()
    if len(text) > max_length:
        raise ValidationFailed(
            f"{_zh(field)}：不能超过 {max_length} 个字符",
            f"{_en(field)}: at most {max_length} characters",
            field=field,
        )
    if _FORBIDDEN_IN_TEXT.search(text):
        raise ValidationFailed(
            f"{_zh(field)}：不允许包含 < > 或控制字符",
            f"{_en(field)}: < > and control characters are not allowed",
            field=field,
        )
    return text


def clean_code(value: str | None, field: str, pattern: re.Pattern[str], *, max_length: int, hint: str) -> str:
    text = (value or "").strip()
    if not text or len(text) > max_length or not pattern.fullmatch(text):
        raise ValidationFailed(
            f"{_zh(field)}：格式不正确（{hint}，最长 {max_length} 个字符）",
            f"{_en(field)}: wrong format ({hint}, at most {max_length} characters)",
            field=field,
        )
    return text
