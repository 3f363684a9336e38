"""Open-data keys by API: the holder lists and revokes its own; the office lists all and revokes with a reason."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from edudata.api.deps import client_address, get_session
from edudata.api.paging import Page, PageQuery, paginate_list, paging
from edudata.api.policy import allow
from edudata.identity.principal import Principal
from edudata.opendata import deps, keys
from edudata.opendata.models import PublicUser
from edudata.opendata.responses import OpenKeyOut

router = APIRouter(tags=["opendata"])


class RevokeBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field("", max_length=2000)


@router.get("/api/v1/open/keys", response_model=Page[OpenKeyOut])
def my_keys(
    page: PageQuery = Depends(paging(100, 1000)),
    user: PublicUser = Depends(deps.public_user),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    """The logged-in public user's keys (state, view, expiry; never the secret)."""
    return paginate_list(keys.keys_of(session, user), page)


@router.post("/api/v1/open/keys/{key_id}/revoke", response_model=OpenKeyOut)
def revoke_my_key(
    key_id: int,
    request: Request,
    user: PublicUser = Depends(deps.public_user),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    """End one of your own keys at once (e.g. when it was lost); apply again for a new one."""
    key = keys.revoke_own(session, user, key_id, client_address(request))
    session.commit()
    return keys.describe(key)


@router.get("/api/v1/opendata/keys", response_model=Page[OpenKeyOut])
def office_keys(
    view: str | None = Query(None, max_length=64),
    page: PageQuery = Depends(paging(100, 1000)),
    who: Principal = Depends(allow("opendata.key.manage")),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    """Every open-data key with its holder (the office)."""
    return paginate_list(keys.all_keys(session, who, view), page)


@router.post("/api/v1/opendata/keys/{key_id}/revoke", response_model=OpenKeyOut)
def revoke_key(
    key_id: int,
    body: RevokeBody,
    who: Principal = Depends(allow("opendata.key.manage")),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    """Revoke a key at once (the office); the reason is shown to its holder."""
    key = keys.revoke_by_office(session, who, key_id, body.reason)
    session.commit()
    return keys.describe(key)
