"""Vectorised data-standard checks (Polars expressions): a million rows in one columnar pass, no Python per row.

Each ``*_check_expr`` yields the same error code as its scalar twin in :mod:`edudata.catalog.validators`, or
null when the value is valid (after the same normalisation). Ingest uses them to quarantine bad rows with a
reason (Art. 20, 23); :func:`edudata.catalog.messages.error_message` turns a code into a bilingual message.

The checks refer to the normalised value many times. Eager ``DataFrame.select`` does not share common
sub-expressions, so each public expression normalises a whole batch once (``map_batches``, one Python call per
batch, never per row) and runs the rules on that materialised column: equally fast eager or lazy.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import polars as pl

from edudata.catalog import patterns as p
from edudata.clock import today_in_china

_NULL = pl.lit(None, dtype=pl.String)
_V, _N = pl.col("v"), pl.col("n")


def _expr(col: str | pl.Expr) -> pl.Expr:
    return pl.col(col) if isinstance(col, str) else col


def _batched(
    col: str | pl.Expr, normalise: Callable[[pl.Expr], pl.Expr], rule: pl.Expr, dtype: pl.DataType
) -> pl.Expr:
    """Apply ``rule`` (written over ``pl.col("n")``) to the normalised values of ``col``, batch by batch."""

    def run(series: pl.Series) -> pl.Series:
        frame = pl.DataFrame({"v": series.cast(pl.String)}).lazy()
        out = frame.select(normalise(_V).alias("n")).select(rule.alias("out")).collect()
        return out.get_column("out").alias(series.name)

    return _expr(col).map_batches(run, return_dtype=dtype, is_elementwise=True)


def _clean(v: pl.Expr) -> pl.Expr:
    return v.str.replace_all(p.WHITESPACE_RE, "").str.replace_many(
        list(p.FULLWIDTH_FROM), list(p.FULLWIDTH_TO)
    )


def _clean_id(v: pl.Expr) -> pl.Expr:
    return _clean(v).str.replace_all("x", "X", literal=True)


def _clean_mobile(v: pl.Expr) -> pl.Expr:
    n = _clean(v).str.replace_all(p.MOBILE_SEPARATORS_RE, "")
    return (
        pl.when(n.str.starts_with("+86"))
        .then(n.str.slice(3))
        .when(n.str.starts_with("0086"))
        .then(n.str.slice(4))
        .when(n.str.starts_with("86") & (n.str.len_chars() == 13))
        .then(n.str.slice(2))
        .otherwise(n)
    )


def _id_birth() -> pl.Expr:
    text = (
        pl.when(_N.str.len_chars() == 18)
        .then(_N.str.slice(6, 8))
        .otherwise(pl.concat_str(pl.lit("19"), _N.str.slice(6, 6)))
    )
    return text.str.strptime(pl.Date, "%Y%m%d", strict=False)


def _id_error(today: date) -> pl.Expr:
    length = _N.str.len_chars()
    is18 = length == 18
    shape_ok = (
        pl.when(is18).then(_N.str.contains("^[0-9]{17}[0-9X]$")).otherwise(_N.str.contains("^[0-9]{15}$"))
    )
    birth = _id_birth()
    birth_ok = birth.is_not_null() & (birth >= date(p.MIN_BIRTH_YEAR, 1, 1)) & (birth <= today)
    total = pl.sum_horizontal(
        [_N.str.slice(i, 1).cast(pl.Int64, strict=False) * w for i, w in enumerate(p.ID_WEIGHTS)]
    )
    expected = pl.lit(p.ID_CHECK_CHARS).str.slice(total % 11, 1)
    return (
        pl.when(_N.is_null() | (length == 0))
        .then(pl.lit(p.EMPTY))
        .when(~length.is_in([15, 18]))
        .then(pl.lit(p.BAD_LENGTH))
        .when(~shape_ok)
        .then(pl.lit(p.BAD_CHARACTER))
        .when(~birth_ok)
        .then(pl.lit(p.BAD_BIRTH_DATE))
        .when(is18 & (_N.str.slice(17, 1) != expected))
        .then(pl.lit(p.BAD_CHECK_DIGIT))
        .otherwise(_NULL)
    )


def id_number_normalise_expr(col: str | pl.Expr) -> pl.Expr:
    """The ID number with white space removed, full-width forms converted and x → X."""
    return _batched(col, _clean_id, _N, pl.String())


def id_number_check_expr(col: str | pl.Expr, *, today: date | None = None) -> pl.Expr:
    """GB 11643 error code per row (``empty``, ``bad_length``, ``bad_character``, ``bad_birth_date``,
    ``bad_check_digit``) or null; unknown regions are warnings, never errors, as in the scalar check."""
    return _batched(col, _clean_id, _id_error(today or today_in_china()), pl.String())


def id_gender_expr(col: str | pl.Expr) -> pl.Expr:
    """GB/T 2261.1 gender code implied by the ID number's sequence digit ("1" odd, "2" even); null if invalid."""
    digit = pl.when(_N.str.len_chars() == 18).then(_N.str.slice(16, 1)).otherwise(_N.str.slice(14, 1))
    parity = digit.cast(pl.Int64, strict=False) % 2
    code = pl.when(parity == 1).then(pl.lit("1")).otherwise(pl.lit("2"))
    rule = pl.when(_id_error(today_in_china()).is_null()).then(code).otherwise(_NULL)
    return _batched(col, _clean_id, rule, pl.String())


