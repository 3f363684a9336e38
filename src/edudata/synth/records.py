"""Synthetic teaching, research and asset records: 课程 (courses), 科研项目 (research projects), 资产 (assets).

The three other subject areas the catalogue names besides students and staff (Art. 13-18, 52: 教学数据,
科研数据, 资产数据). Columns use pinyin-initial codes in the JY/T 1006 manner; values are plausible for the
demo university and generated columnar, like the people.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from edudata.synth import university as uni
from edudata.synth.people import check_count
from edudata.synth.vector import (
    date_parts,
    date_series,
    gather,
    numbers,
    prefixed_sequence,
    random_days,
    rank_within,
    to_days,
    weighted_index,
    weighted_keys,
)

COURSE_COLUMNS = ("KCH", "KCMC", "KKDWDM", "XF", "ZXS", "KCLB", "KHFS")
PROJECT_COLUMNS = ("XMBH", "XMMC", "XMLB", "FZRGH", "CDDWDM", "LXRQ", "JHJXRQ", "HTJF", "XMZT")
ASSET_COLUMNS = ("ZCBH", "ZCMC", "ZCFL", "JZ", "GZRQ", "SYDWDM", "CFDD", "ZCZT")

_COURSE_TYPES = {"通识必修": 15, "学科基础": 25, "专业必修": 30, "专业选修": 22, "通识选修": 8}
_CREDITS = np.asarray([1.0, 1.5, 2.0, 2.5, 3.0, 4.0])


def courses(n: int, seed: int = 0) -> pl.DataFrame:
    """课程信息: 课程号 KCH = college number (2) + sequence (5 digits or more); a course taught under several numbers gets a
    section suffix (“（2）”, “（3）” …), as timetables show it."""
    check_count(n, "courses")
    rng = np.random.default_rng(seed)
    colleges = list(uni.COURSES)
    college = weighted_index(rng, [uni.COLLEGE_WEIGHTS[c] for c in colleges], n)
    flat = [(ci, name) for ci, c in enumerate(colleges) for name in uni.COURSES[c]]
    offsets = np.cumsum([0] + [len(uni.COURSES[c]) for c in colleges])
    sizes = np.diff(offsets)
    course = offsets[college] + (rng.random(n) * sizes[college]).astype(np.int64)
    occurrence = rank_within(course)
    sequence = rank_within(college) + 1
    college_numbers = np.asarray([int(c[2:]) for c in colleges], dtype=np.int64)[college]
    credit = _CREDITS[weighted_index(rng, [4, 2, 10, 3, 12, 3], n)]
    frame = pl.DataFrame(
        {
            "KCH": prefixed_sequence(college_numbers, 2, sequence, 5),
            "_base": gather([name for _, name in flat], course),
            "_k": pl.Series(occurrence),
            "KKDWDM": gather(colleges, college),
            "XF": pl.Series(credit),
            "ZXS": pl.Series((credit * 16).astype(np.int64) + np.where(rng.random(n) < 0.2, 8, 0)),
            "KCLB": weighted_keys(rng, _COURSE_TYPES, n),
            "KHFS": pl.Series(np.where(rng.random(n) < 0.7, "考试", "考查"), dtype=pl.String),
        }
    )
    name = (
        pl.when(pl.col("_k") == 0)
        .then(pl.col("_base"))
        .otherwise(pl.format("{}（{}）", pl.col("_base"), pl.col("_k") + 1))
    )
    return frame.with_columns(KCMC=name).select(COURSE_COLUMNS).sort("KCH")


def research_projects(n: int, seed: int = 0, *, staff: pl.DataFrame | None = None) -> pl.DataFrame:
    """科研项目: category, title, principal investigator (工号; drawn from ``staff`` of the colleges when
    given), host college, dates, contract funding in yuan and status as of :data:`~university.AS_OF`."""
    check_count(n, "research projects")
    rng = np.random.default_rng(seed)
    categories = list(uni.PROJECT_CATEGORIES)
    spec = np.asarray([uni.PROJECT_CATEGORIES[c][1:] for c in categories], dtype=np.int64)
    category = weighted_index(rng, [uni.PROJECT_CATEGORIES[c][0] for c in categories], n)
    low, high = spec[category, 0], spec[category, 1]
    funding = (low + rng.random(n) * (high - low)) // 100 * 100
    start = random_days(rng, date(2015, 1, 1), uni.AS_OF, n)
    end = start + rng.integers(2 * 365, 3 * 365 + 1, n)
    start_year = date_parts(start)[0]
    sequence = rank_within(start_year) + 1
    if staff is not None and staff.height:
        teachers = staff.filter(pl.col("DWDM").is_in(list(uni.COLLEGE_CODES)))
        pool = teachers if teachers.height else staff
        pick = rng.integers(0, pool.height, n)
        leader, host = pool["GH"].gather(pick), pool["DWDM"].gather(pick)
    else:
        host = gather(uni.COLLEGE_CODES, rng.integers(0, len(uni.COLLEGE_CODES), n))
        leader = numbers(rng.integers(1990, 2025, n) * 10_000 + rng.integers(1, 300, n), 8)
    done = end <= to_days(uni.AS_OF)
    u = rng.random(n)
    status = np.where(done, np.where(u < 0.85, "已结项", np.where(u < 0.97, "延期", "终止")), "在研")
    form = rng.integers(0, len(uni.PROJECT_FORMS), n)
    before = gather([f.split("{o}")[0] for f in uni.PROJECT_FORMS], form)
    after = gather([f.split("{o}")[1] for f in uni.PROJECT_FORMS], form)
    parts = pl.DataFrame(
        {
            "t": gather(uni.PROJECT_TOPICS, rng.integers(0, len(uni.PROJECT_TOPICS), n)),
            "b": before,
            "o": gather(uni.PROJECT_OBJECTS, rng.integers(0, len(uni.PROJECT_OBJECTS), n)),
            "a": after,
        }
    )
    titles = parts.select(pl.concat_str("t", "b", "o", "a")).to_series()
    return pl.DataFrame(
        {
            "XMBH": "KY" + prefixed_sequence(start_year, 4, sequence, 4),
            "XMMC": titles,
            "XMLB": gather(categories, category),
            "FZRGH": leader,
            "CDDWDM": host,
            "LXRQ": date_series(start),
            "JHJXRQ": date_series(end),
            "HTJF": pl.Series(funding.astype(np.float64)),
            "XMZT": pl.Series(status, dtype=pl.String),
        }
    ).sort("XMBH")


def assets(n: int, seed: int = 0) -> pl.DataFrame:
    """固定资产: 资产编号 ZCBH = purchase year (4) + sequence (6); value in yuan; older items are more often
    idle or written off (待报废 / 已报废)."""
    check_count(n, "assets")
    rng = np.random.default_rng(seed)
    kind = rng.integers(0, len(uni.ASSET_KINDS), n)
    low = np.asarray([k[2] for k in uni.ASSET_KINDS], dtype=np.float64)[kind]
    high = np.asarray([k[3] for k in uni.ASSET_KINDS], dtype=np.float64)[kind]
    value = np.round(low + rng.random(n) * (high - low), 2)
    bought = random_days(rng, date(2005, 1, 1), uni.AS_OF, n)
    year = date_parts(bought)[0]
    sequence = rank_within(year) + 1
    units = [u["code"] for u in uni.UNITS if u["unit_type"] in ("office", "producer", "user")]
    age = (to_days(uni.AS_OF) - bought).astype(np.int64) / 365.25
    fresh = weighted_keys(rng, uni.ASSET_STATES, n).to_numpy()
    state = np.where(age > 10, np.where(rng.random(n) < 0.6, "已报废", "待报废"), fresh)
    frame = pl.DataFrame(
        {
            "ZCBH": prefixed_sequence(year, 4, sequence, 6),
            "ZCMC": gather([k[0] for k in uni.ASSET_KINDS], kind),
            "ZCFL": gather([k[1] for k in uni.ASSET_KINDS], kind),
            "JZ": pl.Series(value),
            "GZRQ": date_series(bought),
            "SYDWDM": gather(units, rng.integers(0, len(units), n)),
            "ZCZT": pl.Series(state, dtype=pl.String),
            "_building": gather(uni.BUILDINGS, rng.integers(0, len(uni.BUILDINGS), n)),
            "_room": pl.Series(rng.integers(1, 8, n) * 100 + rng.integers(1, 30, n)),
        }
    )
    return (
        frame.with_columns(CFDD=pl.format("{}{}室", "_building", "_room")).select(ASSET_COLUMNS).sort("ZCBH")
    )
