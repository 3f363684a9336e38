"""Data standards (数据标准, Art. 8(2), 14-16): validators for one value at a time, no database needed.

Each returns a :class:`CheckResult` — ok, the normalised value, an error code with a Chinese and an English
message, and warnings (normalisations made, legacy forms, unknown regions). Whole columns are checked with the
vectorised twins in :mod:`edudata.catalog.vectorised` (re-exported here); both give the same error codes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from edudata.catalog import patterns as p
from edudata.catalog.bundled import bundled_code_set, province_codes, region_label, region_status
from edudata.catalog.messages import error_message, warning_message
from edudata.catalog.numbers import NumberFormats, number_formats, register_number_formats
from edudata.catalog.vectorised import (
    id_birth_date_expr,
    id_gender_expr,
    id_number_check_expr,
    id_number_normalise_expr,
    mobile_check_expr,
    mobile_normalise_expr,
    number_check_expr,
    school_code_check_expr,
)
from edudata.clock import today_in_china

__all__ = [
    "CheckResult",
    "Notice",
    "NumberFormats",
    "birth_date_from_id",
    "check_bank_card",
    "check_date",
    "check_email",
    "check_gender_code",
    "check_id_consistency",
    "check_id_number",
    "check_mobile",
    "check_person_name",
    "check_school_code",
    "check_staff_number",
    "check_student_number",
    "gender_code_from_id",
    "id_birth_date_expr",
    "id_gender_expr",
    "id_number_check_expr",
    "id_number_normalise_expr",
    "mobile_check_expr",
    "mobile_normalise_expr",
    "number_check_expr",
    "number_formats",
    "register_number_formats",
    "school_code_check_expr",
    "validate",
    "VALIDATORS",
]

_WS = re.compile(p.WHITESPACE_RE)


@dataclass(frozen=True)
class Notice:
    """A warning: the value is accepted, but someone should know (a normalisation, a legacy form …)."""

    code: str
    message_zh: str
    message_en: str


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    value: str | None
    original: str | None
    error_code: str | None = None
    message_zh: str = "校验通过"
    message_en: str = "valid"
    warnings: tuple[Notice, ...] = ()
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def normalised(self) -> bool:
        """True when the accepted value differs from what was given (full-width digits, spaces, x → X …)."""
        return any(w.code.startswith("normalised_") for w in self.warnings)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["normalised"] = self.normalised
        return data


def _notice(kind: str, code: str, **fmt: Any) -> Notice:
    zh, en = warning_message(kind, code, **fmt)
    return Notice(code, zh, en)


def _fail(kind: str, code: str, original: str | None, value: str | None, notes: list[Notice], **fmt: Any):
    zh, en = error_message(kind, code, **fmt)
    return CheckResult(False, value, original, code, zh, en, tuple(notes))


def _clean(
    kind: str, raw: object, notes: list[Notice], *, separators: str | None = None
) -> tuple[str | None, str]:
    """Strip stray white space and full-width forms, recording each normalisation as a warning."""
    if raw is None:
        return None, ""
    original = str(raw)
    text = _WS.sub("", original)
    if text != original:
        notes.append(_notice(kind, "normalised_whitespace"))
    wide = text.translate(p.FULLWIDTH_TABLE)
    if wide != text:
        notes.append(_notice(kind, "normalised_fullwidth"))
    if separators:
        cut = re.sub(separators, "", wide)
        if cut != wide:
            notes.append(_notice(kind, "normalised_separators"))
        wide = cut
    return original, wide


def _id_birth(number: str) -> date | None:
    text = number[6:14] if len(number) == 18 else "19" + number[6:12]
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        return None


def id_check_char(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character of GB 11643 for 17 digits."""
    return p.ID_CHECK_CHARS[sum(int(d) * w for d, w in zip(first17, p.ID_WEIGHTS, strict=True)) % 11]


def check_id_number(raw: object, *, today: date | None = None) -> CheckResult:
    """公民身份号码 (GB 11643-1999): 18 characters with a MOD 11-2 check character, or a 15-digit legacy number.

    An unknown or abolished region code is only a warning: IDs keep the county code of the year of issue and
    abolished codes are common in student data (STANDARDS.md).
    """
    kind, notes = "id_number", []
    original, text = _clean(kind, raw, notes)
    if "x" in text:
        text = text.replace("x", "X")
        notes.append(_notice(kind, "normalised_lowercase_x"))
    if not text:
        return _fail(kind, p.EMPTY, original, None, notes)
    if len(text) not in (15, 18):
        return _fail(kind, p.BAD_LENGTH, original, text, notes, length=len(text))
    shape = "[0-9]{17}[0-9X]" if len(text) == 18 else "[0-9]{15}"
    if not re.fullmatch(shape, text):
        return _fail(kind, p.BAD_CHARACTER, original, text, notes)
    birth = _id_birth(text)
    today = today or today_in_china()
    if birth is None or birth.year < p.MIN_BIRTH_YEAR or birth > today:
        return _fail(kind, p.BAD_BIRTH_DATE, original, text, notes)
    if len(text) == 18:
        expected = id_check_char(text[:17])
        if text[17] != expected:
            return _fail(kind, p.BAD_CHECK_DIGIT, original, text, notes, expected=expected, actual=text[17])
    else:
        notes.append(_notice(kind, "legacy_15_digit", year=birth.year))
    region = text[:6]
    status = region_status(region)
    if status in ("unknown", "historical"):
        notes.append(_notice(kind, f"{status}_region", region=region, label=region_label(region) or ""))
    details = {
        "birth_date": birth.isoformat(),
        "gender_code": "1" if int(text[14 if len(text) == 15 else 16]) % 2 else "2",
        "region_code": region,
        "region_status": status,
        "legacy": len(text) == 15,
    }
    return CheckResult(True, text, original, warnings=tuple(notes), details=details)


