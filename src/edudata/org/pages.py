"""The office's pages (网信办, Art. 6): units, accounts and roles, separation-of-duties rules (Art. 30).

A refused change (duplicate code, unknown unit, a role pair the rules forbid) is shown beside the field it
concerns, with the status of the refusal; nothing is saved.
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from edudata.api.deps import get_session
from edudata.api.policy import allow
from edudata.db import commit
from edudata.errors import EduDataError
from edudata.identity.actions import audit, refused
from edudata.identity.deps import form_data, form_text, verify_csrf
from edudata.identity.principal import Principal
from edudata.identity.service import unlock
from edudata.identity.tokens import revoke_all
from edudata.org import service
from edudata.org.models import Account, RoleAssignment, Unit, UnitType
from edudata.org.roles import ROLE_NAMES, Role
from edudata.policy.duties import BUILTIN_PAIRS
from edudata.web import labels
from edudata.web.lists import Listing, listing
from edudata.web.templating import render

router = APIRouter(include_in_schema=False)

UNIT_TYPE_NAMES = {
    UnitType.SCHOOL: ("学校", "school"),
    UnitType.LEADERSHIP_GROUP: ("网信领导小组", "leadership group"),
    UnitType.OFFICE: ("网信办", "data-management office"),
    UnitType.PRODUCER: ("数据生产单位", "data producer"),
    UnitType.USER: ("数据使用单位", "data user"),
    UnitType.SUPPORT: ("技术支持或服务单位", "technical support / service"),
}


labels.register("unit_type", UNIT_TYPE_NAMES)


def _errors(err: EduDataError, default: str) -> dict[str, tuple[str, str]]:
    return {err.field or default: (err.zh, err.en)}


def _common(session: Session) -> dict:
    units = service.list_units(session)
    return {
        "units": units,
        "unit_codes": {u.id: u.code for u in units},
        "unit_types": UNIT_TYPE_NAMES,
        "role_names": {str(r): ROLE_NAMES[r] for r in Role},
    }


# ---------------------------------------------------------------- units


def _units_page(request: Request, session: Session, status: int = 200, **ctx) -> Response:  # noqa: ANN003
    ctx.setdefault("errors", {})
    ctx.setdefault("values", {})
    return render(request, "org/units.html", {**_common(session), **ctx}, status_code=status)


@router.get("/admin/units")
def units_page(
    request: Request,
    session: Session = Depends(get_session),
    principal: Principal = Depends(allow("org.unit.edit")),
) -> Response:
    return _units_page(request, session, created=request.query_params.get("created", "")[:32])


@router.post("/admin/units", dependencies=[Depends(verify_csrf)])
def unit_create(
    request: Request,
    form: FormData = Depends(form_data),
    session: Session = Depends(get_session),
    principal: Principal = Depends(allow("org.unit.edit")),
) -> Response:
    values = {k: form_text(form, k) for k in ("code", "name", "name_en", "unit_type", "parent_code")}
    try:
        unit = service.create_unit(
            session, code=values["code"], name=values["name"], name_en=values["name_en"],
            unit_type=values["unit_type"], parent_code=values["parent_code"] or None,
        )  # fmt: skip
        audit(session, request, principal, "create_unit", code=unit.code, unit_type=unit.unit_type)
        commit(session)
    except EduDataError as err:
        refused(request, session, err)
        return _units_page(request, session, err.status, errors=_errors(err, "code"), values=values)
    return RedirectResponse(f"/admin/units?created={unit.code}", status_code=303)


# ---------------------------------------------------------------- accounts


def _accounts_page(request: Request, session: Session, status: int = 200, **ctx) -> Response:  # noqa: ANN003
    ctx.setdefault("errors", {})
    ctx.setdefault("values", {})
    found = _account_list(session, request.query_params)
    accounts = [(a, sorted(service.roles_of(session, a.id))) for a in found.items]
    return render(
        request,
        "org/accounts.html",
        {**_common(session), "accounts": accounts, "list": found, **ctx},
        status_code=status,
        fragment="org/_accounts.html",
    )


def _account_list(session: Session, params: Mapping[str, str]) -> Listing:
    """The accounts, filtered by unit, role and status (pickers), sorted by a column, one page at a time."""
    unit, role, status = (params.get(k, "")[:64] for k in ("unit", "role", "status"))
    stmt = select(Account).join(Unit, Unit.id == Account.unit_id)
    if unit:
        stmt = stmt.where(Unit.code == unit)
    if role:
        stmt = stmt.where(
            Account.id.in_(select(RoleAssignment.account_id).where(RoleAssignment.role == role))
        )
    if status in ("active", "disabled"):
        stmt = stmt.where(Account.disabled.is_(status == "disabled"))
    return listing(
        session, stmt, params,
        sorts={"name": Account.display_name, "username": Account.username, "unit": Unit.code},
        default_sort="unit", tiebreak=Account.id, filters={"unit": unit, "role": role, "status": status},
    )  # fmt: skip


@router.get("/admin/accounts")
def accounts_page(
    request: Request,
    session: Session = Depends(get_session),
    principal: Principal = Depends(allow("org.account.edit")),
) -> Response:
    return _accounts_page(request, session)


@router.post("/admin/accounts", dependencies=[Depends(verify_csrf)])
def account_create(
    request: Request,
    form: FormData = Depends(form_data),
    session: Session = Depends(get_session),
    principal: Principal = Depends(allow("org.account.edit")),
) -> Response:
    values = {k: form_text(form, k) for k in ("username", "display_name", "unit_code", "password")}
    roles = [r for r in form.getlist("roles") if isinstance(r, str)][: len(Role)]
    try:
        account = service.create_account(
            session, username=values["username"], password=values["password"], unit_code=values["unit_code"],
            roles=roles, display_name=values["display_name"] or None, granted_by=principal.username,
        )  # fmt: skip
        audit(session, request, principal, "create_account", target=account.username, roles=sorted(roles))
        commit(session)
    except EduDataError as err:
        refused(request, session, err)
        values.pop("password")
        return _accounts_page(
            request, session, err.status, errors=_errors(err, "username"), values={**values, "roles": roles}
        )
    return RedirectResponse(f"/admin/accounts/{account.username}", status_code=303)


def _account_page(request: Request, session: Session, username: str, status: int = 200, **ctx) -> Response:  # noqa: ANN003
    account = service.get_account(session, username)
    ctx.setdefault("errors", {})
    context = {
        **_common(session),
        "account": account,
        "unit": session.get(Unit, account.unit_id),
        "held": sorted(service.roles_of(session, account.id)),
        **ctx,
    }
    return render(request, "org/account.html", context, status_code=status)


@router.get("/admin/accounts/{username}")
def account_page(
    username: str,
    request: Request,
    session: Session = Depends(get_session),
    principal: Principal = Depends(allow("org.account.edit")),
) -> Response:
    return _account_page(request, session, username, done=request.query_params.get("done", "")[:32])


def _account_action(
    request: Request, session: Session, principal: Principal, username: str, action, error_field: str
) -> Response:  # noqa: ANN001
    """Run ``action(account)`` (which audits), commit and go back to the account; a refusal is shown inline."""
    account = service.get_account(session, username)
    try:
        done = action(account)
        commit(session)
    except EduDataError as err:
        refused(request, session, err)
        return _account_page(request, session, username, err.status, errors=_errors(err, error_field))
    return RedirectResponse(f"/admin/accounts/{username}?done={done}", status_code=303)


@router.post("/admin/accounts/{username}/roles", dependencies=[Depends(verify_csrf)])
def account_grant(
    username: str,
    request: Request,
    form: FormData = Depends(form_data),
    session: Session = Depends(get_session),
    principal: Principal = Depends(allow("org.account.edit")),
) -> Response:
    """Grant a role; a separation-of-duties refusal (Art. 30) is shown beside the role field."""
    role = form_text(form, "role")[:32]

    def grant(account) -> str:  # noqa: ANN001
        service.grant_role(session, account, role, principal.username)
        audit(session, request, principal, "grant_role", target=username, role=role)
        return "granted"

    return _account_action(request, session, principal, username, grant, "role")


@router.post("/admin/accounts/{username}/roles/{role}/revoke", dependencies=[Depends(verify_csrf)])
def account_revoke(
    username: str,
    role: str,
    request: Request,
    session: Session = Depends(get_session),
    principal: Principal = Depends(allow("org.account.edit")),
) -> Response:
    def revoke(account) -> str:  # noqa: ANN001
        service.revoke_role(session, account, role, principal.username)
        audit(session, request, principal, "revoke_role", target=username, role=role)
        return "revoked"

    return _account_action(request, session, principal, username, revoke, "role")


@router.post("/admin/accounts/{username}/email", dependencies=[Depends(verify_csrf)])
def account_email(
    username: str,
    request: Request,
    form: FormData = Depends(form_data),
    session: Session = Depends(get_session),
    principal: Principal = Depends(allow("org.account.edit")),
) -> Response:
    """Set or clear the address the platform's reminders go to, as ``PUT /api/v1/accounts/{username}/email``."""
    typed = "" if form_text(form, "clear") == "1" else form_text(form, "email")[:300]

    def change(account) -> str:  # noqa: ANN001
        service.set_email(session, account, typed)
        audit(session, request, principal, "set_email", target=username, cleared=account.email is None)
        return "email_cleared" if account.email is None else "email_set"

    return _account_action(request, session, principal, username, change, "email")


