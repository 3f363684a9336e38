"""Education apps holding personal information of 200,000 people or more carry their certification (Art. 50):
an obligation on the privacy dashboard and the inspection until a valid certificate is on file."""

from __future__ import annotations

from datetime import UTC, datetime, time

import httpx
from sqlalchemy import select

from edudata.db import Database
from edudata.inspect.runs import run_inspection
from edudata.privacy import register
from edudata.privacy.models import PersonCount
from support import clock

SYSTEMS = "/api/v1/privacy/systems"
HTML = {"accept": "text/html"}


def _app(http: httpx.Client, h: dict, people: int, db: Database) -> None:
    body = {"code": "xsapp", "name": "学生移动校园 APP", "owner_unit_code": "0104", "datasets": ["student_basic"],
            "is_app": True}  # fmt: skip
    r = http.post(SYSTEMS, json=body, headers=h)
    assert r.status_code == 201 and r.json()["is_app"], r.text
    with db.session() as s:
        at = datetime.combine(clock.today(), time(9), tzinfo=UTC)
        s.add(PersonCount(counted_at=at, system_code="xsapp", people=people, counted_by="office"))
        s.commit()


def _kinds(db: Database) -> set[tuple[str, str]]:
    with db.session() as s:
        return {(o.kind, o.system_code) for o in register.outstanding_obligations(s)}


def test_an_app_of_200000_people_needs_a_valid_certification(
    http: httpx.Client, world: dict, db: Database
) -> None:
    h = world["h"]["office"]
    _app(http, h, 200_000, db)
    assert ("app_certification", "xsapp") in _kinds(db)
    expired = {"certifier": "中国网络安全审查认证和市场监管大数据中心", "certificate_no": "CCRC-2024-001",
               "certified_on": clock.iso(-800), "valid_until": clock.iso(-1)}  # fmt: skip
    assert http.post(f"{SYSTEMS}/xsapp/certifications", json=expired, headers=h).status_code == 201
    assert ("app_certification", "xsapp") in _kinds(db)  # an expired certificate does not count
    page = http.get("/privacy", headers={**h, **HTML})
    assert page.status_code == 200 and "个人信息安全认证" in page.text
    with db.session() as s:
        run_inspection(s, "year_end", started_by="tests")
        s.commit()
        from edudata.inspect.models import Finding

        subjects = list(
            s.scalars(select(Finding.subject).where(Finding.check_code == "privacy.pi_thresholds"))
        )
    assert "app_certification:xsapp" in subjects, subjects
    valid = {
        **expired,
        "certificate_no": "CCRC-2026-017",
        "certified_on": clock.iso(-10),
        "valid_until": clock.iso(1000),
    }
    assert http.post(f"{SYSTEMS}/xsapp/certifications", json=valid, headers=h).status_code == 201
    assert ("app_certification", "xsapp") not in _kinds(db)


def test_an_app_below_the_threshold_and_a_system_that_is_no_app_need_none(
    http: httpx.Client, world: dict, db: Database
) -> None:
    _app(http, world["h"]["office"], 199_999, db)
    assert ("app_certification", "xsapp") not in _kinds(db)
    cert = {"certifier": "某认证机构", "certificate_no": "X-1", "certified_on": clock.iso(-1)}
    r = http.post(f"{SYSTEMS}/edudata/certifications", json=cert, headers=world["h"]["office"])
    assert r.status_code in (404, 422)
