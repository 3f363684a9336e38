"""The open catalogue as DCAT-AP (W3C Data Catalog Vocabulary, EU application profile) for harvesters, built
with rdflib, in Turtle, JSON-LD, RDF/XML or N-Triples (Art. 45 可机读).

Served as ckanext-dcat serves it: ``/catalog.{ttl,jsonld,rdf,xml,nt}`` (and ``/api/v1/open/dcat.{…}``), paged by
``page`` with ``EDUDATA_OPENDATA_DCAT_PAGE_SIZE`` datasets per page, newest change first, the paging told in Hydra
(``hydra:PagedCollection`` with ``totalItems``, ``itemsPerPage``, ``first``/``last``/``next``/``previous`` and
their ``…Page`` forms, which the ckanext-dcat harvester follows); ``modified_since`` (ISO 8601) keeps only what
changed since, ``q``/``fq`` filter as on ``package_search``. Each ``dcat:Dataset`` carries ``dct:modified`` — the
same instant as CKAN's ``metadata_modified`` — so a harvester fetches only what changed. Titles, descriptions and
names are language-tagged literals (``@zh``, ``@en``). Only metadata: rows are never in the catalogue.
"""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, XSD
from sqlalchemy.orm import Session

from edudata.api.deps import get_session
from edudata.catalog.classification import OPEN_LABELS
from edudata.errors import NotFound, ValidationFailed
from edudata.opendata import ckan_index as idx
from edudata.opendata import deps, portal, solr
from edudata.opendata.definitions import LICENCES

router = APIRouter(tags=["dcat"])
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
EU = "http://publications.europa.eu/resource/authority/"
FREQ = Namespace(f"{EU}frequency/")
_FREQUENCIES = {
    "realtime": "CONT", "hourly": "HOURLY", "daily": "DAILY", "weekly": "WEEKLY", "monthly": "MONTHLY",
    "termly": "QUARTERLY", "yearly": "ANNUAL",
}  # fmt: skip
_MEDIA = {"csv": "text/csv", "json": "application/json", "xlsx": portal.DOWNLOADS["xlsx"][0]}
_FILE_TYPE = {"csv": "CSV", "json": "JSON", "xlsx": "XLSX"}
FORMATS = {  # suffix → (rdflib format, media type)
    "ttl": ("turtle", "text/turtle; charset=utf-8"), "jsonld": ("json-ld", "application/ld+json"),
    "rdf": ("xml", "application/rdf+xml"), "xml": ("xml", "application/rdf+xml"),
    "nt": ("nt", "application/n-triples"),
}  # fmt: skip


def _page(raw: Any) -> int:
    try:
        page = int(raw or 1)
    except (TypeError, ValueError):
        page = 0
    if page < 1:
        raise ValidationFailed(
            "page：应为从 1 开始的正整数", "page: must be a positive integer starting at 1", field="page"
        )
    return page


def _since(raw: str | None) -> Any:
    if not raw:
        return None
    try:
        return solr.parse_date(raw)
    except solr.SearchError:
        raise ValidationFailed(
            "modified_since：日期格式有误，请用 ISO 8601（如 2026-12-01T08:00:00Z）",
            "modified_since: wrong date format, use ISO 8601 (e.g. 2026-12-01T08:00:00Z)",
            field="modified_since",
        ) from None


def _lit(g: Graph, subject: URIRef, predicate: URIRef, zh: str, en: str | None) -> None:
    g.add((subject, predicate, Literal(zh, lang="zh")))
    if en:
        g.add((subject, predicate, Literal(en, lang="en")))


def _when(value: Any) -> Literal:
    return Literal(value.isoformat(), datatype=XSD.dateTime)


