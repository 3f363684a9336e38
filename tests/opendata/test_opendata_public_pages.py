"""Citizens on the portal pages (Art. 44(2)): register, follow the mailed link, log in, apply, and — once the
office approves on its page — collect a key that opens the conditional data."""

from __future__ import annotations

import re

import httpx

from opendata.conftest import Catcher, proposal, publish
from support.server import LiveServer
from support.students import PASSWORD

HTML = {"accept": "text/html"}


def _csrf(page: httpx.Response) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def test_a_citizen_registers_applies_and_collects_a_key_through_the_pages(
    od: httpx.Client, staff: dict, smtp: Catcher, portal_server: LiveServer
) -> None:
    body = proposal("course_info", open_category="conditional", description="课程目录", keywords=["课程"])
    code = publish(od, staff, body, proposer="jwc", unit_reviewer="jwc_rev")["code"]
    citizen = httpx.Client(base_url=portal_server.url, timeout=60)
    page = citizen.get("/open/register", headers=HTML)
    form = {
        "email": "wang@example.com",
        "name": "王五",
        "password": "Open-data-2026!",
        "csrf_token": _csrf(page),
    }
    assert (
        citizen.post("/open/register", data={**form, "csrf_token": "forged"}, headers=HTML).status_code == 403
    )
    sent = citizen.post("/open/register", data=form, headers=HTML)
    assert sent.status_code == 200 and 'id="sent"' in sent.text
    link = re.search(
        r"(http://\S+/open/verify\?token=\S+)",
        smtp.wait_for("wang@example.com").get_payload(decode=True).decode(),
    ).group(1)
    assert citizen.get(link, headers=HTML).status_code == 200
    login = citizen.get("/open/login", headers=HTML)
    r = citizen.post(
        "/open/login",
        data={"email": "wang@example.com", "password": "Open-data-2026!", "csrf_token": _csrf(login)},
        headers=HTML,
    )
    assert r.status_code == 303 and r.headers["location"] == "/open/account"
    account = citizen.get("/open/account", headers=HTML)
    assert f'value="{code}"' in account.text
    r = citizen.post(
        "/open/account/apply",
        data={
            "view": code,
            "purpose": "教学研究",
            "usage": "课题组内部",
            "csrf_token": _csrf(account),
            "answer_c1": "高校教师",
            "answer_c2": "课程体系研究",
            "answer_c3": "yes",
        },
        headers=HTML,
    )
    assert r.status_code == 303

    office = httpx.Client(base_url=portal_server.url, timeout=60)
    token = _csrf(office.get("/login", headers=HTML))
    office.post(
        "/login", data={"username": "office", "password": PASSWORD, "csrf_token": token}, headers=HTML
    )
    listing = office.get("/opendata/applications", headers=HTML)
    assert "教学研究" in listing.text and "王五" in listing.text
    assert "待审核" in listing.text and ">pending<" not in listing.text  # the status in words, not its code
    app_id = re.search(r'action="/opendata/applications/(\d+)"', listing.text).group(1)
    refused = office.post(
        f"/opendata/applications/{app_id}",
        data={"decision": "refuse", "csrf_token": _csrf(listing)},
        headers=HTML,
    )
    assert refused.status_code == 422 and "拒绝须说明理由" in refused.text
    ok = office.post(
        f"/opendata/applications/{app_id}",
        data={
            "decision": "approve",
            "csrf_token": _csrf(listing),
            "check_c1": "yes",
            "check_c2": "yes",
            "check_c3": "yes",
        },
        headers=HTML,
    )
    assert ok.status_code == 303
    decided = office.get("/opendata/applications", headers=HTML).text
    assert "已批准" in decided and "approved" not in decided

    account = citizen.get("/open/account", headers=HTML)
    shown = citizen.post(
        "/open/account/key", data={"application": app_id, "csrf_token": _csrf(account)}, headers=HTML
    )
    key = re.search(r"<code>(odk_[^<]+)</code>", shown.text).group(1)
    again = citizen.post(
        "/open/account/key", data={"application": app_id, "csrf_token": _csrf(account)}, headers=HTML
    )
    assert again.status_code == 409 and key not in again.text
    assert od.get(f"/api/v1/open/datasets/{code}/rows", headers={"X-API-Key": key}).json()["total"] == 4
    citizen.close()
    office.close()
