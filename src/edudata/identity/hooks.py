"""Start-up wiring: pages that need a login answer with a redirect to ``/login`` rather than an error."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse

from edudata.identity.deps import LoginRequired


def install(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def _to_login(request: Request, exc: LoginRequired) -> RedirectResponse:
        return RedirectResponse("/login?next=" + quote(exc.next_path, safe="/"), status_code=303)
