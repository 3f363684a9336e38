"""The portal like the portals its users know (CKAN, data.gov.cn; issue 18): facets by publisher, category, format
and licence with their counts, a facet choice narrowing the list, the field list in Chinese with the catalogue's
descriptions, and files with Chinese column headers — the element codes one link away."""

from __future__ import annotations

import re

import httpx

from opendata.conftest import proposal, publish
from support.world import read

HTML = {"accept": "text/html"}


def _facet(page: str, key: str) -> dict[str, int]:
    section = re.search(rf'<section class="card" id="facet-{key}">(.*?)</section>', page, re.S)
    assert section, f"no {key} facet"
    return {
        name: int(n)
        for name, n in re.findall(r">([^<>]+)</a> <span class=\"muted\">（(\d+)）", section.group(1))
    }


def test_facets_count_and_narrow_the_published_datasets(od: httpx.Client, staff: dict) -> None:
    publish(od, staff, proposal())  # 学术论文, 科研处, CC-BY-4.0
    body = proposal(
        "course_info",
        open_category="conditional",
        description="本科课程目录",
        keywords=["课程"],
        licence="CC0-1.0",
    )
    publish(od, staff, body, proposer="jwc", unit_reviewer="jwc_rev")  # 课程信息, 教务处, CC0
    page = od.get("/open", headers=HTML).text
    assert _facet(page, "publisher") == {"科研处": 1, "教务处": 1}
    assert _facet(page, "licence") == {"知识共享署名 4.0 国际": 1, "CC0 公共领域贡献": 1}
    assert _facet(page, "format") == {"CSV": 2, "JSON": 2, "Excel（XLSX）": 2}
    assert sum(_facet(page, "category").values()) == 2
    assert "共 2 个开放数据集" in page

    narrowed = od.get("/open", params={"publisher": "0103"}, headers=HTML).text
    assert "共 1 个开放数据集" in narrowed
    results = narrowed.split('id="results"')[1]
    assert "课程信息" in results and "学术论文" not in results
    # the other facets count within the choice; the chosen facet still shows what else there is
    assert _facet(narrowed, "licence") == {"CC0 公共领域贡献": 1}
    assert _facet(narrowed, "publisher") == {"科研处": 1, "教务处": 1}
    assert 'aria-current="true">教务处</a>' in narrowed
    both = od.get("/open", params={"publisher": "0103", "licence": "CC-BY-4.0"}, headers=HTML).text
    assert "共 0 个开放数据集" in both
    searched = od.get("/open", params={"q": "论文", "format": "csv"}, headers=HTML).text
    assert "共 1 个开放数据集" in searched and "学术论文" in searched


def test_the_dataset_page_and_its_files_speak_chinese_with_the_codes_one_link_away(
    od: httpx.Client, staff: dict
) -> None:
    view = publish(od, staff, proposal())
    page = od.get(f"/open/datasets/{view['code']}", headers=HTML).text
    text, hrefs = read(page)
    assert "论文题目" in text and "LWTM" not in text  # the code is secondary text (<code>)
    assert f"/open/datasets/{view['code']}/download.csv?headers=code" in hrefs

    chinese = od.get(f"/open/datasets/{view['code']}/download.csv")
    header = chinese.content.decode("utf-8-sig").splitlines()[0].split(",")
    assert "论文题目" in header and "LWTM" not in header
    coded = od.get(f"/open/datasets/{view['code']}/download.csv", params={"headers": "code"})
    assert "LWTM" in coded.content.decode("utf-8-sig").splitlines()[0].split(",")
    # the same rows either way
    assert len(chinese.content.splitlines()) == len(coded.content.splitlines()) > 1
    assert od.get(f"/open/datasets/{view['code']}/download.csv", params={"headers": "x"}).status_code == 422


def test_a_signed_in_member_of_staff_appears_signed_in_on_the_portal(
    od: httpx.Client,
    staff: dict,
    accounts,  # noqa: ANN001
) -> None:
    """Issue 18: on /open and a dataset's page the header shows who is signed in and a working 退出 (log out),
    not 登录 (log in) as if nobody were; after logging out the portal shows 登录 again."""
    from support.pages import csrf_field
    from support.students import PASSWORD

    view = publish(od, staff, proposal())
    accounts.create(username="wangli", roles=("office_admin",), unit_code="0002", display_name="王丽")
    assert 'href="/login"' in od.get("/open", headers=HTML).text  # nobody yet
    login = od.get("/login", headers=HTML).text
    r = od.post("/login", headers=HTML, data={"csrf_token": csrf_field(login), "username": "wangli",
                                             "password": PASSWORD, "next": "/open"})  # fmt: skip
    assert r.status_code == 303
    for path in ("/open", f"/open/datasets/{view['code']}"):
        page = od.get(path, headers=HTML)
        assert page.status_code == 200
        header = page.text.split('<header class="top">')[1].split("</header>")[0]
        assert '<span class="me">王丽' in header and 'action="/logout"' in header, path
        assert 'href="/login"' not in header
        assert 'href="/lifecycle"' in header  # the person's own navigation, as on every staff page
    token = csrf_field(od.get("/open", headers=HTML).text.split('action="/logout"')[1])
    assert od.post("/logout", headers=HTML, data={"csrf_token": token}).status_code == 303
    header = od.get("/open", headers=HTML).text.split('<header class="top">')[1].split("</header>")[0]
    assert 'href="/login"' in header and "王丽" not in header
