"""Service accounts over HTTP (Art. 30, 54): the OAuth2 token endpoint for business systems, and the office's
management of their clients (create, rotate the secret, disable)."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from edudata.api.deps import client_address, get_session
from edudata.api.paging import Page, PageQuery, paginate_list, paging
from edudata.api.policy import allow
from edudata.audit.service import record, record_now
from edudata.clock import UtcDateTime
from edudata.db import commit
from edudata.errors import EduDataError, NotAuthenticated, ValidationFailed
from edudata.identity import clients
from edudata.identity.actions import audit
from edudata.identity.deps import form_data
from edudata.identity.principal import Principal
from edudata.identity.tokens import issue_token
from edudata.org.models import Account, Unit
from edudata.org.service import roles_of

router = APIRouter(tags=["identity"])  # included under /api/v1 by identity.routes


class TokenAnswer(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the scheme's name
    expires_in: int


def _basic(header: str) -> tuple[str, str] | None:
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic" or not value:
        return None
    try:
        user, _, secret = base64.b64decode(value.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return user, secret


@router.post("/oauth/token", response_model=TokenAnswer)
def client_credentials_token(request: Request, form: FormData = Depends(form_data)) -> TokenAnswer:
    """OAuth2 client credentials (RFC 6749 §4.4): ``grant_type=client_credentials`` with the client id and
    secret in HTTP Basic or the form; answers a bearer token of the service account. 401 ``invalid_client``."""
    grant = form.get("grant_type")
    if grant != "client_credentials":
        raise ValidationFailed("仅支持 client_credentials 授权方式", "only grant_type=client_credentials is supported",
                               field="grant_type", error="unsupported_grant_type")  # fmt: skip
    basic = _basic(request.headers.get("authorization", ""))
    client_id, secret = basic or (form.get("client_id"), form.get("client_secret"))
    if not isinstance(client_id, str) or not isinstance(secret, str) or not client_id or not secret:
        raise NotAuthenticated(
            "缺少客户端标识或密钥", "client id and secret are required", error="invalid_client"
        )
    database, settings = request.app.state.db, request.app.state.settings
    address = client_address(request)
    with database.session() as session:
        try:
            account = clients.check_client(session, client_id, secret)
        except EduDataError as err:
            session.rollback()
            record_now(database, operation="login", result="failed", username=client_id[:150], source_ip=address,
                       detail={"via": "client_credentials"})  # fmt: skip
            err.audited = True
            raise
        issued = issue_token(session, account.id, settings)
        record(session, operation="login", account_id=account.id, username=account.username,
               unit_code=session.get(Unit, account.unit_id).code, source_ip=address,
               detail={"via": "client_credentials", "client_id": client_id})  # fmt: skip
        session.commit()
    return TokenAnswer(access_token=issued.secret, expires_in=settings.token_ttl_minutes * 60)


class ClientIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=2, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    unit_code: str = Field(min_length=1, max_length=32)
    roles: list[str] = Field(default_factory=list, max_length=9)


class ClientOut(BaseModel):
    client_id: str
    username: str
    name: str
    unit_code: str
    roles: list[str]
    disabled: bool
    created_at: UtcDateTime
    rotated_at: UtcDateTime | None
    previous_valid_until: UtcDateTime | None
    client_secret: str | None = None  # only in the answer that issues it


def _out(session: Session, client, account: Account, secret: str | None = None) -> ClientOut:  # noqa: ANN001
    return ClientOut(
        client_id=client.client_id, username=account.username, name=client.name,
        unit_code=session.get(Unit, account.unit_id).code, roles=sorted(roles_of(session, account.id)),
        disabled=account.disabled, created_at=client.created_at, rotated_at=client.rotated_at,
        previous_valid_until=client.previous_valid_until, client_secret=secret,
    )  # fmt: skip


@router.get("/service-accounts", response_model=Page[ClientOut])
def list_service_accounts(
    page: PageQuery = Depends(paging(100, 1000)),
    session: Session = Depends(get_session),
    _p: Principal = Depends(allow("identity.service_account.manage")),
) -> dict[str, Any]:
    return paginate_list(clients.list_clients(session), page, lambda ca: _out(session, *ca))


@router.post("/service-accounts", response_model=ClientOut, status_code=201)
def create_service_account(
    body: ClientIn,
    request: Request,
    session: Session = Depends(get_session),
    principal: Principal = Depends(allow("identity.service_account.manage")),
) -> ClientOut:
    """A business system's account in its unit, with roles; the secret is in this answer only."""
    issued = clients.create_client(session, username=body.username, name=body.name, unit_code=body.unit_code,
                                   roles=body.roles, by=principal.username)  # fmt: skip
    client = clients.get_client(session, issued.client_id)
    audit(session, request, principal, "service_account_create", target=issued.username, client_id=issued.client_id,
          unit=body.unit_code, roles=sorted(body.roles))  # fmt: skip
    commit(session)
    return _out(session, client, session.get(Account, client.account_id), issued.client_secret)


@router.post("/service-accounts/{client_id}/rotate", response_model=ClientOut)
def rotate_service_secret(
    client_id: str,
    request: Request,
    session: Session = Depends(get_session),
    principal: Principal = Depends(allow("identity.service_account.manage")),
) -> ClientOut:
    """A new secret (in this answer only); the old one works until ``previous_valid_until``."""
    client = clients.get_client(session, client_id)
    secret = clients.rotate(session, client, request.app.state.settings)
    audit(session, request, principal, "service_account_rotate", client_id=client_id,
          old_valid_until=client.previous_valid_until.isoformat())  # fmt: skip
    commit(session)
    return _out(session, client, session.get(Account, client.account_id), secret)


@router.delete("/service-accounts/{client_id}", status_code=204)
def disable_service_account(
    client_id: str,
    request: Request,
    session: Session = Depends(get_session),
    principal: Principal = Depends(allow("identity.service_account.manage")),
) -> Response:
    """Disable the service account: its secrets stop at once, and so do its tokens."""
    account = clients.disable(session, clients.get_client(session, client_id), principal.username)
    audit(
        session, request, principal, "service_account_disable", client_id=client_id, target=account.username
    )
    commit(session)
    return Response(status_code=204)
