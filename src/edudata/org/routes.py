"""Organisation API for the office (网信办, Art. 6): units, people, accounts, roles, separation of duties (Art. 30).

Reading units and roles is open to every signed-in account (other domains list them); everything else is the
office administrator's, and the auditor may read accounts and rules. Every change is audited.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from edudata.api.deps import get_session
from edudata.api.paging import Page, PageQuery, paginate_list, paging
from edudata.api.policy import allow
from edudata.clock import UtcDateTime
from edudata.db import commit
from edudata.errors import NotFound
from edudata.identity import totp
from edudata.identity.actions import audit
from edudata.identity.principal import Principal
from edudata.identity.service import set_password, unlock
from edudata.identity.tokens import revoke_all
from edudata.org import service
from edudata.org.models import Account, Unit
from edudata.org.roles import ROLE_NAMES, Role
from edudata.policy.duties import is_builtin

router = APIRouter(prefix="/api/v1", tags=["organisation"])


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class UnitIn(_Body):
    code: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=200)
    name_en: str = Field("", max_length=200)
    unit_type: str = Field(min_length=1, max_length=32)
    parent_code: str | None = Field(None, max_length=32)


class UnitOut(BaseModel):
    code: str
    name: str
    name_en: str
    unit_type: str
    parent_code: str | None
    active: bool
    created_at: UtcDateTime


class RoleOut(BaseModel):
    role: str
    name_zh: str
    name_en: str


class AccountOut(BaseModel):
    username: str
    display_name: str | None
    unit_code: str
    unit_name: str
    roles: list[str]
    email: str | None
    disabled: bool
    totp_enabled: bool
    created_at: UtcDateTime


class SodRuleOut(BaseModel):
    role_a: str
    role_b: str
    created_by: str | None
    created_at: UtcDateTime | None
    builtin: bool = Field(description="条例规定、不可删除 / statutory (Art. 30), cannot be removed")


class PersonOut(BaseModel):
    name: str
    number: str
    unit_code: str


class PersonIn(_Body):
    name: str = Field(min_length=1, max_length=200)
    number: str = Field(min_length=1, max_length=32)
    unit_code: str = Field(min_length=1, max_length=32)


class AccountIn(_Body):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)
    unit_code: str = Field(min_length=1, max_length=32)
    display_name: str | None = Field(None, max_length=200)
    roles: list[str] = Field(default_factory=list, max_length=len(Role))
    person_number: str | None = Field(None, max_length=32)
    email: str | None = Field(None, max_length=254)


class EmailIn(_Body):
    email: str | None = Field(None, max_length=254)  # null or "" clears it


class MoveIn(_Body):
    unit_code: str = Field(min_length=1, max_length=32)


class RoleIn(_Body):
    role: str = Field(min_length=1, max_length=32)


class PasswordIn(_Body):
    password: str = Field(min_length=1, max_length=256)


class SodIn(_Body):
    role_a: str = Field(min_length=1, max_length=32)
    role_b: str = Field(min_length=1, max_length=32)


def _unit_out(unit: Unit, codes: dict[int, str]) -> UnitOut:
    return UnitOut(
        code=unit.code,
        name=unit.name,
        name_en=unit.name_en,
        unit_type=unit.unit_type,
        parent_code=codes.get(unit.parent_id) if unit.parent_id else None,
        active=unit.active,
        created_at=unit.created_at,
    )


def _account_out(session: Session, account: Account) -> dict[str, Any]:
    unit = session.get(Unit, account.unit_id)
    return {
        "username": account.username,
        "display_name": account.display_name,
        "unit_code": unit.code,
        "unit_name": unit.name,
        "roles": sorted(service.roles_of(session, account.id)),
        "email": account.email,
        "disabled": account.disabled,
        "totp_enabled": account.totp_enabled,
        "created_at": account.created_at,
    }


# ---------------------------------------------------------------- units


@router.get("/units", response_model=Page[UnitOut])
def list_units(
    page: PageQuery = Depends(paging(100, 1000)),
    session: Session = Depends(get_session),
    _p: Principal = Depends(allow("org.unit.read")),
) -> dict[str, Any]:
    units = service.list_units(session)
    codes = {u.id: u.code for u in units}
    return paginate_list(units, page, lambda u: _unit_out(u, codes))


@router.get("/units/{code}", response_model=UnitOut)
def get_unit(
    code: str, session: Session = Depends(get_session), _p: Principal = Depends(allow("org.unit.read"))
) -> UnitOut:
    unit = service.find_unit(session, code)
    if unit is None:
        raise NotFound(f"单位 {code:.40} 不存在", f"no unit {code:.40}")
    parent = session.get(Unit, unit.parent_id) if unit.parent_id else None
    return _unit_out(unit, {parent.id: parent.code} if parent else {})


@router.post("/units", response_model=UnitOut, status_code=201)
def create_unit(
    body: UnitIn,
    request: Request,
    session: Session = Depends(get_session),
    principal: Principal = Depends(allow("org.unit.edit")),
) -> UnitOut:
    """Register a unit: the school's 10-digit 学校标识码 or a 4-digit unit code (一校一码); 409 when taken,
    422 for an unknown parent or a malformed code."""
    unit = service.create_unit(session, **body.model_dump())
    audit(session, request, principal, "create_unit", code=unit.code, unit_type=unit.unit_type)
    commit(session)
    parent = session.get(Unit, unit.parent_id) if unit.parent_id else None
    return _unit_out(unit, {parent.id: parent.code} if parent else {})


# ---------------------------------------------------------------- people (一人一号)


@router.post("/people", status_code=201, response_model=PersonOut)
def create_person(
    body: PersonIn,
    request: Request,
    session: Session = Depends(get_session),
    principal: Principal = Depends(allow("org.unit.edit")),
) -> dict:
    person = service.create_person(session, **body.model_dump())
    audit(session, request, principal, "create_person", number=person.number)
    commit(session)
    return {"name": person.name, "number": person.number, "unit_code": body.unit_code}


# ---------------------------------------------------------------- accounts and roles


@router.get("/roles", response_model=Page[RoleOut])
def list_roles(
    page: PageQuery = Depends(paging(100, 100)), _p: Principal = Depends(allow("org.unit.read"))
) -> dict[str, Any]:
    roles = [{"role": r.value, "name_zh": ROLE_NAMES[r][0], "name_en": ROLE_NAMES[r][1]} for r in Role]
    return paginate_list(roles, page)


@router.get("/accounts", response_model=Page[AccountOut])
def list_accounts(
    unit_code: str | None = Query(None, max_length=32),
    page: PageQuery = Depends(paging(100, 1000)),
    session: Session = Depends(get_session),
    _p: Principal = Depends(allow("org.account.read")),
) -> dict[str, Any]:
    return paginate_list(service.list_accounts(session, unit_code), page, lambda a: _account_out(session, a))


@router.get("/accounts/{username}", response_model=AccountOut)
def get_account(
    username: str, session: Session = Depends(get_session), _p: Principal = Depends(allow("org.account.read"))
) -> dict:
    return _account_out(session, service.get_account(session, username))


@router.post("/accounts", status_code=201, response_model=AccountOut)
def create_account(
    body: AccountIn,
    request: Request,
    session: Session = Depends(get_session),
    principal: Principal = Depends(allow("org.account.edit")),
) -> dict:
    """Open an account in a unit with roles; a role pair forbidden by separation of duties is refused (409)."""
    account = service.create_account(session, **body.model_dump(), granted_by=principal.username)
    audit(session, request, principal, "create_account", target=account.username, roles=sorted(body.roles),
          email=account.email is not None)  # fmt: skip
    commit(session)
    return _account_out(session, account)


@router.put("/accounts/{username}/email", response_model=AccountOut)
def set_email(
    username: str,
    body: EmailIn,
    request: Request,
    session: Session = Depends(get_session),
    principal: Principal = Depends(allow("org.account.edit")),
) -> dict:
    """Set or clear the address the platform's reminders are mailed to (422 for a malformed address)."""
    account = service.set_email(session, service.get_account(session, username), body.email)
    audit(session, request, principal, "set_email", target=username, cleared=account.email is None)
    commit(session)
    return _account_out(session, account)


