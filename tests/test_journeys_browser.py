"""The six main jobs done through the pages only, in a real browser (Debian's chromium via Playwright), each
person starting from their home page and the navigation (issue 18): the office edits an element's grade; a data
officer uploads, reads the quality report and corrects; the unit reviewer and the office approve (an update batch
among them); an applicant applies, signs, is approved by both and downloads the granted data; leadership reads the
dashboard and a report (PDF too); the public searches, filters and downloads. Screenshots go to ``test-output/``."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import polars as pl
import pytest
from playwright.sync_api import Browser, Page, expect

from edudata.db import Database
from edudata.inspect.runs import run_inspection
from ingest.ingest_support import Uploader, csv_bytes, student_frame
from opendata.conftest import od, portal_server, proposal, publish, smtp, staff  # noqa: F401 - fixtures
from support import clock
from support.browser import chromium
from support.collect import collect
from support.server import LiveServer
from support.sharing import PERIOD_DAYS
from support.students import PASSWORD, student


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as browser:
        yield browser


@pytest.fixture
def school(http: httpx.Client, accounts, catalog) -> dict:  # noqa: ANN001
    """The demo catalogue and one person per duty: 学生工作部's officer and reviewer (0104), the office (0002),
    the library's applicant (0110) and leadership (0001)."""
    catalog.demo()
    for username, role, unit in (
        ("xgb", "unit_data_officer", "0104"), ("xgb_rev", "unit_reviewer", "0104"), ("office", "office_admin", "0002"),
        ("lib", "applicant", "0110"), ("lead", "leadership", "0001"),
    ):  # fmt: skip
        accounts.create(
            username=username, roles=(role,), unit_code=unit, head=username == "lib"
        )  # 附件2 (Art. 41)
    h = {u: accounts.headers(u, password=PASSWORD) for u in ("xgb", "xgb_rev", "office", "lib", "lead")}
    return {"h": h, "up": Uploader(http, h)}


def _login(browser: Browser, server: LiveServer, username: str) -> Page:
    """Sign in on the login page and land on the home page, as everyone starts."""
    page = browser.new_context(
        locale="zh-CN", accept_downloads=True, viewport={"width": 1366, "height": 900}
    ).new_page()
    page.goto(f"{server.url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form[action='/login'] button[type=submit]").click()
    page.wait_for_url(f"{server.url}/")
    expect(page.locator("#flash")).to_have_text("已登录")
    return page


def _nav(page: Page, name: str) -> None:
    page.get_by_role("navigation", name="主导航").get_by_role("link", name=name, exact=True).click()


@pytest.mark.browser
def test_the_office_edits_an_elements_grade_and_sees_the_confirmation(
    browser: Browser, server: LiveServer, school: dict, output_dir: Path
) -> None:
    office = _login(browser, server, "office")
    _nav(office, "数据资源目录")
    office.get_by_role("link", name="学生基本信息").first.click()
    office.locator("a[href='/catalog/student_basic/elements/XM/edit']").click()
    expect(office.get_by_role("heading", name="编辑数据项")).to_be_visible()
    office.select_option("#grade", "important")
    office.screenshot(path=str(output_dir / "journey1_grade_form.png"), full_page=True)
    office.get_by_role("button", name="保存").click()
    office.wait_for_url(f"{server.url}/catalog/student_basic")
    expect(office.locator("#flash")).to_have_text("已保存数据项“姓名”，分级：重要数据")
    expect(office.locator("#elements tr", has=office.locator("td", has_text="姓名")).first).to_contain_text(
        "重要数据"
    )
    office.screenshot(path=str(output_dir / "journey1_grade_saved.png"), full_page=True)
    office.reload()
    expect(office.locator("#flash")).to_have_count(0)  # said once


