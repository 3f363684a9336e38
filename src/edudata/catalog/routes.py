"""HTTP API of the catalogue and the data standards (``/api/v1/catalog``, ``/api/v1/standards``).

Every signed-in user may browse catalogue metadata; only the office writes it (policy: ``catalog.*.edit``) (Art. 8, 39).
Changes are audited in the same transaction (Art. 30).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.orm import Session

from edudata.api.deps import get_session
from edudata.api.paging import Page, PageQuery, page_of, paginate_list, paging
from edudata.api.policy import allow
from edudata.audit.service import record
from edudata.catalog import codesets, edits, service, sources, views
from edudata.catalog.responses import (
    CheckOut,
    ChecksOut,
    CodeSetDetailOut,
    CodeSetOut,
    DatasetOut,
    DatasetSummaryOut,
    ElementOut,
    SourceOut,
    VersionOut,
    VersionSummaryOut,
)
from edudata.catalog.schemas import (
    CodeSetIn,
    CodeSetVersionIn,
    DatasetChange,
    DatasetIn,
    ElementChange,
    ElementIn,
    SourceAssignmentIn,
    ValidateIn,
)
from edudata.catalog.search import MAX_PAGE_SIZE, search_datasets
from edudata.catalog.standards import validate_values
from edudata.catalog.units import units_by_id
from edudata.identity.principal import Principal

router = APIRouter()
api = APIRouter(prefix="/api/v1/catalog", tags=["catalog"])
standards = APIRouter(prefix="/api/v1/standards", tags=["standards"])


def _request_id(request: Request) -> str | None:
    return getattr(request.state, "request_id", None)


def _audit(session: Session, who: Principal, request: Request, operation: str, **fields: Any) -> None:
    record(
        session,
        operation=operation,
        account_id=who.account_id,
        username=who.username,
        unit_code=who.unit_code,
        source_ip=who.source_ip,
        request_id=getattr(request.state, "request_id", None),
        **fields,
    )


@api.get("/datasets", response_model=Page[DatasetSummaryOut])
def list_datasets(
    q: str | None = Query(None, max_length=100, description="名称、代码、描述或数据项名称中的关键词"),
    unit: str | None = Query(None, max_length=16, description="责任单位代码"),
    subject: str | None = Query(None, max_length=32),
    nature: str | None = Query(None, max_length=32),
    grade: str | None = Query(None, max_length=16),
    share: str | None = Query(None, max_length=16),
    open: str | None = Query(None, max_length=16),
    sensitive: bool | None = None,
    page: PageQuery = Depends(paging(20, MAX_PAGE_SIZE)),
    session: Session = Depends(get_session),
    _who: Principal = Depends(allow("catalog.read")),
) -> dict[str, Any]:
    """Search the catalogue (any signed-in user)."""
    found = search_datasets(
        session, q=q, unit_code=unit, subject_area=subject, nature=nature, grade=grade, share_category=share,
        open_category=open, sensitive=sensitive, page_size=page.limit, offset=page.offset,
    )  # fmt: skip
    return page_of(
        [views.dataset_view(session, d, with_elements=False) for d in found.items], found.total, page
    )


@api.get("/datasets/{code}", response_model=DatasetOut)
def dataset_detail(
    code: str, session: Session = Depends(get_session), _who: Principal = Depends(allow("catalog.read"))
) -> dict[str, Any]:
    return views.dataset_view(session, service.get_dataset(session, code))


@api.post("/datasets", status_code=201, response_model=DatasetOut)
def create_dataset(
    body: DatasetIn,
    request: Request,
    session: Session = Depends(get_session),
    who: Principal = Depends(allow("catalog.dataset.edit")),
) -> dict[str, Any]:
    fields = body.model_dump(exclude={"elements"})
    elements = [e.model_dump(exclude_unset=True) for e in body.elements]
    dataset = edits.create_dataset(session, who, fields, elements, request_id=_request_id(request))
    session.commit()
    return views.dataset_view(session, service.get_dataset(session, dataset.code))


@api.patch("/datasets/{code}", response_model=DatasetOut)
def update_dataset(
    code: str, body: DatasetChange, request: Request, session: Session = Depends(get_session),
    who: Principal = Depends(allow("catalog.dataset.edit")),
) -> dict[str, Any]:  # fmt: skip
    edits.update_dataset(
        session, who, code, body.model_dump(exclude_unset=True), request_id=_request_id(request)
    )
    session.commit()
    return views.dataset_view(session, service.get_dataset(session, code))


@api.post("/datasets/{code}/elements", status_code=201, response_model=ElementOut)
def add_element(
    code: str, body: ElementIn, request: Request, session: Session = Depends(get_session),
    who: Principal = Depends(allow("catalog.element.edit")),
) -> dict[str, Any]:  # fmt: skip
    spec = body.model_dump(exclude_unset=True)
    element = edits.add_element(session, who, code, spec, request_id=_request_id(request))
    session.commit()
    dataset = service.get_dataset(session, code)
    element = service.get_element(dataset, element.code)
    return views.element_view(element, units_by_id(session, [element.source_unit_id]))


@api.patch("/datasets/{code}/elements/{element_code}", response_model=ElementOut)
def update_element(
    code: str, element_code: str, body: ElementChange, request: Request, session: Session = Depends(get_session),
    who: Principal = Depends(allow("catalog.element.edit")),
) -> dict[str, Any]:  # fmt: skip
    edits.update_element(
        session, request.app.state.settings, request.app.state.db, who, code, element_code,
        body.model_dump(exclude_unset=True), request_id=_request_id(request),
    )  # fmt: skip
    session.commit()
    element = service.get_element(service.get_dataset(session, code), element_code)
    return views.element_view(element, units_by_id(session, [element.source_unit_id]))


@api.get("/sources", response_model=Page[SourceOut])
def list_sources(
    page: PageQuery = Depends(paging(100, 1000)),
    session: Session = Depends(get_session),
    _who: Principal = Depends(allow("catalog.read")),
) -> dict[str, Any]:
    """The 一数一源 register: each standard data element and its one authoritative source unit."""
    entries = sources.list_sources(session)
    units = units_by_id(session, [e.source_unit_id for e in entries])
    return paginate_list(entries, page, lambda e: views.source_view(e, units))


@api.put("/sources/{standard_code}", response_model=SourceOut)
def assign_source(
    standard_code: str, body: SourceAssignmentIn, request: Request, session: Session = Depends(get_session),
    who: Principal = Depends(allow("catalog.source.assign")),
) -> dict[str, Any]:  # fmt: skip
    """The office (re)assigns the authoritative source unit of a standard data element (Art. 8(4))."""
    entry = sources.assign_source(
        session,
        standard_code,
        source_unit_code=body.source_unit_code,
        reason=body.reason,
        assigned_by=who.username,
    )
    _audit(session, who, request, "config_change", detail={"object": "catalog_source", "standard_code": standard_code,
           "source_unit_code": body.source_unit_code, "reason": body.reason})  # fmt: skip
    session.commit()
    return views.source_view(entry, units_by_id(session, [entry.source_unit_id]))


@api.get("/code-sets", response_model=Page[CodeSetOut])
def list_code_sets(
    page: PageQuery = Depends(paging(100, 1000)),
    session: Session = Depends(get_session),
    _who: Principal = Depends(allow("catalog.read")),
) -> dict[str, Any]:
    return paginate_list(codesets.list_code_sets(session), page, views.code_set_view)


@api.post("/code-sets", status_code=201, response_model=CodeSetOut)
def create_code_set(
    body: CodeSetIn,
    request: Request,
    session: Session = Depends(get_session),
    who: Principal = Depends(allow("catalog.codeset.edit")),
) -> dict[str, Any]:
    data = body.model_dump()
    code_set = codesets.create_code_set(session, **data, created_by=who.username)
    _audit(session, who, request, "insert", detail={"object": "catalog_code_set", "code_set": code_set.code})
    session.commit()
    return views.code_set_view(codesets.get_code_set(session, code_set.code))


@api.get("/code-sets/{code}", response_model=CodeSetDetailOut)
def code_set_detail(
    code: str,
    version: str | None = Query(None, max_length=64),
    session: Session = Depends(get_session),
    _who: Principal = Depends(allow("catalog.read")),
) -> dict[str, Any]:
    """A code set with the codes of its current version (or of ``version``)."""
    view = views.code_set_view(codesets.get_code_set(session, code))
    view["version"] = views.version_view(codesets.get_version(session, code, version))
    return view


@api.get("/code-sets/{code}/versions", response_model=Page[VersionSummaryOut])
def code_set_versions(
    code: str,
    page: PageQuery = Depends(paging(100, 1000)),
    session: Session = Depends(get_session),
    _who: Principal = Depends(allow("catalog.read")),
) -> dict[str, Any]:
    versions = codesets.get_code_set(session, code).versions
    return paginate_list(versions, page, lambda v: views.version_view(v, with_codes=False))


@api.get("/code-sets/{code}/versions/{version}", response_model=VersionOut)
def code_set_version(
    code: str,
    version: str,
    session: Session = Depends(get_session),
    _who: Principal = Depends(allow("catalog.read")),
) -> dict[str, Any]:
    return views.version_view(codesets.get_version(session, code, version))


@api.post("/code-sets/{code}/versions", status_code=201, response_model=VersionOut)
def publish_version(
    code: str, body: CodeSetVersionIn, request: Request, session: Session = Depends(get_session),
    who: Principal = Depends(allow("catalog.codeset.edit")),
) -> dict[str, Any]:  # fmt: skip
    """Publish a new version of a code set (office); earlier versions stay readable."""
    version = codesets.publish_version(
        session, code, version=body.version, effective_from=body.effective_from, note=body.note,
        codes=[c.model_dump() for c in body.codes], created_by=who.username,
    )  # fmt: skip
    _audit(session, who, request, "insert", detail={"object": "catalog_code_set_version", "code_set": code,
           "version": version.version})  # fmt: skip
    session.commit()
    return views.version_view(codesets.get_version(session, code, body.version))


@standards.post("/validate", response_model=CheckOut | ChecksOut)
def validate(
    body: ValidateIn, request: Request, session: Session = Depends(get_session),
    _who: Principal = Depends(allow("catalog.read")),
) -> dict[str, Any]:  # fmt: skip
    """Check values against a data standard, for business systems (数据标准, Art. 8(2), 24)."""
    school = body.school_code or request.app.state.settings.school_code
    results = validate_values(
        session, body.type, body.items(), code_set=body.code_set, version=body.version, school_code=school
    )
    if body.values is None:
        return results[0]
    return {"results": results, "invalid": sum(1 for r in results if not r["ok"])}


router.include_router(api)
router.include_router(standards)
