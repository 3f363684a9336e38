"""Recording what a signed-in person did (行为追溯, Art. 30, 59), and a page's refusal shown beside its form
(the commit is ``edudata.db.commit``)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from sqlalchemy.orm import Session

from edudata.audit.service import record
from edudata.errors import EduDataError
from edudata.identity.principal import Principal


def audit(session: Session, request: Request, principal: Principal, operation: str, **detail: Any) -> None:
    """Append an audit record of ``operation`` inside the caller's transaction (it exists exactly when the
    change does); call it just before committing."""
    record(
        session,
        operation=operation,
        account_id=principal.account_id,
        username=principal.username,
        unit_code=principal.unit_code,
        source_ip=principal.source_ip,
        request_id=getattr(request.state, "request_id", None),
        detail=detail,
    )


def refused(request: Request, session: Session, err: EduDataError) -> None:
    """A page caught ``err`` to show it beside the form: roll back, then let the refusal hooks (audit) see it."""
    session.rollback()
    for hook in getattr(request.app.state, "on_problem", []):
        try:
            hook(request, err)
        except Exception:  # noqa: S112 - auditing must not hide the user's error; the hook logs its own failure
            continue
