"""The data API (C3): query, export and delete governed records — every call goes through the data path.

Inserts and changes (``POST/PATCH …/rows``) are collection: the ingest domain takes them as a reviewed batch
(``ingest/row_routes.py``, docs/data-path.md).
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from edudata.access import datapath, formats
from edudata.access.answers import EXPORT_FILES, DeletedOut, HistoryOut
from edudata.api.context import request_context as _ctx
from edudata.api.deps import get_session
from edudata.api.paging import Page, PageQuery, encode_cursor, paging
from edudata.api.policy import allow
from edudata.identity.principal import Principal

router = APIRouter(prefix="/api/v1/data", tags=["data"])


def _elements(raw: str | None) -> list[str] | None:
    return [e.strip() for e in raw.split(",") if e.strip()] if raw else None


class QueryBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    elements: list[str] | None = Field(None, max_length=200)
    filter: dict[str, Any] | None = None
    limit: int = Field(100, ge=1, le=datapath.MAX_PAGE_SIZE)
    cursor: str | None = Field(None, max_length=200)
    grant_id: int | None = None
    total: bool = False


class RecordPage(Page[dict[str, Any]]):
    """A page of governed records (the list envelope, plus what the data path decided for this read)."""

    dataset: str
    elements: list[str]
    masking: dict[str, str] = Field(description="每个数据项的脱敏方式 / how each element was masked")
    basis: str = Field(description="读取依据 / the basis of the read (role, grant, …)")
    grant_id: int | None
    filter: Any


def _page_json(page: datapath.Page, query: PageQuery) -> dict[str, Any]:
    return {
        "dataset": page.dataset,
        "elements": page.elements,
        "masking": page.masking,
        "basis": page.basis,
        "grant_id": page.grant_id,
        "filter": page.filter,
        "items": page.rows,
        "total": page.total,
        # keyset: the last _id served (the data path looked one row ahead, so the last page has none)
        "next_cursor": encode_cursor(after=page.next_after) if page.next_after is not None else None,
    }


@router.get("/{dataset}", response_model=RecordPage)
def query_records(
    dataset: str,
    request: Request,
    elements: str | None = Query(
        None, max_length=2000, description="逗号分隔的数据元素代码 / comma-separated element codes"
    ),
    filter: str | None = Query(
        None, max_length=20000, description='JSON, e.g. {"element":"NJ","op":"ge","value":2023}'
    ),
    page: PageQuery = Depends(paging(100, datapath.MAX_PAGE_SIZE)),
    grant_id: int | None = Query(None),
    total: bool = Query(False, description="同时统计总数（多一次查询）/ also count the matching records"),
    principal: Principal = Depends(allow("data.read")),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    """A page of records, only the permitted elements and rows, masked as decided, audited."""
    found = datapath.query(
        principal,
        _ctx(request, session),
        dataset,
        elements=_elements(elements),
        filter=filter,
        page_size=page.limit,
        after_id=page.key(),
        grant_id=grant_id,
        with_total=total,
    )
    session.commit()
    return _page_json(found, page)


@router.post("/{dataset}/query", response_model=RecordPage)
def query_records_post(
    dataset: str,
    body: QueryBody,
    request: Request,
    principal: Principal = Depends(allow("data.read")),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    """Same as GET, with the filter as a JSON body (for long filters)."""
    page = PageQuery(body.limit, body.cursor)
    found = datapath.query(
        principal,
        _ctx(request, session),
        dataset,
        elements=body.elements,
        filter=body.filter,
        page_size=page.limit,
        after_id=page.key(),
        grant_id=body.grant_id,
        with_total=body.total,
    )
    session.commit()
    return _page_json(found, page)


@router.get("/{dataset}/export", response_class=Response, responses=EXPORT_FILES)
def export_records(
    dataset: str,
    request: Request,
    format: str = Query("csv", pattern="^(csv|xlsx|json|package)$"),
    elements: str | None = Query(None, max_length=2000),
    filter: str | None = Query(None, max_length=20000),
    grant_id: int | None = Query(None),
    principal: Principal = Depends(allow("data.read")),
    session: Session = Depends(get_session),
) -> Response:
    """Every permitted row as CSV, XLSX, JSON, or a signed package (data + SHA-256 manifest + Ed25519, Art. 25-26);
    a package of important data is also sealed to the caller's registered recipient key (Art. 26)."""
    return export_response(
        request, session, principal, dataset, format=format, elements=_elements(elements), filter=filter,
        grant_id=grant_id,
    )  # fmt: skip


