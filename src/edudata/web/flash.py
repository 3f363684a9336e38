"""Feedback after every page action: one flash message, carried across the redirect in a signed cookie.

A page route that wants its own words calls :func:`flash` (``flash(request, "申请已提交", "Submitted")``); any other
form post on a page that answers with a redirect gets a plain “操作已完成”, so no action goes without a word. The
base layout shows the message once (:func:`take`), and the next response clears the cookie. The cookie is signed
with the platform's Ed25519 key (the same in every worker process), so a message shown is one this platform wrote.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from edudata.crypto import signing

COOKIE = "edudata_flash"
_MAX_TEXT = 300  # a message is a sentence, not a report

#: The word said after a form post that named none (by path; every other path: 操作已完成).
_DEFAULTS: dict[str, tuple[str, str]] = {
    "/login": ("已登录", "Signed in"),
    "/logout": ("已退出登录", "Signed out"),
}
_DONE = ("操作已完成", "Done")


def flash(request: Request, zh: str, en: str, kind: str = "ok") -> None:
    """Say ``zh`` / ``en`` on the next page this person sees (``kind``: ``ok`` or ``warn``)."""
    request.state.flash = {
        "zh": zh[:_MAX_TEXT],
        "en": en[:_MAX_TEXT],
        "kind": kind if kind == "warn" else "ok",
    }


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encode(message: dict[str, str], settings: Any) -> str:
    payload = json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode()
    return f"{_b64(payload)}.{_b64(signing.sign(payload, settings))}"


def decode(value: str, settings: Any) -> dict[str, str] | None:
    """The message in a cookie this platform signed; None for anything else (never raises on a bad cookie)."""
    try:
        payload_text, sig_text = value.split(".", 1)
        payload, sig = _unb64(payload_text), _unb64(sig_text)
    except (ValueError, binascii.Error):
        return None
    if not signing.verify(signing.public_key_bytes(settings), payload, sig):
        return None
    try:
        message = json.loads(payload)
    except ValueError:
        return None
    if not isinstance(message, dict) or not all(
        isinstance(message.get(k), str) for k in ("zh", "en", "kind")
    ):
        return None
    return message


def take(request: Request) -> dict[str, str] | None:
    """The message to show on the page being rendered: one set by this request, else the one carried over.

    Either way it is shown once: this request's message is not also sent on as a cookie, and a carried-over
    cookie is cleared by this response."""
    state = request.state
    own = getattr(state, "flash", None)
    if own is not None:
        state.flash_shown = True
        return own
    raw = request.cookies.get(COOKIE)
    if not raw:
        return None
    state.flash_clear = True
    return decode(raw, request.app.state.settings)


def _cookie(value: str, max_age: int, secure: bool) -> bytes:
    attrs = f"{COOKIE}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax"
    return (attrs + ("; Secure" if secure else "")).encode("latin-1")


class FlashMiddleware:
    """Puts the route's message (or the plain default after a page form post that redirects) in the cookie."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(("/api/", "/static/")):
            await self.app(scope, receive, send)
            return
        request = Request(scope)

        async def with_flash(message: Message) -> None:
            if message["type"] == "http.response.start":
                state = scope.get("state", {})
                own = state.get("flash")
                status = message["status"]
                if own is None and request.method == "POST" and status in (302, 303):
                    zh, en = _DEFAULTS.get(scope["path"], _DONE)
                    own = {"zh": zh, "en": en, "kind": "ok"}
                settings = request.app.state.settings
                secure = bool(settings.cookie_secure) or request.url.scheme == "https"
                headers = message.setdefault("headers", [])
                if own is not None and not state.get("flash_shown") and status < 400:
                    headers.append((b"set-cookie", _cookie(encode(own, settings), 120, secure)))
                elif state.get("flash_clear"):
                    headers.append((b"set-cookie", _cookie('""', 0, secure)))
            await send(message)

        await self.app(scope, receive, with_flash)