@router.post("/accounts/{username}/unit", response_model=AccountOut)
def move_account(
    username: str,
    body: MoveIn,
    request: Request,
    session: Session = Depends(get_session),
    principal: Principal = Depends(allow("org.account.edit")),
) -> dict:
    """Transfer to another unit (调岗): every role is revoked (the office grants the new post's roles), and what
    the account held for its old unit — grant credentials — ends (Art. 30)."""
    account = service.get_account(session, username)
    old = session.get(Unit, account.unit_id).code
    lost = service.move_account(session, account, body.unit_code, principal.username)
    audit(session, request, principal, "move_account", target=username, from_unit=old, to_unit=body.unit_code,
          revoked_roles=lost)  # fmt: skip
    commit(session)
    return _account_out(session, account)


@router.post("/accounts/{username}/roles", status_code=201, response_model=AccountOut)
def grant_role(
    username: str,
    body: RoleIn,
    request: Request,
    session: Session = Depends(get_session),
    principal: Principal = Depends(allow("org.account.edit")),
) -> dict:
    """Grant a role; refused with 409 naming both roles when it conflicts with one held (Art. 30)."""
    account = service.get_account(session, username)
    service.grant_role(session, account, body.role, principal.username)
    audit(session, request, principal, "grant_role", target=username, role=body.role)
    commit(session)
    return _account_out(session, account)


