"""The lifecycle page (/lifecycle): outstanding obligations and destruction requests, Chinese first."""

from __future__ import annotations

import re

import httpx

from support.students import PASSWORD

HTML = {"accept": "text/html"}


def _web_login(http: httpx.Client, username: str) -> None:
    token = re.search(r'name="csrf_token" value="([^"]+)"', http.get("/login", headers=HTML).text).group(1)
    r = http.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf_token": token}, headers=HTML
    )
    assert r.status_code == 303


def test_the_office_sees_what_is_owed_and_the_destruction_requests(http: httpx.Client, world: dict) -> None:
    body = {"scope": "dataset", "dataset": "student_basic", "reason": "系统下线"}
    assert (
        http.post(
            "/api/v1/lifecycle/destruction-requests", json=body, headers=world["h"]["office"]
        ).status_code
        == 201
    )
    _web_login(http, "office")
    page = http.get("/lifecycle", headers=HTML)
    assert page.status_code == 200
    assert "最近 7 天内没有经校验的备份" in page.text and "未制定应急预案" in page.text
    assert 'data-code="restore_drill_due"' in page.text and "待审批 1 件" in page.text
    assert "系统下线" in http.get("/lifecycle/destruction", headers=HTML).text


def test_a_producer_officer_may_not_open_the_page(http: httpx.Client, world: dict) -> None:
    _web_login(http, "xgb")
    page = http.get("/lifecycle", headers=HTML)
    assert page.status_code == 403 and "网信办管理员" in page.text