@router.post("/admin/accounts/{username}/disable", dependencies=[Depends(verify_csrf)])
def account_disable(
    username: str,
    request: Request,
    session: Session = Depends(get_session),
    principal: Principal = Depends(allow("org.account.edit")),
) -> Response:
    """Disable an account without roles; one holding a role is refused inline and leaves through the
    offboarding page (离岗, Art. 53)."""

    def disable(account) -> str:  # noqa: ANN001
        service.disable_account(session, account, principal.username)
        revoke_all(session, account.id)
        audit(session, request, principal, "disable_account", target=username)
        return "disabled"

    return _account_action(request, session, principal, username, disable, "status")


@router.post("/admin/accounts/{username}/enable", dependencies=[Depends(verify_csrf)])
def account_enable(
    username: str,
    request: Request,
    session: Session = Depends(get_session),
    principal: Principal = Depends(allow("org.account.edit")),
) -> Response:
    def enable(account) -> str:  # noqa: ANN001
        service.set_disabled(session, account, False, principal.username)
        audit(session, request, principal, "enable_account", target=username)
        return "enabled"

    return _account_action(request, session, principal, username, enable, "status")


@router.post("/admin/accounts/{username}/unlock", dependencies=[Depends(verify_csrf)])
def account_unlock(
    username: str,
    request: Request,
    session: Session = Depends(get_session),
    principal: Principal = Depends(allow("org.account.edit")),
) -> Response:
    def do_unlock(account) -> str:  # noqa: ANN001
        unlock(session, account.username, principal.username)
        audit(session, request, principal, "unlock_account", target=username)
        return "unlocked"

    return _account_action(request, session, principal, username, do_unlock, "status")


