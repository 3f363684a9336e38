"""Data standards, one value at a time (Art. 8(2), 14-16): GB 11643 ID numbers, mobiles, 一人一号, 一校一码."""

from __future__ import annotations

from datetime import date

import pytest

from edudata.catalog.numbers import NumberFormats, register_number_formats
from edudata.catalog.validators import (
    birth_date_from_id,
    check_bank_card,
    check_date,
    check_email,
    check_id_consistency,
    check_id_number,
    check_mobile,
    check_person_name,
    check_school_code,
    check_staff_number,
    check_student_number,
    gender_code_from_id,
    validate,
)


def test_valid_id_number_from_the_standard_passes_with_its_facts() -> None:
    r = check_id_number("11010519491231002X")
    assert r.ok and r.error_code is None
    assert r.value == "11010519491231002X" and not r.normalised
    assert r.details["birth_date"] == "1949-12-31"
    assert r.details["gender_code"] == "2"  # sequence 002: even = female


def test_wrong_check_digit_is_refused_naming_the_expected_digit() -> None:
    r = check_id_number("110105194912310021")
    assert not r.ok
    assert r.error_code == "bad_check_digit"
    assert "X" in r.message_zh and "expected X" in r.message_en


def test_lowercase_x_is_accepted_and_the_normalisation_reported() -> None:
    r = check_id_number("11010519491231002x")
    assert r.ok and r.value == "11010519491231002X"
    assert r.normalised
    assert [w.code for w in r.warnings] == ["normalised_lowercase_x"]
    assert r.warnings[0].message_zh and r.warnings[0].message_en


def test_full_width_digits_and_stray_spaces_are_normalised() -> None:
    r = check_id_number("１１０１０５ １９４９１２３１００２Ｘ\u3000")
    assert r.ok and r.value == "11010519491231002X"
    assert {w.code for w in r.warnings} == {"normalised_fullwidth", "normalised_whitespace"}


@pytest.mark.parametrize("value", ["1101051949123100", "11010519491231002X1", "1"])
def test_wrong_length_is_refused(value: str) -> None:
    r = check_id_number(value)
    assert r.error_code == "bad_length"
    assert str(len(value)) in r.message_zh


def test_letters_inside_the_number_are_refused() -> None:
    assert check_id_number("1101051949123100AX").error_code == "bad_character"
    assert (
        check_id_number("11010519491231002٣").error_code == "bad_character"
    )  # an Arabic-Indic digit is no digit


@pytest.mark.parametrize("value", ["110105194902300028", "110105189912310021", "110105209912310026"])
def test_impossible_or_future_birth_dates_are_refused(value: str) -> None:
    assert check_id_number(value, today=date(2025, 1, 1)).error_code == "bad_birth_date"


def test_empty_and_missing_values_are_refused_as_empty() -> None:
    assert check_id_number(None).error_code == "empty"
    assert check_id_number(" \u3000").error_code == "empty"


def test_fifteen_digit_legacy_number_is_accepted_as_legacy_with_year_19yy() -> None:
    r = check_id_number("110105491231002")
    assert r.ok and r.details["legacy"] is True
    assert r.details["birth_date"] == "1949-12-31"
    assert "legacy_15_digit" in {w.code for w in r.warnings}


def test_unknown_region_is_a_warning_not_an_error() -> None:
    r = check_id_number("990105194912310023")
    assert r.ok
    assert [w.code for w in r.warnings] == ["unknown_region"]


def test_abolished_tianjin_district_is_recognised_as_historical() -> None:
    r = check_id_number("120107199001010015")  # 塘沽区, merged into 滨海新区
    assert r.ok
    assert r.details["region_status"] == "historical"
    assert "塘沽区" in r.warnings[0].message_zh


def test_current_tianjin_district_gives_no_warning() -> None:
    r = check_id_number("120116200001010017")  # 滨海新区
    assert r.ok and r.warnings == ()
    assert r.details["region_status"] == "known"


def test_gender_and_birth_date_cross_checks_against_the_id_digits() -> None:
    assert gender_code_from_id("120116200001010017") == "1"  # sequence 001: odd = male
    assert birth_date_from_id("120116200001010017") == date(2000, 1, 1)
    assert check_id_consistency("120116200001010017", gender_code="1", birth_date="2000-01-01").ok
    assert check_id_consistency("120116200001010017", gender_code="2").error_code == "gender_mismatch"
    assert (
        check_id_consistency("120116200001010017", birth_date=date(2000, 1, 2)).error_code
        == "birth_date_mismatch"
    )
    assert gender_code_from_id("120116200001010018") is None


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("13800138000", "13800138000"),
        ("+86 138-0013-8000", "13800138000"),
        ("0086 19912345678", "19912345678"),
        ("8615012345678", "15012345678"),
        ("１３８００１３８０００", "13800138000"),
    ],
)
def test_mobile_numbers_are_normalised(raw: str, value: str) -> None:
    r = check_mobile(raw)
    assert r.ok and r.value == value


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("12800138000", "bad_prefix"),
        ("1380013800", "bad_length"),
        ("138001380OO", "bad_character"),
        ("", "empty"),
    ],
)
def test_bad_mobile_numbers_are_refused(raw: str, code: str) -> None:
    assert check_mobile(raw).error_code == code


def test_student_and_staff_numbers_follow_the_school_format() -> None:
    assert check_student_number("2023020115").ok
    assert check_student_number("20230A0115").error_code == "bad_format"
    assert check_staff_number("T01234").ok
    assert check_staff_number("t-1").error_code == "bad_format"
    assert "8–12" in check_student_number("123").message_zh


def test_a_school_can_register_its_own_number_format() -> None:
    register_number_formats(
        "4100000001", NumberFormats(student_pattern="^S[0-9]{6}$", student_hint_en="S + 6 digits")
    )
    assert check_student_number("S123456", school_code="4100000001").ok
    assert not check_student_number("2023020115", school_code="4100000001").ok
    assert check_student_number("2023020115").ok  # other schools keep the default


def test_school_identification_code_is_ten_digits() -> None:
    r = check_school_code("4112010070")
    assert r.ok and r.details == {"school_type": "41", "province": "12", "national_code": "10070"}
    assert check_school_code("411201007").error_code == "bad_length"
    assert check_school_code("41120100AB").error_code == "bad_character"
    assert [w.code for w in check_school_code("4199010070").warnings] == ["unknown_region"]


def test_dates_emails_bank_cards_and_names() -> None:
    assert check_date("2023年9月1日").value == "2023-09-01"
    assert check_date("20230230").error_code == "bad_date"
    assert check_email("Li.Ming@TJUFE.edu.cn").value == "Li.Ming@tjufe.edu.cn"
    assert check_email("li@@x").error_code == "bad_format"
    assert check_bank_card("6222 0212 3456 7890 128").ok
    assert [w.code for w in check_bank_card("6222021234567890123").warnings] == ["luhn_mismatch"]
    assert check_person_name("阿依古丽·买买提").ok
    assert check_person_name("张三<script>").error_code == "bad_character"


def test_validate_dispatches_by_type() -> None:
    assert validate("id_number", "11010519491231002x").value == "11010519491231002X"
    assert validate("gender", "3").error_code == "not_in_code_set"
    assert validate("gender", "9").ok
