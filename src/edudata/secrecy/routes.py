"""State-secret API (Art. 56–57): markings and the register of each handling. Thin: the rules are in service."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from edudata.api.deps import get_session
from edudata.api.paging import Page, PageQuery, paginate_list, paging
from edudata.api.policy import allow
from edudata.identity.principal import Principal
from edudata.secrecy import service
from edudata.secrecy.responses import EntryOut, MarkingOut

router = APIRouter(prefix="/api/v1/secrecy", tags=["secrecy 保密"])


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MarkingBody(_Body):
    dataset_code: str = Field(min_length=1, max_length=48)
    element_code: str = Field("", max_length=32, description="空 = 整个数据集 / empty = the whole dataset")
    basis: str = Field(min_length=1, max_length=2000, description="定密依据 / basis of the marking")


class EntryBody(_Body):
    dataset_code: str = Field(min_length=1, max_length=48)
    element_code: str = Field("", max_length=32)
    kind: Literal["make", "copy", "transmit", "destroy", "provide"]
    description: str = Field(min_length=1, max_length=4000)
    recipient: str = Field("", max_length=200)
    external: bool = False
    authority_approval: str = Field("", max_length=200)
    agreement_ref: str = Field("", max_length=200)


class DecisionBody(_Body):
    approve: bool
    note: str = Field("", max_length=2000)


@router.get("/markings", response_model=Page[MarkingOut])
def list_markings(
    page: PageQuery = Depends(paging(100, 1000)),
    principal: Principal = Depends(allow("secrecy.marking.read")),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    """Datasets and elements marked 涉密, with the basis of each marking."""
    return paginate_list(service.markings(session), page, service.marking_view)


@router.post("/markings", status_code=201, response_model=MarkingOut)
def create_marking(
    body: MarkingBody,
    principal: Principal = Depends(allow("secrecy.marking.edit")),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    """Mark a dataset or element 涉密: refused from then on for sharing, open data, exports and releases."""
    row = service.mark(session, principal, body.model_dump())
    session.commit()
    return service.marking_view(row)


@router.post("/markings/{marking_id}/lift", response_model=MarkingOut)
def lift_marking(
    marking_id: int,
    principal: Principal = Depends(allow("secrecy.marking.edit")),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    row = service.lift(session, principal, marking_id)
    session.commit()
    return service.marking_view(row)


@router.get("/register", response_model=Page[EntryOut])
def list_register(
    page: PageQuery = Depends(paging(100, 1000)),
    principal: Principal = Depends(allow("secrecy.register.read")),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    """The register of making, copying, transmitting, destroying and providing secret data (Art. 57)."""
    return paginate_list(service.register(session), page, service.entry_view)


@router.post("/register", status_code=201, response_model=EntryOut)
def create_entry(
    body: EntryBody,
    principal: Principal = Depends(allow("secrecy.register.request")),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    entry = service.request_entry(session, principal, body.model_dump())
    session.commit()
    return service.entry_view(entry)


@router.post("/register/{entry_id}/decision", response_model=EntryOut)
def decide_entry(
    entry_id: int,
    body: DecisionBody,
    principal: Principal = Depends(allow("secrecy.register.approve")),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    entry = service.decide(session, principal, entry_id, body.approve, body.note)
    session.commit()
    return service.entry_view(entry)
