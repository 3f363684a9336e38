"""Identity API: log in for a bearer token, log out, who am I, second factor, password, blacklist (Art. 54, 59)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from edudata.answers import Out
from edudata.api.deps import client_address, get_session
from edudata.api.paging import Page, PageQuery, paginate_list, paging
from edudata.api.policy import allow
from edudata.clock import UtcDateTime
from edudata.errors import NotAuthenticated
from edudata.identity import blacklist, totp
from edudata.identity.actions import audit
from edudata.identity.passwords import verify_password
from edudata.identity.principal import Principal
from edudata.identity.service import authenticate, set_password
from edudata.identity.tokens import SESSION_COOKIE, issue_token, revoke_session, revoke_token
from edudata.org.models import Account
from edudata.org.roles import role_name
from edudata.org.service import set_email

router = APIRouter(prefix="/api/v1", tags=["identity"])


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TokenRequest(_Body):
    username: str = Field(min_length=1, max_length=150)
    password: str = Field(min_length=1, max_length=256)
    totp: str | None = Field(None, max_length=16)


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the scheme name, not a secret
    expires_at: UtcDateTime


@router.post("/auth/token", response_model=TokenResponse)
def login_for_token(
    body: TokenRequest, request: Request, session: Session = Depends(get_session)
) -> TokenResponse:
    """Exchange username, password (and the TOTP code once enrolled) for a bearer token.

    401 wrong credentials · 403 disabled or blacklisted · 423 locked (``Retry-After`` says for how long).
    """
    settings = request.app.state.settings
    login = authenticate(
        request.app.state.db,
        settings,
        username=body.username,
        password=body.password,
        totp_code=body.totp,
        address=client_address(request),
        via="token",
        request_id=getattr(request.state, "request_id", None),
    )
    issued = issue_token(session, login.account_id, settings)
    session.commit()
    return TokenResponse(access_token=issued.secret, expires_at=issued.expires_at)


@router.post("/auth/logout", status_code=204)
def logout(
    request: Request,
    session: Session = Depends(get_session),
    principal: Principal = Depends(allow("identity.account.self")),
) -> Response:
    """Revoke the token (or the session) this request was made with."""
    if principal.via == "token":
        revoke_token(session, request.headers["authorization"].partition(" ")[2].strip())
    else:
        revoke_session(session, request.cookies.get(SESSION_COOKIE, ""))
    _audit(session, request, principal, "logout")
    session.commit()
    return Response(status_code=204)


class RoleName(Out):
    zh: str
    en: str


class MeOut(Out):
    """Who the caller is (Art. 54): account, unit, roles with their names, second factor, how they signed in."""

    account_id: int
    username: str
    display_name: str | None
    unit_code: str | None
    unit_name: str | None
    roles: list[str]
    role_names: dict[str, RoleName]
    totp_enabled: bool
    email: str | None
    via: str | None


class TotpEnrolment(Out):
    secret: str = Field(description="shown this once / 仅显示一次")
    otpauth_uri: str


class TotpEnabled(Out):
    totp_enabled: bool


def _me(principal: Principal, account: Account) -> dict[str, Any]:
    return {
        "account_id": principal.account_id,
        "username": principal.username,
        "display_name": principal.display_name,
        "unit_code": principal.unit_code,
        "unit_name": principal.unit_name,
        "roles": sorted(principal.roles),
        "role_names": {r: {"zh": role_name(r)[0], "en": role_name(r)[1]} for r in sorted(principal.roles)},
        "totp_enabled": account.totp_enabled,
        "email": account.email,
        "via": principal.via,
    }


@router.get("/me", response_model=MeOut)
def me(
    session: Session = Depends(get_session), principal: Principal = Depends(allow("identity.account.self"))
) -> dict:
    """Who the caller is: account, unit, roles, whether the second factor is on."""
    return _me(principal, session.get(Account, principal.account_id))


class EmailChange(_Body):
    email: str | None = Field(None, max_length=254)  # null or "" clears it


@router.put("/me/email", response_model=MeOut)
def change_email(
    body: EmailChange,
    request: Request,
    session: Session = Depends(get_session),
    principal: Principal = Depends(allow("identity.account.self")),
) -> dict:
    """Set or clear one's own address for the platform's reminders (422 for a malformed address)."""
    account = set_email(session, session.get(Account, principal.account_id), body.email)
    _audit(session, request, principal, "set_email", {"target": principal.username,
                                                       "cleared": account.email is None})  # fmt: skip
    session.commit()
    return _me(principal, account)


class TotpConfirm(_Body):
    code: str = Field(min_length=6, max_length=6, pattern=r"^\d{6}$")


@router.post("/me/totp", status_code=201, response_model=TotpEnrolment)
def enrol_totp(
    request: Request,
    session: Session = Depends(get_session),
    principal: Principal = Depends(allow("identity.account.self")),
) -> dict:
    """Start enrolment: a new secret, shown this once; logins need the code after :func:`confirm_totp`."""
    secret, uri = totp.begin(session, session.get(Account, principal.account_id), request.app.state.settings)
    _audit(session, request, principal, "totp_enrol")
    session.commit()
    return {"secret": secret, "otpauth_uri": uri}


@router.post("/me/totp/confirm", response_model=TotpEnabled)
def confirm_totp(
    body: TotpConfirm,
    request: Request,
    session: Session = Depends(get_session),
    principal: Principal = Depends(allow("identity.account.self")),
) -> dict:
    totp.confirm(session, session.get(Account, principal.account_id), body.code, request.app.state.settings)
    _audit(session, request, principal, "totp_enable")
    session.commit()
    return {"totp_enabled": True}


class PasswordChange(_Body):
    current_password: str = Field(min_length=1, max_length=256)
    new_password: str = Field(min_length=1, max_length=256)


@router.post("/me/password", status_code=204)
def change_password(
    body: PasswordChange,
    request: Request,
    session: Session = Depends(get_session),
    principal: Principal = Depends(allow("identity.account.self")),
) -> Response:
    """Change one's own password; every token and session of the account ends (log in again)."""
    account = session.get(Account, principal.account_id)
    if not verify_password(account.password_hash, body.current_password):
        raise NotAuthenticated("当前密码错误", "the current password is wrong", field="current_password")
    set_password(session, account, body.new_password)
    _audit(session, request, principal, "password_change")
    session.commit()
    return Response(status_code=204)


