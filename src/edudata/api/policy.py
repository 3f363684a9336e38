"""The one FastAPI dependency that asks the policy, for API routes and web pages alike (Art. 30, 54).

``Depends(allow("catalog.element.edit"))`` returns the caller when some role of theirs may take the action
(a page redirects an anonymous visitor to the login page, an API call answers 401); otherwise 403, audited by the
problem hook. Unit-scoped actions are checked again, against the object's unit, by the service (``require``).
The matrix test reads ``policy_action`` off each route's dependencies, so a route without one fails it.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from edudata.api.deps import get_session
from edudata.identity.deps import current_principal, web_principal
from edudata.identity.principal import Principal
from edudata.policy import require_attempt
from edudata.policy.table import rule


def allow(action: str) -> Callable[..., Principal]:
    """A dependency returning the caller when they may attempt ``action``; 401/login or 403 otherwise."""
    rule(action)  # an unknown action fails at import, not at the first request

    def dependency(request: Request, session: Session = Depends(get_session)) -> Principal:
        if request.url.path.startswith("/api/"):
            who = current_principal(request, session)
        else:
            who = web_principal(request, session)
        require_attempt(who, action)
        return who

    dependency.policy_action = action  # type: ignore[attr-defined]
    dependency.__name__ = f"allow_{action.replace('.', '_')}"
    return dependency
