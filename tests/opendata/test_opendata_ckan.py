"""CKAN clients work unchanged: ``ckanapi.RemoteCKAN`` against a live server, every read action compared with
CKAN's documented response shape, CKAN's errors for bad input and for writes."""

from __future__ import annotations

import ckanapi
import httpx
import pytest
from sqlalchemy import select

from edudata.audit.models import AuditRecord
from edudata.config import Settings
from edudata.db import Database
from opendata import ckan_shapes as shape
from opendata.conftest import _portal, proposal, publish
from support.server import LiveServer


@pytest.fixture
def ckan(od: httpx.Client, staff: dict, courses: str, portal_server: LiveServer) -> ckanapi.RemoteCKAN:
    """Two published views: 学术论文 (科研处 0106, unconditional, 科研) and 课程信息 (教务处 0103, conditional, 教学)."""
    publish(od, staff, proposal())
    with ckanapi.RemoteCKAN(portal_server.url) as client:
        yield client


def test_package_list_show_and_current_list_with_resources(ckan: ckanapi.RemoteCKAN) -> None:
    assert ckan.action.package_list() == ["course-info", "research-output"]
    assert ckan.action.package_list(limit=1, offset=1) == ["research-output"]
    pkg = ckan.action.package_show(id="research-output")
    shape.package(pkg)
    assert pkg["title"] == "学术论文" and pkg["license_id"] == "CC-BY-4.0" and pkg["owner_org"] == "0106"
    assert [g["name"] for g in pkg["groups"]] == ["research"] and pkg["groups"][0]["title"] == "科研"
    assert {r["format"] for r in pkg["resources"]} == {"CSV", "JSON", "XLSX"}
    assert [t["name"] for t in pkg["tags"]] == ["学术论文", "科研成果"]
    current = ckan.action.current_package_list_with_resources(limit=10)
    for p in current:
        shape.package(p)
    assert [p["name"] for p in current] == ["research-output", "course-info"]  # most recently modified first
    assert [p["name"] for p in ckan.action.current_package_list_with_resources(limit=1, offset=1)] == [
        "course-info"
    ]


def test_package_search_q_fq_sort_rows_start(ckan: ckanapi.RemoteCKAN) -> None:
    found = ckan.action.package_search(q="论文", rows=5)
    shape.has(shape.SEARCH, found)
    assert found["count"] == 1 and found["results"][0]["name"] == "research-output"
    shape.package(found["results"][0])
    assert ckan.action.package_search(q="宿舍")["count"] == 0
    assert ckan.action.package_search(q="*:*")["count"] == 2
    count = lambda fq: ckan.action.package_search(fq=fq)["count"]  # noqa: E731
    assert count("organization:0106 res_format:CSV") == 1
    assert count("organization:0106 OR organization:0103") == 2
    assert count("-organization:0106") == 1
    assert count("organization:(0106 OR 0103) AND tags:课程") == 1
    assert count('tags:"学术论文"') == 1 and count("tags:学术*") == 1
    assert count("groups:teaching") == 1 and count("extras_open_category:conditional") == 1
    assert count("title:论文") == 1 and count("metadata_modified:[* TO NOW]") == 2
    assert count("metadata_modified:[NOW TO *]") == 0 and count("num_resources:[3 TO 3]") == 2
    # Lucene's rule with q.op=AND: an OR makes its neighbours optional, the other clauses stay required.
    assert count("organization:0103 OR organization:0106 tags:学术论文") == 1
    assert ckan.action.package_search(q="tags:课程")["count"] == 1
    by_name = ckan.action.package_search(sort="name desc", rows=1, start=1)
    assert by_name["sort"] == "name desc" and [p["name"] for p in by_name["results"]] == ["course-info"]
    assert by_name["count"] == 2
    assert ckan.action.package_search(rows=0)["results"] == []
    capped = ckan.action.package_search(rows=100000000)  # CKAN cuts rows to ckan.search.rows_max
    assert capped["count"] == 2 and len(capped["results"]) == 2
    assert ckan.action.package_search(include_private=False)["count"] == 2
    only = ckan.action.package_search(fl="name,title")["results"]
    assert sorted(only, key=lambda p: p["name"])[0] == {"name": "course-info", "title": "课程信息"}


