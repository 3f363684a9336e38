"""Harvesters fetch only what changed: a CKAN harvester by ``metadata_modified`` (as ckanext-harvest's
CKANHarvester pages package_search), a DCAT harvester by following Hydra pages and reading ``dct:modified``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import ckanapi
import httpx
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib import namespace as ns

from edudata.config import Settings
from edudata.db import Database
from opendata.conftest import PAPERS, _portal, proposal, publish
from support.collect import collect

HYDRA = ns.Namespace("http://www.w3.org/ns/hydra/core#")


@pytest.fixture
def harvested(
    settings: Settings, database: Database, od: httpx.Client, staff: dict, courses: str
) -> Iterator[str]:
    """Three published views on a portal whose DCAT pages hold two datasets each."""
    publish(od, staff, proposal())
    publish(od, staff, proposal(code="papers-by-journal", kind="aggregate", title="论文期刊分布",
                                title_en="Papers by journal", definition={"group_by": ["KWMC"]}))  # fmt: skip
    live = _portal(settings, database, opendata_dcat_page_size=2, opendata_rate_burst=100_000,
                   opendata_rate_per_second=1000.0)  # fmt: skip
    live.start()
    yield live.url
    live.stop()


def ckan_harvest(site: str, since: str | None) -> dict[str, str]:
    """CKANHarvester's gather stage: package_search sorted by id, 100 a page until an empty page, only what was
    modified since the last run when there was one."""
    fetched: dict[str, str] = {}
    params: dict[str, object] = {"sort": "id asc", "rows": 2, "start": 0}
    if since:
        params["fq"] = f"metadata_modified:[{since}Z TO *]"
    with ckanapi.RemoteCKAN(site) as ckan:
        while page := ckan.action.package_search(**params)["results"]:
            fetched.update({p["id"]: p["metadata_modified"] for p in page})
            params["start"] = int(params["start"]) + len(page)  # type: ignore[call-overload]
    return fetched


def dcat_harvest(site: str, since: str | None = None) -> tuple[dict[str, str], int]:
    """ckanext-dcat's RDF harvester: read the catalogue page by page, following ``hydra:next``."""
    url: str | None = f"{site}/catalog.ttl" + (f"?modified_since={since}Z" if since else "")
    modified, pages = {}, 0
    while url:
        r = httpx.get(url)
        assert r.status_code == 200, r.text
        g = Graph().parse(data=r.text, format="turtle")
        pages += 1
        for ds in g.subjects(ns.RDF.type, ns.DCAT.Dataset):
            modified[str(g.value(ds, ns.DCTERMS.identifier))] = str(g.value(ds, ns.DCTERMS.modified))
        url = next((str(o) for s in g.subjects(ns.RDF.type, HYDRA.PagedCollection) for o in g.objects(s, HYDRA.next)),
                   None)  # fmt: skip
    return modified, pages


def test_a_second_harvest_fetches_only_the_changed_dataset(
    harvested: str, od: httpx.Client, staff: dict, accounts
) -> None:  # noqa: ANN001
    gather_started = datetime.now(UTC).replace(tzinfo=None).isoformat()
    first = ckan_harvest(harvested, None)
    assert sorted(first) == ["course-info", "papers-by-journal", "research-output"]
    first_dcat, pages = dcat_harvest(harvested)
    assert pages == 2 and sorted(first_dcat) == sorted(first)
    assert ckan_harvest(harvested, gather_started) == {}  # nothing changed yet
    # A new paper, and the office refreshes the one view: a new version, so a new metadata_modified.
    paper = {**PAPERS[0], "LWBH": "P0100", "LWTM": "教育数据治理"}
    collect(od, accounts, "research_output", [paper], headers=staff["kyc"], unit="0106")
    r = od.post("/api/v1/opendata/views/research-output/refresh", headers=staff["office"])
    assert r.status_code == 200 and r.json()["new_version"] == 2
    second = ckan_harvest(harvested, gather_started)
    assert list(second) == ["research-output"] and second["research-output"] > first["research-output"]
    changed_dcat, _ = dcat_harvest(harvested, gather_started)
    assert list(changed_dcat) == ["research-output"]
    # A DCAT harvester without modified_since compares dct:modified with what it holds: one dataset differs.
    again, _ = dcat_harvest(harvested)
    assert [k for k in again if again[k] != first_dcat[k]] == ["research-output"]
    # A refresh whose content is unchanged adds no version: the view keeps its stamp, no harvester refetches it.
    same = od.post("/api/v1/opendata/views/course-info/refresh", headers=staff["office"])
    assert same.status_code == 200 and same.json()["new_version"] is None
    assert ckan_harvest(harvested, gather_started) == second


