"""Open-data clients work unchanged: the ``ckanapi`` package against a live server, and DCAT that rdflib parses."""

from __future__ import annotations

import json

import ckanapi
import httpx
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib import namespace as ns

from opendata.conftest import proposal, publish
from support.server import LiveServer


@pytest.fixture
def ckan(od: httpx.Client, staff: dict, portal_server: LiveServer) -> ckanapi.RemoteCKAN:
    publish(od, staff, proposal())
    with ckanapi.RemoteCKAN(portal_server.url) as client:
        yield client


def test_ckanapi_lists_shows_and_searches_packages(ckan: ckanapi.RemoteCKAN) -> None:
    assert ckan.action.package_list() == ["research-output"]
    pkg = ckan.action.package_show(id="research-output")
    assert pkg["title"] == "学术论文" and pkg["license_id"] == "CC-BY-4.0"
    assert {r["format"] for r in pkg["resources"]} == {"CSV", "JSON", "XLSX"}
    found = ckan.action.package_search(q="论文", rows=5)
    assert found["count"] == 1 and found["results"][0]["name"] == "research-output"
    assert ckan.action.package_search(q="宿舍")["count"] == 0
    assert ckan.action.package_search(fq="organization:0106 res_format:CSV")["count"] == 1
    assert ckan.action.package_search(fq="organization:0103")["count"] == 0
    with pytest.raises(ckanapi.ValidationError):
        ckan.action.package_search(fq="title:x OR 1=1")


def test_ckanapi_reads_organizations_resources_and_status(ckan: ckanapi.RemoteCKAN) -> None:
    assert ckan.action.organization_list() == ["0106"]
    org = ckan.action.organization_show(id="0106")
    assert org["title"] == "科研处" and org["package_count"] == 1
    res = ckan.action.resource_show(id="research-output-csv")
    assert res["url"].endswith("/api/v1/open/datasets/research-output/data.csv")
    assert "datastore" in ckan.action.status_show()["extensions"]


def test_ckanapi_datastore_search_pages_and_filters_rows(ckan: ckanapi.RemoteCKAN) -> None:
    page = ckan.action.datastore_search(resource_id="research-output-csv", limit=2, offset=1)
    assert page["total"] == 5 and len(page["records"]) == 2 and page["records"][0]["_id"] == 2
    assert [f["id"] for f in page["fields"]][:3] == ["_id", "LWBH", "LWTM"]
    hit = ckan.action.datastore_search(resource_id="research-output-csv", filters={"DYZZ": "李强"})
    assert [r["LWTM"] for r in hit["records"]] == ["绿色金融实证研究"]
    text = ckan.action.datastore_search(resource_id="research-output-json", q="审计")
    assert text["total"] == 1


def test_ckanapi_sees_ckan_errors_for_unknown_ids_and_oversized_pages(ckan: ckanapi.RemoteCKAN) -> None:
    with pytest.raises(ckanapi.NotFound):
        ckan.action.package_show(id="no-such-package")
    with pytest.raises(ckanapi.NotFound):
        ckan.action.datastore_search(resource_id="nothing-csv")
    with pytest.raises(ckanapi.ValidationError):
        ckan.action.datastore_search(resource_id="research-output-csv", limit=100000000)
    with pytest.raises(ckanapi.ValidationError):
        ckan.action.package_search(q="论文", rows=100000000)


def test_ckan_get_requests_answer_in_ckans_shape(od: httpx.Client, staff: dict) -> None:
    publish(od, staff, proposal())
    ok = od.get("/api/3/action/package_search", params={"q": "论文"}).json()
    assert ok["success"] is True and ok["result"]["count"] == 1
    bad = od.get("/api/3/action/package_search", params={"rows": "100000000"})
    assert bad.status_code == 409 and bad.json()["error"]["__type"] == "Validation Error"
    missing = od.get("/api/3/action/package_show", params={"id": "<script>"})
    assert missing.status_code == 404 and missing.json()["success"] is False
    assert "Traceback" not in missing.text
    assert (
        od.post(
            "/api/3/action/package_show", content=b"{not json", headers={"content-type": "application/json"}
        ).status_code
        == 409
    )
    assert od.get("/api/3/action/package_create").status_code == 404


def test_dcat_turtle_and_json_ld_parse_with_rdflib(
    od: httpx.Client, staff: dict, portal_server: LiveServer
) -> None:
    publish(od, staff, proposal())
    ds = URIRef(f"{portal_server.url}/open/datasets/research-output")
    for path, fmt in (("/api/v1/open/dcat.ttl", "turtle"), ("/api/v1/open/dcat.jsonld", "json-ld")):
        r = od.get(path)
        assert r.status_code == 200
        g = Graph().parse(data=r.text, format=fmt)
        assert (ds, ns.RDF.type, ns.DCAT.Dataset) in g
        assert (ds, ns.DCTERMS.title, Literal("学术论文", lang="zh")) in g
        assert (ds, ns.DCTERMS.license, URIRef("https://creativecommons.org/licenses/by/4.0/")) in g
        assert len(list(g.objects(ds, ns.DCAT.distribution))) == 3
    assert json.loads(od.get("/api/v1/open/dcat.jsonld").text)