# ---------------------------------------------------------------- blacklist (Art. 59 黑名单)


class BlacklistIn(_Body):
    kind: str = Field(pattern=r"^(account|address)$")
    value: str = Field(min_length=1, max_length=150)
    reason: str = Field("", max_length=500)


class BlacklistOut(BaseModel):
    id: int
    kind: str
    value: str
    reason: str
    created_by: str | None
    created_at: UtcDateTime
    active: bool


def _entry(e) -> dict[str, Any]:  # noqa: ANN001
    return {
        "id": e.id,
        "kind": e.kind,
        "value": e.value,
        "reason": e.reason,
        "created_by": e.created_by,
        "created_at": e.created_at,
        "active": e.active,
    }


@router.get("/blacklist", response_model=Page[BlacklistOut])
def list_blacklist(
    page: PageQuery = Depends(paging(100, 1000)),
    session: Session = Depends(get_session),
    _p: Principal = Depends(allow("identity.blacklist.read")),
) -> dict[str, Any]:
    return paginate_list(blacklist.active_entries(session), page, _entry)


@router.post("/blacklist", status_code=201, response_model=BlacklistOut)
def add_blacklist(
    body: BlacklistIn,
    request: Request,
    session: Session = Depends(get_session),
    principal: Principal = Depends(allow("identity.blacklist.edit")),
) -> dict:
    """Refuse an account or an address (IP/CIDR) at once: at login and on every request."""
    entry = blacklist.add(
        session, kind=body.kind, value=body.value, reason=body.reason, created_by=principal.username
    )
    _audit(session, request, principal, "blacklist_add", {"kind": entry.kind, "value": entry.value})
    session.commit()
    return _entry(entry)


@router.delete("/blacklist/{entry_id}", status_code=204)
def remove_blacklist(
    entry_id: int,
    request: Request,
    session: Session = Depends(get_session),
    principal: Principal = Depends(allow("identity.blacklist.edit")),
) -> Response:
    entry = blacklist.deactivate(session, entry_id)
    _audit(session, request, principal, "blacklist_remove", {"kind": entry.kind, "value": entry.value})
    session.commit()
    return Response(status_code=204)


def _audit(
    session: Session, request: Request, principal: Principal, operation: str, detail: dict | None = None
) -> None:
    audit(session, request, principal, operation, **(detail or {}))


# Service accounts' client credentials and the office's management of them (identity.client_routes).
from edudata.identity import client_routes as _client_routes  # noqa: E402 - after this router exists

router.include_router(_client_routes.router)
