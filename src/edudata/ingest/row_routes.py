"""``POST/PATCH /api/v1/data/{dataset}/rows``: the data API's writes, collected as a reviewed batch (202).

Thin adapters of :mod:`edudata.ingest.rows`; the batch they answer is the one ``/api/v1/ingest/batches/{code}``
shows (docs/data-path.md, *One write path*). Submitting rows is collection, so it is the policy's
``ingest.batch.upload`` (the producer unit's data officer; the service checks the unit).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from edudata.api.context import request_context
from edudata.api.deps import get_session
from edudata.api.policy import allow
from edudata.identity.principal import Principal
from edudata.ingest import quality, rows
from edudata.ingest.answers import BatchOut

router = APIRouter(prefix="/api/v1/data", tags=["data"])


class RowsBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rows: list[dict[str, Any]] = Field(..., min_length=1, max_length=5000)


class RowChangeOut(BatchOut):
    id: int = Field(description="the changed row / 被更改的记录")


class ChangesBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    changes: dict[str, Any] = Field(..., min_length=1)


@router.post("/{dataset}/rows", status_code=202, response_model=BatchOut)
def insert_records(
    dataset: str,
    body: RowsBody,
    request: Request,
    principal: Principal = Depends(allow("ingest.batch.upload")),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    """Submit records: checked like a file, they become a batch awaiting the unit's and the office's review."""
    batch = rows.submit_rows(principal, request_context(request, session), dataset, body.rows)
    session.commit()
    return quality.batch_view(batch)


@router.patch("/{dataset}/rows/{row_id}", status_code=202, response_model=RowChangeOut)
def update_record(
    dataset: str,
    row_id: int,
    body: ChangesBody,
    request: Request,
    principal: Principal = Depends(allow("ingest.batch.upload")),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    """Submit a change of one record (its key and the changed values) as a batch awaiting review."""
    batch = rows.submit_change(principal, request_context(request, session), dataset, row_id, body.changes)
    session.commit()
    return {**quality.batch_view(batch), "id": row_id}
