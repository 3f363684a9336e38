"""Masking profiles (脱敏, Art. 42, 54): normal values masked by convention, malformed values never leak."""

from __future__ import annotations

import hashlib
import hmac
from datetime import date

import polars as pl
import pytest

from edudata.access.masking import (
    OFFICE_DEFAULT,
    RESEARCH,
    MaskingProfile,
    apply_masking,
    profile_names,
)
from edudata.errors import ValidationFailed
from edudata.synth.people import students
from edudata.synth.regions import REGIONS

KEY = b"k" * 32


def masked(profile: str, values: list, **kw) -> list:
    frame = pl.DataFrame({"v": values}, schema={"v": pl.String})
    return apply_masking(frame, {"v": profile}, **kw)["v"].to_list()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("11010519491231002X", "110105********002X"),
        ("11010519491231002x", "110105********002x"),
        ("110105491231002", "110105*****1002"),  # legacy 15-digit number
        (" 11010519491231002X ", "110105********002X"),
        ("11010519491231002Z", "*" * 18),  # not an ID shape
        ("１１０１０５１９４９１２３１００２Ｘ", "*" * 18),  # full-width, not normalised here
        ("1234567890", "*" * 10),  # shorter than 11
        ("12345", "*****"),
        ("E12345678", "*" * 9),  # a passport number
        ("abcdefghijklmnopqr", "*" * 18),
        ("1101051949123100", "*" * 16),
        ("", ""),
        (None, None),
    ],
)
def test_id_number_keeps_region_and_last_four_only(value: str | None, expected: str | None) -> None:
    assert masked("id_number", [value]) == [expected]


def test_id_number_1_2_is_the_stricter_convention() -> None:
    assert masked("id_number_1_2", ["11010519491231002X", "110105491231002", "E1234"]) == [
        "1***************2X",
        "1************02",
        "*****",
    ]


def test_100000_masked_ids_never_contain_the_middle_digits() -> None:
    frame = students(100_000, seed=21).select("SFZJH")
    out = apply_masking(frame, {"SFZJH": "id_number"}).rename({"SFZJH": "masked"}).hstack(frame)
    middle = pl.col("SFZJH").str.slice(6, 8)
    checks = out.select(
        shape=pl.col("masked").str.contains(r"^[0-9]{6}\*{8}[0-9X]{4}$"),
        ends=(pl.col("masked").str.slice(0, 6) == pl.col("SFZJH").str.slice(0, 6))
        & (pl.col("masked").str.slice(14, 4) == pl.col("SFZJH").str.slice(14, 4)),
        leak=pl.col("masked").str.contains(middle, literal=True),
    )
    assert checks["shape"].all() and checks["ends"].all()
    assert not checks["leak"].any()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("张三丰", "张**"),
        ("王芳", "王*"),
        (" 王芳 ", "王*"),
        ("欧阳娜娜", "欧阳**"),
        ("司马光", "司马*"),
        ("诸葛亮", "诸葛*"),
        ("欧阳", "欧*"),  # a compound surname alone: keep one character, never the whole name
        ("李", "*"),
        ("阿卜杜拉·买买提", "阿*******"),
        ("John Smith", "J*********"),
        ("", ""),
        (None, None),
    ],
)
def test_name_keeps_the_surname(value: str | None, expected: str | None) -> None:
    assert masked("name", [value]) == [expected]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("13800138000", "138****8000"),
        (" 13800138000", "138****8000"),
        ("+86 138-0013-8000", "*" * 17),
        ("23800138000", "*" * 11),
        ("１３８００１３８０００", "*" * 11),
        ("1380013800", "*" * 10),
        ("abc", "***"),
        ("", ""),
        (None, None),
    ],
)
def test_mobile_keeps_three_and_four(value: str | None, expected: str | None) -> None:
    assert masked("mobile", [value]) == [expected]


@pytest.mark.parametrize(
    ("profile", "value", "expected"),
    [
        ("bank_card", "6222020200112233445", "*" * 15 + "3445"),
        ("bank_card", "6225881851043280", "*" * 12 + "3280"),
        ("bank_card", "12345", "*****"),
        ("bank_card", "6222-0202-0011-2233", "*" * 19),
        ("bank_card", "abcd1234efgh5678", "*" * 16),
        ("bank_card", "", ""),
        ("bank_card", None, None),
        ("bank_card_4_4", "6222020200112233445", "6222" + "*" * 11 + "3445"),
    ],
)
def test_bank_card_keeps_the_last_four(profile: str, value: str | None, expected: str | None) -> None:
    assert masked(profile, [value]) == [expected]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("zhangsan@stu.tjufe.edu.cn", "z***@stu.tjufe.edu.cn"),
        ("a@qq.com", "a***@qq.com"),
        ("noat", "****"),
        ("@x.com", "******"),
        ("x@localhost", "*" * 11),
        ("a@@b.cn", "*******"),
        ("", ""),
        (None, None),
    ],
)
def test_email_keeps_first_character_and_domain(value: str | None, expected: str | None) -> None:
    assert masked("email", [value]) == [expected]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("天津市河西区友谊路35号", "天津市河西区"),
        ("河北省石家庄市长安区中山东路1号阳光花园3号楼", "河北省石家庄市长安区"),
        ("内蒙古自治区呼和浩特市新城区人民路8号", "内蒙古自治区呼和浩特市新城区"),
        ("山东省青岛市市南区香港中路10号", "山东省青岛市市南区"),
        ("河北省保定市涿州市双塔街道", "河北省保定市涿州市"),
        ("上海市浦东新区世纪大道100号", "上海市浦东新区"),
        ("河北省唐山市路南区新华道12号", "河北省唐山市路南区"),
        ("河南省新乡市红旗区人民路", "河南省新乡市红旗区"),
        ("内蒙古自治区包头市达尔罕茂明安联合旗百灵庙镇", "内蒙古自治区包头市达尔罕茂明安联合旗"),
        ("河北省保定市涿州市红旗大街5号", "河北省保定市涿州市"),
        ("天津市友谊路小区5号", "天津市"),  # no county named: the street never passes for one
        ("友谊路35号", "******"),
        ("", ""),
        (None, None),
    ],
)
def test_address_is_cut_to_the_county(value: str | None, expected: str | None) -> None:
    assert masked("address", [value]) == [expected]


