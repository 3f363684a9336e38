"""Planted defects (for ingest tests): each is a real, detectable error, at the rate asked for."""

from __future__ import annotations

import polars as pl
import pytest

from edudata.catalog.bundled import bundled_code_set
from edudata.catalog.validators import check_date, check_id_consistency, check_id_number, check_mobile
from edudata.errors import ValidationFailed
from edudata.synth.defects import DEFECTS
from edudata.synth.people import students
from edudata.synth.university import UNIT_BY_CODE

FULLWIDTH = "０１２３４５６７８９"


@pytest.fixture(scope="module")
def spoilt() -> pl.DataFrame:
    return students(20_000, seed=3, error_rate=0.05)


def rows_of(frame: pl.DataFrame, kind: str) -> list[dict]:
    return frame.filter(pl.col("_planted_error") == kind).to_dicts()


def detected(row: dict, kind: str, xh_counts: dict[str, int]) -> bool:
    """Whether the defect named ``kind`` is visible in ``row`` with the catalogue's own validators."""
    sfzjh, csrq = row["SFZJH"], row["CSRQ"]
    if kind == "id_check_digit":
        return check_id_number(sfzjh).error_code == "bad_check_digit"
    if kind == "fullwidth_digits":
        result = check_id_number(sfzjh)
        return any(c in FULLWIDTH for c in sfzjh) and result.ok and result.normalised
    if kind == "blank_id_number":
        return sfzjh == "" and not check_id_number(sfzjh).ok
    if kind == "blank_name":
        return row["XM"] == ""
    if kind == "bad_date_format":
        return "/" in csrq and csrq.count("-") == 0
    if kind == "birth_date_mismatch":
        return check_id_consistency(sfzjh, birth_date=csrq).error_code == "birth_date_mismatch"
    if kind == "gender_mismatch":
        return check_id_consistency(sfzjh, gender_code=row["XBM"]).error_code == "gender_mismatch"
    if kind == "bad_ethnic_code":
        return row["MZM"] not in bundled_code_set("ethnic_group").values()
    if kind == "bad_mobile":
        return not check_mobile(row["SJHM"]).ok
    if kind == "unknown_unit":
        return row["YXDM"] not in UNIT_BY_CODE
    if kind == "duplicate_xh":
        return xh_counts[row["XH"]] > 1
    raise AssertionError(kind)


def test_the_rate_is_as_asked_and_every_kind_is_planted(spoilt: pl.DataFrame) -> None:
    planted = spoilt["_planted_error"].drop_nulls()
    assert planted.len() == round(20_000 * 0.05)
    assert set(planted.unique()) == set(DEFECTS)
    counts = planted.value_counts()["count"]
    assert counts.max() - counts.min() <= 1


@pytest.mark.parametrize("kind", sorted(DEFECTS))
def test_each_planted_defect_is_detectable(spoilt: pl.DataFrame, kind: str) -> None:
    xh_counts = dict(spoilt["XH"].value_counts().iter_rows())
    rows = rows_of(spoilt, kind)
    assert rows
    assert all(detected(row, kind, xh_counts) for row in rows)


def test_clean_rows_pass_the_same_checks(spoilt: pl.DataFrame) -> None:
    clean = spoilt.filter(pl.col("_planted_error").is_null())
    duplicated = set(spoilt.filter(pl.col("_planted_error") == "duplicate_xh")["XH"])
    for row in clean.sample(1_500, seed=4).to_dicts():
        assert check_id_consistency(row["SFZJH"], gender_code=row["XBM"], birth_date=row["CSRQ"]).ok
        assert check_date(row["CSRQ"]).ok and check_mobile(row["SJHM"]).ok
        assert row["XM"] and row["YXDM"] in UNIT_BY_CODE
    assert clean["XH"].n_unique() == clean.height
    assert duplicated <= set(clean["XH"])  # each duplicate copies an earlier clean row's number


def test_the_copied_student_number_belongs_to_an_earlier_row(spoilt: pl.DataFrame) -> None:
    indexed = spoilt.with_row_index("i")
    first = indexed.group_by("XH").agg(pl.col("i").min().alias("first"))
    dups = indexed.filter(pl.col("_planted_error") == "duplicate_xh").join(first, on="XH")
    assert (dups["first"] < dups["i"]).all()


def test_without_an_error_rate_there_is_no_defect_column_and_dates_stay_dates() -> None:
    clean = students(100, seed=3)
    assert "_planted_error" not in clean.columns
    assert clean.schema["CSRQ"] == pl.Date
    assert students(100, seed=3, error_rate=0.1).schema["CSRQ"] == pl.String


def test_an_error_rate_outside_zero_to_one_is_refused() -> None:
    with pytest.raises(ValidationFailed):
        students(10, error_rate=1.5)