def test_dcat_catalogue_pages_in_hydra_as_ckanext_dcat(harvested: str) -> None:
    r = httpx.get(f"{harvested}/catalog.ttl", params={"page": 2})
    g = Graph().parse(data=r.text, format="turtle")
    page = URIRef(f"{harvested}/catalog.ttl?page=2")
    assert (page, ns.RDF.type, HYDRA.PagedCollection) in g
    assert (
        g.value(page, HYDRA.totalItems).toPython() == 3 and g.value(page, HYDRA.itemsPerPage).toPython() == 2
    )
    assert str(g.value(page, HYDRA.firstPage)) == f"{harvested}/catalog.ttl?page=1"
    assert str(g.value(page, HYDRA.previous)) == f"{harvested}/catalog.ttl?page=1"
    assert (
        str(g.value(page, HYDRA.last)) == f"{harvested}/catalog.ttl?page=2"
        and g.value(page, HYDRA.next) is None
    )
    assert len(list(g.subjects(ns.RDF.type, ns.DCAT.Dataset))) == 1
    # The same catalogue in JSON-LD and RDF/XML, under the portal's own path too.
    for path, fmt in (("/api/v1/open/dcat.jsonld", "json-ld"), ("/catalog.rdf", "xml")):
        got = httpx.get(f"{harvested}{path}")
        assert got.status_code == 200
        assert len(list(Graph().parse(data=got.text, format=fmt).subjects(ns.RDF.type, ns.DCAT.Dataset))) == 2
    assert json.loads(httpx.get(f"{harvested}/api/v1/open/dcat.jsonld").text)
    assert httpx.get(f"{harvested}/catalog.ttl", params={"page": 0}).status_code == 422
    bad = httpx.get(f"{harvested}/catalog.ttl", params={"modified_since": "last tuesday"})
    assert bad.status_code == 422 and "ISO 8601" in bad.json()["detail"]
    assert httpx.get(f"{harvested}/catalog.pdf").status_code == 404
    narrowed = Graph().parse(
        data=httpx.get(f"{harvested}/catalog.ttl", params={"fq": "organization:0103"}).text
    )
    assert [str(x) for x in narrowed.objects(None, ns.DCTERMS.identifier)] == ["course-info"]


def test_dcat_ap_metadata_with_language_tagged_titles(harvested: str) -> None:
    g = Graph().parse(data=httpx.get(f"{harvested}/api/v1/open/dcat.ttl").text, format="turtle")
    ds = URIRef(f"{harvested}/open/datasets/papers-by-journal")
    assert (ds, ns.RDF.type, ns.DCAT.Dataset) in g
    assert set(g.objects(ds, ns.DCTERMS.title)) == {
        Literal("论文期刊分布", lang="zh"),
        Literal("Papers by journal", lang="en"),
    }
    assert (ds, ns.DCTERMS.license, URIRef("https://creativecommons.org/licenses/by/4.0/")) in g
    modified = g.value(ds, ns.DCTERMS.modified)
    assert modified.datatype == ns.XSD.dateTime
    with ckanapi.RemoteCKAN(harvested) as ckan:  # the very instant CKAN's metadata_modified gives
        stamp = ckan.action.package_show(id="papers-by-journal")["metadata_modified"]
    assert modified.toPython().replace(tzinfo=None) == datetime.fromisoformat(stamp)
    dists = list(g.objects(ds, ns.DCAT.distribution))
    assert len(dists) == 3
    for d in dists:
        assert (
            g.value(d, ns.DCAT.accessURL)
            and g.value(d, ns.DCAT.downloadURL)
            and g.value(d, ns.DCTERMS.format)
        )
    publisher = g.value(ds, ns.DCTERMS.publisher)
    assert Literal("科研处", lang="zh") in set(g.objects(publisher, ns.FOAF.name))
    catalog = next(g.subjects(ns.RDF.type, ns.DCAT.Catalog))
    langs = {lit.language for lit in g.objects(catalog, ns.DCTERMS.title)}
    assert langs == {"zh", "en"} and g.value(catalog, ns.DCTERMS.modified) is not None
    # The first page (two a page here) holds the most recently changed; course-info, the oldest, is on page 2.
    assert {g.value(d, ns.DCTERMS.identifier) for d in g.subjects(ns.RDF.type, ns.DCAT.Dataset)} == {
        Literal("research-output"), Literal("papers-by-journal")
    }  # fmt: skip