def test_package_search_facets(ckan: ckanapi.RemoteCKAN) -> None:
    r = ckan.action.package_search(
        **{"facet.field": ["organization", "tags", "res_format", "groups"], "rows": 0}
    )
    assert r["facets"]["organization"] == {"0103": 1, "0106": 1}
    assert r["facets"]["res_format"] == {"CSV": 2, "JSON": 2, "XLSX": 2}
    assert set(r["search_facets"]) == {"organization", "tags", "res_format", "groups"}
    orgs = r["search_facets"]["organization"]
    assert orgs["title"] == "organization"
    for item in orgs["items"]:
        shape.has(shape.FACET_ITEM, item)
    assert {i["name"]: i["display_name"] for i in orgs["items"]} == {"0103": "教务处", "0106": "科研处"}
    assert {i["name"]: i["display_name"] for i in r["search_facets"]["groups"]["items"]} == {
        "research": "科研", "teaching": "教学"
    }  # fmt: skip
    one = ckan.action.package_search(
        **{"facet.field": '["tags"]', "facet.limit": 1, "fq": "organization:0106"}
    )
    assert len(one["facets"]["tags"]) == 1 and one["count"] == 1
    assert ckan.action.package_search()["facets"] == {}
    with pytest.raises(ckanapi.SearchError):
        ckan.action.package_search(**{"facet.field": ["notes"]})  # text fields are not facets


def test_groups_organizations_tags_licences_autocomplete(ckan: ckanapi.RemoteCKAN) -> None:
    groups = ckan.action.group_list()
    assert {"research", "teaching", "students"} <= set(
        groups
    )  # every subject area, as CKAN lists every group
    listed = ckan.action.group_list(all_fields=True, sort="package_count desc")
    for g in listed:
        shape.has(shape.GROUP_LISTED, g)
    assert [(g["name"], g["package_count"]) for g in listed[:2]] in (
        [("research", 1), ("teaching", 1)], [("teaching", 1), ("research", 1)]
    )  # fmt: skip
    g = ckan.action.group_show(id="teaching", include_datasets=True)
    shape.has(shape.GROUP, g)
    assert (
        g["title"] == "教学"
        and g["package_count"] == 1
        and [p["name"] for p in g["packages"]] == ["course-info"]
    )
    assert "packages" not in ckan.action.group_show(id="teaching")
    assert ckan.action.organization_list() == ["0103", "0106"]
    org = ckan.action.organization_show(id="0106")
    shape.has(shape.ORGANIZATION, org)
    assert org["title"] == "科研处" and org["package_count"] == 1
    assert ckan.action.organization_list(all_fields=True, organizations=["0106"])[0]["package_count"] == 1
    assert ckan.action.tag_list() == sorted(["学术论文", "科研成果", "课程"])
    assert ckan.action.tag_list(query="课") == ["课程"]
    assert ckan.action.tag_list(all_fields=True)[0].keys() >= {"id", "name", "vocabulary_id"}
    licences = ckan.action.license_list()
    for licence in licences:
        shape.has(shape.LICENCE, licence)
    assert {x["id"] for x in licences} == {"CC-BY-4.0", "CC-BY-SA-4.0", "CC0-1.0", "ODbL-1.0"}
    hits = ckan.action.package_autocomplete(q="research")
    assert hits == [{"name": "research-output", "title": "学术论文", "match_field": "name",
                     "match_displayed": "research-output"}]  # fmt: skip
    by_title = ckan.action.package_autocomplete(q="课程", limit=5)
    shape.has(shape.AUTOCOMPLETE, by_title[0])
    assert by_title[0]["match_displayed"] == "课程信息 (course-info)"
    with pytest.raises(ckanapi.ValidationError):
        ckan.action.package_autocomplete()
    with pytest.raises(ckanapi.NotFound):
        ckan.action.group_show(id="no-such-group")


def test_resource_show_status_and_help(ckan: ckanapi.RemoteCKAN) -> None:
    res = ckan.action.resource_show(id="research-output-csv")
    shape.has(shape.RESOURCE, res)
    assert res["url"].endswith("/api/v1/open/datasets/research-output/data.csv") and res["datastore_active"]
    assert res["metadata_modified"] == ckan.action.package_show(id="research-output")["metadata_modified"]
    status = ckan.action.status_show()
    shape.has(shape.STATUS, status)
    assert {"datastore", "dcat"} <= set(status["extensions"])
    assert "Solr" in ckan.action.help_show(name="package_search")
    with pytest.raises(ckanapi.NotFound):
        ckan.action.resource_show(id="research-output-pdf")