def gender_code_from_id(number: object) -> str | None:
    """GB/T 2261.1 code implied by the sequence digit (odd = 1 男, even = 2 女); None for an invalid number."""
    result = check_id_number(number)
    return result.details["gender_code"] if result.ok else None


def birth_date_from_id(number: object) -> date | None:
    result = check_id_number(number)
    return date.fromisoformat(result.details["birth_date"]) if result.ok else None


def check_id_consistency(
    id_number: object, *, gender_code: str | None = None, birth_date: date | str | None = None
) -> CheckResult:
    """Cross-field check: the recorded gender and birth date must match what the ID number says."""
    result = check_id_number(id_number)
    if not result.ok:
        return result
    notes = list(result.warnings)
    if (
        gender_code is not None
        and str(gender_code) in ("1", "2")
        and str(gender_code) != result.details["gender_code"]
    ):
        return _fail("id_number", p.GENDER_MISMATCH, result.original, result.value, notes)
    if birth_date is not None:
        given = birth_date.isoformat() if isinstance(birth_date, date) else str(birth_date)
        if given != result.details["birth_date"]:
            return _fail("id_number", p.BIRTH_DATE_MISMATCH, result.original, result.value, notes)
    return result


def check_mobile(raw: object) -> CheckResult:
    """Mainland mobile number 1[3-9]xxxxxxxxx; +86 / 0086, spaces, dashes and brackets are normalised away."""
    kind, notes = "mobile", []
    original, text = _clean(kind, raw, notes, separators=p.MOBILE_SEPARATORS_RE)
    for prefix in ("+86", "0086"):
        if text.startswith(prefix):
            text = text[len(prefix) :]
            notes.append(_notice(kind, "normalised_country_code"))
            break
    else:
        if len(text) == 13 and text.startswith("86"):
            text = text[2:]
            notes.append(_notice(kind, "normalised_country_code"))
    if not text:
        return _fail(kind, p.EMPTY, original, None, notes)
    if not re.fullmatch("[0-9]+", text):
        return _fail(kind, p.BAD_CHARACTER, original, text, notes)
    if len(text) != 11:
        return _fail(kind, p.BAD_LENGTH, original, text, notes, length=len(text))
    if not re.fullmatch(p.MOBILE_RE, text):
        return _fail(kind, p.BAD_PREFIX, original, text, notes)
    return CheckResult(True, text, original, warnings=tuple(notes))


def _check_number(kind: str, raw: object, pattern: str, hint_zh: str, hint_en: str) -> CheckResult:
    notes: list[Notice] = []
    original, text = _clean(kind, raw, notes)
    if not text:
        return _fail(kind, p.EMPTY, original, None, notes)
    if not re.search(pattern, text):
        return _fail(kind, p.BAD_FORMAT, original, text, notes, hint_zh=hint_zh, hint_en=hint_en)
    return CheckResult(True, text, original, warnings=tuple(notes))


def check_student_number(
    raw: object, *, school_code: str | None = None, pattern: str | None = None
) -> CheckResult:
    """学号 (一人一号, Art. 16) in the school's format (:func:`number_formats`)."""
    fmt = number_formats(school_code)
    return _check_number(
        "student_number", raw, pattern or fmt.student_pattern, fmt.student_hint_zh, fmt.student_hint_en
    )


def check_staff_number(
    raw: object, *, school_code: str | None = None, pattern: str | None = None
) -> CheckResult:
    """工号 (一人一号, Art. 15) in the school's format (:func:`number_formats`)."""
    fmt = number_formats(school_code)
    return _check_number(
        "staff_number", raw, pattern or fmt.staff_pattern, fmt.staff_hint_zh, fmt.staff_hint_en
    )


def check_school_code(raw: object) -> CheckResult:
    """学校标识码 (一校一码, Art. 14): 10 digits, e.g. 4112010070; an unknown province is a warning."""
    kind, notes = "school_code", []
    original, text = _clean(kind, raw, notes)
    if not text:
        return _fail(kind, p.EMPTY, original, None, notes)
    if not re.fullmatch("[0-9]+", text):
        return _fail(kind, p.BAD_CHARACTER, original, text, notes)
    if len(text) != 10:
        return _fail(kind, p.BAD_LENGTH, original, text, notes, length=len(text))
    if text[2:4] not in province_codes():
        notes.append(_notice(kind, "unknown_region", region=text[2:4], label=""))
    details = {"school_type": text[:2], "province": text[2:4], "national_code": text[5:]}
    return CheckResult(True, text, original, warnings=tuple(notes), details=details)


