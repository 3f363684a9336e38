"""De-identification for statistics and research (去标识化, Art. 42, 54; C6; GB/T 37964-2019).

Masking (:mod:`edudata.access.masking`) hides direct identifiers; what remains can still single a person out
through *quasi-identifiers* (birth year, gender, district, major …). This module generalises those and
measures the re-identification risk before a release:

- generalisation helpers (``pl.Expr -> pl.Expr``): birth date → year or a 5-year band, age → band, address →
  district / city / province, postcode → its first digits;
- :func:`k_anonymity`: the size of the smallest group of rows sharing all quasi-identifiers (each person hides
  among at least k-1 others); :func:`l_diversity`: the fewest distinct sensitive values in any such group;
- :func:`suppress_small_groups`: drop the rows of groups smaller than k, reporting how many went.

Null counts as a value of its own in the groups (a missing district is still something an attacker sees).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Literal

import polars as pl

from edudata.access.masking import ADDRESS_DISTRICT_RE, ADDRESS_LEVEL_RE
from edudata.catalog import patterns as p
from edudata.errors import ValidationFailed

AddressLevel = Literal["province", "city", "district"]


def _date(value: pl.Expr) -> pl.Expr:
    """A Date from a Date or Datetime column or from ISO text (YYYY-MM-DD…); anything else becomes null."""
    text = value.cast(pl.String).str.strip_chars(p.WHITESPACE_CHARS).str.slice(0, 10)
    return text.str.to_date("%Y-%m-%d", strict=False)


def birth_year(value: pl.Expr) -> pl.Expr:
    """Birth date → year as an integer (2003-05-01 → 2003)."""
    return _date(value).dt.year()


def year_band(value: pl.Expr, width: int = 5) -> pl.Expr:
    """Birth date → a band of ``width`` years as text, aligned on multiples of ``width`` (2003 → "2000-2004")."""
    _positive(width, "width")
    start = (birth_year(value) // width) * width
    return pl.format("{}-{}", start, start + width - 1)


def age(value: pl.Expr, on: date) -> pl.Expr:
    """Age in whole years on the day ``on`` (birthday not yet reached that year → one less)."""
    born = _date(value)
    before_birthday = (born.dt.month() > on.month) | (
        (born.dt.month() == on.month) & (born.dt.day() > on.day)
    )
    return pl.lit(on.year) - born.dt.year() - before_birthday.cast(pl.Int32)


def age_band(value: pl.Expr, on: date, width: int = 5) -> pl.Expr:
    """Birth date → age band on ``on`` as text (aged 21 with width 5 → "20-24")."""
    _positive(width, "width")
    start = (age(value, on) // width) * width
    return pl.format("{}-{}", start, start + width - 1)


_PROVINCE_RE = f"^(?:{ADDRESS_LEVEL_RE}(?:省|自治区|特别行政区))"
_MUNICIPALITY_RE = "^(?:北京市|天津市|上海市|重庆市)"


def address_level(value: pl.Expr, level: AddressLevel = "district") -> pl.Expr:
    """Address generalised to ``district`` (county level: 天津市河西区), ``city`` (河北省石家庄市) or ``province``
    (河北省; a municipality counts as its own province and city: 天津市). Unrecognised → null."""
    text = value.cast(pl.String).str.strip_chars(p.WHITESPACE_CHARS)
    if level == "district":
        kept = text.str.extract(f"({ADDRESS_DISTRICT_RE})", 1)
    elif level == "city":
        city = f"(?:{ADDRESS_LEVEL_RE}(?:市|自治州|地区|盟))"
        kept = pl.coalesce(
            text.str.extract(f"({_MUNICIPALITY_RE})", 1),
            text.str.extract(f"({_PROVINCE_RE}?{city})", 1),
            text.str.extract(f"({_PROVINCE_RE})", 1),
        )
    elif level == "province":
        kept = pl.coalesce(
            text.str.extract(f"({_MUNICIPALITY_RE})", 1), text.str.extract(f"({_PROVINCE_RE})", 1)
        )
    else:
        raise ValidationFailed(f"未知的地址层级：{level}", f"unknown address level: {level}")
    return pl.when(kept.str.len_chars() > 0).then(kept)


def postcode_prefix(value: pl.Expr, keep: int = 3) -> pl.Expr:
    """邮政编码 cut to its first ``keep`` digits, the rest as stars (300222 → 300***): 2 digits name the
    province, 3 the postal zone, 4 the county office. Not a 6-digit code → null."""
    if not 1 <= keep <= 6:
        raise ValidationFailed("保留位数应在 1 到 6 之间", "keep must be between 1 and 6")
    code = value.cast(pl.String).str.strip_chars()
    return pl.when(code.str.contains(r"^[0-9]{6}$")).then(code.str.slice(0, keep) + "*" * (6 - keep))


def _positive(n: int, name: str) -> None:
    if n < 1:
        raise ValidationFailed(f"{name} 必须是正整数", f"{name} must be a positive integer")


def _check_columns(df: pl.DataFrame, columns: Sequence[str]) -> list[str]:
    columns = list(columns)
    if not columns:
        raise ValidationFailed("至少需要一个准标识符", "at least one quasi-identifier is needed")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValidationFailed(
            f"数据中没有这些列：{', '.join(missing)}", f"no such columns: {', '.join(missing)}"
        )
    return columns


def equivalence_classes(df: pl.DataFrame, quasi_identifiers: Sequence[str]) -> pl.DataFrame:
    """One row per combination of quasi-identifier values, with its row count in ``_size``."""
    columns = _check_columns(df, quasi_identifiers)
    return df.group_by(columns).agg(pl.len().alias("_size"))


def k_anonymity(df: pl.DataFrame, quasi_identifiers: Sequence[str]) -> int:
    """k: the size of the smallest equivalence class (0 for an empty table — nothing to release)."""
    if df.height == 0:
        _check_columns(df, quasi_identifiers)
        return 0
    return int(equivalence_classes(df, quasi_identifiers)["_size"].min())


def l_diversity(df: pl.DataFrame, quasi_identifiers: Sequence[str], sensitive: str) -> int:
    """l (distinct l-diversity): the fewest distinct values of ``sensitive`` in any equivalence class, so an
    attacker who finds a person's class still faces at least l possible values (0 for an empty table)."""
    columns = _check_columns(df, quasi_identifiers)
    _check_columns(df, [sensitive])
    if df.height == 0:
        return 0
    counts = df.group_by(columns).agg(pl.col(sensitive).n_unique().alias("_l"))
    return int(counts["_l"].min())


def suppress_small_groups(
    df: pl.DataFrame, quasi_identifiers: Sequence[str], k: int
) -> tuple[pl.DataFrame, int]:
    """Drop every row whose equivalence class has fewer than ``k`` rows (suppression, GB/T 37964); returns
    the remaining rows (in their order) and how many were dropped. The result is k-anonymous, or empty."""
    columns = _check_columns(df, quasi_identifiers)
    _positive(k, "k")
    kept = df.filter(pl.len().over(columns) >= k)
    return kept, df.height - kept.height
