"""``/docs`` (Swagger UI) and ``/redoc`` from assets the app serves itself: no CDN (an offline campus network
still has its API documentation) and no inline script (the pages pass the strict CSP of :mod:`.security`).

The assets come from the pinned PyPI package ``fastapi-offline`` (its ``static`` folder: swagger-ui-bundle.js,
swagger-ui.css, redoc.standalone.js); the start-up scripts are ours, in ``web/static/apidocs``.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = Path(str(files("fastapi_offline") / "static"))

_SWAGGER = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{title} — API</title>
<link rel="stylesheet" href="/static/apidocs/vendor/swagger-ui.css"></head>
<body><div id="swagger-ui" data-openapi="{openapi}"></div>
<script src="/static/apidocs/vendor/swagger-ui-bundle.js"></script>
<script src="/static/apidocs/swagger-init.js"></script></body></html>"""

_REDOC = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{title} — API</title></head>
<body><div id="redoc" data-openapi="{openapi}"></div>
<script src="/static/apidocs/vendor/redoc.standalone.js"></script>
<script src="/static/apidocs/redoc-init.js"></script></body></html>"""


def install(app: FastAPI) -> None:
    # Mounted before /static so the vendor path wins; both are static assets (cacheable, CSP like the rest).
    app.mount("/static/apidocs/vendor", StaticFiles(directory=ASSETS), name="apidocs-vendor")
    title, openapi = app.title, app.openapi_url or "/api/openapi.json"

    @app.get("/docs", include_in_schema=False)
    def swagger() -> HTMLResponse:
        return HTMLResponse(_SWAGGER.format(title=title, openapi=openapi))

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return HTMLResponse(_REDOC.format(title=title, openapi=openapi))
