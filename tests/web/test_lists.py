"""The pages' one list component (web/lists.py, templates/_list.html) on the accounts list (issue 18): filters by
pickers, sorting by a column header, paging with the total shown — all server-side, each view its own address."""

from __future__ import annotations

import re

import httpx

from edudata.config import Settings
from edudata.db import Database
from support.org import Accounts
from support.pages import page_login
from support.server import LiveServer
from support.world import demo_world, log_in


def _names(page: str) -> list[str]:
    body = page.split('<table id="accounts">')[1].split("</table>")[0]
    return re.findall(r"<td><code>([^<]+)</code></td>", body)


def test_the_accounts_list_filters_sorts_and_pages_on_the_server(
    accounts: Accounts, server: LiveServer
) -> None:
    accounts.create("office", roles=("office_admin",), unit_code="0002")
    for i in range(30):
        accounts.create(
            f"r{i:02d}", roles=("unit_reviewer",), unit_code="0104", display_name=f"审核员{i:02d}"
        )
    accounts.create("applicant", roles=("applicant",), unit_code="0110")
    with page_login(server.url, "office") as office:
        first = office.get("/admin/accounts", params={"role": "unit_reviewer", "sort": "username"}).text
        assert "共 30 条" in first and "第 1 / 2 页" in first
        assert _names(first) == [f"r{i:02d}" for i in range(25)]  # 25 a page, by username
        assert 'aria-sort="ascending"' in first
        second = office.get(
            "/admin/accounts", params={"role": "unit_reviewer", "sort": "username", "page": 2}
        ).text
        assert _names(second) == [f"r{i:02d}" for i in range(25, 30)]
        # the links keep the filter: the next page, and the header that turns the order round
        assert "role=unit_reviewer" in re.search(r'href="([^"]*)"[^>]*rel="next"', first).group(1)
        turned = re.search(r'<a href="([^"]*)"[^>]*>用户名 ▲</a>', first).group(1).replace("&amp;", "&")
        assert "dir=desc" in turned and "role=unit_reviewer" in turned
        descending = office.get("/admin/accounts" + turned).text
        assert _names(descending)[:3] == ["r29", "r28", "r27"]

        by_unit = office.get("/admin/accounts", params={"unit": "0110"}).text
        assert _names(by_unit) == ["applicant"] and "共 1 条" in by_unit
        assert '<option value="0110" selected>' in by_unit  # the picker shows the choice
        # a page past the end shows the last page; a sort key that is no column falls back to the default
        far = office.get("/admin/accounts", params={"role": "unit_reviewer", "page": 99, "sort": "password"})
        assert far.status_code == 200 and "第 2 / 2 页" in far.text


def test_the_applications_list_filters_by_status_and_dataset_pickers(
    db: Database, settings: Settings, server: LiveServer
) -> None:
    logins = {login.username: login for login in demo_world(settings)}  # one pending application (showcase)
    with httpx.Client(base_url=server.url, timeout=60) as office:
        log_in(office, logins["office"])
        everything = office.get("/sharing").text
        assert "共 1 条" in everything and "/sharing/applications/1" in everything
        pending = office.get("/sharing", params={"status": "pending_producer"}).text
        assert "共 1 条" in pending and '<option value="pending_producer" selected>' in pending
        granted = office.get("/sharing", params={"status": "granted"}).text
        assert "共 0 条" in granted and "/sharing/applications/1" not in granted
        other = office.get("/sharing", params={"dataset": "course_info"}).text
        assert "共 0 条" in other
        sorted_page = office.get("/sharing", params={"sort": "submitted", "dir": "asc"}).text
        assert 'aria-sort="ascending"' in sorted_page
