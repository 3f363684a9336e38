"""Privacy pages (Chinese first): the dashboard shows the register and the outstanding obligations, the office
records officers, filings, assessments and decisions through forms; in a real browser too."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect, sync_playwright

from edudata.db import Database
from edudata.privacy import register
from support import clock
from support.server import LiveServer

HTML = {"accept": "text/html"}
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "the page has no CSRF field"
    return found.group(1)


@pytest.fixture
def web(http: httpx.Client, world: dict) -> str:
    """The office logged in through the login page (``http`` carries the cookie); returns a CSRF token."""
    login = http.get("/login", headers=HTML)
    r = http.post(
        "/login",
        headers=HTML,
        data={
            "csrf_token": _csrf(login.text),
            "username": "office",
            "password": "Passw0rd!edu",
            "next": "/privacy",
        },
    )
    assert r.status_code == 303, r.text
    return _csrf(http.get("/privacy", headers=HTML).text)


def test_the_dashboard_lists_outstanding_obligations(http: httpx.Client, web: str) -> None:
    page = http.get("/privacy", headers=HTML).text
    assert "待履行的义务" in page
    assert 'data-kind="register_not_counted"' in page and 'data-kind="sensitive_assessment"' in page


def test_counting_from_the_dashboard_fills_the_register(http: httpx.Client, web: str) -> None:
    r = http.post("/privacy/count", data={"csrf_token": web}, headers=HTML)
    assert r.status_code == 303 and r.headers["location"] == "/privacy?done=counted"
    page = http.get("/privacy", headers=HTML).text
    assert re.search(r'id="system-edudata".*?class="people">12<', page, re.S)
    assert 'data-kind="register_not_counted"' not in page


def test_a_count_without_the_csrf_token_is_refused(http: httpx.Client, web: str) -> None:
    assert http.post("/privacy/count", data={}, headers=HTML).status_code == 403


def test_the_officer_form_clears_the_obligation(http: httpx.Client, web: str, db: Database) -> None:
    with db.session() as s:
        s.add(register.PersonCount(system_code="edudata", people=250_000, counted_by="office"))
        s.commit()
    assert 'data-kind="pi_officer"' in http.get("/privacy", headers=HTML).text
    r = http.post(
        "/privacy/systems/edudata",
        data={"csrf_token": web, "action": "officer", "pi_officer_name": "王主任", "protection_level": "3"},
        headers=HTML,
    )
    assert r.status_code == 303
    page = http.get("/privacy", headers=HTML).text
    assert 'data-kind="pi_officer"' not in page and 'data-kind="commission_filing"' in page


def test_a_bad_filing_date_is_shown_beside_the_form_and_nothing_is_saved(
    http: httpx.Client, web: str
) -> None:
    r = http.post(
        "/privacy/systems/edudata",
        data={"csrf_token": web, "action": "filing", "reference_no": "津教备12号", "filed_on": "2026/13/01"},
        headers=HTML,
    )
    assert r.status_code == 422 and "YYYY-MM-DD" in r.text
    api = http.get("/api/v1/privacy/register", headers=HTML).json()["items"][0]
    assert api["filing"] is None


def test_assessment_then_decision_with_minutes_through_the_forms(http: httpx.Client, web: str) -> None:
    today = clock.iso()
    r = http.post(
        "/privacy/sensitive",
        data={
            "csrf_token": web, "action": "assessment", "dataset": "student_basic", "element": "MZM",
            "necessity": "民族政策资助须核实", "scientific_basis": "依据资助政策", "ethics": "仅用于资助评定",
            "impact": "泄露可能导致歧视", "conclusion": "necessary", "assessed_on": today,
        },
        headers=HTML,
    )  # fmt: skip
    assert r.status_code == 303, r.text
    page = http.get("/privacy/sensitive", headers=HTML).text
    assessment_id = re.search(r'name="assessment_id" value="(\d+)"', page).group(1)
    fields = {
        "csrf_token": web, "action": "decision", "assessment_id": assessment_id, "dataset": "student_basic",
        "element": "MZM", "body": "学生工作部党政联席会", "meeting": "第5次会议", "meeting_date": today,
        "outcome": "approved",
    }  # fmt: skip
    without = http.post("/privacy/sensitive", data=fields, headers=HTML)
    assert without.status_code == 422 and "会议纪要" in without.text
    # The refused decision comes back as it was typed (issue 18): only the file is chosen again.
    assert 'name="body" maxlength="200" required value="学生工作部党政联席会"' in without.text
    assert f'name="meeting_date" type="date" required value="{today}"' in without.text
    r = http.post(
        "/privacy/sensitive", data=fields, files={"attachment": ("纪要.pdf", b"%PDF minutes", "application/pdf")},
        headers=HTML,
    )  # fmt: skip
    assert r.status_code == 303, r.text
    row = re.search(
        r'id="el-student_basic-MZM".*?</tr>', http.get("/privacy/sensitive", headers=HTML).text, re.S
    )
    assert "允许" in row.group(0)


def test_a_unit_data_officer_may_not_open_the_dashboard(http: httpx.Client, world: dict) -> None:
    h = {**world["h"]["xgb"], **HTML}
    assert http.get("/privacy", headers=h).status_code == 403


def test_the_dashboard_speaks_english_on_request(http: httpx.Client, web: str) -> None:
    page = http.get("/privacy?lang=en", headers=HTML).text
    assert "Outstanding obligations" in page and "Count people now" in page


@pytest.mark.browser
def test_the_office_counts_people_in_a_browser(server: LiveServer, world: dict, output_dir: Path) -> None:
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(locale="zh-CN")
            page.goto(f"{server.url}/login?next=/privacy")
            page.fill("input[name=username]", "office")
            page.fill("input[name=password]", "Passw0rd!edu")
            page.locator("form[action='/login'] button[type=submit]").click()
            page.wait_for_url(f"{server.url}/privacy")
            expect(page.get_by_role("heading", name="个人信息保护")).to_be_visible()
            expect(page.locator("#obligations tr[data-kind=register_not_counted]")).to_have_count(1)
            page.get_by_role("button", name="立即统计人数").click()
            page.wait_for_url(f"{server.url}/privacy?done=counted")
            expect(page.locator("#system-edudata .people")).to_have_text("12")
            expect(page.locator("#obligations tr[data-kind=register_not_counted]")).to_have_count(0)
            page.screenshot(path=str(output_dir / "privacy_dashboard.png"), full_page=True)
        finally:
            browser.close()
