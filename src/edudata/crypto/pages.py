"""The page where an account registers the public key its packages of important data are sealed to (Art. 26)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from edudata.api.deps import get_session
from edudata.api.policy import allow
from edudata.crypto.models import RecipientKey
from edudata.crypto.recipient import register_key
from edudata.db import commit
from edudata.errors import EduDataError
from edudata.identity.actions import audit, refused
from edudata.identity.deps import form_data, form_text, verify_csrf
from edudata.identity.principal import Principal
from edudata.web.templating import render

router = APIRouter(include_in_schema=False)


def _page(request: Request, session: Session, principal: Principal, status: int = 200, **ctx) -> Response:  # noqa: ANN003
    row = session.get(RecipientKey, principal.account_id)
    ctx.setdefault("errors", {})
    return render(request, "crypto/package_key.html", {"key": row, **ctx}, status_code=status)


@router.get("/account/package-key")
def package_key_page(
    request: Request,
    session: Session = Depends(get_session),
    principal: Principal = Depends(allow("crypto.package_key.self")),
) -> Response:
    return _page(request, session, principal, done=request.query_params.get("done") == "1")


@router.post("/account/package-key", dependencies=[Depends(verify_csrf)])
def package_key_submit(
    request: Request,
    form: FormData = Depends(form_data),
    session: Session = Depends(get_session),
    principal: Principal = Depends(allow("crypto.package_key.self")),
) -> Response:
    typed = form_text(form, "public_key")[:400]
    try:
        row = register_key(session, principal.account_id, typed)
    except EduDataError as err:
        refused(request, session, err)
        return _page(request, session, principal, err.status, errors={"public_key": (err.zh, err.en)})
    audit(session, request, principal, "register_package_key", key_id=row.key_id)
    commit(session)
    return RedirectResponse("/account/package-key?done=1", 303)
