"""The open catalogue as DCAT (W3C Data Catalog Vocabulary) for harvesters, in Turtle and JSON-LD (rdflib).

One ``dcat:Catalog`` with a ``dcat:Dataset`` per published view (title and description in Chinese, English
title where given, licence, publisher unit, keywords, update frequency, modification time) and one
``dcat:Distribution`` per download format. Only metadata: rows are never in the catalogue.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, XSD
from sqlalchemy import select
from sqlalchemy.orm import Session

from edudata.api.deps import get_session
from edudata.opendata import deps, portal, views
from edudata.opendata.models import OpenView

router = APIRouter(tags=["dcat"])
FREQ = Namespace("http://publications.europa.eu/resource/authority/frequency/")
_FREQUENCIES = {
    "realtime": "CONT",
    "hourly": "HOURLY",
    "daily": "DAILY",
    "weekly": "WEEKLY",
    "monthly": "MONTHLY",
    "termly": "QUARTERLY",
    "yearly": "ANNUAL",
}
_MEDIA = {"csv": "text/csv", "json": "application/json", "xlsx": portal.DOWNLOADS["xlsx"][0]}


def catalogue_graph(session: Session, base: str, school_name: str) -> Graph:
    g = Graph()
    g.bind("dcat", DCAT)
    g.bind("dct", DCTERMS)
    g.bind("foaf", FOAF)
    catalog = URIRef(f"{base}/api/v1/open/dcat")
    g.add((catalog, RDF.type, DCAT.Catalog))
    g.add((catalog, DCTERMS.title, Literal(f"{school_name}开放数据目录", lang="zh")))
    g.add((catalog, DCTERMS.title, Literal("Open education data", lang="en")))
    g.add((catalog, FOAF.homepage, URIRef(f"{base}/open")))
    published = session.scalars(
        select(OpenView).where(OpenView.status == "published").order_by(OpenView.code)
    ).all()
    units = views.unit_names(session, sorted({v.unit_code for v in published}))
    for view in published:
        v = views.view_summary(session, view, units)
        ds = URIRef(f"{base}/open/datasets/{view.code}")
        g.add((catalog, DCAT.dataset, ds))
        g.add((ds, RDF.type, DCAT.Dataset))
        g.add((ds, DCTERMS.identifier, Literal(view.code)))
        g.add((ds, DCTERMS.title, Literal(view.title, lang="zh")))
        if view.title_en:
            g.add((ds, DCTERMS.title, Literal(view.title_en, lang="en")))
        g.add((ds, DCTERMS.description, Literal(view.description, lang="zh")))
        g.add((ds, DCAT.landingPage, ds))
        if v["licence"]["url"]:
            g.add((ds, DCTERMS.license, URIRef(v["licence"]["url"])))
        publisher = URIRef(f"{base}/open/units/{view.unit_code}")
        g.add((ds, DCTERMS.publisher, publisher))
        g.add((publisher, RDF.type, FOAF.Organization))
        g.add((publisher, FOAF.name, Literal(v["unit"]["name"], lang="zh")))
        for k in view.keywords or []:
            g.add((ds, DCAT.keyword, Literal(k, lang="zh")))
        if view.update_frequency in _FREQUENCIES:
            g.add((ds, DCTERMS.accrualPeriodicity, FREQ[_FREQUENCIES[view.update_frequency]]))
        if v["updated_at"]:
            g.add((ds, DCTERMS.modified, Literal(v["updated_at"], datatype=XSD.dateTime)))
        if v["published_at"]:
            g.add((ds, DCTERMS.issued, Literal(v["published_at"], datatype=XSD.dateTime)))
        g.add((ds, DCTERMS.accessRights, Literal(v["open_category_label"][0], lang="zh")))
        for fmt, media in _MEDIA.items():
            dist = URIRef(f"{base}/api/v1/open/datasets/{view.code}/data.{fmt}")
            g.add((ds, DCAT.distribution, dist))
            g.add((dist, RDF.type, DCAT.Distribution))
            g.add((dist, DCAT.downloadURL, dist))
            g.add((dist, DCAT.mediaType, Literal(media)))
            g.add((dist, DCTERMS.format, Literal(fmt.upper())))
            g.add((dist, DCTERMS.title, Literal(f"{view.title}（{fmt.upper()}）", lang="zh")))
    return g


@router.get(
    "/api/v1/open/dcat.ttl", response_class=Response,
    responses={200: {"content": {"text/turtle": {}}, "description": "DCAT catalogue (Turtle)"}},
)  # fmt: skip
def dcat_turtle(
    request: Request, caller: object = Depends(deps.open_caller), session: Session = Depends(get_session)
) -> Response:
    """The open catalogue in DCAT, Turtle."""
    g = catalogue_graph(session, deps.base_url(request), request.app.state.settings.school_name)
    return Response(g.serialize(format="turtle"), media_type="text/turtle; charset=utf-8")


@router.get(
    "/api/v1/open/dcat.jsonld", response_class=Response,
    responses={200: {"content": {"application/ld+json": {}}, "description": "DCAT catalogue (JSON-LD)"}},
)  # fmt: skip
def dcat_jsonld(
    request: Request, caller: object = Depends(deps.open_caller), session: Session = Depends(get_session)
) -> Response:
    """The open catalogue in DCAT, JSON-LD."""
    g = catalogue_graph(session, deps.base_url(request), request.app.state.settings.school_name)
    return Response(g.serialize(format="json-ld", auto_compact=True), media_type="application/ld+json")
