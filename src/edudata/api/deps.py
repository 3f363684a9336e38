"""Dependencies shared by every domain's routes: the database session and the caller's address."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import Request
from sqlalchemy.orm import Session

from edudata.config import Settings
from edudata.db import Database


def get_database(request: Request) -> Database:
    return request.app.state.db


def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings


def get_session(request: Request) -> Iterator[Session]:
    """One session per request. Routes commit what they change; anything uncommitted is rolled back here."""
    with request.app.state.db.session() as session:
        yield session


def secure_cookies(request: Request) -> bool:
    """Cookies carry ``Secure`` whenever the request came over HTTPS (directly, or from a trusted proxy that
    says so), and always when the operator sets ``cookie_secure``."""
    return bool(request.app.state.settings.cookie_secure) or request.url.scheme == "https"


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"