def export_response(
    request: Request,
    session: Session,
    principal: Principal,
    dataset: str,
    *,
    format: str,
    elements: list[str] | None = None,
    filter: Any = None,
    grant_id: int | None = None,
) -> Response:
    """The export as a download, committed with its audit record: the API's route and the grant holder's
    download button on the sharing page (Art. 40: delivery through the platform) are this one function."""
    from edudata.crypto.recipient import sealing_key
    from edudata.secrecy.guard import refuse_secret

    refuse_secret(session, dataset, elements, "export")  # 涉密 never exported (Art. 57)
    seal_to = sealing_key(session, principal.account_id, dataset) if format == "package" else None
    page, frames = datapath.export_frames(
        principal,
        _ctx(request, session),
        dataset,
        elements=elements,
        filter=filter,
        grant_id=grant_id,
        copy="package" if format == "package" else "export",  # registered with its people (Art. 35 副本)
    )
    frame = formats.concat(frames, page.elements)
    meta = {
        "dataset": page.dataset,
        "elements": page.elements,
        "masking": page.masking,
        "basis": page.basis,
        "filter": page.filter,
        "row_count": page.total,
    }
    media, ext = formats.FORMATS[format]
    if format == "csv":
        content = formats.to_csv(frame)
    elif format == "xlsx":
        content = formats.to_xlsx(frame, page.dataset)
    elif format == "json":
        content = formats.to_json(frame, meta)
    else:
        content = _package(request, page, frame, meta)
    if seal_to is not None:
        from edudata.crypto.recipient import SUFFIX, seal

        content, media, ext = seal(content, seal_to), "application/octet-stream", ext + SUFFIX
    session.commit()
    return Response(
        content,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{page.dataset}.{ext}"'},
    )


def _package(request: Request, page: datapath.Page, frame: Any, meta: dict[str, Any]) -> bytes:
    import tempfile
    from pathlib import Path

    from edudata.crypto.package import write_package

    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / f"{page.dataset}.zip"
        files = {
            f"{page.dataset}.csv": formats.to_csv(frame),
            "metadata.json": json.dumps(meta, ensure_ascii=False, default=str).encode(),
        }
        path = write_package(target, files, meta, settings=request.app.state.settings)
        if path.is_dir():  # a folder package: zip it for the download
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
                for f in sorted(path.rglob("*")):
                    if f.is_file():
                        zf.write(f, f.relative_to(path))
            return buf.getvalue()
        return path.read_bytes()


@router.delete("/{dataset}/rows/{row_id}", response_model=DeletedOut)
def delete_record(
    dataset: str,
    row_id: int,
    request: Request,
    principal: Principal = Depends(allow("data.write")),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    count = datapath.delete(principal, _ctx(request, session), dataset, [row_id])
    session.commit()
    return {"dataset": dataset, "deleted": count}


@router.get("/{dataset}/rows/{row_id}/history", response_model=HistoryOut)
def record_history(
    dataset: str,
    row_id: int,
    request: Request,
    principal: Principal = Depends(allow("data.read")),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    """Earlier versions of a record (office only)."""
    versions = datapath.history(principal, _ctx(request, session), dataset, row_id)
    session.commit()
    return {"dataset": dataset, "id": row_id, "versions": versions}
