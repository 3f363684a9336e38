"""Collection in a real browser (Debian's chromium via Playwright): a data officer submits a file through the
page and reads the batch's quality summary with its charts."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from ingest_support import csv_bytes, student_frame
from playwright.sync_api import expect, sync_playwright

from support.server import LiveServer
from support.students import PASSWORD

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--no-first-run", "--disable-sync",
]  # fmt: skip


@pytest.mark.browser
def test_a_data_officer_uploads_a_gbk_file_and_sees_the_quality_summary(
    server: LiveServer, world, output_dir: Path, tmp_path: Path
) -> None:
    frame = student_frame(60)
    ids = frame.get_column("SFZJH").to_list()
    for i in (5, 17, 40):
        ids[i] = ids[i][:17] + ("0" if ids[i][17] != "0" else "1")
    path = tmp_path / "学生名单.csv"
    spoilt = frame.with_columns(pl.Series("SFZJH", ids))
    path.write_bytes(csv_bytes(spoilt, encoding="gbk", chinese=True))
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(locale="zh-CN")
            page.goto(f"{server.url}/login?next=/ingest")
            page.fill("input[name=username]", "xgb")
            page.fill("input[name=password]", PASSWORD)
            page.locator("form[action='/login'] button[type=submit]").click()
            page.wait_for_url(f"{server.url}/ingest")
            page.set_input_files("input[name=file]", str(path))
            page.get_by_role("button", name="上传并校验").click()
            page.wait_for_url(f"{server.url}/ingest/batches/*")
            expect(page.locator("#counts")).to_contain_text("合格 57 行，隔离 3 行")
            expect(page.locator("#issues tbody tr", has_text="校验位")).to_have_count(3)
            expect(page.locator("svg").first).to_be_visible()
            page.screenshot(path=str(output_dir / "ingest_batch.png"), full_page=True)
        finally:
            browser.close()
