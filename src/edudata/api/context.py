"""The one request → use-case context builder: session, settings, database and request id (Art. 59 traces).

Routes and pages hand this to services and the data path; a request id ties the audit records of one request.
"""

from __future__ import annotations

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from edudata.access.datapath import Context
from edudata.api.deps import get_session


def request_id(request: Request) -> str | None:
    return getattr(request.state, "request_id", None)


def request_context(request: Request, session: Session) -> Context:
    """The data-path context of this request, on ``session``."""
    return Context(
        session=session,
        settings=request.app.state.settings,
        database=request.app.state.db,
        request_id=request_id(request),
    )


def get_context(request: Request, session: Session = Depends(get_session)) -> Context:
    """FastAPI dependency form of :func:`request_context` (the same session as ``get_session``)."""
    return request_context(request, session)
