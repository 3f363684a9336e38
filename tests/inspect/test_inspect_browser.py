"""One journey per role in a real browser (Debian's chromium via Playwright), with screenshots in the test
run's output folder: office, unit officer, applicant, auditor, leadership."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import update

from edudata.access.grants import create_grant
from edudata.access.models import AccessGrant
from edudata.clock import CHINA, aware
from edudata.db import utcnow
from edudata.inspect.models import InspectionRun
from edudata.inspect.runs import run_inspection
from edudata.org.models import RoleAssignment
from edudata.org.service import find_account
from support import clock
from support.browser import chromium
from support.org import PASSWORD
from support.server import LiveServer


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as browser:
        yield browser


@pytest.fixture
def school(accounts, in_session, settings) -> dict:  # noqa: ANN001
    """Accounts for every role, one SoD violation in the office (unit 0002) found by a year-end run, and a grant
    of the library (0110) that expires in ten days."""
    for username, role, unit in (
        ("office", "office_admin", "0002"), ("officer", "unit_data_officer", "0002"), ("aud", "auditor", "0002"),
        ("lead", "leadership", "0001"), ("app", "applicant", "0110"), ("both", "office_admin", "0002"),
    ):  # fmt: skip
        accounts.create(username=username, roles=(role,), unit_code=unit, display_name=f"{username}用户")

    def plant(s):  # noqa: ANN001, ANN202
        s.add(RoleAssignment(account_id=find_account(s, "both").id, role="auditor"))
        g = create_grant(s, dataset_code="xs_jbxx", grantee_unit_code="0110", elements=["XH"], purpose="评估")
        s.execute(
            update(AccessGrant).where(AccessGrant.id == g.id).values(expires_at=utcnow() + timedelta(days=10))
        )

    in_session(plant)
    return {}


def _year_end(in_session, settings) -> int:  # noqa: ANN001
    return in_session(lambda s: run_inspection(s, "year_end", started_by="office", settings=settings).id)


def _login(browser: Browser, server: LiveServer, username: str, locale: str = "zh-CN") -> Page:
    page = browser.new_context(locale=locale, viewport={"width": 1280, "height": 900}).new_page()
    page.goto(f"{server.url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form[action='/login'] button[type=submit]").click()
    page.wait_for_url(f"{server.url}/")
    return page


@pytest.mark.browser
def test_office_runs_a_year_end_check_and_assigns_the_finding(
    browser, server, school, output_dir: Path
) -> None:  # noqa: ANN001
    page = _login(browser, server, "office")
    expect(page.locator("#panel-office")).to_contain_text("尚未开展检查")
    page.get_by_role("link", name="检查与报告").first.click()
    page.get_by_label("年底检查").check()
    page.get_by_role("button", name="开始检查").click()
    expect(page.get_by_role("heading", name="教育数据安全检查报告")).to_be_visible()
    row = page.locator("#findings-new tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("账户 both 同时持有不相容岗位")
    page.screenshot(path=str(output_dir / "inspect_office_report.png"), full_page=True)
    row.get_by_role("link").first.click()
    page.fill("#deadline", clock.iso(5))
    page.get_by_role("button", name="交办").click()
    expect(page.locator("#status")).to_contain_text("已交办")
    page.screenshot(path=str(output_dir / "inspect_office_assigned.png"), full_page=True)


@pytest.mark.browser
def test_unit_officer_answers_the_finding_from_the_home_page(
    browser, server, school, in_session, settings, output_dir: Path
) -> None:  # noqa: ANN001, E501
    _year_end(in_session, settings)
    page = _login(browser, server, "officer")
    panel = page.locator("#panel-unit")
    expect(panel).to_contain_text("账户 both 同时持有不相容岗位")
    page.screenshot(path=str(output_dir / "inspect_unit_home.png"), full_page=True)
    panel.get_by_role("link").first.click()
    page.get_by_label("整改情况或说明").fill("已撤销该账户的审计员角色，见 OA-2026-118")
    page.get_by_role("button", name="提交答复").click()
    expect(page.locator("#done")).to_contain_text("答复已提交")
    expect(page.locator("#status")).to_contain_text("已答复")
    page.screenshot(path=str(output_dir / "inspect_unit_answered.png"), full_page=True)


@pytest.mark.browser
def test_applicant_sees_the_grant_about_to_expire_in_both_languages(
    browser, server, school, output_dir: Path
) -> None:  # noqa: ANN001
    page = _login(browser, server, "app")
    panel = page.locator("#panel-applicant")
    expect(panel).to_contain_text("xs_jbxx：有效期至")
    expect(panel.locator("li.urgent")).to_have_count(1)
    page.screenshot(path=str(output_dir / "inspect_applicant_home.png"), full_page=True)
    page.get_by_role("link", name="English").click()
    expect(page.locator("#panel-applicant")).to_contain_text("valid until")
    page.screenshot(path=str(output_dir / "inspect_applicant_home_en.png"), full_page=True)


@pytest.mark.browser
def test_auditor_checks_the_chain_from_the_home_page(
    browser, server, school, in_session, settings, output_dir: Path
) -> None:  # noqa: ANN001, E501
    _year_end(in_session, settings)
    page = _login(browser, server, "aud")
    panel = page.locator("#panel-auditor")
    expect(panel).to_contain_text("不相容岗位冲突：1")
    page.screenshot(path=str(output_dir / "inspect_auditor_home.png"), full_page=True)
    panel.get_by_role("link", name="审计链最新记录").click()
    expect(page.locator("#verify-result")).to_contain_text("完整")
    page.screenshot(path=str(output_dir / "inspect_auditor_verify.png"), full_page=True)


@pytest.mark.browser
def test_leadership_reads_the_charts_and_the_pdf_report(
    browser, server, school, in_session, settings, output_dir: Path
) -> None:  # noqa: ANN001, E501
    run_id = _year_end(in_session, settings)
    page = _login(browser, server, "lead")
    expect(page.locator("#chart-articles svg rect")).not_to_have_count(0)
    units = page.locator("#chart-units svg")
    expect(units).to_contain_text("网络安全和信息化办公室")  # names on the chart, not unit codes
    expect(units).not_to_contain_text("0002")
    # Every unit name is drawn whole inside the chart: no label runs off its left edge.
    clipped = units.evaluate(
        """svg => { const box = svg.getBoundingClientRect();
                   return [...svg.querySelectorAll('text')].filter(t => t.textContent.trim())
                     .filter(t => t.getBoundingClientRect().left < box.left - 1).map(t => t.textContent); }"""
    )
    assert clipped == [], clipped
    # The trend is drawn by ECharts (SVG renderer): the one inspection run is its one point, labelled by when it
    # started in Beijing time.
    started = in_session(lambda s: aware(s.get(InspectionRun, run_id).started_at).astimezone(CHINA))
    expect(page.locator("#chart-trend svg")).to_contain_text(started.strftime("%m-%d %H:%M"))
    page.screenshot(path=str(output_dir / "inspect_leadership_home.png"), full_page=True)
    page.get_by_role("link", name="查看最近的检查报告").click()
    page.locator("#runs").get_by_role("link", name="查看").first.click()
    expect(page.locator("#by-unit")).to_contain_text("0002")
    page.screenshot(path=str(output_dir / "inspect_leadership_report.png"), full_page=True)
    pdf = page.request.get(server.url + page.locator("#pdf-link").get_attribute("href"))
    assert pdf.headers["content-type"] == "application/pdf" and pdf.body()[:5] == b"%PDF-"
    assert f"/inspect/runs/{run_id}" in page.url
