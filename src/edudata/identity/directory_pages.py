"""The office's directory-sync page (人员与单位同步, Art. 30, 53): the dry run first, then apply what it showed.

``GET /admin/directory`` asks the directory and lists what would change; ``POST`` makes the changes (the plan is
computed again at that moment, so what is applied is what the directory says then), audited one by one.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from edudata.api.deps import get_session
from edudata.api.policy import allow
from edudata.db import commit
from edudata.errors import EduDataError
from edudata.identity import directory
from edudata.identity.actions import refused
from edudata.identity.deps import form_data, form_text, verify_csrf
from edudata.identity.principal import Principal
from edudata.web.templating import render

router = APIRouter(include_in_schema=False)


def _entries(request: Request, session: Session, principal: Principal) -> list[directory.DirectoryEntry]:
    from edudata.access.datapath import Context

    settings = request.app.state.settings
    ctx = Context(session=session, settings=settings, database=request.app.state.db,
                  request_id=getattr(request.state, "request_id", None))  # fmt: skip
    return directory.read_source(settings, principal, ctx)


def _configured(settings) -> bool:  # noqa: ANN001
    return settings.directory_source == "staff_dataset" or bool(settings.ldap_url)


def _page(request: Request, session: Session, principal: Principal, **ctx) -> Response:  # noqa: ANN003
    settings = request.app.state.settings
    status = 200
    if "changes" not in ctx and _configured(settings):
        try:
            ctx["changes"] = directory.plan(session, _entries(request, session, principal))
            session.commit()  # nothing is changed by a plan; this keeps the data path's audit record of the read
        except EduDataError as err:
            refused(request, session, err)
            ctx["error"], status = err, err.status
    ctx.setdefault("changes", [])
    return render(
        request, "identity/directory.html",
        {"configured": _configured(settings), "base": settings.ldap_people_base if settings.directory_source == "ldap"
         else settings.directory_staff_dataset, **ctx}, status_code=status,
    )  # fmt: skip


@router.get("/admin/directory")
def directory_page(
    request: Request,
    session: Session = Depends(get_session),
    principal: Principal = Depends(allow("identity.directory.sync")),
) -> Response:
    return _page(request, session, principal)


@router.post("/admin/directory", dependencies=[Depends(verify_csrf)])
def directory_apply(
    request: Request,
    form=Depends(form_data),  # noqa: ANN001
    session: Session = Depends(get_session),
    principal: Principal = Depends(allow("identity.directory.sync")),
) -> Response:
    settings = request.app.state.settings
    try:
        entries = _entries(request, session, principal)
        changes = directory.plan(session, entries, force=form_text(form, "force") == "1")
        done = directory.apply(session, changes, by=principal.username, source=settings.directory_source)
        commit(session)
    except EduDataError as err:
        refused(request, session, err)
        return _page(request, session, principal, error=err)
    return _page(request, session, principal, changes=done, applied=True)
