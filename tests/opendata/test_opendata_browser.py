"""The portal in a real browser (Debian's chromium via Playwright): a visitor, not logged in, finds a dataset
by a Chinese keyword and downloads it."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect, sync_playwright

from opendata.conftest import proposal, publish
from support.server import LiveServer

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--no-first-run", "--disable-sync",
]  # fmt: skip


@pytest.mark.browser
def test_a_visitor_finds_a_dataset_by_a_chinese_keyword_and_downloads_it(
    od: httpx.Client, staff: dict, portal_server: LiveServer, output_dir: Path, tmp_path: Path
) -> None:
    publish(od, staff, proposal())
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(locale="zh-CN", accept_downloads=True)
            page.goto(f"{portal_server.url}/open")
            expect(page.get_by_role("heading", name="开放数据目录")).to_be_visible()
            page.fill("input[name=q]", "论文")
            page.get_by_role("button", name="检索").click()
            results = page.locator("#results li.card")
            expect(results).to_have_count(1)
            results.first.get_by_role("link", name="学术论文").click()
            expect(page.locator("#elements")).to_contain_text("论文题目")
            expect(page.locator("#preview")).to_contain_text("数字经济与区域发展")
            page.screenshot(path=str(output_dir / "opendata_dataset.png"), full_page=True)
            with page.expect_download() as info:
                page.locator("#downloads").get_by_role("link", name="CSV").click()
            target = tmp_path / info.value.suggested_filename
            info.value.save_as(target)
        finally:
            browser.close()
    assert target.name == "research-output-v1.csv"
    text = target.read_bytes()
    assert text.startswith(b"\xef\xbb\xbf") and "绿色金融实证研究" in text.decode("utf-8")
