"""Item 3, de-identified releases (Art. 42, 54): generalise and suppress until k-anonymity (and l-diversity)
hold, report the information loss and the achieved k, deliver through the data path — and agree with pycanon
on the same table."""

from __future__ import annotations

import hashlib
import random

import httpx
import pandas as pd
import polars as pl
import pytest
from pycanon import anonymity
from sqlalchemy import func, select

from edudata.access import deidentify
from edudata.audit.models import AuditRecord
from edudata.db import Database
from edudata.privacy.models import DeidentifiedRelease
from support.collect import collect

QIS = ["CSRQ", "XBM", "JTDZ"]
DISTRICTS = [
    "天津市和平区",
    "天津市河西区",
    "天津市南开区",
    "河北省石家庄市长安区",
    "山东省济南市历下区",
    "天津市西青区",
]
MAJORS = ["会计学", "金融学", "统计学", "法学", "经济学", "财政学"]


def _row(rng: random.Random, i: int) -> dict:
    return {
        "XH": f"2023{i:06d}",
        "XM": "张伟",
        "CSRQ": f"{rng.randint(1998, 2006)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        "XBM": rng.choice(["1", "2"]),
        "JTDZ": rng.choice(DISTRICTS) + f"友谊路{rng.randint(1, 300)}号",
        "NJ": rng.randint(2019, 2024),
        "ZYMC": rng.choice(MAJORS),
        "YXDM": "0201",
    }


@pytest.fixture
def survey(http: httpx.Client, accounts, catalog) -> dict:
    """300 students in a dataset of their own: varied birth dates, genders, home districts and majors."""
    catalog.dataset(
        code="student_survey",
        owner_unit_code="0104",
        grade="general",
        unit_element="YXDM",
        subject_element="XH",
        elements=[
            {"code": "XH", "name": "学号", "required": True, "max_length": 12},
            {"code": "XM", "name": "姓名", "data_type": "name", "max_length": 50},
            {"code": "CSRQ", "name": "出生日期", "data_type": "date"},
            {"code": "XBM", "name": "性别码", "data_type": "code", "code_set": "gender"},
            {"code": "JTDZ", "name": "家庭地址", "data_type": "address", "max_length": 200},
            {"code": "NJ", "name": "年级", "data_type": "integer"},
            {"code": "ZYMC", "name": "专业名称", "max_length": 100},
            {"code": "YXDM", "name": "院系代码", "max_length": 16},
        ],
    )
    accounts.create(username="xgb", roles=("unit_data_officer",), unit_code="0104")
    accounts.create(username="office", roles=("office_admin",), unit_code="0002")
    accounts.create(username="dpo", roles=("data_protection_officer",), unit_code="0002")
    rng = random.Random(7)
    rows = [_row(rng, i) for i in range(300)]
    collect(http, accounts, "student_survey", rows, headers=accounts.headers("xgb"), unit="0104")
    return {"rows": rows, "office": accounts.headers("office"), "dpo": accounts.headers("dpo")}


def _release(http: httpx.Client, h: dict, **over) -> httpx.Response:
    body = {
        "dataset": "student_survey",
        "quasi_identifiers": QIS,
        "k": 5,
        "sensitive": "ZYMC",
        "l": 2,
        "extra": ["NJ"],
        "purpose": "学生来源结构统计研究",
        **over,
    }
    return http.post("/api/v1/privacy/releases", json=body, headers=h)


def _pandas(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows)


def test_the_release_reaches_the_target_k_and_l_as_pycanon_measures_them(
    http: httpx.Client, survey: dict
) -> None:
    r = _release(http, survey["office"])
    assert r.status_code == 201, r.text
    report, rows = r.json()["report"], r.json()["rows"]
    df = _pandas(rows)
    assert anonymity.k_anonymity(df, QIS) == report["achieved_k"] >= 5
    assert anonymity.l_diversity(df, QIS, ["ZYMC"]) == report["achieved_l"] >= 2
    assert report["rows_out"] == len(rows) == 300 - report["metrics"]["suppressed"]


def test_our_k_and_l_agree_with_pycanon_on_the_raw_table(survey: dict) -> None:
    raw = pl.DataFrame(survey["rows"]).select(QIS + ["ZYMC"])
    df = _pandas(raw.to_dicts())
    assert deidentify.k_anonymity(raw, QIS) == anonymity.k_anonymity(df, QIS) == 1
    assert deidentify.l_diversity(raw, QIS, "ZYMC") == anonymity.l_diversity(df, QIS, ["ZYMC"])


def test_the_raw_table_is_not_k_anonymous_so_something_was_generalised(
    http: httpx.Client, survey: dict
) -> None:
    report = _release(http, survey["office"]).json()["report"]
    assert sum(report["levels"].values()) > 0
    assert 0 < report["information_loss"] <= 1
    assert report["metrics"]["c_avg"] >= 1
    assert report["metrics"]["suppression_rate"] <= 0.05


def test_a_higher_k_costs_more_information(http: httpx.Client, survey: dict) -> None:
    low = _release(http, survey["office"], k=2, l=None).json()["report"]
    high = _release(http, survey["office"], k=25, l=None).json()["report"]
    assert high["information_loss"] >= low["information_loss"]
    assert high["achieved_k"] >= 25 and low["achieved_k"] >= 2


def test_direct_identifiers_are_never_released(http: httpx.Client, survey: dict, db: Database) -> None:
    r = _release(http, survey["office"], extra=["XM"])
    assert r.status_code == 422 and "XM" in r.json()["detail_zh"]
    r = _release(http, survey["office"], quasi_identifiers=["XH", "XBM"])
    assert r.status_code == 422
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(DeidentifiedRelease)) == 0


def test_the_release_goes_through_the_data_path_and_is_audited(
    http: httpx.Client, survey: dict, db: Database
) -> None:
    rid = _release(http, survey["office"]).json()["report"]["id"]
    with db.session() as s:
        ops = [
            (a.operation, a.dataset, a.row_count)
            for a in s.execute(select(AuditRecord).where(AuditRecord.username == "office")).scalars()
        ]
        kept = s.get(DeidentifiedRelease, rid)
    assert ("export", "student_survey", 300) in ops
    assert ("deidentified_release", "student_survey", kept.rows_out) in ops


def test_someone_the_data_path_refuses_gets_no_release(
    http: httpx.Client, survey: dict, db: Database
) -> None:
    r = _release(http, survey["dpo"])  # a protection officer supervises; it reads no records (Art. 30)
    assert r.status_code == 403
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(DeidentifiedRelease)) == 0


def test_the_csv_download_matches_the_recorded_hash(http: httpx.Client, survey: dict, db: Database) -> None:
    body = {"dataset": "student_survey", "quasi_identifiers": QIS, "k": 4, "purpose": "学生来源结构统计研究"}
    r = http.post("/api/v1/privacy/releases?format=csv", json=body, headers=survey["office"])
    assert r.status_code == 201 and r.headers["content-type"].startswith("text/csv")
    with db.session() as s:
        kept = s.get(DeidentifiedRelease, int(r.headers["X-Release-Id"]))
    assert kept.sha256 == hashlib.sha256(r.content).hexdigest()
    assert "张伟" not in r.content.decode("utf-8-sig")


def test_an_unreachable_k_is_refused_and_nothing_is_released(
    http: httpx.Client, survey: dict, db: Database
) -> None:
    r = _release(http, survey["office"], k=301, l=None)
    assert r.status_code == 422 and r.json()["field"] == "k"
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(DeidentifiedRelease)) == 0
