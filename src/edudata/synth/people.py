"""Synthetic students (学生基本信息) and staff (教职工基本信息), columns named by JY/T 1006 element codes.

Every value is valid by the data standards the catalogue enforces (Art. 14-16): ID numbers carry the right
MOD 11-2 check character and agree with birth date (CSRQ) and gender (XBM); ethnic codes come from GB/T 3304;
mobiles use real number segments; bank cards pass the Luhn check; each person has one number (一人一号).
Generation is columnar (numpy + Polars): one million students take a few seconds.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import numpy as np
import polars as pl

from edudata.errors import ValidationFailed
from edudata.synth import names, regions
from edudata.synth import university as uni
from edudata.synth.vector import (
    card_numbers,
    date_parts,
    date_series,
    gather,
    id_numbers,
    numbers,
    prefixed_sequence,
    random_days,
    rank_within,
    to_days,
    weighted_index,
    weighted_keys,
)

STUDENT_COLUMNS = (
    "XH", "XM", "XBM", "MZM", "SFZJH", "CSRQ", "YXDM", "ZYMC", "NJ", "SJHM", "YHKH", "DZYX", "JTDZ", "XJZT",
)  # fmt: skip
STAFF_COLUMNS = ("GH", "XM", "XBM", "MZM", "SFZJH", "CSRQ", "DWDM", "ZC", "RZRQ", "SJHM")

MALE_SHARE_STUDENTS = 0.42  # a finance and economics university has more women than men
MALE_SHARE_STAFF = 0.48
_SEQUENCE_SLOTS = 499  # sequence numbers per sex for one region and birthday: 001-997 odd, 002-998 even


def check_count(n: int, what: str = "rows") -> None:
    if n < 0:
        raise ValidationFailed(
            f"生成数量不能为负数：{n}", f"cannot generate a negative number of {what}: {n}"
        )


def person_names(rng: np.random.Generator, male: np.ndarray) -> pl.Series:
    """姓名: a weighted surname and a one- or two-character given name chosen by gender."""
    n = len(male)
    surname = weighted_keys(rng, names.SURNAMES, n)
    pool = names.GIVEN_MALE + names.GIVEN_FEMALE
    base = np.where(male, 0, len(names.GIVEN_MALE))
    size = np.where(male, len(names.GIVEN_MALE), len(names.GIVEN_FEMALE))
    first = gather(pool, base + (rng.random(n) * size).astype(np.int64))
    second = gather(pool, base + (rng.random(n) * size).astype(np.int64))
    one = pl.Series(rng.random(n) < names.ONE_CHARACTER_SHARE)
    frame = pl.DataFrame({"s": surname, "a": first, "b": second, "one": one})
    return frame.select(
        pl.when(pl.col("one"))
        .then(pl.col("s") + pl.col("a"))
        .otherwise(pl.concat_str("s", "a", "b"))
        .alias("XM")
    ).to_series()


def unique_id_numbers(region_index: np.ndarray, birth: np.ndarray, male: np.ndarray) -> pl.Series:
    """ID numbers that never repeat: the sequence counts up within each (region, birthday, sex), from a
    starting point that differs between groups, keeping odd = male and even = female (GB 11643)."""
    codes = np.asarray([int(r[0]) for r in regions.REGIONS], dtype=np.int64)
    day = (birth - np.datetime64("1900-01-01", "D")).astype(np.int64)
    key = (region_index.astype(np.int64) * 100_000 + day) * 2 + male
    rank = rank_within(key)
    if len(rank) and rank.max() >= _SEQUENCE_SLOTS:
        raise ValidationFailed(
            "同一地区同一天出生的人数超过身份证顺序码容量", "too many people share a region and birthday"
        )
    start = (key * 2_654_435_761) % _SEQUENCE_SLOTS
    half = (start + rank) % _SEQUENCE_SLOTS
    sequence = 2 * half + np.where(male, 1, 2)
    return id_numbers(codes[region_index], birth, sequence)


def mobiles(rng: np.random.Generator, n: int) -> pl.Series:
    """手机号码: a real segment (号段) and eight random digits."""
    prefix = np.asarray([int(p) for p in regions.MOBILE_PREFIXES], dtype=np.int64)
    chosen = prefix[rng.integers(0, len(prefix), n)]
    return numbers(chosen * 100_000_000 + rng.integers(0, 100_000_000, n), 11)


def home_addresses(rng: np.random.Generator, region_index: np.ndarray) -> pl.Series:
    """家庭地址: province, city, county of today, street and number, often a 小区 building and flat."""
    n = len(region_index)
    table = pl.DataFrame(
        [r[1:4] for r in regions.REGIONS], schema=["province", "city", "county"], orient="row"
    )
    place = table[region_index]
    parts = pl.DataFrame(
        {
            "p": place["province"],
            "c": place["city"],
            "k": place["county"],
            "street": gather(regions.STREETS, rng.integers(0, len(regions.STREETS), n)),
            "no": pl.Series(rng.integers(1, 300, n)),
            "flat": pl.Series(rng.random(n) < 0.6),
            "comm": gather(regions.COMMUNITIES, rng.integers(0, len(regions.COMMUNITIES), n)),
            "bldg": pl.Series(rng.integers(1, 31, n)),
            "unit": pl.Series(rng.integers(1, 7, n)),
            "room": pl.Series(rng.integers(1, 19, n) * 100 + rng.integers(1, 5, n)),
        }
    )
    street = pl.concat_str("p", "c", "k", "street", pl.col("no").cast(pl.String), pl.lit("号"))
    flat = pl.concat_str(
        "comm",
        pl.col("bldg").cast(pl.String),
        pl.lit("号楼"),
        pl.col("unit").cast(pl.String),
        pl.lit("单元"),
        pl.col("room").cast(pl.String),
        pl.lit("室"),
    )
    return parts.select(
        pl.when(pl.col("flat")).then(street + flat).otherwise(street).alias("JTDZ")
    ).to_series()


def _september_first(years: np.ndarray) -> np.ndarray:
    return (np.asarray(years - 1970, dtype="datetime64[Y]").astype("datetime64[M]") + 8).astype(
        "datetime64[D]"
    )


def _majors() -> tuple[list[str], list[str], list[float]]:
    """Every (college, major) pair with its share: a college's first major is twice the size of the others."""
    colleges, majors, weights = [], [], []
    for college, programmes in uni.MAJORS.items():
        shares = [2.0] + [1.0] * (len(programmes) - 1)
        for major, share in zip(programmes, shares, strict=True):
            colleges.append(college)
            majors.append(major)
            weights.append(uni.COLLEGE_WEIGHTS[college] * share / sum(shares))
    return colleges, majors, weights


