"""Synthetic students (issue 2 item 6): every value valid by the catalogue's standards, reproducible by seed."""

from __future__ import annotations

import re

import polars as pl
import pytest

from edudata.access.masking import COMPOUND_SURNAMES
from edudata.catalog.bundled import bundled_code_set
from edudata.catalog.validators import (
    check_bank_card,
    check_id_consistency,
    check_mobile,
    check_student_number,
)
from edudata.synth import names
from edudata.synth.people import STUDENT_COLUMNS, students
from edudata.synth.university import COLLEGE_CODES, MAJORS

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


@pytest.fixture(scope="module")
def frame() -> pl.DataFrame:
    return students(50_000, seed=7)


def mod11_2(column: str) -> pl.Expr:
    """GB 11643 check character, written independently of the generator (Polars, digit by digit)."""
    total = pl.sum_horizontal(
        pl.col(column).str.slice(i, 1).cast(pl.Int64) * w for i, w in enumerate(WEIGHTS)
    )
    return pl.lit("10X98765432").str.slice(total % 11, 1)


def luhn_ok(number: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def test_columns_are_the_catalogue_element_codes(frame: pl.DataFrame) -> None:
    assert tuple(frame.columns) == STUDENT_COLUMNS
    assert frame.height == 50_000
    assert frame.null_count().sum_horizontal().item() == 0


def test_every_id_number_has_the_right_check_character_and_matches_birth_date_and_gender(
    frame: pl.DataFrame,
) -> None:
    checked = frame.select(
        shape=pl.col("SFZJH").str.contains(r"^[0-9]{17}[0-9X]$"),
        check=pl.col("SFZJH").str.slice(17, 1) == mod11_2("SFZJH"),
        birth=pl.col("SFZJH").str.slice(6, 8) == pl.col("CSRQ").dt.to_string("%Y%m%d"),
        parity=(pl.col("SFZJH").str.slice(16, 1).cast(pl.Int64) % 2 == 1) == (pl.col("XBM") == "1"),
    )
    assert checked.select(pl.all().all()).row(0) == (True, True, True, True)


def test_the_catalogue_validator_accepts_a_sample_of_id_numbers(frame: pl.DataFrame) -> None:
    for sfzjh, xbm, csrq in frame.sample(2_000, seed=1).select("SFZJH", "XBM", "CSRQ").iter_rows():
        result = check_id_consistency(sfzjh, gender_code=xbm, birth_date=csrq)
        assert result.ok, (sfzjh, result.error_code)


def test_id_regions_are_real_county_codes_and_the_address_is_in_that_province(frame: pl.DataFrame) -> None:
    provinces = {
        c.value[:2]: c.label for c in bundled_code_set("admin_division").codes if c.value.endswith("0000")
    }
    pairs = frame.select(pl.col("SFZJH").str.slice(0, 2), "JTDZ").unique("SFZJH").iter_rows()
    for prefix, address in pairs:
        assert address.startswith(provinces[prefix]), (prefix, address)
    tianjin = frame.filter(pl.col("SFZJH").str.starts_with("12")).height / frame.height
    assert 0.35 < tianjin < 0.65  # a Tianjin university draws about half its students locally


def test_student_and_id_numbers_are_unique(frame: pl.DataFrame) -> None:
    assert frame["XH"].n_unique() == frame.height
    assert frame["SFZJH"].n_unique() == frame.height


def test_student_numbers_encode_year_and_college_and_pass_the_school_format(frame: pl.DataFrame) -> None:
    ok = frame.select(
        (pl.col("XH").str.slice(0, 4) == pl.col("NJ").cast(pl.String))
        & (pl.col("XH").str.slice(4, 2) == pl.col("YXDM").str.slice(2, 2))
    )
    assert ok.to_series().all()
    assert all(check_student_number(x, school_code="4112010070").ok for x in frame["XH"].head(500))


def test_same_seed_same_data_other_seed_other_data() -> None:
    assert students(3_000, seed=11).equals(students(3_000, seed=11))
    a, b = students(3_000, seed=11), students(3_000, seed=12)
    assert not a.equals(b)
    assert (a["SFZJH"] != b["SFZJH"]).sum() > 2_900


def test_mobiles_and_bank_cards_are_valid(frame: pl.DataFrame) -> None:
    assert frame["SJHM"].str.contains(r"^1[3-9][0-9]{9}$").all()
    assert frame.select(pl.col("YHKH").str.contains(r"^62[0-9]{14,17}$")).to_series().all()
    sample = frame.sample(3_000, seed=2)
    assert all(luhn_ok(card) for card in sample["YHKH"])
    assert all(
        not check_bank_card(card).warnings and check_bank_card(card).ok for card in sample["YHKH"][:300]
    )
    assert all(check_mobile(m).ok for m in sample["SJHM"][:300])


def test_ethnic_codes_are_gb_t_3304_with_han_about_91_percent(frame: pl.DataFrame) -> None:
    assert set(frame["MZM"].unique()) <= bundled_code_set("ethnic_group").values()
    han = (frame["MZM"] == "01").mean()
    assert 0.89 < han < 0.93
    assert frame["MZM"].n_unique() > 15


def test_codes_units_and_majors_agree(frame: pl.DataFrame) -> None:
    assert set(frame["XBM"].unique()) == {"1", "2"}
    assert set(frame["XJZT"].unique()) <= bundled_code_set("student_status").values()
    assert set(frame["YXDM"].unique()) == set(COLLEGE_CODES)
    for college, major in frame.select("YXDM", "ZYMC").unique().iter_rows():
        assert major in MAJORS[college]


def test_earliest_cohort_has_mostly_graduated(frame: pl.DataFrame) -> None:
    first = frame.filter(pl.col("NJ") == 2021)["XJZT"]
    later = frame.filter(pl.col("NJ") == 2024)["XJZT"]
    assert (first == "05").mean() > 0.85
    assert (later == "05").sum() == 0 and (later == "01").mean() > 0.9


def test_names_are_realistic(frame: pl.DataFrame) -> None:
    lengths = frame["XM"].str.len_chars()
    assert lengths.min() >= 2 and lengths.max() <= 4
    compound = frame.filter(pl.col("XM").str.slice(0, 2).is_in(list(COMPOUND_SURNAMES)))
    assert compound.height > 0
    assert set(frame["XM"].str.slice(0, 1).unique()) <= {s[0] for s in names.SURNAMES}
    top = frame["XM"].str.slice(0, 1).value_counts(sort=True)["XM"].head(3).to_list()
    assert set(top) <= {"王", "李", "张", "刘"}


def test_email_and_birth_dates_are_plausible(frame: pl.DataFrame) -> None:
    assert frame["DZYX"].str.contains(r"^[0-9A-Za-z._]+@[0-9a-z.]+\.[a-z]+$").all()
    age = frame.select(pl.col("NJ") - pl.col("CSRQ").dt.year()).to_series()
    assert age.min() >= 16 and age.max() <= 22


def test_a_realistic_home_address_has_province_city_district_and_street(frame: pl.DataFrame) -> None:
    pattern = re.compile(r"^(天津市|北京市|上海市|重庆市|.+?(省|自治区).+?市).+?(区|县|市).+?[路街道]\d+号")
    assert all(pattern.match(a) for a in frame["JTDZ"].head(2_000))


def test_zero_students_and_a_negative_count() -> None:
    assert students(0).height == 0
    with pytest.raises(Exception, match="negative"):
        students(-1)
