"""Jinja2 environment shared by every domain's pages; templates live in ``web/templates/<domain>/``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.templating import Jinja2Templates
from starlette.requests import Request
from starlette.responses import HTMLResponse

from edudata.web.i18n import request_lang, translator

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> HTMLResponse:
    """Render ``name`` with the caller's language, principal and CSRF token in the context."""
    lang = request_lang(request)
    ctx: dict[str, Any] = {
        "lang": lang,
        "_": translator(lang),
        "principal": getattr(request.state, "principal", None),
        "csrf_token": getattr(request.state, "csrf_token", ""),
        "school_name": request.app.state.settings.school_name,
    }
    ctx.update(context or {})
    return TEMPLATES.TemplateResponse(request, name, ctx, status_code=status_code)
