"""Text that names something — a person, a unit, a file, a folder — must not hide what it is.

Control characters (NUL, escape sequences) break logs, file systems and exports; bidirectional overrides and
isolates (U+202A-202E, U+2066-2069, U+200E/200F, U+061C) make ``invoice‮fdp.exe`` read as ``invoiceexe.pdf``.
Both are refused in names and file names with a clear message in both languages (Trojan Source, CVE-2021-42574).
"""

from __future__ import annotations

import unicodedata

from edudata.errors import ValidationFailed

BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")


def unsafe_chars(text: str) -> list[str]:
    """The control and bidi characters in ``text``, as ``U+XXXX`` (for the message)."""
    found = []
    for ch in text:
        if ch in BIDI or unicodedata.category(ch) == "Cc":
            code = f"U+{ord(ch):04X}"
            if code not in found:
                found.append(code)
    return found


def check_filename(value: str | None, field: str = "file") -> str:
    """An uploaded file's name as given (shown in lists and reports): no control or bidi characters."""
    return check_name(value or "", field, "文件名", "a file name")


def check_name(value: str, field: str, what_zh: str = "名称", what_en: str = "a name") -> str:
    """``value`` unchanged, or :class:`ValidationFailed` naming the characters refused."""
    bad = unsafe_chars(value)
    if bad:
        raise ValidationFailed(
            f"{what_zh}不能含控制字符或文字方向控制符（{', '.join(bad[:5])}）",
            f"{what_en} may not contain control or text-direction characters ({', '.join(bad[:5])})",
            field=field,
        )
    return value
