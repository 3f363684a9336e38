"""The vectorised (Polars) checks agree with the scalar validators, row for row, on good and bad values alike."""

from __future__ import annotations

import random
from datetime import date, timedelta

import polars as pl

from edudata.catalog.messages import error_message
from edudata.catalog.numbers import number_formats
from edudata.catalog.validators import (
    check_id_number,
    check_mobile,
    check_school_code,
    check_student_number,
    id_birth_date_expr,
    id_check_char,
    id_gender_expr,
    id_number_check_expr,
    id_number_normalise_expr,
    mobile_check_expr,
    number_check_expr,
    school_code_check_expr,
)

TODAY = date(2025, 6, 1)
REGIONS = ["110105", "120101", "120116", "120107", "120225", "440305", "990000", "710000"]
WIDE = str.maketrans("0123456789Xx", "０１２３４５６７８９Ｘｘ")


def _valid_id(rng: random.Random) -> str:
    birth = date(1940, 1, 1) + timedelta(days=rng.randrange(0, 30000))
    body = rng.choice(REGIONS) + birth.strftime("%Y%m%d") + f"{rng.randrange(0, 1000):03d}"
    return body + id_check_char(body)


def _id_cases(n: int) -> list[str | None]:
    rng = random.Random(11643)
    cases: list[str | None] = [None, "", " ", "x", "11010519491231002X", "110105491231002", "110105490230002"]
    for _ in range(n):
        good = _valid_id(rng)
        kind = rng.randrange(11)
        if kind == 0:
            cases.append(good)
        elif kind == 1:  # wrong check digit
            cases.append(good[:17] + rng.choice([c for c in "0123456789X" if c != good[17]]))
        elif kind == 2:
            cases.append(good.lower())
        elif kind == 3:
            cases.append(good.translate(WIDE))
        elif kind == 4:
            i = rng.randrange(19)
            cases.append(good[:i] + rng.choice([" ", "\u3000", "\t", "\u00a0"]) + good[i:])
        elif kind == 5:  # wrong length
            cases.append(good[: rng.randrange(1, 18)] if rng.random() < 0.7 else good + "1")
        elif kind == 6:  # impossible month or day
            cases.append(
                good[:10] + rng.choice(["13", "00", "02"]) + rng.choice(["30", "32", "00"]) + good[14:]
            )
        elif kind == 7:  # a foreign character somewhere
            i = rng.randrange(18)
            cases.append(good[:i] + rng.choice("AOz-*٣é") + good[i + 1 :])
        elif kind == 8:  # legacy 15-digit form (some with an impossible date)
            cases.append(
                good[:6] + good[8:14] + good[14:17] if rng.random() < 0.8 else good[:6] + "991331001"
            )
        elif kind == 9:  # future birth date
            cases.append("120101" + "2030" + good[10:17] + "0")
        else:
            cases.append("".join(rng.choice("0123456789Xx ") for _ in range(rng.choice([15, 17, 18, 19]))))
    return cases


def test_id_number_expression_agrees_with_the_scalar_validator_on_thousands_of_cases() -> None:
    cases = _id_cases(4000)
    df = pl.DataFrame({"sfzjh": cases}, schema={"sfzjh": pl.String})
    got = df.select(
        id_number_check_expr("sfzjh", today=TODAY).alias("err"),
        id_number_normalise_expr("sfzjh").alias("norm"),
    )
    scalar = [check_id_number(c, today=TODAY) for c in cases]
    assert got["err"].to_list() == [r.error_code for r in scalar]
    for r, norm in zip(scalar, got["norm"].to_list(), strict=True):
        if r.ok:
            assert norm == r.value
    codes = {r.error_code for r in scalar}
    assert {None, "empty", "bad_length", "bad_character", "bad_birth_date", "bad_check_digit"} <= codes


def test_gender_and_birth_expressions_agree_with_the_scalar_facts() -> None:
    cases = _id_cases(1500)
    df = pl.DataFrame({"id": cases}, schema={"id": pl.String}).select(
        id_gender_expr("id").alias("g"), id_birth_date_expr("id").alias("b")
    )
    for case, g, b in zip(cases, df["g"].to_list(), df["b"].to_list(), strict=True):
        r = check_id_number(case)
        assert g == (r.details["gender_code"] if r.ok else None)
        assert b == (date.fromisoformat(r.details["birth_date"]) if r.ok else None)


def test_mobile_expression_agrees_with_the_scalar_validator() -> None:
    rng = random.Random(86)
    cases: list[str | None] = [None, "", "+86", "86138001380001"]
    for _ in range(3000):
        number = "1" + rng.choice("0123456789") + "".join(rng.choice("0123456789") for _ in range(9))
        form = rng.randrange(8)
        if form == 0:
            cases.append(number)
        elif form == 1:
            cases.append(f"+86 {number[:3]}-{number[3:7]}-{number[7:]}")
        elif form == 2:
            cases.append("0086" + number)
        elif form == 3:
            cases.append("86" + number)
        elif form == 4:
            cases.append(number[: rng.randrange(1, 11)])
        elif form == 5:
            cases.append(number.translate(WIDE) + rng.choice(["", "\u3000"]))
        elif form == 6:
            cases.append(f"({number[:3]}){number[3:]}" + rng.choice(["", "a", "#"]))
        else:
            cases.append("".join(rng.choice("0123456789+- ()") for _ in range(rng.randrange(1, 16))))
    got = pl.DataFrame({"m": cases}, schema={"m": pl.String}).select(mobile_check_expr("m"))["m"].to_list()
    assert got == [check_mobile(c).error_code for c in cases]


def test_number_and_school_code_expressions_agree_with_the_scalar_validators() -> None:
    rng = random.Random(7)
    cases = [None, "", "4112010070", "2023020115", "４１１２０１００７０", "41120100 70", "4112O10070"]
    cases += ["".join(rng.choice("0123456789A ") for _ in range(rng.randrange(0, 14))) for _ in range(2000)]
    df = pl.DataFrame({"v": cases}, schema={"v": pl.String}).select(
        school_code_check_expr("v").alias("school"),
        number_check_expr("v", number_formats().student_pattern).alias("student"),
    )
    assert df["school"].to_list() == [check_school_code(c).error_code for c in cases]
    assert df["student"].to_list() == [check_student_number(c).error_code for c in cases]


def test_an_expression_code_turns_into_the_same_bilingual_reason() -> None:
    err = pl.DataFrame({"id": ["1101051949123"]}).select(id_number_check_expr("id"))["id"][0]
    assert err == "bad_length"
    zh, en = error_message("id_number", err, length=13)
    assert (zh, en) == (
        check_id_number("1101051949123").message_zh,
        check_id_number("1101051949123").message_en,
    )


def test_expressions_work_lazily_and_on_numeric_columns() -> None:
    lazy = pl.LazyFrame({"SJHM": [13800138000, 12345, None], "SFZJH": ["11010519491231002x", "1", None]})
    out = lazy.with_columns(
        mobile_check_expr("SJHM").alias("m"), id_gender_expr("SFZJH").alias("g")
    ).collect()
    assert out["m"].to_list() == [None, "bad_length", "empty"]
    assert out["g"].to_list() == ["2", None, None]
