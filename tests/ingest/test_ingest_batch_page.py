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
        assert "共 111 条，第 1–100 条" in page and 'id="next-page"' in page
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
        assert "共 111 条，第 101–111 条" in second
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
