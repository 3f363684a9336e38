"""The pages in a real browser (Debian's chromium via Playwright) on the demo university (issue 18):

- the portal, the catalogue and a home page at 390 px (a phone) and 1,366 px (an office laptop): no sideways
  scrolling of the page, the header on one line at 1,366 px, table headers not broken one character per line;
  screenshots in ``test-output/``;
- axe-core (from the npm registry, vendored by ``make vendor``) on 15 representative pages of every role: no
  violation of serious or critical impact (WCAG 2 A/AA, colour contrast included).

axe is injected into the page by the test; the browser context bypasses the app's CSP for that one script only
(the CSP allows scripts from the app itself, and axe is the test's, not the app's).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from edudata.config import Settings
from edudata.db import Database
from edudata.demo.service import Login
from support.browser import chromium
from support.server import LiveServer
from support.world import demo_world

AXE = Path(__file__).resolve().parents[1] / "support" / "vendor" / "axe.min.js"

#: (account, path): 15 pages across the roles — homes, lists, a detail, forms, the portal, the login page.
AXE_PAGES = [
    (None, "/login"),
    (None, "/open"),
    (None, "/open/datasets/research-output"),
    ("office", "/"),
    ("office", "/catalog"),
    ("office", "/catalog/student_basic"),
    ("office", "/admin/accounts"),
    ("office", "/inspect"),
    ("leader", "/"),
    ("xgb_officer", "/ingest"),
    ("xgb_officer", "/ingest/quality/student_basic"),
    ("xgb_officer", "/sharing/inbox"),
    ("lib_applicant", "/sharing"),
    ("auditor", "/audit"),
    ("dpo", "/privacy"),
]


@pytest.fixture
def world(db: Database, settings: Settings) -> dict[str, Login]:
    return {login.username: login for login in demo_world(settings)}


@pytest.fixture
def browser() -> Iterator[Browser]:
    with chromium() as browser:
        yield browser


def _page(browser: Browser, base: str, login: Login | None, width: int, height: int = 900) -> Page:
    context = browser.new_context(
        viewport={"width": width, "height": height}, locale="zh-CN", bypass_csp=True, base_url=base
    )
    page = context.new_page()
    if login is not None:  # through the login form, as a person does
        page.goto("/login")
        page.fill("#username", login.username)
        page.fill("#password", login.password)
        page.locator("form[action='/login'] button[type=submit]").click()
        page.wait_for_url(f"{base}/")
    return page


def _layout(page: Page) -> dict:
    return page.evaluate(
        """() => {
        const doc = document.documentElement;
        const links = [...document.querySelectorAll('nav.main-nav a')].map(a => a.getBoundingClientRect().top);
        const bar = document.querySelector('header.top .bar');
        const brand = document.querySelector('header.top .brand').getBoundingClientRect();
        const who = document.querySelector('header.top .who').getBoundingClientRect();
        // A header cell narrower than two characters of its own font breaks Chinese one character per line.
        const narrow = [...document.querySelectorAll('th')].filter(th => {
            const text = th.textContent.trim();
            const size = parseFloat(getComputedStyle(th).fontSize);
            return text.length >= 2 && th.getBoundingClientRect().width < 2 * size;
        }).map(th => th.textContent.trim());
        // A body cell with a Chinese phrase squeezed under three characters' width reads one character per line.
        const squeezed = [...document.querySelectorAll('td')].filter(td => {
            const text = td.textContent.trim();
            const size = parseFloat(getComputedStyle(td).fontSize);
            return /[\u4e00-\u9fff]{4}/.test(text) && td.getBoundingClientRect().width < 3 * size;
        }).map(td => td.textContent.trim());
        return {scroll: doc.scrollWidth, width: window.innerWidth, navRows: new Set(links).size,
                barOneLine: Math.abs(brand.top - who.top) < 20 && bar.getBoundingClientRect().height < 80,
                narrow: narrow.concat(squeezed)};
    }"""
    )


@pytest.mark.browser
@pytest.mark.parametrize("width", [390, 1366])
def test_the_portal_catalogue_and_a_home_page_fit_the_screen(
    world: dict[str, Login], server: LiveServer, browser: Browser, output_dir: Path, width: int
) -> None:
    for who, path, name in (
        (None, "/open", "portal"),
        ("office", "/catalog", "catalog"),
        ("office", "/", "home-office"),
        ("xgb_officer", "/", "home-officer"),
    ):
        page = _page(browser, server.url, world.get(who) if who else None, width)
        page.goto(path)
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(output_dir / f"look-{name}-{width}.png"), full_page=True)
        found = _layout(page)
        page.context.close()
        assert found["scroll"] <= found["width"], f"{path} at {width} px scrolls sideways: {found}"
        assert not found["narrow"], f"{path} at {width} px: cells one character per line: {found['narrow']}"
        if width >= 1366:
            assert found["barOneLine"] and found["navRows"] == 1, (
                f"{path}: the header wraps at {width} px: {found}"
            )


@pytest.mark.browser
def test_fifteen_pages_have_no_serious_or_critical_accessibility_violation(
    world: dict[str, Login], server: LiveServer, browser: Browser
) -> None:
    script = AXE.read_text(encoding="utf-8")
    problems: list[str] = []
    pages: dict[str | None, Page] = {}
    try:
        for who, path in AXE_PAGES:
            if who not in pages:
                pages[who] = _page(browser, server.url, world[who] if who else None, 1366)
            page = pages[who]
            answer = page.goto(path)
            assert answer is not None and answer.status == 200, f"{who} {path}: {answer and answer.status}"
            page.wait_for_load_state("networkidle")
            page.add_script_tag(content=script)
            result = page.evaluate(
                """async () => (await axe.run(document, {runOnly: {type: 'tag',
                     values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})).violations
                     .map(v => ({id: v.id, impact: v.impact, help: v.help,
                                 nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))"""
            )
            for v in result:
                if v["impact"] in ("serious", "critical"):
                    problems.append(f"{who} {path}: {v['id']} ({v['impact']}) {v['help']} — {v['nodes']}")
    finally:
        for page in pages.values():
            page.context.close()
    assert len(AXE_PAGES) == 15
    assert not problems, "\n".join(problems)


@pytest.mark.browser
def test_the_quality_trend_is_an_echarts_line_with_axes_and_labels(
    world: dict[str, Login], server: LiveServer, browser: Browser, output_dir: Path
) -> None:
    page = _page(browser, server.url, world["xgb_officer"], 1366)
    try:
        page.goto("/ingest/quality/student_basic")
        page.wait_for_load_state("networkidle")
        chart = page.locator("#trend-chart")
        chart.scroll_into_view_if_needed()
        drawn = chart.evaluate(
            """box => ({echarts: !!box.getAttribute('_echarts_instance_'),
                        texts: [...box.querySelectorAll('svg text')].map(t => t.textContent),
                        paths: box.querySelectorAll('svg path').length})"""
        )
        chart.screenshot(path=str(output_dir / "look-quality-trend.png"))
    finally:
        page.context.close()
    assert drawn["echarts"] and drawn["paths"] > 2, drawn
    texts = drawn["texts"]
    assert "合格率" in texts and "完整率" in texts, texts  # the legend names both lines
    assert "100%" in texts and "0%" in texts, texts  # the value axis, in per cent
    assert any(t.startswith("B") for t in texts), texts  # the batches on the category axis
