"""Constants the scalar validators and their vectorised (Polars) twins share, so both give the same verdict.

Character classes are spelt out rather than written as ``\\s`` or ``\\d``: Python's ``re`` and Polars' Rust
regex disagree on what those match outside ASCII, and a full-width digit must be *normalised*, never accepted
as a digit.
"""

from __future__ import annotations

# GB 11643-1999: ISO 7064 MOD 11-2 over the first 17 digits; S mod 11 indexes CHECK_CHARS.
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"
# The earliest birth date the platform accepts in an ID number.
MIN_BIRTH_YEAR = 1900

# Stray white space found in spreadsheets: ASCII blanks, NBSP, the ideographic space, zero-width characters.
WHITESPACE_CHARS = (
    " \t\n\r\f\v\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000\u200b\ufeff"
)
WHITESPACE_RE = "[" + WHITESPACE_CHARS + "]"

# Full-width forms typed with a Chinese input method → ASCII.
FULLWIDTH_FROM = tuple("０１２３４５６７８９Ｘｘ＋－")
FULLWIDTH_TO = tuple("0123456789XX+-")
FULLWIDTH_TABLE = str.maketrans(dict(zip(FULLWIDTH_FROM, FULLWIDTH_TO, strict=True)))

# Mainland mobile numbers: 11 digits, 1 then 3-9 (MIIT numbering plan).
MOBILE_RE = "^1[3-9][0-9]{9}$"
MOBILE_SEPARATORS_RE = "[-()（）]"

# 学校标识码: 2-digit school type + 2-digit province + 0 + 5-digit national school code, no check digit.
SCHOOL_CODE_RE = "^[0-9]{10}$"

# Error codes: the vectorised expressions return exactly these strings (or null when the value is valid).
EMPTY = "empty"
BAD_LENGTH = "bad_length"
BAD_CHARACTER = "bad_character"
BAD_BIRTH_DATE = "bad_birth_date"
BAD_CHECK_DIGIT = "bad_check_digit"
BAD_PREFIX = "bad_prefix"
BAD_FORMAT = "bad_format"
BAD_DATE = "bad_date"
TOO_LONG = "too_long"
NOT_IN_CODE_SET = "not_in_code_set"
GENDER_MISMATCH = "gender_mismatch"
BIRTH_DATE_MISMATCH = "birth_date_mismatch"
