"""Jinja2 environment shared by every domain's pages; templates live in ``web/templates/<domain>/``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.templating import Jinja2Templates
from starlette.requests import Request
from starlette.responses import HTMLResponse

from edudata.policy import allowed, may_attempt
from edudata.web.flash import take
from edudata.web.i18n import request_lang, translator

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> HTMLResponse:
    """Render ``name`` with the caller's language, principal and CSRF token in the context."""
    lang = request_lang(request)
    principal = getattr(request.state, "principal", None)

    def can(action: str, unit_code: str | None = None) -> bool:
        """Show a link or button only when the same policy as the route allows it (Art. 30).

        Without ``unit_code``: may the caller take the action on some object (a navigation link); with it: on an
        object of that unit (a button beside one batch or application)."""
        if principal is None:
            return False
        if unit_code is None:
            return may_attempt(principal, action)
        return allowed(principal, action, unit_code=unit_code)

    ctx: dict[str, Any] = {
        "can": can,
        "lang": lang,
        "_": translator(lang),
        "principal": principal,
        "csrf_token": getattr(request.state, "csrf_token", ""),
        "school_name": request.app.state.settings.school_name,
        "request_id": getattr(request.state, "request_id", ""),
    }
    ctx.update(context or {})
    ctx["flash"] = take(request)  # after a redirect: the word on what was just done (one mechanism, issue 18)
    return TEMPLATES.TemplateResponse(request, name, ctx, status_code=status_code)