def _spoilt(frame: pl.DataFrame, rows: tuple[int, ...]) -> pl.DataFrame:
    """The file with a wrong check digit in the ID number of ``rows``."""
    ids = frame.get_column("SFZJH").to_list()
    for i in rows:
        ids[i] = ids[i][:17] + ("0" if ids[i][17] != "0" else "1")
    return frame.with_columns(pl.Series("SFZJH", ids))


@pytest.mark.browser
def test_an_officer_uploads_reads_the_quality_report_and_corrects(
    browser: Browser, server: LiveServer, school: dict, output_dir: Path, tmp_path: Path
) -> None:
    from openpyxl import load_workbook

    frame = student_frame(30, seed=18).filter(~pl.col("SFZJH").str.ends_with("X"))
    path = tmp_path / "学生名单.csv"
    path.write_bytes(csv_bytes(_spoilt(frame, (3, 9)), chinese=True))
    officer = _login(browser, server, "xgb")
    _nav(officer, "数据采集")
    officer.set_input_files("input[name=file]", str(path))
    officer.get_by_role("button", name="上传并校验").click()
    officer.wait_for_url(f"{server.url}/ingest/batches/*")
    good = frame.height - 2
    expect(officer.locator("#flash")).to_have_text(f"文件已上传并校验：合格 {good} 行，隔离 2 行")
    expect(officer.locator("#counts")).to_contain_text(f"合格 {good} 行，隔离 2 行")
    expect(officer.locator("#issues tbody tr", has_text="校验位")).to_have_count(2)
    officer.screenshot(path=str(output_dir / "journey2_quality_report.png"), full_page=True)
    first = officer.url.rsplit("/", 1)[1]
    with officer.expect_download() as download:
        officer.locator("#download").click()
    quarantined = tmp_path / "quarantine.xlsx"
    download.value.save_as(quarantined)
    book = load_workbook(quarantined)
    header = [c.value for c in book.active[1]]
    right = dict(zip(frame["XH"], frame["SFZJH"], strict=True))
    for row in book.active.iter_rows(min_row=2):
        cell = row[header.index("身份证件号")]
        cell.value, cell.number_format = right[str(row[header.index("学号")].value)], "@"
    book.save(tmp_path / "更正.xlsx")
    officer.get_by_role("link", name="提交更正文件").click()
    expect(officer.locator("select[name=parent]")).to_have_value(first)
    officer.set_input_files("input[name=file]", str(tmp_path / "更正.xlsx"))
    officer.get_by_role("button", name="上传并校验").click()
    officer.wait_for_url(f"{server.url}/ingest/batches/*")
    expect(officer.locator("#flash")).to_have_text("文件已上传并校验：合格 2 行，隔离 0 行")
    expect(officer.locator("#counts")).to_contain_text("合格 2 行，隔离 0 行")
    officer.screenshot(path=str(output_dir / "journey2_corrected.png"), full_page=True)


@pytest.mark.browser
def test_the_unit_reviewer_and_the_office_approve_an_update_batch(
    browser: Browser, server: LiveServer, school: dict, http: httpx.Client, output_dir: Path, tmp_path: Path
) -> None:
    up = school["up"]
    stored = student_frame(12, seed=7).filter(~pl.col("SFZJH").str.ends_with("X")).head(8)
    seeded = up(csv_bytes(stored)).json()
    assert up.review(seeded["code"], "xgb_rev").status_code == 200
    assert up.review(seeded["code"], "office").status_code == 200
    path = tmp_path / "新专业.csv"  # the same students, their major changed: an update batch
    path.write_bytes(csv_bytes(stored.with_columns(pl.lit("人工智能").alias("ZYMC")), chinese=True))
    officer = _login(browser, server, "xgb")
    _nav(officer, "数据采集")
    officer.set_input_files("input[name=file]", str(path))
    officer.get_by_role("button", name="上传并校验").click()
    officer.wait_for_url(f"{server.url}/ingest/batches/*")
    batch = officer.url.rsplit("/", 1)[1]
    for user, after in (("xgb_rev", "待网信办审核"), ("office", "已入库")):
        reviewer = _login(browser, server, user)
        _nav(reviewer, "数据采集")
        reviewer.locator(f"a[href='/ingest/batches/{batch}']").first.click()
        reviewer.screenshot(path=str(output_dir / f"journey3_review_{user}.png"), full_page=True)
        reviewer.get_by_role("button", name="通过").click()
        reviewer.wait_for_url(f"{server.url}/ingest/batches/{batch}")
        expect(reviewer.locator("#flash")).to_have_text(f"已通过。批次状态：{after}")
        expect(reviewer.locator("#status")).to_have_text(after)
        reviewer.screenshot(path=str(output_dir / f"journey3_approved_{user}.png"), full_page=True)
    rows = http.get("/api/v1/data/student_basic", params={"limit": 100}, headers=school["h"]["xgb"]).json()
    assert {r["ZYMC"] for r in rows["items"]} == {"人工智能"} and len(rows["items"]) == stored.height


