"""The state-secret page (/secrecy, Art. 56–57): markings and the register, with their forms."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from edudata.api.deps import get_session
from edudata.api.policy import allow
from edudata.db import commit
from edudata.errors import EduDataError
from edudata.identity.actions import refused
from edudata.identity.deps import form_data, form_text, verify_csrf
from edudata.identity.principal import Principal
from edudata.secrecy import service
from edudata.web.templating import render

router = APIRouter(include_in_schema=False)


def _page(
    request: Request,
    session: Session,
    status: int = 200,
    error: tuple[str, str] | None = None,
    decision: dict | None = None,
) -> Response:
    """The page; ``decision``: a refused decision on one entry, its message beside the note and the note kept."""
    return render(
        request,
        "secrecy/index.html",
        {
            "markings": service.markings(session),
            "entries": service.register(session),
            "kinds": service.KINDS,
            "error": error,
            "decision": decision or {},
            "done": request.query_params.get("done", "")[:32],
        },
        status_code=status,
    )


@router.get("/secrecy")
def secrecy_page(
    request: Request,
    session: Session = Depends(get_session),
    principal: Principal = Depends(allow("secrecy.marking.read")),
) -> Response:
    return _page(request, session)


def _form(form: FormData, *names: str) -> dict[str, str]:
    return {n: form_text(form, n)[:4000] for n in names}


def _act(request: Request, session: Session, action, done: str) -> Response:  # noqa: ANN001 - a callable
    try:
        action()
    except EduDataError as err:
        refused(request, session, err)
        return _page(request, session, err.status, (err.zh, err.en))
    commit(session)
    return RedirectResponse(f"/secrecy?done={done}", 303)


@router.post("/secrecy/markings", dependencies=[Depends(verify_csrf)])
def mark_form(
    request: Request,
    form: FormData = Depends(form_data),
    session: Session = Depends(get_session),
    principal: Principal = Depends(allow("secrecy.marking.edit")),
) -> Response:
    values = _form(form, "dataset_code", "element_code", "basis")
    return _act(request, session, lambda: service.mark(session, principal, values), "marked")


@router.post("/secrecy/register", dependencies=[Depends(verify_csrf)])
def register_form(
    request: Request,
    form: FormData = Depends(form_data),
    session: Session = Depends(get_session),
    principal: Principal = Depends(allow("secrecy.register.request")),
) -> Response:
    values = _form(
        form,
        "dataset_code",
        "element_code",
        "kind",
        "description",
        "recipient",
        "authority_approval",
        "agreement_ref",
    )
    return _act(request, session, lambda: service.request_entry(session, principal, values), "entered")


@router.post("/secrecy/register/{entry_id}/decision", dependencies=[Depends(verify_csrf)])
def decide_form(
    entry_id: int,
    request: Request,
    form: FormData = Depends(form_data),
    session: Session = Depends(get_session),
    principal: Principal = Depends(allow("secrecy.register.approve")),
) -> Response:
    approve = form_text(form, "decision") == "approve"
    note = form_text(form, "note")[:2000]
    try:
        service.decide(session, principal, entry_id, approve, note)
    except EduDataError as err:  # e.g. a rejection without a reason: the entry's form again, the note kept
        refused(request, session, err)
        kept = {"entry": entry_id, "note": note, "field": err.field or "", "zh": err.zh, "en": err.en}
        return _page(request, session, err.status, decision=kept)
    commit(session)
    return RedirectResponse("/secrecy?done=decided", 303)
