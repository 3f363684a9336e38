"""Checks of names and codes shared by the organisation services (一校一码, 一人一号)."""

from __future__ import annotations

import re
import unicodedata

from edudata.errors import ValidationFailed
from edudata.mail import is_address

SCHOOL_CODE = re.compile(r"^\d{10}$")  # 学校标识码
UNIT_CODE = re.compile(r"^\d{4}$")  # 单位代码 inside the school
USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{1,63}$")
PERSON_NUMBER = re.compile(r"^[A-Za-z0-9]{4,32}$")  # 工号 / 学号


#: How the pages name a field in a message (issue 18: “名称：不能为空”, not “name：不能为空”).
FIELD_LABELS: dict[str, tuple[str, str]] = {
    "name": ("名称", "Name"),
    "name_en": ("英文名称", "English name"),
    "display_name": ("姓名", "Name"),
    "username": ("用户名", "Username"),
    "email": ("电子邮箱", "E-mail"),
    "reason": ("理由", "Reason"),
    "code": ("代码", "Code"),
    "unit_code": ("单位代码", "Unit code"),
    "number": ("工号或学号", "Staff or student number"),
}


def _zh(field: str) -> str:
    return FIELD_LABELS.get(field, (field, field))[0]


def _en(field: str) -> str:
    return FIELD_LABELS.get(field, (field, field))[1]


def clean_text(value: object, field: str, *, max_length: int = 200, required: bool = True) -> str:
    """Trimmed text without control characters, within ``max_length``; empty only when not ``required``."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationFailed(f"{_zh(field)}：应为文本", f"{_en(field)}: must be text", field=field)
    text = value.strip()
    if required and not text:
        raise ValidationFailed(f"{_zh(field)}：不能为空", f"{_en(field)}: must not be empty", field=field)
    if len(text) > max_length:
        raise ValidationFailed(
            f"{_zh(field)}：不能超过 {max_length} 个字符",
            f"{_en(field)}: at most {max_length} characters",
            field=field,
        )
    if any(unicodedata.category(c).startswith("C") for c in text):
        raise ValidationFailed(
            f"{_zh(field)}：不能包含控制字符",
            f"{_en(field)}: must not contain control characters",
            field=field,
        )
    return text


#: Characters no unit or person name needs; refusing them keeps markup and SQL fragments out of names.
NAME_FORBIDDEN = frozenset('<>;"`\\{}$|')


def clean_name(value: object, field: str, *, max_length: int = 200, required: bool = True) -> str:
    """A unit's or a person's name: :func:`clean_text` without markup or statement characters (< > ; " …)."""
    text = clean_text(value, field, max_length=max_length, required=required)
    bad = sorted(set(text) & NAME_FORBIDDEN)
    if bad:
        shown = " ".join(bad)
        raise ValidationFailed(
            f"{_zh(field)}：不能包含字符 {shown}", f"{_en(field)}: must not contain {shown}", field=field
        )
    return text


def check_pattern(value: object, pattern: re.Pattern[str], field: str, zh_rule: str, en_rule: str) -> str:
    if not isinstance(value, str) or not pattern.match(value):
        raise ValidationFailed(
            f"{_zh(field)}：格式不正确，应为{zh_rule}",
            f"{_en(field)}: wrong format, expected {en_rule}",
            field=field,
        )
    return value


def clean_email(value: object, field: str = "email") -> str | None:
    """An optional mailbox address, trimmed and lower-cased; "" or None means none. Only a plain address is
    accepted (no display name, no second address), so it can never add a header or a recipient to a mail."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationFailed(f"{_zh(field)}：应为文本", f"{_en(field)}: must be text", field=field)
    text = value.strip().lower()
    if not text:
        return None
    if not is_address(text):
        raise ValidationFailed(
            f"{_zh(field)}：电子邮箱格式不正确", f"{_en(field)}: not an e-mail address", field=field
        )
    return text