def catalogue_graph(
    session: Session, base: str, school_name: str, params: dict[str, str], page_size: int, page_url: str
) -> Graph:
    """One page of the catalogue: the ``dcat:Catalog``, its datasets on this page, and the Hydra paging."""
    page, since = _page(params.get("page")), _since(params.get("modified_since"))
    entries = idx.catalogue(session)
    everything = entries
    if params.get("q") or params.get("fq"):
        entries = idx.matching(session, entries, {"q": params.get("q", ""), "fq": params.get("fq", "")})
    if since is not None:
        entries = [e for e in entries if idx.modified(e) >= since]
    entries = idx.sort_entries(entries, "metadata_modified desc")
    g = Graph()
    for prefix, ns in (("dcat", DCAT), ("dct", DCTERMS), ("foaf", FOAF), ("hydra", HYDRA), ("vcard", VCARD)):
        g.bind(prefix, ns)
    catalog = URIRef(f"{base}/api/v1/open/dcat")
    g.add((catalog, RDF.type, DCAT.Catalog))
    _lit(g, catalog, DCTERMS.title, f"{school_name}开放数据目录", "Open education data")
    _lit(
        g, catalog, DCTERMS.description, f"{school_name}经审核开放的教育数据", "Reviewed open education data"
    )
    g.add((catalog, FOAF.homepage, URIRef(f"{base}/open")))
    school = URIRef(f"{base}/open")
    g.add((catalog, DCTERMS.publisher, school))
    g.add((school, RDF.type, FOAF.Organization))
    g.add((school, FOAF.name, Literal(school_name, lang="zh")))
    for lang in ("ZHO", "ENG"):
        g.add((catalog, DCTERMS.language, URIRef(f"{EU}language/{lang}")))
    if everything:
        g.add((catalog, DCTERMS.modified, _when(max(idx.modified(e) for e in everything))))
    for e in entries[(page - 1) * page_size : page * page_size]:
        g.add((catalog, DCAT.dataset, _dataset(g, e, base)))
    if entries:
        _paging(g, len(entries), page, page_size, page_url, params)
    return g


def _dataset(g: Graph, e: idx.Entry, base: str) -> URIRef:
    v = e.view
    ds = URIRef(f"{base}/open/datasets/{v.code}")
    licence = LICENCES.get(v.licence, ("", "", ""))
    g.add((ds, RDF.type, DCAT.Dataset))
    g.add((ds, DCTERMS.identifier, Literal(v.code)))
    _lit(g, ds, DCTERMS.title, v.title, v.title_en)
    _lit(g, ds, DCTERMS.description, v.description or v.title, None)
    g.add((ds, DCAT.landingPage, ds))
    if licence[2]:
        g.add((ds, DCTERMS.license, URIRef(licence[2])))
    publisher = URIRef(f"{base}/open/units/{v.unit_code}")
    g.add((ds, DCTERMS.publisher, publisher))
    g.add((publisher, RDF.type, FOAF.Organization))
    _lit(g, publisher, FOAF.name, e.unit[0], e.unit[1])
    contact = URIRef(f"{base}/open/units/{v.unit_code}#contact")
    g.add((ds, DCAT.contactPoint, contact))
    g.add((contact, RDF.type, VCARD.Organization))
    g.add((contact, VCARD.fn, Literal(e.unit[0], lang="zh")))
    for k in v.keywords or []:
        g.add((ds, DCAT.keyword, Literal(k, lang="zh")))
    g.add((ds, DCAT.theme, URIRef(f"{EU}data-theme/EDUC")))
    if e.group:
        theme = URIRef(f"{base}/open/groups/{e.group[0]}")
        g.add((ds, DCAT.theme, theme))
        _lit(g, theme, URIRef("http://www.w3.org/2004/02/skos/core#prefLabel"), e.group[1], e.group[2])
    if v.update_frequency in _FREQUENCIES:
        g.add((ds, DCTERMS.accrualPeriodicity, FREQ[_FREQUENCIES[v.update_frequency]]))
    g.add((ds, DCTERMS.modified, _when(idx.modified(e))))
    if v.published_at:
        g.add((ds, DCTERMS.issued, _when(idx._aware(v.published_at))))
    g.add((ds, DCTERMS.language, URIRef(f"{EU}language/ZHO")))
    label = OPEN_LABELS.get(v.open_category, (v.open_category, v.open_category))
    _lit(g, ds, DCTERMS.accessRights, label[0], label[1])
    for fmt, media in _MEDIA.items():
        dist = URIRef(f"{base}/api/v1/open/datasets/{v.code}/data.{fmt}")
        g.add((ds, DCAT.distribution, dist))
        g.add((dist, RDF.type, DCAT.Distribution))
        g.add((dist, DCAT.accessURL, dist))
        g.add((dist, DCAT.downloadURL, dist))
        g.add((dist, DCAT.mediaType, URIRef(f"https://www.iana.org/assignments/media-types/{media}")))
        g.add((dist, DCTERMS.format, URIRef(f"{EU}file-type/{_FILE_TYPE[fmt]}")))
        g.add((dist, DCTERMS.modified, _when(idx.modified(e))))
        if licence[2]:
            g.add((dist, DCTERMS.license, URIRef(licence[2])))
        _lit(
            g,
            dist,
            DCTERMS.title,
            f"{v.title}（{fmt.upper()}）",
            f"{v.title_en} ({fmt.upper()})" if v.title_en else None,
        )
    return ds