@router.delete("/accounts/{username}/roles/{role}", response_model=AccountOut)
def revoke_role(
    username: str,
    role: str,
    request: Request,
    session: Session = Depends(get_session),
    principal: Principal = Depends(allow("org.account.edit")),
) -> dict:
    account = service.get_account(session, username)
    service.revoke_role(session, account, role, principal.username)
    audit(session, request, principal, "revoke_role", target=username, role=role)
    commit(session)
    return _account_out(session, account)


@router.post("/accounts/{username}/disable", response_model=AccountOut)
def disable_account(
    username: str,
    request: Request,
    session: Session = Depends(get_session),
    principal: Principal = Depends(allow("org.account.edit")),
) -> dict:
    """Disable (停用) an account without roles: refused at once, all its tokens and sessions end (C8). An account
    holding a role is refused here (409 ``offboarding-required``): it leaves through ``/api/v1/lifecycle/offboarding``
    (Art. 53)."""
    account = service.get_account(session, username)
    service.disable_account(session, account, principal.username)
    revoke_all(session, account.id)
    audit(session, request, principal, "disable_account", target=username)
    commit(session)
    return _account_out(session, account)


@router.post("/accounts/{username}/enable", response_model=AccountOut)
def enable_account(
    username: str,
    request: Request,
    session: Session = Depends(get_session),
    principal: Principal = Depends(allow("org.account.edit")),
) -> dict:
    account = service.get_account(session, username)
    service.set_disabled(session, account, False, principal.username)
    audit(session, request, principal, "enable_account", target=username)
    commit(session)
    return _account_out(session, account)


@router.post("/accounts/{username}/unlock", status_code=204)
def unlock_account(
    username: str,
    request: Request,
    session: Session = Depends(get_session),
    principal: Principal = Depends(allow("org.account.edit")),
) -> Response:
    """Clear the failed-login count of an account before its lockout window ends."""
    service.get_account(session, username)
    unlock(session, username, principal.username)
    audit(session, request, principal, "unlock_account", target=username)
    commit(session)
    return Response(status_code=204)


@router.post("/accounts/{username}/password", status_code=204)
def reset_password(
    username: str,
    body: PasswordIn,
    request: Request,
    session: Session = Depends(get_session),
    principal: Principal = Depends(allow("org.account.edit")),
) -> Response:
    account = service.get_account(session, username)
    set_password(session, account, body.password)
    audit(session, request, principal, "reset_password", target=username)
    commit(session)
    return Response(status_code=204)


@router.post("/accounts/{username}/totp/reset", status_code=204)
def reset_totp(
    username: str,
    request: Request,
    session: Session = Depends(get_session),
    principal: Principal = Depends(allow("org.account.edit")),
) -> Response:
    """Remove a lost second factor (after the office has checked the person's identity)."""
    totp.reset(session, service.get_account(session, username))
    audit(session, request, principal, "reset_totp", target=username)
    commit(session)
    return Response(status_code=204)


# ---------------------------------------------------------------- separation of duties (不相容岗位, Art. 30)


def _rule_out(rule) -> dict[str, Any]:  # noqa: ANN001
    return {
        "role_a": rule.role_a,
        "role_b": rule.role_b,
        "created_by": rule.created_by,
        "created_at": rule.created_at,
        "builtin": is_builtin(rule.role_a, rule.role_b),
    }


@router.get("/sod-rules", response_model=Page[SodRuleOut])
def list_sod_rules(
    page: PageQuery = Depends(paging(100, 500)),
    session: Session = Depends(get_session),
    _p: Principal = Depends(allow("org.sod.read")),
) -> dict[str, Any]:
    return paginate_list(service.list_sod_rules(session), page, _rule_out)


@router.post("/sod-rules", status_code=201, response_model=SodRuleOut)
def add_sod_rule(
    body: SodIn,
    request: Request,
    session: Session = Depends(get_session),
    principal: Principal = Depends(allow("org.sod.edit")),
) -> dict:
    rule = service.add_sod_rule(session, body.role_a, body.role_b, principal.username)
    audit(
        session, request, principal, "config_change", setting="sod_rule_add", roles=[rule.role_a, rule.role_b]
    )
    commit(session)
    return _rule_out(rule)


@router.delete("/sod-rules/{role_a}/{role_b}", status_code=204)
def remove_sod_rule(
    role_a: str,
    role_b: str,
    request: Request,
    session: Session = Depends(get_session),
    principal: Principal = Depends(allow("org.sod.edit")),
) -> Response:
    service.remove_sod_rule(session, role_a, role_b)
    audit(
        session,
        request,
        principal,
        "config_change",
        setting="sod_rule_remove",
        roles=sorted((role_a, role_b)),
    )
    commit(session)
    return Response(status_code=204)