@pytest.mark.browser
def test_an_applicant_applies_signs_is_approved_by_both_and_downloads_the_granted_data(
    browser: Browser,
    server: LiveServer,
    school: dict,
    http: httpx.Client,
    accounts,
    output_dir: Path,  # noqa: ANN001
    tmp_path: Path,
) -> None:
    rows = [student(i, "0201" if i < 8 else "0202", 2023) for i in range(12)]
    collect(http, accounts, "student_basic", rows, headers=school["h"]["xgb"], unit="0104")
    lib = _login(browser, server, "lib")
    _nav(lib, "数据共享")
    lib.locator("a[href='/sharing/apply/student_basic']").click()
    for code in ("XH", "XM", "YXDM", "NJ", "SJHM"):
        lib.check(f"#el-{code}")
    lib.select_option("select[name=f0_element]", "YXDM")
    lib.select_option("select[name=f0_op]", "eq")
    lib.fill("input[name=f0_value]", "0201")
    lib.fill("#contact_name", "李老师")
    lib.fill("#contact_phone", "022-88186000")
    lib.fill("#purpose", "为会计学院学生开通电子资源账号")
    lib.fill("#business_basis", "读者服务管理办法第五条")
    lib.fill("#period_end", clock.iso(PERIOD_DAYS))
    lib.select_option("#delivery", "export")
    lib.fill("#security_measures", "专人负责，访问留痕")
    lib.click("#save")
    lib.check("input[name=agree]")
    lib.click("#sign")
    expect(lib.locator("#flash")).to_have_text("承诺书已签署。当前状态：草稿（承诺书已签署，待提交）")
    expect(lib.locator("#status")).to_contain_text("承诺书已签署，待提交")
    lib.click("#submit")
    expect(lib.locator("#status")).to_contain_text("待数据生产单位审核")
    app_url = lib.url
    lib.screenshot(path=str(output_dir / "journey4_submitted.png"), full_page=True)

    for user, after in (("xgb", "待网信办审核"), ("office", "已授权")):
        reviewer = _login(browser, server, user)
        reviewer.goto(f"{server.url}/sharing/inbox")  # the inbox is linked from 数据共享
        reviewer.locator("#tasks a").first.click()
        if user == "xgb":
            reviewer.uncheck("input[name=keep][value=SJHM]")
            reviewer.fill("#comment", "不需要手机号")
        reviewer.click("#approve")
        expect(reviewer.locator("#flash")).to_have_text(f"已同意。当前状态：{after}")
        reviewer.screenshot(path=str(output_dir / f"journey4_approved_{user}.png"), full_page=True)

    lib.goto(app_url)
    expect(lib.locator("#download")).to_be_visible()
    lib.screenshot(path=str(output_dir / "journey4_download.png"), full_page=True)
    with lib.expect_download() as info:
        lib.locator("#download-csv").click()
    target = tmp_path / "granted.csv"
    info.value.save_as(target)
    got = list(csv.DictReader(io.StringIO(target.read_bytes().decode("utf-8-sig"))))
    assert list(got[0]) == ["XH", "XM", "YXDM", "NJ"]  # SJHM dropped by the producer
    assert sorted(r["XH"] for r in got) == sorted(r["XH"] for r in rows if r["YXDM"] == "0201")


