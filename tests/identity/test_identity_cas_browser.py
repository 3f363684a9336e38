"""「统一身份认证登录」in a real browser (Debian's chromium via Playwright): the login page's button leads to the
school's CAS server (django-cas-server), the person signs in there, and comes back signed in to the platform;
logging out leads through CAS's logout."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from edudata.db import Database
from edudata.org.service import create_account, create_person
from support.cas import CasServer
from support.server import LiveServer

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--no-first-run", "--disable-sync",
]  # fmt: skip


@pytest.mark.browser
def test_sso_button_goes_to_cas_and_back_signed_in(
    sso: LiveServer,
    cas_server: CasServer,
    db: Database,
    accounts,
    output_dir: Path,  # noqa: ANN001
) -> None:
    accounts.ensure_units()
    with db.session() as s:
        create_person(s, name="李四", number="T5001", unit_code="0110")
        create_account(s, username="lisi_browser", password="Passw0rd!edu", unit_code="0110", display_name="李四",
                       roles=("applicant",), person_number="T5001", granted_by="tests")  # fmt: skip
        s.commit()
    cas_server.add_user("t5001", "cas-pw", "T5001", "李四老师", "0110")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(locale="zh-CN")
            page.goto(f"{sso.url}/login?next=/account")
            page.screenshot(path=str(output_dir / "login_sso_button.png"), full_page=True)
            page.get_by_role("link", name="统一身份认证登录").click()
            page.wait_for_url(f"{cas_server.url}/login?*")
            page.fill("input[name=username]", "t5001")
            page.fill("input[name=password]", "cas-pw")
            page.locator("form button[type=submit], form input[type=submit]").first.click()
            page.wait_for_url(f"{sso.url}/account")
            expect(page.locator("body")).to_contain_text("李四老师")
            page.screenshot(path=str(output_dir / "login_sso_back.png"), full_page=True)
            page.locator("form[action='/logout'] button").click()
            # through CAS's logout (the campus sign-on ends too) and back to the platform's login page
            page.wait_for_url(re.compile("^" + re.escape(f"{sso.url}/login") + "$|/cas/logout"))
            page.goto(f"{sso.url}/account")
            page.wait_for_url(f"{sso.url}/login?next=/account")
            page.get_by_role("link", name="统一身份认证登录").click()
            page.wait_for_url(f"{cas_server.url}/login?*")  # CAS asks again: no silent ticket after logout
            expect(page.locator("input[name=password]")).to_be_visible()
        finally:
            browser.close()
