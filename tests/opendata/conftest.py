"""Fixtures of the open-data tests: a portal server of its own (its SMTP relay is a local aiosmtpd catcher,
its rate limits generous), staff accounts of the three review levels, and the demo catalogue with rows."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from edudata.api.app import create_app
from edudata.config import Settings
from edudata.db import Database
from edudata.worker.outbox import send_due
from support.collect import collect
from support.mail import Catcher
from support.server import LiveServer
from support.students import PASSWORD

PAPERS = [
    {
        "LWBH": f"P{i:04d}",
        "LWTM": t,
        "DYZZ": a,
        "KWMC": "经济研究",
        "FBRQ": f"2024-0{1 + i % 9}-15",
        "SSDWDM": "0201",
    }
    for i, (t, a) in enumerate(
        [
            ("数字经济与区域发展", "张伟"),
            ("财政政策的传导机制", "王芳"),
            ("绿色金融实证研究", "李强"),
            ("会计信息质量与审计", "欧阳娜娜"),
            ("<script>alert(1)</script>", "赵六"),
        ]
    )
]
COURSES = [
    {
        "KCH": f"C{i:03d}",
        "KCMC": n,
        "XF": "3.5" if i % 2 else "2",
        "XS": 48 + i,
        "KKDWDM": "0201",
        "KCLB": "必修",
    }
    for i, n in enumerate(["微观经济学", "宏观经济学", "会计学原理", "统计学"])
]


@pytest.fixture(scope="session")
def smtp() -> Iterator[Catcher]:
    catcher = Catcher()
    catcher.controller.start()
    yield catcher
    catcher.controller.stop()


def _portal(settings: Settings, database: Database, **changes: object) -> LiveServer:
    return LiveServer(create_app(settings.model_copy(update=changes), db=database))


@pytest.fixture(scope="session")
def portal_server(settings: Settings, database: Database, smtp: Catcher) -> Iterator[LiveServer]:
    live = _portal(
        settings, database, smtp_port=smtp.port, opendata_rate_burst=100_000, opendata_rate_per_second=1000.0
    )
    live.start()
    smtp.drain = lambda: send_due(database, live.app.state.settings)  # the worker's sending step
    yield live
    smtp.drain = None
    live.stop()


@pytest.fixture(scope="session")
def strict_server(settings: Settings, database: Database) -> Iterator[LiveServer]:
    """A portal allowing a burst of 3 requests, refilling one every 100 seconds."""
    live = _portal(settings, database, opendata_rate_burst=3, opendata_rate_per_second=0.01)
    live.start()
    yield live
    live.stop()


@pytest.fixture
def od(portal_server: LiveServer, db: Database) -> Iterator[httpx.Client]:
    """A client of the portal server, on an emptied database."""
    with httpx.Client(base_url=portal_server.url, timeout=60, follow_redirects=False) as client:
        yield client


@pytest.fixture
def staff(od: httpx.Client, accounts, catalog) -> dict[str, dict[str, str]]:  # noqa: ANN001
    """The demo catalogue, the producers (科研处 0106, 教务处 0103, 学生工作部 0104) with their reviewers, the
    office and the leadership group; papers and courses loaded through the data path."""
    catalog.demo()
    for name, roles, unit in [
        ("kyc", "unit_data_officer", "0106"), ("kyc_rev", "unit_reviewer", "0106"),
        ("jwc", "unit_data_officer", "0103"), ("jwc_rev", "unit_reviewer", "0103"),
        ("xgb", "unit_data_officer", "0104"), ("xgb_rev", "unit_reviewer", "0104"),
        ("office", "office_admin", "0002"), ("leader", "leadership", "0002"),
    ]:  # fmt: skip
        accounts.create(username=name, roles=(roles,), unit_code=unit)
    h = {
        u: accounts.headers(u, password=PASSWORD)
        for u in ("kyc", "kyc_rev", "jwc", "jwc_rev", "xgb", "xgb_rev", "office", "leader")
    }
    for ds, rows, who, unit in (
        ("research_output", PAPERS, "kyc", "0106"),
        ("course_info", COURSES, "jwc", "0103"),
    ):
        collect(od, accounts, ds, rows, headers=h[who], unit=unit)
    return h


SECRECY = {
    "no_state_secret": True,
    "no_personal_privacy": True,
    "no_security_risk": True,
    "conclusion": "不涉密，可开放",
}


#: A conditional view's conditions (Art. 44(2)): who may apply, for what, with which commitment — c1, c2, c3.
CONDITIONS = [
    {
        "kind": "applicant",
        "text": "高校、科研机构的研究人员",
        "text_en": "researchers of universities and institutes",
    },
    {"kind": "purpose", "text": "仅用于非营利的教学研究", "text_en": "non-profit teaching research only"},
    {"kind": "commitment", "text": "不向第三方提供数据", "text_en": "the data is given to no third party"},
]
#: An application's answer to each of :data:`CONDITIONS`, and the office's check of each.
ANSWERS = {"c1": "天津数据研究会研究员", "c2": "课程体系研究", "c3": True}
CHECKS = {"c1": True, "c2": True, "c3": True}


def proposal(dataset: str = "research_output", **extra: object) -> dict:
    if extra.get("open_category") == "conditional":
        extra.setdefault("conditions", CONDITIONS)
    return {
        "dataset": dataset,
        "description": "本校教师发表的学术论文目录，按月更新",
        "keywords": ["学术论文", "科研成果"],
        "open_category": "unconditional",
        "licence": "CC-BY-4.0",
        "update_frequency": "monthly",
        **extra,
    }


def publish(
    od: httpx.Client, h: dict, body: dict, proposer: str = "kyc", unit_reviewer: str = "kyc_rev"
) -> dict:
    """Propose and pass all three levels; returns the published view."""
    r = od.post("/api/v1/opendata/proposals", json=body, headers=h[proposer])
    assert r.status_code == 201, r.text
    code = r.json()["code"]
    for who, extra in ((unit_reviewer, {}), ("office", {"secrecy": SECRECY}), ("leader", {})):
        r = od.post(
            f"/api/v1/opendata/proposals/{code}/review", json={"decision": "approve", **extra}, headers=h[who]
        )
        assert r.status_code == 200, r.text
    assert r.json()["status"] == "published"
    return r.json()


CITIZEN = {
    "email": "li.ming@example.org",
    "password": "Open-data-2026!",
    "name": "李明",
    "organisation": "天津数据研究会",
}


@pytest.fixture
def courses(od: httpx.Client, staff: dict) -> str:
    body = proposal(
        "course_info",
        open_category="conditional",
        description="本科课程目录（有条件开放）",
        keywords=["课程"],
    )
    return publish(od, staff, body, proposer="jwc", unit_reviewer="jwc_rev")["code"]


def register_and_login(od: httpx.Client, smtp: Catcher, person: dict = CITIZEN) -> dict[str, str]:
    """A public user registered, verified through the mailed link, and logged in: its bearer header."""
    r = od.post("/api/v1/open/register", json=person)
    assert r.status_code == 202, r.text
    mail = smtp.wait_for(person["email"])
    link = re.search(
        r"(http://\S+/open/verify\?token=\S+)", mail.get_payload(decode=True).decode("utf-8")
    ).group(1)
    early = od.post("/api/v1/open/login", json={"email": person["email"], "password": person["password"]})
    assert early.status_code == 403  # not verified yet
    page = httpx.get(link, headers={"accept": "text/html"})
    assert page.status_code == 200 and "邮箱已验证" in page.text
    assert httpx.get(link, headers={"accept": "text/html"}).status_code == 404  # a link works once
    token = od.post(
        "/api/v1/open/login", json={"email": person["email"], "password": person["password"]}
    ).json()
    return {"Authorization": f"Bearer {token['access_token']}"}