def test_generated_addresses_keep_exactly_province_city_and_county() -> None:
    frame = students(5_000, seed=8).select("SFZJH", "JTDZ")
    place = {code: f"{p}{c}{k}" for code, p, c, k, _ in REGIONS}
    out = apply_masking(frame, {"JTDZ": "address"})
    for sfzjh, address in out.iter_rows():
        assert address == place[sfzjh[:6]]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2003-05-01", "2003"),
        ("2003/5/1", "2003"),
        ("20030501", "2003"),
        ("2003年5月1日", "2003"),
        ("2003-05-01 08:00:00", "2003"),
        ("May 2003", "********"),
        ("03-05-01", "********"),
        ("", ""),
        (None, None),
    ],
)
def test_birth_date_is_generalised_to_the_year(value: str | None, expected: str | None) -> None:
    assert masked("birth_date", [value]) == [expected]


def test_a_date_column_masks_to_its_year_and_none_keeps_the_type() -> None:
    frame = pl.DataFrame({"CSRQ": [date(2003, 5, 1), None], "NJ": [2021, 2022]})
    out = apply_masking(frame, {"CSRQ": "birth_date", "NJ": "none"})
    assert out["CSRQ"].to_list() == ["2003", None]
    assert out.schema["NJ"] == pl.Int64 and out["NJ"].to_list() == [2021, 2022]


def test_suppress_gives_null_and_other_columns_are_untouched() -> None:
    frame = pl.DataFrame({"MZM": ["01", "03", ""], "XH": ["1", "2", "3"]})
    out = apply_masking(frame, {"MZM": "suppress", "GONE": "name"})
    assert out["MZM"].to_list() == [None, None, None]
    assert out["XH"].to_list() == ["1", "2", "3"] and out.columns == ["MZM", "XH"]


def test_pseudonym_is_a_keyed_hmac_of_the_normalised_value() -> None:
    values = [
        "11010519491231002X",
        " 11010519491231002x",
        "１１０１０５１９４９１２３１００２Ｘ",
        "110105194912310011",
    ]
    out = masked("pseudonym", [*values, "", None], pseudonym_key=KEY)
    expected = hmac.new(KEY, b"11010519491231002X", hashlib.sha256).hexdigest()[:16]
    assert out[:3] == [expected] * 3  # equal after normalisation → equal pseudonyms (joins work)
    assert out[3] != expected and len(out[3]) == 16
    assert out[4:] == ["", None]


def test_pseudonym_is_stable_for_a_key_and_differs_for_another() -> None:
    ids = students(1_000, seed=3)["SFZJH"].to_list()
    first = masked("pseudonym", ids, pseudonym_key=KEY)
    again = masked("pseudonym", ids, pseudonym_key=KEY)
    other = masked("pseudonym", ids, pseudonym_key=b"o" * 32)
    assert first == again
    assert all(a != b for a, b in zip(first, other, strict=True))
    assert len(set(first)) == len(ids)
    assert all(len(p) == 16 and int(p, 16) >= 0 for p in first)
    assert not set(first) & set(ids)


def test_a_long_key_is_hashed_first_as_hmac_does() -> None:
    key = b"x" * 100
    assert masked("pseudonym", ["abc"], pseudonym_key=key) == [
        hmac.new(key, b"ABC", hashlib.sha256).hexdigest()[:16]
    ]


def test_pseudonym_without_a_key_or_with_a_short_key_is_refused() -> None:
    with pytest.raises(ValidationFailed):
        masked("pseudonym", ["x"])
    with pytest.raises(ValidationFailed):
        masked("pseudonym", ["x"], pseudonym_key=b"short")


def test_an_unknown_profile_is_refused_even_for_an_absent_column() -> None:
    frame = pl.DataFrame({"SFZJH": ["11010519491231002X"]})
    with pytest.raises(ValidationFailed) as err:
        apply_masking(frame, {"SFZJH": "id_numbr"})
    assert "未知的脱敏方式" in err.value.zh and "unknown masking profile" in err.value.en
    with pytest.raises(ValidationFailed):
        apply_masking(frame, {"ABSENT": "no_such_profile"})


def test_masking_profile_sets_map_element_types_to_profiles() -> None:
    columns = {"SFZJH": "id_number", "XM": "name", "MZM": "code", "JTDZ": "address"}
    assert OFFICE_DEFAULT.for_columns(columns) == {
        "SFZJH": "id_number",
        "XM": "name",
        "MZM": "suppress",
        "JTDZ": "address",
    }
    assert RESEARCH.profile_for("id_number") == "pseudonym" and RESEARCH.profile_for("name") == "suppress"
    custom = MaskingProfile("cards_4_4", {"bank_card": "bank_card_4_4"}, fallback="none")
    assert custom.profile_for("bank_card") == "bank_card_4_4" and custom.profile_for("code") == "none"
    with pytest.raises(ValidationFailed):
        MaskingProfile("typo", {"id_number": "id_nmber"})
    assert {"id_number", "name", "mobile", "bank_card", "email", "address", "birth_date", "pseudonym"} <= set(
        profile_names()
    )
