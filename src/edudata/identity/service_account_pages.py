"""The office's page for business systems' service accounts (服务账户, Art. 30, 54).

``/admin/service-accounts`` lists them with their unit and status; creating one or rotating its secret shows the
secret on that answer only (it is stored as SHA-256), rotating also says until when the old secret still works;
disabling ends its secrets and tokens. The same functions as ``/api/v1/service-accounts`` do the work
(:mod:`edudata.identity.clients`), under the same policy action and with the same audit records.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from edudata.api.deps import get_session
from edudata.api.policy import allow
from edudata.db import commit
from edudata.errors import EduDataError
from edudata.identity import clients
from edudata.identity.actions import audit, refused
from edudata.identity.deps import form_data, form_text, verify_csrf
from edudata.identity.principal import Principal
from edudata.identity.tokens import as_utc
from edudata.org.models import Account, Unit
from edudata.org.roles import ALL_ROLES, role_name
from edudata.org.service import list_units, roles_of
from edudata.web.templating import render

router = APIRouter(include_in_schema=False)
ACTION = "identity.service_account.manage"
BEIJING = ZoneInfo("Asia/Shanghai")


def beijing(when: datetime | None) -> str:
    return as_utc(when).astimezone(BEIJING).strftime("%Y-%m-%d %H:%M") if when else ""


def _page(request: Request, session: Session, status: int = 200, **ctx) -> Response:  # noqa: ANN003
    rows = []
    for client, account in clients.list_clients(session):
        unit = session.get(Unit, account.unit_id)
        rows.append({
            "client_id": client.client_id, "name": client.name, "username": account.username,
            "unit": f"{unit.code} {unit.name}", "roles": sorted(roles_of(session, account.id)),
            "disabled": account.disabled, "created_at": beijing(client.created_at),
            "rotated_at": beijing(client.rotated_at), "old_until": beijing(client.previous_valid_until),
        })  # fmt: skip
    ctx.setdefault("errors", {})
    ctx.setdefault("values", {})
    resp = render(
        request, "identity/service_accounts.html",
        {"rows": rows, "units": [(u.code, f"{u.name}（{u.code}）") for u in list_units(session)],
         "roles": [(r, *role_name(r)) for r in sorted(ALL_ROLES)], **ctx},
        status_code=status,
    )  # fmt: skip
    resp.headers["Cache-Control"] = "no-store"  # a page that shows a secret must not stay in any cache
    return resp


@router.get("/admin/service-accounts")
def service_accounts_page(
    request: Request, session: Session = Depends(get_session), _p: Principal = Depends(allow(ACTION))
) -> Response:
    return _page(request, session)


@router.post("/admin/service-accounts", dependencies=[Depends(verify_csrf)])
def service_account_create(
    request: Request,
    form: FormData = Depends(form_data),
    session: Session = Depends(get_session),
    principal: Principal = Depends(allow(ACTION)),
) -> Response:
    values = {k: form_text(form, k)[:200] for k in ("username", "name", "unit_code")}
    roles = [r for r in form.getlist("roles") if isinstance(r, str)][:9]
    try:
        issued = clients.create_client(session, **values, roles=roles, by=principal.username)
    except EduDataError as err:
        refused(request, session, err)
        errors = {err.field or "username": (err.zh, err.en)}
        return _page(request, session, err.status, errors=errors, values=values)
    audit(session, request, principal, "service_account_create", target=issued.username,
          client_id=issued.client_id, unit=values["unit_code"], roles=sorted(roles))  # fmt: skip
    commit(session)
    return _page(request, session, issued={"client_id": issued.client_id, "secret": issued.client_secret})


@router.post("/admin/service-accounts/{client_id}/rotate", dependencies=[Depends(verify_csrf)])
def service_account_rotate(
    client_id: str,
    request: Request,
    session: Session = Depends(get_session),
    principal: Principal = Depends(allow(ACTION)),
) -> Response:
    settings = request.app.state.settings
    client = clients.get_client(session, client_id)
    secret = clients.rotate(session, client, settings)
    audit(session, request, principal, "service_account_rotate", client_id=client_id,
          old_valid_until=client.previous_valid_until.isoformat())  # fmt: skip
    commit(session)
    rotated = {"client_id": client_id, "secret": secret, "old_until": beijing(client.previous_valid_until),
               "hours": settings.client_secret_grace_hours}  # fmt: skip
    return _page(request, session, rotated=rotated)


@router.post("/admin/service-accounts/{client_id}/disable", dependencies=[Depends(verify_csrf)])
def service_account_disable(
    client_id: str,
    request: Request,
    session: Session = Depends(get_session),
    principal: Principal = Depends(allow(ACTION)),
) -> Response:
    account: Account = clients.disable(session, clients.get_client(session, client_id), principal.username)
    audit(
        session, request, principal, "service_account_disable", client_id=client_id, target=account.username
    )
    commit(session)
    return RedirectResponse("/admin/service-accounts", status_code=303)
