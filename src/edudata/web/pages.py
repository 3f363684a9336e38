"""Pages that belong to no domain: the language switch."""

from __future__ import annotations

from urllib.parse import urlparse

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from edudata.api.deps import secure_cookies
from edudata.errors import NotFound
from edudata.web import delivery
from edudata.web.i18n import LANGS

router = APIRouter(include_in_schema=False)


@router.get("/lang/{code}")
def switch_language(code: str, request: Request) -> RedirectResponse:
    if code not in LANGS:
        raise NotFound("不支持该语言", "Unsupported language")
    # Only go back to a path on this site: never an open redirect.
    back = urlparse(request.headers.get("referer", "/")).path or "/"
    resp = RedirectResponse(back if back.startswith("/") else "/", status_code=303)
    resp.set_cookie(
        "lang", code, max_age=365 * 24 * 3600, samesite="lax", httponly=True, secure=secure_cookies(request)
    )
    return resp


router.include_router(delivery.router)