def students(
    n: int, seed: int = 0, *, enrol_years: Iterable[int] = range(2021, 2026), error_rate: float = 0.0
) -> pl.DataFrame:
    """学生基本信息 for ``n`` undergraduates enrolled in ``enrol_years``, sorted by 学号.

    学号 XH = enrolment year (4) + college number (2, the last two digits of its unit code 02xx) + sequence (6):
    twelve digits, within the catalogue's default 8-12. A cohort whose four years ended by the last enrolment
    year has mostly graduated (XJZT 05). With ``error_rate`` > 0 that share of rows carries one realistic
    defect each, named in ``_planted_error`` (see :mod:`edudata.synth.defects`), and CSRQ becomes text.
    """
    check_count(n, "students")
    years = np.asarray(sorted(set(enrol_years)), dtype=np.int64)
    if not len(years):
        raise ValidationFailed("至少需要一个入学年份", "at least one enrolment year is needed")
    rng = np.random.default_rng(seed)
    year = years[rng.integers(0, len(years), n)]
    college_of, major_of, weights = _majors()
    major = weighted_index(rng, weights, n)
    college_numbers = np.asarray([int(c[2:]) for c in college_of], dtype=np.int64)[major]
    order = np.argsort(year * 100 + college_numbers, kind="stable")  # rows in 学号 order from the start
    year, major, college_numbers = year[order], major[order], college_numbers[order]
    male = rng.random(n) < MALE_SHARE_STUDENTS
    older = weighted_index(rng, [4, 86, 8, 2], n) - 1  # a year younger, on time, a year or two older
    birth = _september_first(year - 19 - older) + rng.integers(0, 365, n)
    region = weighted_index(rng, [r[4] for r in regions.REGIONS], n)

    sequence = rank_within(year * 100 + college_numbers) + 1
    if len(sequence) and sequence.max() > 999_999:
        raise ValidationFailed(
            "单个学院单一年级人数超过学号容量", "too many students in one college and year"
        )
    xh = numbers(year * 100_000_000 + college_numbers * 1_000_000 + sequence, 12)
    mobile = mobiles(rng, n)
    mail_kind = weighted_index(rng, [70, 20, 10], n)
    qq = pl.Series(rng.integers(100_000_000, 3_000_000_000, n)).cast(pl.String)
    finished = year + 4 <= years.max()
    status = pl.Series(
        np.where(
            finished,
            weighted_keys(rng, uni.STATUS_FINISHED, n).to_numpy(),
            weighted_keys(rng, uni.STATUS_STUDYING, n).to_numpy(),
        ),
        dtype=pl.String,
    )
    frame = pl.DataFrame(
        {
            "XH": xh,
            "XM": person_names(rng, male),
            "XBM": pl.Series(np.where(male, "1", "2"), dtype=pl.String),
            "MZM": weighted_keys(rng, names.ETHNIC_WEIGHTS, n),
            "SFZJH": unique_id_numbers(region, birth, male),
            "CSRQ": date_series(birth),
            "YXDM": gather(college_of, major),
            "ZYMC": gather(major_of, major),
            "NJ": pl.Series(year, dtype=pl.Int32),
            "SJHM": mobile,
            "YHKH": card_numbers(rng, regions.BANK_BINS, n),
            "_mail": pl.Series(mail_kind),
            "_qq": qq,
            "JTDZ": home_addresses(rng, region),
            "XJZT": status,
        }
    )
    frame = frame.with_columns(
        DZYX=pl.when(pl.col("_mail") == 0)
        .then(pl.col("XH") + pl.lit(f"@stu.{uni.MAIL_DOMAIN}"))
        .when(pl.col("_mail") == 1)
        .then(pl.col("_qq") + pl.lit("@qq.com"))
        .otherwise(pl.col("SJHM") + pl.lit("@163.com"))
    )
    frame = frame.select(STUDENT_COLUMNS)
    if error_rate:
        from edudata.synth.defects import plant_student_defects

        frame = plant_student_defects(frame, error_rate, rng)
    return frame