def check_gender_code(raw: object) -> CheckResult:
    """GB/T 2261.1 gender code (0, 1, 2, 9) from the shipped code set."""
    kind, notes = "gender", []
    original, text = _clean(kind, raw, notes)
    if not text:
        return _fail(kind, p.EMPTY, original, None, notes)
    if text not in bundled_code_set("gender").values():
        return _fail(kind, p.NOT_IN_CODE_SET, original, text, notes, code_set="gender")
    return CheckResult(True, text, original, warnings=tuple(notes))


_EMAIL = re.compile(
    r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)+"
)


def check_email(raw: object) -> CheckResult:
    kind, notes = "email", []
    original, text = _clean(kind, raw, notes)
    if not text:
        return _fail(kind, p.EMPTY, original, None, notes)
    if len(text) > 254:
        return _fail(kind, p.TOO_LONG, original, text, notes, limit=254)
    if not _EMAIL.fullmatch(text):
        return _fail(kind, p.BAD_FORMAT, original, text, notes)
    local, domain = text.rsplit("@", 1)
    if domain != domain.lower():
        notes.append(_notice(kind, "normalised_case"))
    return CheckResult(True, f"{local}@{domain.lower()}", original, warnings=tuple(notes))


_DATE_FORMS = (
    re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})"),
    re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})"),
    re.compile(r"([0-9]{4})[/.]([0-9]{1,2})[/.]([0-9]{1,2})"),
    re.compile(r"([0-9]{4})年([0-9]{1,2})月([0-9]{1,2})日"),
)


def check_date(raw: object) -> CheckResult:
    """A calendar date as ISO 8601 (YYYY-MM-DD); YYYYMMDD, YYYY/MM/DD and YYYY年M月D日 are normalised."""
    kind, notes = "date", []
    original, text = _clean(kind, raw, notes)
    if not text:
        return _fail(kind, p.EMPTY, original, None, notes)
    for form in _DATE_FORMS:
        m = form.fullmatch(text)
        if m:
            try:
                value = date(int(m[1]), int(m[2]), int(m[3])).isoformat()
            except ValueError:
                return _fail(kind, p.BAD_DATE, original, text, notes)
            if value != text:
                notes.append(_notice(kind, "normalised_format"))
            return CheckResult(True, value, original, warnings=tuple(notes))
    return _fail(kind, p.BAD_FORMAT, original, text, notes)


def check_bank_card(raw: object) -> CheckResult:
    """Bank card number: 12-19 digits; a failed Luhn check is a warning (old passbook numbers fail it)."""
    kind, notes = "bank_card", []
    original, text = _clean(kind, raw, notes, separators="-")
    if not text:
        return _fail(kind, p.EMPTY, original, None, notes)
    if not re.fullmatch("[0-9]+", text):
        return _fail(kind, p.BAD_CHARACTER, original, text, notes)
    if not 12 <= len(text) <= 19:
        return _fail(kind, p.BAD_LENGTH, original, text, notes, length=len(text))
    total = 0
    for i, ch in enumerate(reversed(text)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    if total % 10:
        notes.append(_notice(kind, "luhn_mismatch"))
    return CheckResult(True, text, original, warnings=tuple(notes))


_NAME = re.compile(r"[^\W\d_]+(?:[ ·•.\-'][^\W\d_]+)*")


def check_person_name(raw: object) -> CheckResult:
    """姓名: letters of any script, joined by a space, middle dot (少数民族姓名) or hyphen; at most 50."""
    kind, notes = "name", []
    if raw is None:
        return _fail(kind, p.EMPTY, None, None, notes)
    original = str(raw)
    text = original.strip(p.WHITESPACE_CHARS)
    if text != original:
        notes.append(_notice(kind, "normalised_whitespace"))
    if not text:
        return _fail(kind, p.EMPTY, original, None, notes)
    if len(text) > 50:
        return _fail(kind, p.TOO_LONG, original, text, notes, limit=50)
    if not _NAME.fullmatch(text):
        return _fail(kind, p.BAD_CHARACTER, original, text, notes)
    return CheckResult(True, text, original, warnings=tuple(notes))


VALIDATORS: dict[str, Callable[..., CheckResult]] = {
    "id_number": check_id_number,
    "mobile": check_mobile,
    "student_number": check_student_number,
    "staff_number": check_staff_number,
    "school_code": check_school_code,
    "gender": check_gender_code,
    "email": check_email,
    "date": check_date,
    "bank_card": check_bank_card,
    "name": check_person_name,
}


def validate(kind: str, value: object, **options: Any) -> CheckResult:
    """Dispatch by standard type; ``school_code`` selects the number formats for student/staff numbers."""
    check = VALIDATORS[kind]
    if kind in ("student_number", "staff_number"):
        return check(value, school_code=options.get("school_code"))
    return check(value)
