"""The owner's e-mail form on 账户安全 in a real browser (Debian's chromium via Playwright): a bad address is shown
beside the field, a good one is saved, then cleared."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright
from sqlalchemy import select

from edudata.org.models import Account
from support.server import LiveServer

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--no-first-run", "--disable-sync",
]  # fmt: skip


@pytest.mark.browser
def test_the_owner_sets_and_clears_their_address_in_a_browser(
    server: LiveServer,
    db,
    accounts,
    output_dir: Path,  # noqa: ANN001
) -> None:
    accounts.create(username="lib_browser", roles=("applicant",), unit_code="0110", password="Passw0rd!edu")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(locale="zh-CN")
            page.goto(f"{server.url}/login?next=/account")
            page.fill("input[name=username]", "lib_browser")
            page.fill("input[name=password]", "Passw0rd!edu")
            page.locator("form[action='/login'] button[type=submit]").click()
            page.wait_for_url(f"{server.url}/account")
            card = page.locator("#email-card")
            expect(card).to_contain_text("仅用于平台发送与数据申请、审核有关的提醒")
            expect(page.locator("#email-current")).to_contain_text("未设置")
            page.fill("#email", "li ming@tjufe")
            page.locator("#email-save").click()
            expect(page.locator("#email-error")).to_contain_text("电子邮箱格式不正确")
            expect(page.locator("#email")).to_have_attribute("aria-invalid", "true")
            page.screenshot(path=str(output_dir / "account_email_error.png"), full_page=True)
            page.fill("#email", "Li.Ming@tjufe.edu.cn")
            page.locator("#email-save").click()
            page.wait_for_url(f"{server.url}/account?done=email_set")
            expect(page.locator("#done")).to_have_text("电子邮箱已保存")
            expect(page.locator("#email-current")).to_contain_text("li.ming@tjufe.edu.cn")
            page.screenshot(path=str(output_dir / "account_email_saved.png"), full_page=True)
            page.locator("#email-clear").click()
            page.wait_for_url(f"{server.url}/account?done=email_cleared")
            expect(page.locator("#email-current")).to_contain_text("未设置")
        finally:
            browser.close()
    with db.session() as s:
        assert s.scalar(select(Account.email).where(Account.username == "lib_browser")) is None
