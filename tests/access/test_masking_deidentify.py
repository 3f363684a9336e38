"""De-identification for statistics and research (C6; Art. 42, 54): generalisation and measured risk."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from edudata.access.deidentify import (
    address_level,
    age,
    age_band,
    birth_year,
    k_anonymity,
    l_diversity,
    postcode_prefix,
    suppress_small_groups,
    year_band,
)
from edudata.access.masking import RESEARCH, apply_masking
from edudata.errors import ValidationFailed
from edudata.synth.people import students

# Seven people; by (gender, band) the classes have 3, 2 and 2 rows → k = 2.
TABLE = pl.DataFrame(
    {
        "XBM": ["1", "1", "1", "2", "2", "2", "2"],
        "band": ["2000-2004", "2000-2004", "2000-2004", "2000-2004", "2000-2004", "1995-1999", "1995-1999"],
        "district": ["河西区", "河西区", "南开区", "河西区", "河东区", "河西区", "河西区"],
        "XJZT": ["01", "01", "02", "01", "01", "05", "05"],
    }
)


def test_k_anonymity_is_the_smallest_class() -> None:
    assert k_anonymity(TABLE, ["XBM", "band"]) == 2
    assert k_anonymity(TABLE, ["XBM"]) == 3
    assert k_anonymity(TABLE, ["XBM", "band", "district"]) == 1


def test_l_diversity_is_the_fewest_sensitive_values_in_a_class() -> None:
    assert l_diversity(TABLE, ["XBM", "band"], "XJZT") == 1  # both women born 1995-1999 are graduates
    assert l_diversity(TABLE, ["band"], "XJZT") == 1
    assert l_diversity(TABLE.filter(pl.col("XBM") == "1"), ["band"], "XJZT") == 2  # men: 01, 01, 02


def test_suppressing_small_groups_reaches_k_and_counts_what_went() -> None:
    kept, dropped = suppress_small_groups(TABLE, ["XBM", "band", "district"], 2)
    assert dropped == 3 and kept.height == 4
    assert k_anonymity(kept, ["XBM", "band", "district"]) >= 2
    assert kept["district"].to_list() == ["河西区", "河西区", "河西区", "河西区"]
    untouched, none = suppress_small_groups(TABLE, ["XBM"], 3)
    assert none == 0 and untouched.equals(TABLE)
    emptied, everything = suppress_small_groups(TABLE, ["XBM"], 8)
    assert emptied.height == 0 and everything == 7


def test_null_is_a_class_of_its_own_and_an_empty_table_has_k_zero() -> None:
    frame = pl.DataFrame({"d": ["a", "a", None]})
    assert k_anonymity(frame, ["d"]) == 1
    assert k_anonymity(frame.head(0), ["d"]) == 0
    assert l_diversity(frame.head(0), ["d"], "d") == 0


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValidationFailed):
        k_anonymity(TABLE, ["nope"])
    with pytest.raises(ValidationFailed):
        k_anonymity(TABLE, [])
    with pytest.raises(ValidationFailed):
        suppress_small_groups(TABLE, ["XBM"], 0)
    with pytest.raises(ValidationFailed):
        l_diversity(TABLE, ["XBM"], "nope")


def test_birth_dates_generalise_to_year_band_and_age() -> None:
    frame = pl.DataFrame({"d": [date(2003, 5, 1), date(1999, 12, 31), None]})
    on = date(2025, 5, 1)
    out = frame.select(
        y=birth_year(pl.col("d")),
        b=year_band(pl.col("d")),
        a=age(pl.col("d"), on),
        ab=age_band(pl.col("d"), on),
    )
    assert out.rows() == [(2003, "2000-2004", 22, "20-24"), (1999, "1995-1999", 25, "25-29"), (None,) * 4]
    text = pl.DataFrame({"d": ["2003-05-02", "bad"]}).select(
        a=age(pl.col("d"), on), y=birth_year(pl.col("d"))
    )
    assert text.rows() == [(21, 2003), (None, None)]  # the day before the birthday: still 21


@pytest.mark.parametrize(
    ("address", "district", "city", "province"),
    [
        ("天津市河西区友谊路35号", "天津市河西区", "天津市", "天津市"),
        ("河北省石家庄市长安区中山东路1号", "河北省石家庄市长安区", "河北省石家庄市", "河北省"),
        (
            "新疆维吾尔自治区乌鲁木齐市天山区南京路",
            "新疆维吾尔自治区乌鲁木齐市天山区",
            "新疆维吾尔自治区乌鲁木齐市",
            "新疆维吾尔自治区",
        ),
        ("友谊路35号", None, None, None),
    ],
)
def test_addresses_generalise_to_district_city_or_province(
    address: str, district: str | None, city: str | None, province: str | None
) -> None:
    frame = pl.DataFrame({"a": [address]})
    out = frame.select(
        d=address_level(pl.col("a"), "district"),
        c=address_level(pl.col("a"), "city"),
        p=address_level(pl.col("a"), "province"),
    )
    assert out.row(0) == (district, city, province)


def test_postcodes_are_cut_to_their_first_digits() -> None:
    frame = pl.DataFrame({"p": ["300222", "30022", "abcdef", None]})
    assert frame.select(postcode_prefix(pl.col("p")))["p"].to_list() == ["300***", None, None, None]
    assert frame.select(postcode_prefix(pl.col("p"), 2))["p"].to_list()[0] == "30****"
    with pytest.raises(ValidationFailed):
        postcode_prefix(pl.col("p"), 0)


def test_a_research_release_of_students_reaches_k_five() -> None:
    """Art. 42: third-party analysis gets de-identified data — direct identifiers masked, quasi-identifiers
    generalised, small groups suppressed, and k measured before release."""
    raw = students(20_000, seed=6).select("SFZJH", "XM", "SJHM", "XBM", "CSRQ", "JTDZ", "ZYMC", "XJZT")
    masked = apply_masking(
        raw,
        RESEARCH.for_columns({"SFZJH": "id_number", "XM": "name", "SJHM": "mobile"}),
        pseudonym_key=b"r" * 32,
    )
    release = masked.with_columns(
        CSRQ=year_band(pl.col("CSRQ")), JTDZ=address_level(pl.col("JTDZ"), "province")
    )
    quasi = ["XBM", "CSRQ", "JTDZ", "ZYMC"]
    assert k_anonymity(release, quasi) < 5
    safe, dropped = suppress_small_groups(release, quasi, 5)
    assert k_anonymity(safe, quasi) >= 5 and 0 < dropped < raw.height // 2
    assert safe.height + dropped == raw.height
    assert safe["XM"].null_count() == safe.height and safe["SFZJH"].str.len_chars().max() == 16