def _staff_units() -> tuple[list[str], list[float], np.ndarray]:
    units = [u for u in uni.UNITS if u["unit_type"] in ("office", "producer", "user")]
    weight = {"0110": 40.0, "0002": 10.0}
    codes = [u["code"] for u in units]
    weights = [60.0 if c in uni.COLLEGE_CODES else weight.get(c, 15.0) for c in codes]
    teaching = np.asarray([c in uni.COLLEGE_CODES for c in codes])
    return codes, weights, teaching


def _titles(rng: np.random.Generator, teaching: np.ndarray, service_years: np.ndarray) -> pl.Series:
    """专业技术职务: teachers rise with seniority (助教 → 讲师 → 副教授 → 教授); offices draw from their own list."""
    n = len(teaching)
    u = rng.random(n)
    junior = np.where(u < 0.3, "助教", np.where(u < 0.9, "讲师", "无"))
    middle = np.where(u < 0.05, "教授", np.where(u < 0.5, "副教授", np.where(u < 0.95, "讲师", "实验师")))
    senior = np.where(u < 0.45, "教授", np.where(u < 0.95, "副教授", "讲师"))
    teacher = np.where(service_years < 5, junior, np.where(service_years < 15, middle, senior))
    office = weighted_keys(rng, uni.OFFICE_TITLES, n).to_numpy()
    return pl.Series(np.where(teaching, teacher, office), dtype=pl.String)


def staff(n: int, seed: int = 0) -> pl.DataFrame:
    """教职工基本信息 for ``n`` staff, sorted by 工号.

    工号 GH = year of joining (4) + the order of joining within that year (4 digits, more only if a year's
    intake needs them): eight characters for any real university, within the catalogue's default format.
    """
    check_count(n, "staff")
    rng = np.random.default_rng(seed)
    unit_codes, unit_weights, teaching_units = _staff_units()
    unit = weighted_index(rng, unit_weights, n)
    teaching = teaching_units[unit]
    male = rng.random(n) < MALE_SHARE_STAFF
    birth = random_days(rng, date(1962, 1, 1), date(2000, 12, 31), n)
    age_at_hire = np.where(teaching, rng.integers(26, 36, n), rng.integers(22, 33, n))
    hired = birth + (age_at_hire * 365.25).astype(np.int64) + rng.integers(0, 365, n)
    hired = np.minimum(hired, to_days(uni.AS_OF) - rng.integers(0, 200, n))
    order = np.argsort(hired, kind="stable")  # 工号 follow the order of joining
    unit, teaching, male, birth, hired = unit[order], teaching[order], male[order], birth[order], hired[order]
    hire_year = date_parts(hired)[0]
    sequence = rank_within(hire_year) + 1
    service = (to_days(uni.AS_OF) - hired).astype(np.int64) / 365.25
    region = weighted_index(rng, [r[4] for r in regions.REGIONS], n)
    return pl.DataFrame(
        {
            "GH": prefixed_sequence(hire_year, 4, sequence, 4),
            "XM": person_names(rng, male),
            "XBM": pl.Series(np.where(male, "1", "2"), dtype=pl.String),
            "MZM": weighted_keys(rng, names.ETHNIC_WEIGHTS, n),
            "SFZJH": unique_id_numbers(region, birth, male),
            "CSRQ": date_series(birth),
            "DWDM": gather(unit_codes, unit),
            "ZC": _titles(rng, teaching, service),
            "RZRQ": date_series(hired),
            "SJHM": mobiles(rng, n),
        }
    )
