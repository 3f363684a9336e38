"""The applicant's and the approvers' pages in a real browser (Debian's chromium via Playwright)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from support import clock
from support.server import LiveServer
from support.sharing import PERIOD_DAYS
from support.students import PASSWORD

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--no-first-run", "--disable-sync",
]  # fmt: skip


def _login(browser: Browser, server: LiveServer, username: str, next_path: str) -> Page:
    page = browser.new_context(locale="zh-CN").new_page()
    page.goto(f"{server.url}/login?next={next_path}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form[action='/login'] button[type=submit]").click()
    page.wait_for_url(f"{server.url}{next_path}")
    return page


@pytest.mark.browser
def test_applicant_applies_and_the_producer_and_office_approve_in_a_browser(
    server: LiveServer, world: dict, output_dir: Path
) -> None:
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
        try:
            lib = _login(browser, server, "lib", "/sharing")
            expect(lib.get_by_role("heading", name="数据共享", exact=True)).to_be_visible()
            lib.locator("a[href='/sharing/apply/student_basic']").click()
            expect(lib.locator("#el-YHKH")).to_be_disabled()
            expect(lib.locator("#why-YHKH")).to_contain_text("不予共享")
            for code in ("XH", "XM", "YXDM", "NJ", "SJHM"):
                lib.check(f"#el-{code}")
            lib.select_option("select[name=f0_element]", "YXDM")
            lib.select_option("select[name=f0_op]", "eq")
            lib.fill("input[name=f0_value]", "0201")
            lib.click("#estimate")
            expect(lib.locator("#people")).to_have_text("5–9")  # 8 people, told as a bucket of k = 5
            lib.fill("#contact_name", "李老师")
            lib.fill("#contact_phone", "022-88186000")
            lib.fill("#purpose", "为会计学院学生开通电子资源账号")
            lib.fill("#business_basis", "读者服务管理办法第五条")
            lib.fill("#period_end", clock.iso(PERIOD_DAYS))
            lib.fill("#security_measures", "专人负责，访问留痕")
            lib.screenshot(path=str(output_dir / "sharing_apply.png"), full_page=True)
            lib.click("#save")
            expect(lib.locator("#status")).to_contain_text("草稿")
            lib.check("#commitment input[name=agree]")
            lib.click("#sign")
            expect(lib.locator("#signature")).to_contain_text("lib")
            expect(lib.locator("#unit-signature")).to_contain_text(
                "lib"
            )  # the library's head: for the unit too
            lib.click("#submit")
            expect(lib.locator("#status")).to_contain_text("待数据生产单位审核")
            app_url = lib.url

            xgb = _login(browser, server, "xgb", "/sharing/inbox")
            xgb.locator("#tasks a").first.click()
            xgb.uncheck("input[name=keep][value=SJHM]")
            xgb.fill("#comment", "不需要手机号")
            xgb.screenshot(path=str(output_dir / "sharing_review.png"), full_page=True)
            xgb.click("#approve")
            expect(xgb.locator("#status")).to_contain_text("待网信办审核")
            expect(xgb.locator("#elements")).not_to_contain_text("SJHM")

            office = _login(browser, server, "office", "/sharing/inbox")
            office.locator("#tasks a").first.click()
            office.click("#approve")
            expect(office.locator("#status")).to_contain_text("已授权")

            lib.goto(app_url)
            lib.fill("#label", "馆内系统")
            lib.click("#new-credential")
            expect(lib.locator("#secret-value")).to_contain_text("edg_")
            lib.screenshot(path=str(output_dir / "sharing_granted.png"), full_page=True)
        finally:
            browser.close()


@pytest.mark.browser
def test_a_refusal_without_a_reason_is_shown_as_an_error_in_the_browser(
    server: LiveServer, world: dict, http
) -> None:
    from support.sharing import apply, sign_and_submit

    app = apply(http, world["h"]["lib"])
    sign_and_submit(http, world["h"]["lib"], app["id"])
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
        try:
            xgb = _login(browser, server, "xgb", f"/sharing/applications/{app['id']}")
            xgb.click("#refuse")
            expect(xgb.locator("#action-error")).to_contain_text("驳回须写明理由")
        finally:
            browser.close()


@pytest.mark.browser
def test_an_external_provision_request_goes_through_its_stages_in_a_browser(
    server: LiveServer, world: dict, http, output_dir: Path
) -> None:
    """Art. 42, 58: the written request, the unit head, the producer, the office, the leadership's secrecy review
    and the release record, each on its page."""
    from support.sharing import granted

    app = granted(http, world)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
        try:
            lib2 = _login(browser, server, "lib2", "/sharing/external")
            lib2.select_option("#application_id", str(app["id"]))
            lib2.fill("#recipient", "天津市教育科学研究院")
            lib2.fill("#purpose", "全市高校学生规模统计")
            lib2.fill("#justification", "市教科院书面来函")
            lib2.fill("#security_measures", "加密介质交付，专人签收")
            lib2.click("#external-submit")
            expect(lib2.locator("#status")).to_contain_text("待申请单位负责人审签")
            request_url = lib2.url
            expect(lib2.locator("#decide")).to_have_count(0)  # not their own request
            steps = (("lib", "待数据生产单位同意"), ("xgb", "待网信办同意"), ("office", "待网信领导小组安全保密审查"),
                     ("leader", "已通过审查"))  # fmt: skip
            for username, status in steps:
                page = _login(browser, server, username, request_url.removeprefix(server.url))
                page.fill("#comment", "经审查，同意对外提供")
                page.click("#decide-submit")
                expect(page.locator("#status")).to_contain_text(status)
            expect(page.locator("#secrecy-result")).to_contain_text("leader")
            office = _login(browser, server, "office", request_url.removeprefix(server.url))
            office.fill("#channel", "加密U盘，专人交付")
            office.click("#release-submit")
            expect(office.locator("#status")).to_contain_text("已对外提供")
            expect(office.locator("#release-record")).to_contain_text("加密U盘")
            office.screenshot(path=str(output_dir / "sharing_external.png"), full_page=True)
        finally:
            browser.close()


@pytest.mark.browser
def test_the_office_files_the_three_party_agreement_on_the_application_page(
    server: LiveServer, world: dict, http, tmp_path: Path
) -> None:
    from support.sharing import apply, approve, sign_and_submit

    app = apply(
        http, world["h"]["lib"], dataset_code="course_info", elements=["KCH", "KCMC"], row_filter=None
    )
    sign_and_submit(http, world["h"]["lib"], app["id"])
    assert approve(http, world["h"]["office"], app["id"]).json()["status"] == "pending_agreement"
    document = tmp_path / "三方授权协议.pdf"
    document.write_bytes(b"%PDF-1.4 signed by the three parties")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
        try:
            office = _login(browser, server, "office", f"/sharing/applications/{app['id']}")
            expect(office.locator("#status")).to_contain_text("待备案三方授权协议")
            office.fill("#signed_on", clock.iso(-1))
            office.set_input_files("#agreement-form input[type=file]", str(document))
            office.click("#file-agreement")
            expect(office.locator("#status")).to_contain_text("已授权")
            expect(office.locator("#agreement")).to_contain_text("已备案")
        finally:
            browser.close()