# ---------------------------------------------------------------- separation of duties


def _sod_page(request: Request, session: Session, status: int = 200, **ctx) -> Response:  # noqa: ANN003
    ctx.setdefault("errors", {})
    ctx.setdefault("values", {})
    rules = service.list_sod_rules(session)
    ctx = {**_common(session), "rules": rules, "builtin": BUILTIN_PAIRS, **ctx}
    return render(request, "org/sod.html", ctx, status_code=status)


@router.get("/admin/sod")
def sod_page(
    request: Request,
    session: Session = Depends(get_session),
    principal: Principal = Depends(allow("org.sod.edit")),
) -> Response:
    return _sod_page(request, session)


@router.post("/admin/sod", dependencies=[Depends(verify_csrf)])
def sod_add(
    request: Request,
    form: FormData = Depends(form_data),
    session: Session = Depends(get_session),
    principal: Principal = Depends(allow("org.sod.edit")),
) -> Response:
    values = {k: form_text(form, k)[:32] for k in ("role_a", "role_b")}
    try:
        rule = service.add_sod_rule(session, values["role_a"], values["role_b"], principal.username)
        audit(
            session,
            request,
            principal,
            "config_change",
            setting="sod_rule_add",
            roles=[rule.role_a, rule.role_b],
        )
        commit(session)
    except EduDataError as err:
        refused(request, session, err)
        return _sod_page(request, session, err.status, errors=_errors(err, "role_b"), values=values)
    return RedirectResponse("/admin/sod", status_code=303)


@router.post("/admin/sod/{role_a}/{role_b}/remove", dependencies=[Depends(verify_csrf)])
def sod_remove(
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
    return RedirectResponse("/admin/sod", status_code=303)
