"""The public portal (Art. 45): no login, Chinese search, dataset pages, downloads in three formats with the
same content, a bounded and filtered query API, every read audited as anonymous."""

from __future__ import annotations

import csv
import io
import json

import httpx
import openpyxl
from sqlalchemy import select

from edudata.audit.models import AuditRecord
from edudata.db import Database
from edudata.opendata.search import index_grams, query_grams
from opendata.conftest import proposal, publish

HTML = {"accept": "text/html"}


def _norm(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def test_chinese_text_is_indexed_by_characters_and_bigrams_and_queries_need_every_bigram() -> None:
    assert {"学", "术", "学术", "术论", "论文"} <= index_grams("学术论文")
    assert query_grams("学术论文") == ["学术", "术论", "论文"]
    assert query_grams("论") == ["论"]
    assert query_grams("CSV 数据") == ["数据", "csv"]
    assert query_grams("'; DROP TABLE--") == ["drop", "table"]


def test_a_visitor_finds_a_published_dataset_by_a_chinese_keyword_without_logging_in(
    od: httpx.Client, staff: dict
) -> None:
    publish(od, staff, proposal())
    found = od.get("/api/v1/open/datasets", params={"q": "论文"}).json()
    assert [d["code"] for d in found["items"]] == ["research-output"]
    assert od.get("/api/v1/open/datasets", params={"q": "科研成果"}).json()["total"] == 1
    assert od.get("/api/v1/open/datasets", params={"q": "课程"}).json()["total"] == 0
    page = od.get("/open", params={"q": "学术"}, headers=HTML)
    assert page.status_code == 200 and 'href="/open/datasets/research-output"' in page.text


def test_the_dataset_page_shows_description_elements_update_time_licence_and_a_preview(
    od: httpx.Client, staff: dict
) -> None:
    publish(od, staff, proposal())
    page = od.get("/open/datasets/research-output", headers=HTML)
    assert page.status_code == 200
    for text in (
        "本校教师发表的学术论文目录",
        "论文题目",
        "LWTM",
        "知识共享署名 4.0",
        "数字经济与区域发展",
        "download.csv",
    ):
        assert text in page.text
    assert "<script>alert(1)</script>" not in page.text and "&lt;script&gt;" in page.text


def test_downloads_in_csv_json_and_xlsx_hold_the_same_rows(od: httpx.Client, staff: dict) -> None:
    publish(od, staff, proposal())
    base = "/api/v1/open/datasets/research-output/data"
    raw = od.get(f"{base}.csv")
    assert raw.status_code == 200 and raw.content.startswith(b"\xef\xbb\xbf")
    assert 'filename="research-output-v1.csv"' in raw.headers["content-disposition"]
    from_csv = [[_norm(v) for v in row] for row in csv.reader(io.StringIO(raw.content[3:].decode("utf-8")))]
    body = od.get(f"{base}.json").json()
    header = [c["code"] for c in body["columns"]]
    from_json = [header] + [[_norm(r[c]) for c in header] for r in body["rows"]]
    sheet = openpyxl.load_workbook(io.BytesIO(od.get(f"{base}.xlsx").content)).active
    from_xlsx = [[_norm(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    assert from_csv == from_json == from_xlsx
    assert len(from_csv) == 6 and from_csv[0] == ["LWBH", "LWTM", "DYZZ", "KWMC", "FBRQ", "SSDWDM"]
    page = od.get("/open/datasets/research-output/download.csv")
    assert page.content == raw.content


def test_the_query_api_filters_and_pages_with_a_bounded_page_size(od: httpx.Client, staff: dict) -> None:
    publish(od, staff, proposal())
    url = "/api/v1/open/datasets/research-output/rows"
    first = od.get(url, params={"limit": 2}).json()
    assert first["total"] == 5 and len(first["items"]) == 2 and first["next_cursor"]
    rest = od.get(url, params={"limit": 10, "cursor": first["next_cursor"]}).json()
    assert len(rest["items"]) == 3 and rest["next_cursor"] is None
    assert {r["LWBH"] for r in first["items"]} | {r["LWBH"] for r in rest["items"]} == {
        f"P{i:04d}" for i in range(5)
    }
    hit = od.get(url, params={"filter": json.dumps({"element": "DYZZ", "op": "eq", "value": "王芳"})}).json()
    assert [r["LWTM"] for r in hit["items"]] == ["财政政策的传导机制"]
    huge = od.get(url, params={"limit": 100000000})
    assert huge.status_code == 422 and "1000" in huge.json()["detail_zh"]
    hidden = od.get(url, params={"filter": json.dumps({"element": "SFZJH", "op": "eq", "value": "1"})})
    assert hidden.status_code == 422 and hidden.json()["field"] == "filter"


def test_every_portal_read_is_audited_as_anonymous(od: httpx.Client, staff: dict, db: Database) -> None:
    publish(od, staff, proposal())
    assert od.get("/api/v1/open/datasets/research-output/data.csv").status_code == 200
    with db.session() as s:
        rec = s.scalars(select(AuditRecord).where(AuditRecord.operation == "open_download")).one()
        publisher = s.scalars(select(AuditRecord).where(AuditRecord.operation == "export")).first()
    assert rec.username == "anonymous" and rec.dataset == "research_output" and rec.row_count == 5
    assert rec.source_ip == "127.0.0.1"
    assert publisher.username == "opendata-publisher:research-output"


def test_injection_in_search_is_only_text_and_changes_nothing(od: httpx.Client, staff: dict) -> None:
    publish(od, staff, proposal())
    for q in (
        "'; DROP TABLE opendata_view; --",
        "<script>alert('x')</script>",
        '" OR 1=1 --',
        "论文' OR '1'='1",
    ):
        api = od.get("/api/v1/open/datasets", params={"q": q})
        assert api.status_code == 200 and api.json()["total"] == 0
        page = od.get("/open", params={"q": q}, headers=HTML)
        assert page.status_code == 200 and "<script>alert" not in page.text
    assert od.get("/api/v1/open/datasets").json()["total"] == 1


def test_unknown_ids_are_clear_404s_without_internals(od: httpx.Client, staff: dict) -> None:
    publish(od, staff, proposal())
    for url in (
        "/api/v1/open/datasets/no-such",
        "/api/v1/open/datasets/no-such/rows",
        "/api/v1/open/datasets/no-such/data.csv",
        "/api/v1/open/datasets/research-output/rows?version=99",
    ):
        r = od.get(url)
        assert r.status_code == 404, url
        assert r.json()["detail_zh"] and "Traceback" not in r.text and "sqlalchemy" not in r.text.lower()
    page = od.get("/open/datasets/no-such", headers=HTML)
    assert page.status_code == 404 and "未找到" in page.text or "没有已发布" in page.text
    assert od.get("/api/v1/open/datasets/research-output/data.exe").status_code == 422
