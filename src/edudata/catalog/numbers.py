"""Student and staff number formats (一人一号, Art. 15-16), configurable per school (学校标识码).

Numbering differs between universities, so the format is a regular expression per school. The defaults:

- 学号 student number: 8 to 12 digits (enrolment year + college + class + sequence, e.g. ``2023020115``);
- 工号 staff number: 4 to 12 capital letters or digits (some schools prefix contract staff with a letter).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class NumberFormats:
    student_pattern: str = "^[0-9]{8,12}$"
    staff_pattern: str = "^[0-9A-Z]{4,12}$"
    student_hint_zh: str = "应为 8–12 位数字"
    student_hint_en: str = "8 to 12 digits"
    staff_hint_zh: str = "应为 4–12 位大写字母或数字"
    staff_hint_en: str = "4 to 12 capital letters or digits"


DEFAULT_FORMATS = NumberFormats()
_BY_SCHOOL: dict[str, NumberFormats] = {"4112010070": DEFAULT_FORMATS}


def number_formats(school_code: str | None = None) -> NumberFormats:
    """The formats registered for ``school_code``, else the defaults."""
    return _BY_SCHOOL.get(school_code or "", DEFAULT_FORMATS)


def register_number_formats(school_code: str, formats: NumberFormats) -> None:
    """Set a school's formats (at start-up, from its configuration); the patterns must compile."""
    re.compile(formats.student_pattern)
    re.compile(formats.staff_pattern)
    _BY_SCHOOL[school_code] = formats
