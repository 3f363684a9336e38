"""A list page in a real browser (Debian's chromium via Playwright), under the app's own CSP (issue 18, item 4): a
picker and a page link swap the table through htmx without reloading the page, and the address follows."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from edudata.config import Settings
from edudata.db import Database
from support.browser import chromium
from support.server import LiveServer
from support.world import demo_world


@pytest.mark.browser
def test_a_picker_and_a_page_link_swap_the_catalogue_without_a_reload(
    db: Database, settings: Settings, server: LiveServer, output_dir: Path
) -> None:
    office = next(login for login in demo_world(settings) if login.username == "office")
    with chromium() as browser:
        page = browser.new_page(locale="zh-CN", viewport={"width": 390, "height": 844})
        page.goto(f"{server.url}/login?next=/catalog%3Fsize%3D5")
        page.fill("#username", office.username)
        page.fill("#password", office.password)
        page.locator("form[action='/login'] button[type=submit]").click()
        page.wait_for_url("**/catalog?size=5")
        codes = page.locator("#datasets tbody tr td:first-child code")
        expect(codes).to_have_count(5)
        first_page = codes.all_inner_texts()
        page.evaluate("window.__same_page = true")  # gone if the browser loads a new document

        page.select_option("#unit", "0104")  # a picker: htmx fetches the list alone on change
        expect(page.locator("#datasets-region .list-total")).not_to_contain_text("第 1 / ")
        expect(page).to_have_url(
            re.compile(r"/catalog\?(?=.*unit=0104)(?=.*size=5)")
        )  # the view's own address
        owners = page.locator("#datasets tbody tr td:nth-child(3)").all_inner_texts()
        assert owners and set(owners) == {"学生工作部"}
        assert page.evaluate("window.__same_page === true")

        page.select_option("#unit", "")
        expect(page.locator("#datasets-region .pager")).to_be_visible()
        page.locator("#datasets-region .pager a", has_text="2").first.click()
        expect(page.locator("#datasets-region strong[aria-current=page]")).to_have_text("2")
        expect(page).to_have_url(re.compile(r"/catalog\?.*page=2"))
        assert codes.all_inner_texts() != first_page and len(codes.all_inner_texts()) == 5
        assert page.evaluate("window.__same_page === true")
        no_sideways = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert no_sideways  # the table scrolls in its own box at 390 px, the page does not
        page.screenshot(path=str(output_dir / "catalog_list_htmx_390.png"), full_page=True)