def test_datastore_search_and_info(ckan: ckanapi.RemoteCKAN) -> None:
    page = ckan.action.datastore_search(resource_id="research-output-csv", limit=2, offset=1)
    shape.has(shape.DATASTORE_SEARCH, page)
    assert page["total"] == 5 and len(page["records"]) == 2 and page["records"][0]["_id"] == 2
    assert [f["id"] for f in page["fields"]][:3] == ["_id", "LWBH", "LWTM"]
    assert page["fields"][2]["info"]["label"] == "论文题目" and "offset=3" in page["_links"]["next"]
    hit = ckan.action.datastore_search(resource_id="research-output-csv", filters={"DYZZ": "李强"})
    assert [r["LWTM"] for r in hit["records"]] == ["绿色金融实证研究"] and hit["records"][0]["_id"] == 3
    assert hit["filters"] == {"DYZZ": "李强"}
    assert ckan.action.datastore_search(resource_id="research-output-json", q="审计")["total"] == 1
    assert ckan.action.datastore_search(resource_id="research-output-json", q={"DYZZ": "王"})["total"] == 1
    some = ckan.action.datastore_search(resource_id="research-output-csv", filters={"DYZZ": ["张伟", "王芳"]},
                                        fields=["LWBH", "DYZZ"], sort="LWBH desc")  # fmt: skip
    assert [f["id"] for f in some["fields"]] == ["_id", "LWBH", "DYZZ"]
    assert [r["LWBH"] for r in some["records"]] == ["P0001", "P0000"]
    lists = ckan.action.datastore_search(resource_id="research-output-csv", fields="LWBH", records_format="lists",
                                         limit=2)  # fmt: skip
    assert lists["records"] == [[1, "P0000"], [2, "P0001"]]
    csv = ckan.action.datastore_search(resource_id="research-output-csv", fields="LWBH,DYZZ", records_format="csv",
                                       limit=1)  # fmt: skip
    assert csv["records"] == "1,P0000,张伟\n"
    distinct = ckan.action.datastore_search(resource_id="research-output-csv", fields="KWMC", distinct=True)
    assert distinct["records"] == [{"KWMC": "经济研究"}] and distinct["total"] == 1
    fields_only = ckan.action.datastore_search(resource_id="research-output-csv", limit=0)  # ckanapi dump -d
    assert fields_only["records"] == [] and fields_only["total"] == 5
    capped = ckan.action.datastore_search(resource_id="research-output-csv", limit=100000000)
    assert capped["limit"] == 1000 and capped["total"] == 5  # cut to the maximum, as CKAN's rows_max
    no_total = ckan.action.datastore_search(resource_id="research-output-csv", include_total=False)
    assert "total" not in no_total
    info = ckan.action.datastore_info(id="research-output-csv")
    shape.has(shape.DATASTORE_INFO_META, info["meta"])
    assert info["meta"]["count"] == 5
    for f in info["fields"]:
        shape.has(shape.DATASTORE_INFO_FIELD, f)
    assert [f["id"] for f in info["fields"]][:2] == ["LWBH", "LWTM"]
    assert ckan.action.datastore_info(resource_id="course-info-json")["meta"]["count"] == 4


def test_datastore_errors_are_ckans(ckan: ckanapi.RemoteCKAN) -> None:
    bad = [
        ({"filters": {"NOPE": 1}}, "filters"), ({"fields": ["NOPE"]}, "fields"), ({"sort": "NOPE desc"}, "sort"),
        ({"sort": "LWBH sideways"}, "sort"), ({"limit": -1}, "limit"), ({"limit": "many"}, "limit"),
        ({"records_format": "xml"}, "records_format"), ({"bogus": 1}, "bogus"),
    ]  # fmt: skip
    for extra, field in bad:
        with pytest.raises(ckanapi.ValidationError) as err:
            ckan.action.datastore_search(resource_id="research-output-csv", **extra)
        assert field in err.value.error_dict and "/" in err.value.error_dict[field][0], extra
    with pytest.raises(ckanapi.NotFound):
        ckan.action.datastore_search(resource_id="nothing-csv")
    with pytest.raises(ckanapi.NotAuthorized):  # conditional: rows only with a key approved for the view
        ckan.action.datastore_search(resource_id="course-info-csv")


