"""Who reads the portal: an anonymous visitor or the holder of an open-data key; rate-limited first (Art. 58).

A key travels in ``X-API-Key``, ``X-CKAN-API-Key`` or a bare ``Authorization`` header (what CKAN clients such as
``ckanapi`` send). A staff bearer token is not an open-data key: the portal treats its holder as anonymous.
"""

from __future__ import annotations

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from edudata.api.deps import client_address, get_session
from edudata.errors import NotAuthenticated
from edudata.identity.principal import OpenKeyCaller, PublicCaller
from edudata.opendata import public, ratelimit
from edudata.opendata.models import PublicUser
from edudata.worker.ratelimit import SharedBuckets
from edudata.worker.redis_buckets import RedisBuckets

PUBLIC_COOKIE = "edudata_public"


def _key_from(request: Request) -> str | None:
    for name in ("x-api-key", "x-ckan-api-key"):
        if request.headers.get(name):
            return request.headers[name].strip()
    auth = request.headers.get("authorization", "").strip()
    if auth and " " not in auth:
        return auth
    return None


def buckets(request: Request) -> ratelimit.TokenBuckets | SharedBuckets | RedisBuckets:
    """The portal's buckets, shared by every app server: in Redis when ``EDUDATA_REDIS_URL`` is set, else in the
    database on PostgreSQL, else (SQLite: one app server) in the process."""
    state = request.app.state
    if getattr(state, "opendata_buckets", None) is None:
        settings = state.settings
        burst, rate = settings.opendata_rate_burst, settings.opendata_rate_per_second
        if settings.redis_url:
            state.opendata_buckets = RedisBuckets(settings.redis_url, burst, rate, settings.redis_key_prefix)
        elif state.db.is_sqlite:
            state.opendata_buckets = ratelimit.TokenBuckets(burst, rate)
        else:
            state.opendata_buckets = SharedBuckets(state.db, burst, rate)
    return state.opendata_buckets


def open_caller(request: Request, session: Session = Depends(get_session)) -> PublicCaller | OpenKeyCaller:
    """The caller of a portal request, after its rate limit: per key when a key is sent, else per address."""
    address = client_address(request)
    secret = _key_from(request)
    if secret is None:
        ratelimit.check(buckets(request), f"addr:{address}")
        return PublicCaller(source_ip=address)
    try:
        caller = public.caller_for_key(session, secret, address)
    except NotAuthenticated:
        ratelimit.check(buckets(request), f"addr:{address}")  # guessing keys costs the address's tokens
        raise
    ratelimit.check(buckets(request), f"key:{caller.key_id}")
    return caller


def base_url(request: Request) -> str:
    return request.app.state.settings.public_base_url or str(request.base_url).rstrip("/")


def public_user(request: Request, session: Session = Depends(get_session)) -> PublicUser:
    """A logged-in public user (``Authorization: Bearer edp_…`` on the API, the portal cookie on pages)."""
    auth = request.headers.get("authorization", "")
    secret = auth[7:].strip() if auth.lower().startswith("bearer ") else request.cookies.get(PUBLIC_COOKIE)
    user = public.user_for_session(session, secret)
    if user is None:
        raise NotAuthenticated("请先登录开放数据平台", "log in to the open-data portal first")
    return user
