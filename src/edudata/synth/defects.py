"""Realistic defects planted in synthetic student rows, so ingest's validation and quarantine can be tested.

Producer systems deliver data with these faults (Art. 20-23: accuracy, completeness, uniqueness, referential
integrity). Each planted row carries exactly one defect, named in ``_planted_error``; clean rows have null
there. :data:`DEFECTS` names, per defect, the column it touches and how a validator can tell.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import polars as pl

from edudata.catalog.patterns import ID_CHECK_CHARS
from edudata.errors import ValidationFailed

# defect → (element it spoils, what it looks like / how it is detected)
DEFECTS: Final[dict[str, tuple[str, str]]] = {
    "id_check_digit": ("SFZJH", "wrong MOD 11-2 check character: GB 11643 check fails"),
    "fullwidth_digits": ("SFZJH", "digits typed full-width (０-９): only valid after normalisation"),
    "blank_id_number": ("SFZJH", "empty string in a required element"),
    "blank_name": ("XM", "empty string in a required element"),
    "bad_date_format": ("CSRQ", "2003/5/1 instead of 2003-05-01: not an ISO date"),
    "birth_date_mismatch": ("CSRQ", "a year off the birth date in the ID number"),
    "gender_mismatch": ("XBM", "gender code contradicts the ID number's sequence parity"),
    "bad_ethnic_code": ("MZM", "57 or 58, a wrong coding seen online: not in GB/T 3304"),
    "bad_mobile": ("SJHM", "last digit lost: ten digits"),
    "unknown_unit": ("YXDM", "a college code that is no unit of the school (Art. 22)"),
    "duplicate_xh": ("XH", "repeats the 学号 of an earlier clean row (一人一号)"),
}

_NEXT_CHECK_CHAR = {c: ID_CHECK_CHARS[(i + 1) % 11] for i, c in enumerate(ID_CHECK_CHARS)}
_FULLWIDTH = [chr(0xFF10 + d) for d in range(10)]


def _defect_rows(rng: np.random.Generator, n: int, rate: float) -> tuple[np.ndarray, np.ndarray]:
    """Which rows get a defect and which one: ``round(n * rate)`` rows, the kinds in near-equal numbers.
    Row 0 stays clean, so every ``duplicate_xh`` has an earlier clean row to copy."""
    if not 0 <= rate <= 1:
        raise ValidationFailed(
            f"错误比例应在 0 与 1 之间：{rate}", f"error rate must be between 0 and 1: {rate}"
        )
    k = min(round(n * rate), max(n - 1, 0))
    rows = np.sort(rng.choice(np.arange(1, n), size=k, replace=False)) if k else np.empty(0, np.int64)
    kinds = np.resize(rng.permutation(len(DEFECTS)), k)
    rng.shuffle(kinds)
    return rows, kinds


def plant_student_defects(frame: pl.DataFrame, rate: float, rng: np.random.Generator) -> pl.DataFrame:
    """Spoil ``round(len(frame) * rate)`` rows of a students frame (sorted by XH), one defect each.

    CSRQ is returned as ISO text, since a spoilt date is no longer a date.
    """
    n = frame.height
    rows, kinds = _defect_rows(rng, n, rate)
    which = np.full(n, -1, dtype=np.int64)
    which[rows] = kinds
    labels = pl.Series(which).replace_strict(dict(enumerate(DEFECTS)), default=None, return_dtype=pl.String)
    # duplicate_xh copies the XH of a random clean row before it
    clean = np.setdiff1d(np.arange(n), rows, assume_unique=True)
    before = np.searchsorted(clean, rows)
    source = np.arange(n)
    source[rows] = clean[(rng.random(len(rows)) * before).astype(np.int64)]
    wrong_ethnic = np.where(rng.random(n) < 0.5, "57", "58")

    kind = pl.col("_planted_error")

    def spoil(name: str, column: str, value: pl.Expr) -> pl.Expr:
        return pl.when(kind == name).then(value).otherwise(pl.col(column)).alias(column)

    birth = pl.col("CSRQ")
    frame = frame.with_columns(
        _planted_error=labels,
        _source_xh=pl.col("XH").gather(pl.Series(source, dtype=pl.UInt32)),
        _wrong_ethnic=pl.Series(wrong_ethnic, dtype=pl.String),
    )
    return frame.with_columns(
        spoil("duplicate_xh", "XH", pl.col("_source_xh")),
        pl.when(kind == "blank_name").then(pl.lit("")).otherwise(pl.col("XM")).alias("XM"),
        pl.when(kind == "gender_mismatch")
        .then(pl.when(pl.col("XBM") == "1").then(pl.lit("2")).otherwise(pl.lit("1")))
        .otherwise(pl.col("XBM"))
        .alias("XBM"),
        spoil("bad_ethnic_code", "MZM", pl.col("_wrong_ethnic")),
        pl.when(kind == "id_check_digit")
        .then(pl.col("SFZJH").str.slice(0, 17) + pl.col("SFZJH").str.slice(17).replace(_NEXT_CHECK_CHAR))
        .when(kind == "fullwidth_digits")
        .then(pl.col("SFZJH").str.replace_many([str(d) for d in range(10)], _FULLWIDTH))
        .when(kind == "blank_id_number")
        .then(pl.lit(""))
        .otherwise(pl.col("SFZJH"))
        .alias("SFZJH"),
        pl.when(kind == "bad_date_format")
        .then(pl.format("{}/{}/{}", birth.dt.year(), birth.dt.month(), birth.dt.day()))
        .when(kind == "birth_date_mismatch")
        .then(birth.dt.offset_by("-1y").dt.to_string("%Y-%m-%d"))
        .otherwise(birth.dt.to_string("%Y-%m-%d"))
        .alias("CSRQ"),
        spoil("bad_mobile", "SJHM", pl.col("SJHM").str.slice(0, 10)),
        spoil("unknown_unit", "YXDM", pl.lit("0299")),
    ).drop("_source_xh", "_wrong_ethnic")