@pytest.mark.browser
def test_leadership_reads_the_dashboard_and_a_report_with_its_pdf(
    browser: Browser,
    server: LiveServer,
    school: dict,
    db: Database,
    settings,
    output_dir: Path,  # noqa: ANN001
) -> None:
    with db.session() as s:
        run_id = run_inspection(s, "year_end", started_by="office", settings=settings).id
        s.commit()
    lead = _login(browser, server, "lead")
    expect(lead.locator("#chart-articles svg rect")).not_to_have_count(0)
    lead.screenshot(path=str(output_dir / "journey5_dashboard.png"), full_page=True)
    _nav(lead, "检查与报告")
    lead.locator("#runs").get_by_role("link", name="查看").first.click()
    lead.wait_for_url(f"{server.url}/inspect/runs/{run_id}")
    expect(lead.locator("#by-unit")).to_be_visible()
    lead.screenshot(path=str(output_dir / "journey5_report.png"), full_page=True)
    pdf = lead.request.get(
        server.url + lead.locator("#pdf-link").get_attribute("href")
    )  # the link, as followed
    assert pdf.headers["content-type"] == "application/pdf" and pdf.body()[:5] == b"%PDF-"
    (output_dir / "journey5_report.pdf").write_bytes(pdf.body())


@pytest.mark.browser
def test_the_public_searches_filters_and_downloads(
    od: httpx.Client,  # noqa: F811
    staff: dict,  # noqa: F811
    portal_server: LiveServer,  # noqa: F811
    browser: Browser,
    output_dir: Path,
    tmp_path: Path,
) -> None:
    publish(od, staff, proposal())  # 学术论文, published by 科研处
    courses = proposal(
        "course_info",
        open_category="conditional",
        description="本科课程目录",
        keywords=["课程"],
        licence="CC0-1.0",
    )
    publish(od, staff, courses, proposer="jwc", unit_reviewer="jwc_rev")  # 课程信息, published by 教务处
    page = browser.new_context(locale="zh-CN", accept_downloads=True).new_page()
    page.goto(f"{portal_server.url}/open")
    results = page.locator("#results li.card")
    expect(results).to_have_count(2)
    expect(page.locator("header .who")).to_contain_text("登录")  # nobody signed in
    page.locator("#facet-publisher").get_by_role("link", name="科研处").click()  # a facet narrows the list
    expect(results).to_have_count(1)
    expect(page.locator("#facet-publisher a[aria-current=true]")).to_have_text("科研处")
    expect(results.first).to_contain_text("学术论文")
    page.screenshot(path=str(output_dir / "journey6_facet.png"), full_page=True)
    page.fill("input[name=q]", "论文")
    page.get_by_role("button", name="检索").click()
    expect(results).to_have_count(1)
    page.screenshot(path=str(output_dir / "journey6_search.png"), full_page=True)
    results.first.get_by_role("link", name="学术论文").click()
    expect(page.locator("#preview")).to_contain_text("数字经济与区域发展")
    with page.expect_download() as info:
        page.locator("#downloads").get_by_role("link", name="CSV").click()
    target = tmp_path / info.value.suggested_filename
    info.value.save_as(target)
    text = target.read_bytes().decode("utf-8-sig")
    header = text.splitlines()[0].split(",")
    assert "论文题目" in header and "LWTM" not in header  # Chinese headers …
    assert "绿色金融实证研究" in text
    coded = page.locator("#code-headers").get_by_role("link", name="CSV")  # … and the codes one link away
    expect(coded).to_have_attribute("href", re.compile(r"download\.csv\?headers=code$"))
    page.screenshot(path=str(output_dir / "journey6_dataset.png"), full_page=True)
