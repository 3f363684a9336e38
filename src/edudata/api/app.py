"""The FastAPI application: API under ``/api/v1`` (OpenAPI at ``/docs``), web pages at ``/``."""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from edudata import __version__
from edudata.answers import Out
from edudata.api import docs, openapi, problems
from edudata.api.limits import BodyLimitMiddleware, RequestIdMiddleware
from edudata.api.security import SecurityHeadersMiddleware, TrustedProxyMiddleware
from edudata.config import Settings, get_settings
from edudata.db import Database
from edudata.schema import DOMAINS
from edudata.web.flash import FlashMiddleware

STATIC = Path(__file__).resolve().parent.parent / "web" / "static"


class HealthOut(Out):
    """Liveness: the process answers, and its version."""

    status: str
    version: str


def _include_domain_routers(app: FastAPI) -> None:
    """Each domain contributes ``routes.py`` (API) and ``pages.py`` (web), each with a ``router``, and may serve
    a path outside its prefix from ``row_routes.py`` (ingest takes the data API's writes)."""
    for domain in ("web", *DOMAINS):
        for part in ("routes", "row_routes", "pages"):
            name = f"edudata.{domain}.{part}"
            if importlib.util.find_spec(f"edudata.{domain}") and importlib.util.find_spec(name):
                app.include_router(importlib.import_module(name).router)


def sso_origins(settings: Settings) -> list[str]:
    """The origins of the configured CAS server and OIDC issuer (their logout pages follow a logout form)."""
    origins = []
    for url in (settings.cas_url, settings.oidc_issuer):
        parts = urlsplit(url) if url else None
        if parts and parts.scheme in ("http", "https") and parts.netloc:
            origins.append(f"{parts.scheme}://{parts.netloc}")
    return origins


def create_app(settings: Settings | None = None, db: Database | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        title="EduData 教育数据治理平台",
        version=__version__,
        description="教育数据目录、一数一源、共享审批、开放数据与审计 / "
        "Education-data catalogue, one data one source, governed sharing, open data and audit.",
        docs_url=None,  # served by edudata.api.docs from the app's own assets (no CDN), or off
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.settings = settings
    app.state.db = db or Database(settings.resolved_database_url())
    app.state.on_problem = []  # hooks called for every refused or failed request (audit plugs in here)
    problems.install(app)
    app.add_middleware(
        BodyLimitMiddleware, json_limit=settings.max_json_bytes, upload_limit=settings.max_upload_bytes
    )
    app.add_middleware(FlashMiddleware)  # inside the request id: the route's state is the flash's
    app.add_middleware(RequestIdMiddleware)
    app.add_middleware(SecurityHeadersMiddleware, form_targets=sso_origins(settings))
    app.add_middleware(TrustedProxyMiddleware, trusted=settings.trusted_proxies)  # outermost: sets the client
    if settings.api_docs:
        docs.install(app)  # its asset mount must precede /static
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/api/v1/health", tags=["system"], response_model=HealthOut)
    def health() -> dict[str, str]:
        """Liveness: the process answers and knows its version."""
        return {"status": "ok", "version": __version__}

    _include_domain_routers(app)
    openapi.install(app)
    for domain in DOMAINS:  # domains may attach hooks (audit of refusals, caches) at start-up
        name = f"edudata.{domain}.hooks"
        if importlib.util.find_spec(f"edudata.{domain}") and importlib.util.find_spec(name):
            importlib.import_module(name).install(app)
    return app