def test_search_errors_are_ckans(ckan: ckanapi.RemoteCKAN) -> None:
    for fq in ("nosuchfield:x", "organization:(0106", 'tags:"open', "metadata_modified:[yesterday TO *]"):
        with pytest.raises(ckanapi.SearchError):
            ckan.action.package_search(fq=fq)
    with pytest.raises(ckanapi.SearchQueryError):
        ckan.action.package_search(sort="popularity desc")
    for params in ({"rows": -1}, {"start": "x"}, {"facet.field": "tags"}, {"facet.limit": "all"}):
        with pytest.raises(ckanapi.ValidationError):
            ckan.action.package_search(**params)
    with pytest.raises(ckanapi.NotFound):
        ckan.action.package_show(id="no-such-package")


def test_writes_are_refused_with_ckans_authorization_error(ckan: ckanapi.RemoteCKAN) -> None:
    for action, params in (
        ("package_create", {"name": "x"}), ("package_update", {"id": "research-output"}),
        ("package_delete", {"id": "research-output"}), ("resource_create", {"package_id": "research-output"}),
        ("datastore_upsert", {"resource_id": "research-output-csv", "records": []}),
        ("organization_member_create", {"id": "0106"}), ("harvest_source_create", {}),
    ):  # fmt: skip
        with pytest.raises(ckanapi.NotAuthorized) as err:
            ckan.call_action(action, params)
        assert err.value.args[0]["__type"] == "Authorization Error", action
    assert ckan.action.package_list() == ["course-info", "research-output"]  # nothing changed


def test_ckan_http_shapes_get_form_and_unknown_actions(od: httpx.Client, staff: dict, db: Database) -> None:
    publish(od, staff, proposal())
    ok = od.get("/api/3/action/package_search", params={"q": "论文", "facet.field": '["tags"]'}).json()
    assert ok["success"] is True and ok["result"]["count"] == 1 and ok["result"]["facets"]["tags"]
    assert ok["help"].endswith("/api/3/action/help_show?name=package_search")
    form = od.post("/api/action/package_search", data={"fq": "organization:0106"}).json()
    assert form["result"]["count"] == 1
    bad = od.get("/api/3/action/package_search", params={"rows": "many"})
    assert bad.status_code == 409 and bad.json()["error"]["__type"] == "Validation Error"
    assert "rows" in bad.json()["error"]
    missing = od.get("/api/3/action/package_show", params={"id": "<script>"})
    assert missing.status_code == 404 and missing.json()["success"] is False
    assert missing.json()["error"]["__type"] == "Not Found Error" and "Traceback" not in missing.text
    body = od.post(
        "/api/3/action/package_show", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert body.status_code == 409
    refused = od.get("/api/3/action/package_create")
    assert refused.status_code == 403
    assert refused.json() == {
        "help": refused.json()["help"], "success": False,
        "error": {"__type": "Authorization Error", "message": refused.json()["error"]["message"]},
    }  # fmt: skip
    assert refused.json()["error"]["message"].startswith("Access denied: ")
    unknown = od.get("/api/3/action/no_such_action")
    assert unknown.status_code == 400 and unknown.json().startswith("Bad request - Action name not known")
    sort = od.get("/api/3/action/package_search", params={"sort": "nope asc"})
    assert sort.status_code == 400 and sort.json()["error"]["__type"] == "Search Query Error"
    with db.session() as s:  # every refusal and failure is in the audit log, the 400s of CKAN's too
        recs = s.scalars(select(AuditRecord).where(AuditRecord.result != "success")).all()
        paths = {r.detail.get("path") for r in recs if r.detail}
    assert {
        "/api/3/action/no_such_action",
        "/api/3/action/package_create",
        "/api/3/action/package_search",
    } <= paths


def test_ckan_reads_are_rate_limited_and_audited(
    settings: Settings, database: Database, od: httpx.Client, staff: dict, db: Database
) -> None:
    publish(od, staff, proposal())
    strict = _portal(settings, database, opendata_rate_burst=3, opendata_rate_per_second=0.01)
    strict.start()
    try:
        with httpx.Client(base_url=strict.url) as c:
            answers = [c.get("/api/3/action/datastore_search", params={"resource_id": "research-output-csv"})
                       for _ in range(4)]  # fmt: skip
    finally:
        strict.stop()
    assert [a.status_code for a in answers[:3]] == [200, 200, 200]
    assert answers[3].status_code == 429 and answers[3].headers["Retry-After"]
    assert answers[3].json()["success"] is False
    with db.session() as s:
        reads = s.scalars(select(AuditRecord).where(AuditRecord.operation == "open_query")).all()
    assert len(reads) == 3 and all(r.username == "anonymous" and r.row_count == 5 for r in reads)
