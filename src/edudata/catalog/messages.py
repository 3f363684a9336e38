"""Bilingual messages for the data-standard checks, keyed by (kind, code) so a quarantined row can carry the
same reason whether it was found by the scalar validator or by the vectorised expression (Art. 20, 23)."""

from __future__ import annotations

from typing import Any

_KIND = {
    "id_number": ("身份证件号码", "ID number"),
    "mobile": ("手机号码", "mobile number"),
    "student_number": ("学号", "student number"),
    "staff_number": ("工号", "staff number"),
    "school_code": ("学校标识码", "school identification code"),
    "gender": ("性别码", "gender code"),
    "email": ("电子邮箱", "e-mail address"),
    "date": ("日期", "date"),
    "bank_card": ("银行卡号", "bank card number"),
    "name": ("姓名", "name"),
    "code": ("代码", "code"),
}

_ERRORS = {
    "empty": ("{k}为空", "{ke} is empty"),
    "bad_length": ("{k}长度不正确（{length} 位）", "{ke} has the wrong length ({length} characters)"),
    "bad_character": ("{k}含有不允许的字符", "{ke} contains characters that are not allowed"),
    "bad_format": ("{k}格式不正确", "{ke} has the wrong format"),
    "bad_date": ("{k}不是有效的日历日期", "{ke} is not a real calendar date"),
    "too_long": ("{k}超过 {limit} 个字符", "{ke} is longer than {limit} characters"),
    "not_in_code_set": ("{k}不在代码集 {code_set} 中", "{ke} is not in code set {code_set}"),
}

_SPECIFIC = {
    ("id_number", "bad_length"): (
        "身份证件号码应为 18 位（或 15 位旧号码），实为 {length} 位",
        "an ID number has 18 characters (or 15 for a legacy number), this one has {length}",
    ),
    ("id_number", "bad_character"): (
        "身份证件号码前 17 位应为数字，最后一位为数字或 X",
        "an ID number is 17 digits followed by a digit or X",
    ),
    ("id_number", "bad_birth_date"): (
        "身份证件号码中的出生日期无效",
        "the birth date inside the ID number is not a valid date",
    ),
    ("id_number", "bad_check_digit"): (
        "身份证件号码校验位错误（应为 {expected}，实为 {actual}）",
        "wrong check digit in the ID number (expected {expected}, found {actual})",
    ),
    ("id_number", "gender_mismatch"): (
        "性别与身份证件号码不一致（第 17 位奇数为男、偶数为女）",
        "gender does not match the ID number (17th digit odd = male, even = female)",
    ),
    ("id_number", "birth_date_mismatch"): (
        "出生日期与身份证件号码不一致",
        "birth date does not match the ID number",
    ),
    ("mobile", "bad_length"): (
        "手机号码应为 11 位，实为 {length} 位",
        "a mobile number has 11 digits, not {length}",
    ),
    ("mobile", "bad_prefix"): ("手机号码应以 13–19 开头", "a mainland mobile number starts with 13-19"),
    ("school_code", "bad_length"): (
        "学校标识码应为 10 位数字，实为 {length} 位",
        "a school identification code has 10 digits, not {length}",
    ),
    ("student_number", "bad_format"): ("学号格式不正确：{hint_zh}", "wrong student number format: {hint_en}"),
    ("staff_number", "bad_format"): ("工号格式不正确：{hint_zh}", "wrong staff number format: {hint_en}"),
    ("bank_card", "bad_length"): ("银行卡号应为 12–19 位数字", "a bank card number has 12-19 digits"),
}

_WARNINGS = {
    "normalised_whitespace": ("已去除多余空白字符", "stray white space removed"),
    "normalised_fullwidth": ("已将全角字符转为半角", "full-width characters converted"),
    "normalised_lowercase_x": ("已将小写 x 改为大写 X", "lower-case x changed to X"),
    "normalised_separators": ("已去除分隔符", "separators removed"),
    "normalised_country_code": ("已去除国家代码 +86", "country code +86 removed"),
    "normalised_case": ("已将域名转为小写", "domain changed to lower case"),
    "normalised_format": ("已转为 YYYY-MM-DD 格式", "converted to YYYY-MM-DD"),
    "legacy_15_digit": (
        "15 位旧身份证号码（出生年份 {year}），建议更新为 18 位",
        "legacy 15-digit ID number (born {year}); the 18-digit number should replace it",
    ),
    "unknown_region": (
        "行政区划代码 {region} 不在 GB/T 2260 代码表中",
        "region code {region} is not in the GB/T 2260 table",
    ),
    "historical_region": (
        "行政区划代码 {region}（{label}）已撤销，属历史代码",
        "region code {region} ({label}) has been abolished; it is a historical code",
    ),
    "luhn_mismatch": (
        "银行卡号未通过 Luhn 校验，请核对",
        "the card number fails the Luhn check; please verify it",
    ),
}


def error_message(kind: str, code: str, **fmt: Any) -> tuple[str, str]:
    """(中文, English) for an error code of a check of ``kind``."""
    k, ke = _KIND.get(kind, (kind, kind))
    zh, en = _SPECIFIC.get((kind, code)) or _ERRORS.get(code, ("{k}不合法", "{ke} is not valid"))
    values = {"length": "?", "limit": "?", "expected": "?", "actual": "?", "hint_zh": "", "hint_en": ""}
    values.update(fmt)
    return zh.format(k=k, ke=ke, **values), en.format(k=k, ke=ke, **values)


def warning_message(kind: str, code: str, **fmt: Any) -> tuple[str, str]:
    zh, en = _WARNINGS.get(code, (code, code))
    return zh.format(**fmt), en.format(**fmt)
