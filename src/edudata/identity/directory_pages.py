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
from edudata.errors import EduDataError
from edudata.identity import directory
from edudata.identity.actions import commit, refused
from edudata.identity.deps import form_data, form_text, verify_csrf
from edudata.identity.principal import Principal
from edudata.web.templating import render

router = APIRouter(include_in_schema=False)


def _page(request: Request, session: Session, **ctx) -> Response:  # noqa: ANN003
    settings = request.app.state.settings
    status = 200
    if "changes" not in ctx and settings.ldap_url:
        try:
            ctx["changes"] = directory.plan(session, directory.read_ldap(settings))
            session.rollback()
        except EduDataError as err:
            refused(request, session, err)
            ctx["error"], status = err, err.status
    ctx.setdefault("changes", [])
    return render(
        request, "identity/directory.html",
        {"configured": bool(settings.ldap_url), "base": settings.ldap_people_base, **ctx}, status_code=status,
    )  # fmt: skip


@router.get("/admin/directory")
def directory_page(
    request: Request,
    session: Session = Depends(get_session),
    _p: Principal = Depends(allow("identity.directory.sync")),
) -> Response:
    return _page(request, session)


@router.post("/admin/directory", dependencies=[Depends(verify_csrf)])
def directory_apply(
    request: Request,
    form=Depends(form_data),  # noqa: ANN001
    session: Session = Depends(get_session),
    principal: Principal = Depends(allow("identity.directory.sync")),
) -> Response:
    settings = request.app.state.settings
    try:
        entries = directory.read_ldap(settings)
        changes = directory.plan(session, entries, force=form_text(form, "force") == "1")
        done = directory.apply(session, changes, by=principal.username)
        commit(session)
    except EduDataError as err:
        refused(request, session, err)
        return _page(request, session, error=err)
    return _page(request, session, changes=done, applied=True)
