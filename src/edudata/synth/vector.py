"""Vectorised building blocks: weighted choices, digit matrices, GB 11643 and Luhn check digits, dates.

Everything works on whole numpy arrays / Polars Series at once, so a million people take seconds: there is
no Python loop over rows anywhere in the generators (DESIGN.md: bulk data is columnar).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

import numpy as np
import polars as pl

from edudata.catalog.patterns import ID_CHECK_CHARS, ID_WEIGHTS

_ASCII_ZERO = 48
_EPOCH = np.datetime64("1970-01-01", "D")


def weighted_index(rng: np.random.Generator, weights: Sequence[float], n: int) -> np.ndarray:
    """``n`` indices into ``weights``, each drawn with probability proportional to its weight."""
    p = np.asarray(weights, dtype=np.float64)
    return rng.choice(len(p), size=n, p=p / p.sum())


def weighted_keys(rng: np.random.Generator, table: Mapping[str, float], n: int) -> pl.Series:
    """``n`` keys of ``table`` drawn by their weights, as a String Series."""
    keys = list(table)
    return gather(keys, weighted_index(rng, list(table.values()), n))


def gather(pool: Sequence[str], index: np.ndarray) -> pl.Series:
    """``pool[index]`` for a whole index array, as a String Series (Polars' gather, no Python loop)."""
    return pl.Series(list(pool), dtype=pl.String).gather(pl.Series(index, dtype=pl.UInt32))


def rank_within(keys: np.ndarray) -> np.ndarray:
    """0, 1, 2 … for each row among the rows with the same key, in row order (a vectorised cumcount)."""
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    starts = np.ones(len(keys), dtype=bool)
    starts[1:] = sorted_keys[1:] != sorted_keys[:-1]
    positions = np.arange(len(keys))
    group_start = np.maximum.accumulate(np.where(starts, positions, 0))
    ranks = np.empty(len(keys), dtype=np.int64)
    ranks[order] = positions - group_start
    return ranks


def digits(values: np.ndarray, width: int) -> np.ndarray:
    """Non-negative integers as a (rows, width) uint8 matrix of decimal digits, most significant first."""
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return ((np.asarray(values, dtype=np.int64)[:, None] // powers) % 10).astype(np.uint8)


def ascii_rows(matrix: np.ndarray) -> pl.Series:
    """A (rows, width) uint8 matrix of ASCII codes as one String per row."""
    width = matrix.shape[1]
    raw = np.ascontiguousarray(matrix, dtype=np.uint8).view(f"S{width}").ravel()
    return pl.Series(raw).cast(pl.String)


def digit_rows(matrix: np.ndarray) -> pl.Series:
    """A (rows, width) matrix of digits 0-9 as one String per row."""
    return ascii_rows(matrix + _ASCII_ZERO)


def numbers(values: np.ndarray, width: int) -> pl.Series:
    """Non-negative integers as zero-padded decimal Strings of ``width`` characters."""
    return pl.Series(np.asarray(values, dtype=np.int64)).cast(pl.String).str.zfill(width)


def prefixed_sequence(prefix: np.ndarray, prefix_width: int, sequence: np.ndarray, width: int) -> pl.Series:
    """``prefix`` then ``sequence``, both zero-padded: the sequence takes ``width`` digits, or more when a
    count needs them, so numbers never collide (the same width for every row of one call)."""
    if len(sequence):
        width = max(width, len(str(int(sequence.max()))))
    head = pl.Series(np.asarray(prefix, dtype=np.int64)).cast(pl.String).str.zfill(prefix_width)
    tail = pl.Series(np.asarray(sequence, dtype=np.int64)).cast(pl.String).str.zfill(width)
    return head + tail


def date_parts(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Year, month and day of ``datetime64[D]`` values."""
    months = days.astype("datetime64[M]")
    year = months.astype("datetime64[Y]").astype(np.int64) + 1970
    month = months.astype(np.int64) % 12 + 1
    day = (days - months.astype("datetime64[D]")).astype(np.int64) + 1
    return year, month, day


def to_days(d: date) -> np.datetime64:
    return np.datetime64(d.isoformat(), "D")


def date_series(days: np.ndarray) -> pl.Series:
    """``datetime64[D]`` values as a Polars Date Series."""
    return pl.Series((days - _EPOCH).astype(np.int32)).cast(pl.Date)


def id_numbers(region: np.ndarray, birth: np.ndarray, sequence: np.ndarray) -> pl.Series:
    """公民身份号码 (GB 11643-1999): address code + YYYYMMDD + 3-digit sequence + MOD 11-2 check character."""
    year, month, day = date_parts(birth)
    body = np.hstack(
        [digits(region, 6), digits(year * 10000 + month * 100 + day, 8), digits(sequence, 3)]
    ).astype(np.int64)
    check = (body @ np.asarray(ID_WEIGHTS, dtype=np.int64)) % 11
    table = np.frombuffer(ID_CHECK_CHARS.encode(), dtype=np.uint8)
    return ascii_rows(np.hstack([body.astype(np.uint8) + _ASCII_ZERO, table[check][:, None]]))


def luhn_digit(body: np.ndarray) -> np.ndarray:
    """Luhn (ISO/IEC 7812) check digit for each row of a digit matrix (all rows of the same length)."""
    width = body.shape[1]
    doubled = (np.arange(width) % 2) == (width - 1) % 2  # the rightmost body digit is doubled
    d = body.astype(np.int64)
    d = np.where(doubled, d * 2, d)
    d = np.where(d > 9, d - 9, d)
    return ((10 - d.sum(axis=1) % 10) % 10).astype(np.uint8)


def card_numbers(rng: np.random.Generator, bins: Sequence[tuple[str, int, float]], n: int) -> pl.Series:
    """UnionPay-like card numbers: issuer BIN + random account digits + Luhn check digit."""
    which = weighted_index(rng, [w for _, _, w in bins], n)
    pieces: list[pl.Series] = []
    placed: list[np.ndarray] = []
    for i, (prefix, length, _) in enumerate(bins):  # a loop over a dozen issuers, not over rows
        rows = np.flatnonzero(which == i)
        head = np.tile(np.frombuffer(prefix.encode(), dtype=np.uint8) - _ASCII_ZERO, (len(rows), 1))
        account = rng.integers(0, 10, size=(len(rows), length - len(prefix) - 1), dtype=np.uint8)
        body = np.hstack([head, account])
        pieces.append(digit_rows(np.hstack([body, luhn_digit(body)[:, None]])))
        placed.append(rows)
    inverse = np.argsort(np.concatenate(placed), kind="stable")
    return pl.concat(pieces).gather(pl.Series(inverse, dtype=pl.UInt32))


def random_days(rng: np.random.Generator, start: date, end: date, n: int) -> np.ndarray:
    """``n`` dates uniformly between ``start`` and ``end`` inclusive, as ``datetime64[D]``."""
    first, last = to_days(start), to_days(end)
    return first + rng.integers(0, int((last - first).astype(np.int64)) + 1, size=n)