def _paging(g: Graph, count: int, page: int, size: int, url: str, params: dict[str, str]) -> None:
    """ckanext-dcat's Hydra paging: the page's own URL as a ``hydra:PagedCollection``."""
    others = {k: v for k, v in params.items() if k != "page"}

    def at(n: int) -> str:
        return f"{url}?{urlencode({**others, 'page': n})}"

    last = max(1, math.ceil(count / size))
    node = URIRef(at(page))
    g.add((node, RDF.type, HYDRA.PagedCollection))
    g.add((node, HYDRA.totalItems, Literal(count)))
    g.add((node, HYDRA.itemsPerPage, Literal(size)))
    links = {"first": 1, "last": last, "next": page + 1 if page < last else None,
             "previous": min(page - 1, last) if page > 1 else None}  # fmt: skip
    for name, n in links.items():
        if n is not None:
            for predicate in (HYDRA[name], HYDRA[f"{name}Page"]):
                g.add((node, predicate, Literal(at(n))))


def _serve(request: Request, session: Session, fmt: str) -> Response:
    if fmt not in FORMATS:
        raise NotFound(
            f"不支持的格式 .{fmt[:10]}", f"no catalogue format .{fmt[:10]} (ttl, jsonld, rdf, xml, nt)"
        )
    settings = request.app.state.settings
    base = deps.base_url(request)
    params = {k: v for k, v in request.query_params.items() if k in ("page", "modified_since", "q", "fq")}
    g = catalogue_graph(
        session,
        base,
        settings.school_name,
        params,
        settings.opendata_dcat_page_size,
        f"{base}{request.url.path}",
    )
    rdf_format, media = FORMATS[fmt]
    body = g.serialize(format=rdf_format, **({"auto_compact": True} if rdf_format == "json-ld" else {}))
    return Response(body, media_type=media)


@router.get(
    "/api/v1/open/dcat.{fmt}", response_class=Response,
    responses={200: {"description": "DCAT catalogue", "content": {m.split(";")[0]: {} for _f, m in FORMATS.values()}}},
)  # fmt: skip
def dcat_catalogue(
    fmt: str,
    request: Request,
    caller: object = Depends(deps.open_caller),
    session: Session = Depends(get_session),
) -> Response:
    """The open catalogue in DCAT-AP, one page (``page``, ``modified_since``, ``q``, ``fq``)."""
    return _serve(request, session, fmt)


@router.get("/catalog.{fmt}", include_in_schema=False)
def dcat_catalogue_ckan_path(
    fmt: str,
    request: Request,
    caller: object = Depends(deps.open_caller),
    session: Session = Depends(get_session),
) -> Response:
    """The same, where ckanext-dcat serves it."""
    return _serve(request, session, fmt)
