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
            # The quality charts' labels are drawn whole inside the picture, never under a bar.
            faults = page.evaluate(
                """() => [...document.querySelectorAll('figure svg')].flatMap(svg => {
                     const box = svg.getBoundingClientRect();
                     const bars = [...svg.querySelectorAll('rect')].map(r => r.getBoundingClientRect());
                     return [...svg.querySelectorAll('text[x="0"]')].filter(t => {
                       const b = t.getBoundingClientRect();
                       return b.right > box.right + 1 || bars.some(r => b.right > r.left + 1
                         && b.left < r.right && b.bottom > r.top + 1 && b.top < r.bottom - 1);
                     }).map(t => t.textContent); })"""
            )
            assert faults == [], faults
            rules = page.locator("figure svg").first
            expect(rules).to_contain_text("身份证件号 · 符合身份证件号的数据标准")
            page.screenshot(path=str(output_dir / "ingest_batch.png"), full_page=True)
        finally:
            browser.close()


def _login(browser, server: LiveServer, username: str):  # noqa: ANN001, ANN202
    page = browser.new_context(locale="zh-CN", accept_downloads=True).new_page()
    page.goto(f"{server.url}/login?next=/ingest")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form[action='/login'] button[type=submit]").click()
    page.wait_for_url(f"{server.url}/ingest")
    return page


@pytest.mark.browser
def test_excel_damage_is_explained_corrected_and_an_update_batch_is_approved_into_the_store(
    server: LiveServer, world, http, output_dir: Path, tmp_path: Path
) -> None:
    from ingest_support import HEADERS_ZH
    from openpyxl import Workbook, load_workbook

    up = world["up"]
    known = student_frame(40, seed=81).filter(~pl.col("SFZJH").str.ends_with("X")).head(15)
    stored, fresh = known.head(10), known.tail(5)
    seeded = up(csv_bytes(stored)).json()
    assert up.review(seeded["code"], "xgb_rev").status_code == 200
    assert up.review(seeded["code"], "office").status_code == 200
    # The school's own export: the ten students with their new major, five new ones; Excel kept two of the new
    # ID numbers as number cells.
    upload = pl.concat([stored.with_columns(pl.lit("人工智能").alias("ZYMC")), fresh]).rename(
        HEADERS_ZH, strict=False
    )
    book = Workbook()
    book.active.append(upload.columns)
    for i, row in enumerate(upload.iter_rows()):
        values = list(row)
        if i in (11, 13):
            values[upload.columns.index("身份证件号")] = float(values[upload.columns.index("身份证件号")])
        book.active.append(values)
    path = tmp_path / "学生名单.xlsx"
    book.save(path)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
        try:
            officer = _login(browser, server, "xgb")
            officer.set_input_files("input[name=file]", str(path))
            officer.get_by_role("button", name="上传并校验").click()
            officer.wait_for_url(f"{server.url}/ingest/batches/*")
            first = officer.url.rsplit("/", 1)[1]
            expect(officer.locator("#counts")).to_contain_text("合格 13 行，隔离 2 行")
            expect(officer.locator("#issues tbody tr", has_text="15 位有效数字")).to_have_count(2)
            officer.screenshot(path=str(output_dir / "ingest_excel_damage.png"), full_page=True)
            with officer.expect_download() as download:
                officer.locator("#download").click()
            quarantined = tmp_path / "quarantine.xlsx"
            download.value.save_as(quarantined)
            fixed = load_workbook(quarantined)
            header = [c.value for c in fixed.active[1]]
            right = dict(zip(fresh["XH"], fresh["SFZJH"], strict=True))
            for row in fixed.active.iter_rows(min_row=2):
                cell = row[header.index("身份证件号")]
                cell.value, cell.number_format = right[row[header.index("学号")].value], "@"
            fixed.save(tmp_path / "fixed.xlsx")
            officer.get_by_role("link", name="提交更正文件").click()
            expect(officer.locator("select[name=parent]")).to_have_value(first)
            officer.set_input_files("input[name=file]", str(tmp_path / "fixed.xlsx"))
            officer.get_by_role("button", name="上传并校验").click()
            officer.wait_for_url(f"{server.url}/ingest/batches/*")
            second = officer.url.rsplit("/", 1)[1]
            expect(officer.locator("#counts")).to_contain_text("合格 2 行，隔离 0 行")
            for user in ("xgb_rev", "office"):
                reviewer = _login(browser, server, user)
                for code in (first, second):
                    reviewer.goto(f"{server.url}/ingest/batches/{code}")
                    reviewer.get_by_role("button", name="通过").click()
                    reviewer.wait_for_url(f"{server.url}/ingest/batches/{code}")
                expect(reviewer.locator("#status")).to_contain_text(
                    "待网信办审核" if user == "xgb_rev" else "已入库"
                )
        finally:
            browser.close()
    rows = http.get("/api/v1/data/student_basic", params={"limit": 100}, headers=world["h"]["xgb"]).json()[
        "items"
    ]
    assert sorted(r["XH"] for r in rows) == sorted(known["XH"])
    assert {r["XH"]: r["ZYMC"] for r in rows if r["XH"] in set(stored["XH"])} == dict.fromkeys(
        stored["XH"], "人工智能"
    )
    assert {r["XH"]: r["SFZJH"] for r in rows} == dict(zip(known["XH"], known["SFZJH"], strict=True))
