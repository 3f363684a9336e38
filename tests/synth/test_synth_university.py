"""The demo university's units, staff, courses, research projects and assets."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from edudata.catalog.validators import check_id_consistency, check_school_code, check_staff_number
from edudata.synth.people import STAFF_COLUMNS, staff
from edudata.synth.records import (
    ASSET_COLUMNS,
    COURSE_COLUMNS,
    PROJECT_COLUMNS,
    assets,
    courses,
    research_projects,
)
from edudata.synth.university import AS_OF, COLLEGE_CODES, PROJECT_CATEGORIES, SCHOOL, UNIT_BY_CODE, UNITS


def test_school_and_units_are_the_shared_contract() -> None:
    assert (
        SCHOOL["code"] == "4112010070"
        and SCHOOL["name"] == "天津财经大学"
        and SCHOOL["unit_type"] == "school"
    )
    assert check_school_code(SCHOOL["code"]).ok
    assert all(set(u) == {"code", "name", "name_en", "unit_type"} for u in UNITS)
    by_type: dict[str, set[str]] = {}
    for u in UNITS:
        by_type.setdefault(u["unit_type"], set()).add(u["code"])
    assert by_type["leadership_group"] == {"0001"}
    assert by_type["office"] == {"0002"}
    assert by_type["user"] == {"0101", "0110"}
    assert by_type["support"] == {"0301"}
    assert by_type["producer"] == {f"01{i:02d}" for i in range(2, 10)} | {f"02{i:02d}" for i in range(1, 11)}
    assert UNIT_BY_CODE["0002"]["name"] == "网络安全和信息化办公室（网信办）"
    assert UNIT_BY_CODE["0210"]["name"] == "统计学院"
    assert len({u["code"] for u in UNITS}) == len(UNITS) == 23


@pytest.fixture(scope="module")
def people() -> pl.DataFrame:
    return staff(20_000, seed=5)


def test_staff_numbers_are_unique_and_follow_the_year_of_joining(people: pl.DataFrame) -> None:
    assert tuple(people.columns) == STAFF_COLUMNS
    assert people["GH"].n_unique() == people.height
    assert (people["GH"].str.slice(0, 4) == people["RZRQ"].dt.year().cast(pl.String)).all()
    assert all(check_staff_number(gh, school_code=SCHOOL["code"]).ok for gh in people["GH"].head(300))


def test_staff_id_numbers_agree_with_birth_date_and_gender(people: pl.DataFrame) -> None:
    assert people["SFZJH"].n_unique() == people.height
    for sfzjh, xbm, csrq in people.sample(1_000, seed=1).select("SFZJH", "XBM", "CSRQ").iter_rows():
        assert check_id_consistency(sfzjh, gender_code=xbm, birth_date=csrq).ok


def test_staff_join_as_adults_before_the_reference_day_in_real_units(people: pl.DataFrame) -> None:
    age_at_joining = people.select(pl.col("RZRQ").dt.year() - pl.col("CSRQ").dt.year()).to_series()
    assert age_at_joining.min() >= 21
    assert people["RZRQ"].max() <= AS_OF
    assert set(people["DWDM"].unique()) <= {
        u["code"] for u in UNITS if u["unit_type"] in ("office", "producer", "user")
    }


def test_teachers_titles_rise_with_seniority(people: pl.DataFrame) -> None:
    teachers = people.filter(pl.col("DWDM").is_in(list(COLLEGE_CODES)))
    service = pl.lit(AS_OF) - pl.col("RZRQ")
    new = teachers.filter(service < pl.duration(days=3 * 365))["ZC"]
    old = teachers.filter(service > pl.duration(days=20 * 365))["ZC"]
    assert (new == "教授").sum() == 0
    assert (old == "教授").mean() > 0.3


def test_courses_have_unique_numbers_in_their_college() -> None:
    frame = courses(2_000, seed=1)
    assert tuple(frame.columns) == COURSE_COLUMNS
    assert frame["KCH"].n_unique() == frame.height and frame["KCMC"].n_unique() == frame.height
    assert (frame["KCH"].str.slice(0, 2) == frame["KKDWDM"].str.slice(2, 2)).all()
    assert set(frame["KKDWDM"].unique()) <= set(COLLEGE_CODES)
    assert (frame["ZXS"] >= frame["XF"] * 16).all()


def test_research_projects_draw_leaders_from_staff_and_funding_from_the_category_band() -> None:
    people = staff(300, seed=2)
    frame = research_projects(1_000, seed=3, staff=people)
    assert tuple(frame.columns) == PROJECT_COLUMNS
    assert frame["XMBH"].n_unique() == frame.height
    leaders = people.filter(pl.col("DWDM").is_in(list(COLLEGE_CODES))).select("GH", "DWDM")
    assert frame.join(leaders, left_on=["FZRGH", "CDDWDM"], right_on=["GH", "DWDM"]).height == frame.height
    for category, funding in frame.select("XMLB", "HTJF").iter_rows():
        _, low, high = PROJECT_CATEGORIES[category]
        assert low - 100 <= funding <= high
    assert (frame["JHJXRQ"] > frame["LXRQ"]).all()
    ongoing = frame.filter(pl.col("XMZT") == "在研")
    assert (ongoing["JHJXRQ"] > AS_OF).all()


def test_assets_have_unique_numbers_real_units_and_old_items_retired() -> None:
    frame = assets(3_000, seed=4)
    assert tuple(frame.columns) == ASSET_COLUMNS
    assert frame["ZCBH"].n_unique() == frame.height
    assert set(frame["SYDWDM"].unique()) <= set(UNIT_BY_CODE)
    assert (frame["JZ"] > 0).all() and frame["GZRQ"].min() >= date(2005, 1, 1)
    old = frame.filter(pl.col("GZRQ") < date(2012, 1, 1))["ZCZT"]
    assert set(old.unique()) <= {"待报废", "已报废"}


def test_record_generators_are_reproducible() -> None:
    assert courses(200, seed=9).equals(courses(200, seed=9))
    assert research_projects(200, seed=9).equals(research_projects(200, seed=9))
    assert assets(200, seed=9).equals(assets(200, seed=9))
    assert staff(200, seed=9).equals(staff(200, seed=9))
    assert not staff(200, seed=9).equals(staff(200, seed=10))
