"""The batch page a data officer reads: names not codes, one line per privacy drop, paged quarantine with its
total, honest completeness, the officer's own failing values unmasked; the mappings page lists, saves, deletes."""

from __future__ import annotations

import re

import polars as pl
from ingest_support import HTML, csrf_field, csv_bytes, page_session, student_frame


def _upload(officer, content: bytes) -> str:  # noqa: ANN001
    page = officer.get("/ingest", headers=HTML)
    r = officer.post(
        "/ingest/upload",
        headers=HTML,
        data={"csrf_token": csrf_field(page.text), "dataset": "student_basic", "encoding": "auto"},
        files={"file": ("学生.csv", content)},
    )
    assert r.status_code == 303, r.text
    return r.headers["location"]


def test_the_batch_page_speaks_in_names_pages_the_quarantine_and_shows_the_source_its_own_values(
    server, world
) -> None:  # noqa: ANN001
    frame = student_frame(130, seed=71).drop("YHKH")
    mobiles = frame["SJHM"].to_list()
    for i in range(0, 110):
        mobiles[i] = "1" + mobiles[i][2:]  # ten digits: a wrong length
    ids = frame["SFZJH"].to_list()
    ids[120] = ids[120][:17] + (
        "0" if ids[120][17] != "0" else "1"
    )  # an encrypted element: masked for others
    content = csv_bytes(frame.with_columns(pl.Series("SJHM", mobiles), pl.Series("SFZJH", ids)))
    with page_session(server, "xgb") as officer:
        url = _upload(officer, content)
        page = officer.get(url, headers=HTML).text
        assert "共 111 条 · 第 1 / 2 页" in page and 'rel="next"' in page
        issues = page[page.index('id="issues"') :]
        assert issues.count("<tr><td>") == 100
        assert 'title="SJHM">手机号码</td>' in issues and "符合手机号码的数据标准" in issues
        assert "rule:" not in issues and "type:mobile" not in issues.replace('title="type:mobile', "")
        # Art. 51 drops: one line per element and rule, not one per row.
        dropped = page[page.index('id="dropped"') : page.index('id="issues"')]
        lines = re.findall(r'<tr><td title="([A-Z]+)">', dropped)
        assert "MZM" in lines and len(lines) == len(set(lines)) and "130（第 2–131 行）" in dropped
        assert "银行卡号" in page[page.index('id="not-collected"') :][:300]  # not in the file: said so
        second = officer.get(url + "?page=2", headers=HTML).text
        assert "共 111 条 · 第 2 / 2 页" in second
        assert second[second.index('id="issues"') :].count("<tr><td>") == 11
        assert f"<code>{ids[120]}</code>" in second  # the producer's own officer sees the ID number as typed
    with page_session(server, "office") as office:
        shown = office.get(url + "?page=2", headers=HTML).text
        assert f"<code>{ids[120]}</code>" not in shown and ids[120][:6] in shown  # masked for the office


def test_the_mappings_page_lists_saves_and_deletes_a_mapping(server, world, http) -> None:  # noqa: ANN001
    with page_session(server, "xgb") as officer:
        page = officer.get("/ingest/mappings", headers=HTML)
        assert page.status_code == 200 and "尚未保存列名映射" in page.text
        r = officer.post(
            "/ingest/mappings",
            headers=HTML,
            data={
                "csrf_token": csrf_field(page.text),
                "dataset": "student_basic",
                "header": "学生编号",
                "element": "XH",
            },
        )
        assert r.status_code == 303
        page = officer.get("/ingest/mappings?dataset=student_basic", headers=HTML).text
        assert "<td>学生编号</td>" in page and 'title="XH">学号</td>' in page
        listed = http.get("/api/v1/ingest/student_basic/mappings", headers=world["h"]["xgb"]).json()["items"]
        assert [(m["header"], m["element"]) for m in listed] == [("学生编号", "XH")]
        mapping_id = re.search(r'name="delete" value="(\d+)"', page).group(1)
        r = officer.post(
            "/ingest/mappings",
            headers=HTML,
            data={"csrf_token": csrf_field(page), "dataset": "student_basic", "delete": mapping_id},
        )
        assert r.status_code == 303
        assert "尚未保存列名映射" in officer.get("/ingest/mappings", headers=HTML).text
    assert http.get("/api/v1/ingest/student_basic/mappings", headers=world["h"]["rsc"]).status_code == 403


def _rows(page: str) -> list[tuple[int, str]]:
    """(row number, element code) of each quarantine reason shown, in order."""
    body = page[page.index('id="issues"') :].split("</table>")[0]
    return [(int(n), e) for n, e in re.findall(r'<tr><td>(\d+)</td><td title="([A-Z]+)">', body)]


def test_the_quarantine_list_filters_by_element_sorts_and_pages_on_the_server(server, world) -> None:  # noqa: ANN001
    frame = student_frame(60, seed=73).drop("YHKH")
    mobiles, ids = frame["SJHM"].to_list(), frame["SFZJH"].to_list()
    for i in range(30):
        mobiles[i] = "1" + mobiles[i][2:]  # ten digits: a wrong length
    for i in range(50, 55):
        ids[i] = ids[i][:17] + ("0" if ids[i][17] != "0" else "1")  # a wrong check digit
    content = csv_bytes(frame.with_columns(pl.Series("SJHM", mobiles), pl.Series("SFZJH", ids)))
    with page_session(server, "xgb") as officer:
        url = _upload(officer, content)
        page = officer.get(url, headers=HTML).text
        assert (
            "共 35 条" in page and '<option value="SFZJH">' in page
        )  # the picker offers the batch's elements
        ids_only = officer.get(url, params={"element": "SFZJH"}, headers=HTML).text
        assert "共 5 条" in ids_only and {e for _, e in _rows(ids_only)} == {"SFZJH"}
        assert '<option value="SFZJH" selected>' in ids_only
        by_row = _rows(
            officer.get(url, params={"element": "SJHM", "sort": "row", "size": 10}, headers=HTML).text
        )
        assert [n for n, _ in by_row] == list(range(2, 12))  # file rows 2-11 (row 1 is the header)
        turned = officer.get(
            url, params={"element": "SJHM", "sort": "row", "dir": "desc", "size": 10}, headers=HTML
        )
        assert [n for n, _ in _rows(turned.text)] == list(range(31, 21, -1))
        second = officer.get(
            url, params={"element": "SJHM", "sort": "row", "size": 10, "page": 2}, headers=HTML
        )
        assert [n for n, _ in _rows(second.text)] == list(range(12, 22)) and "第 2 / 3 页" in second.text
        # a sort key that is no column is the default (by row); a page that is no number is the first
        odd = officer.get(url, params={"sort": "value", "page": "x"}, headers=HTML)
        assert odd.status_code == 200 and _rows(odd.text)[0][0] == 2 and "第 1 / 1 页" not in odd.text
        # htmx asks for the list alone: the region, without the page around it
        part = officer.get(url, params={"element": "SFZJH"}, headers={**HTML, "HX-Request": "true"})
        assert part.text.lstrip().startswith('<div id="issues-region"') and "<html" not in part.text
        assert "共 5 条" in part.text and part.headers["vary"] == "HX-Request"
    with page_session(server, "rsc") as other:  # another unit's officer: refused as before, fragment or not
        plain = other.get(url, headers=HTML)
        hx = other.get(url, params={"element": "SFZJH"}, headers={**HTML, "HX-Request": "true"})
        assert plain.status_code == hx.status_code == 404 and "SFZJH" not in hx.text
