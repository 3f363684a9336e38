"""The catalogue in a real browser (Debian's chromium via Playwright): an office admin finds 学生基本信息."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from support.catalog import CatalogFactory, ensure_units
from support.server import LiveServer

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--no-first-run", "--disable-sync",
]  # fmt: skip


@pytest.mark.browser
def test_office_admin_searches_the_catalogue_in_a_browser(
    server: LiveServer,
    db,
    accounts,
    catalog: CatalogFactory,
    output_dir: Path,  # noqa: ANN001
) -> None:
    catalog.demo()
    ensure_units(db, ["0002"])
    accounts.create(
        username="office_browser", roles=("office_admin",), unit_code="0002", password="Passw0rd!edu"
    )
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(locale="zh-CN")
            page.goto(f"{server.url}/login?next=/catalog")
            page.fill("input[name=username]", "office_browser")
            page.fill("input[name=password]", "Passw0rd!edu")
            page.locator("form[action='/login'] button[type=submit]").click()
            page.wait_for_url(f"{server.url}/catalog")
            expect(page.get_by_role("heading", name="数据资源目录")).to_be_visible()
            page.fill("input[name=q]", "学生基本信息")
            page.get_by_role("button", name="搜索").click()
            row = page.locator("#datasets tbody tr")
            expect(row).to_have_count(1)
            expect(row.first.get_by_role("link", name="学生基本信息")).to_be_visible()
            page.screenshot(path=str(output_dir / "catalog_search.png"), full_page=True)
            row.first.get_by_role("link", name="学生基本信息").click()
            expect(page.locator("#elements")).to_contain_text("身份证件号")
            expect(page.get_by_role("link", name="编辑数据集")).to_be_visible()
            page.screenshot(path=str(output_dir / "catalog_dataset.png"), full_page=True)
        finally:
            browser.close()