def id_birth_date_expr(col: str | pl.Expr) -> pl.Expr:
    """Birth date inside the ID number (15-digit numbers read as 19YY), null if the number is invalid."""
    rule = (
        pl.when(_id_error(today_in_china()).is_null())
        .then(_id_birth())
        .otherwise(pl.lit(None, dtype=pl.Date))
    )
    return _batched(col, _clean_id, rule, pl.Date())


def mobile_normalise_expr(col: str | pl.Expr) -> pl.Expr:
    """The mobile number without white space, separators or the +86 / 0086 country code."""
    return _batched(col, _clean_mobile, _N, pl.String())


def mobile_check_expr(col: str | pl.Expr) -> pl.Expr:
    """Mobile-number error code per row (``empty``, ``bad_character``, ``bad_length``, ``bad_prefix``) or null."""
    rule = (
        pl.when(_N.is_null() | (_N.str.len_chars() == 0))
        .then(pl.lit(p.EMPTY))
        .when(~_N.str.contains("^[0-9]+$"))
        .then(pl.lit(p.BAD_CHARACTER))
        .when(_N.str.len_chars() != 11)
        .then(pl.lit(p.BAD_LENGTH))
        .when(~_N.str.contains(p.MOBILE_RE))
        .then(pl.lit(p.BAD_PREFIX))
        .otherwise(_NULL)
    )
    return _batched(col, _clean_mobile, rule, pl.String())


def number_check_expr(col: str | pl.Expr, pattern: str) -> pl.Expr:
    """Student or staff number against the school's pattern (see :mod:`edudata.catalog.numbers`)."""
    rule = (
        pl.when(_N.is_null() | (_N.str.len_chars() == 0))
        .then(pl.lit(p.EMPTY))
        .when(~_N.str.contains(pattern))
        .then(pl.lit(p.BAD_FORMAT))
        .otherwise(_NULL)
    )
    return _batched(col, _clean, rule, pl.String())


def school_code_check_expr(col: str | pl.Expr) -> pl.Expr:
    """学校标识码 error code per row (``empty``, ``bad_character``, ``bad_length``) or null."""
    rule = (
        pl.when(_N.is_null() | (_N.str.len_chars() == 0))
        .then(pl.lit(p.EMPTY))
        .when(~_N.str.contains("^[0-9]+$"))
        .then(pl.lit(p.BAD_CHARACTER))
        .when(_N.str.len_chars() != 10)
        .then(pl.lit(p.BAD_LENGTH))
        .otherwise(_NULL)
    )
    return _batched(col, _clean, rule, pl.String())
