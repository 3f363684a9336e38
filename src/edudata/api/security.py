"""The web's defences, as plain ASGI middleware on every response (pages, API, static files, errors).

- **Security headers**: a strict Content-Security-Policy (scripts and styles from the app itself only, no inline
  script, no framing: ``frame-ancestors 'none'``), ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: same-origin``
  (the language switch returns to the page it came from), ``X-Frame-Options: DENY`` for old browsers, ``Cache-Control: no-store`` on everything but static
  assets (pages and API answers may carry personal data and must not stay in a shared or browser cache), and HSTS
  when the request came over TLS.
- **Trusted proxies**: ``X-Forwarded-For`` / ``X-Forwarded-Proto`` are believed only when the direct peer is
  listed in ``settings.trusted_proxies`` (default: none). Otherwise any local process could forge the address
  that reaches the audit log and the address lockout. The server is started with uvicorn's own proxy-header
  handling off (:func:`uvicorn_options`), so this is the one place that decides.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
HSTS = "max-age=31536000; includeSubDomains"
STATIC_PREFIX = "/static/"


def _networks(entries: Iterable[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(e.strip(), strict=False) for e in entries if e and e.strip()]


def _in(address: str, networks: list) -> bool:  # noqa: ANN001
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in n for n in networks)


class TrustedProxyMiddleware:
    """Take the client address and scheme from forwarding headers only when a trusted proxy sent them.

    The client is the right-most address in ``X-Forwarded-For`` that is not itself a trusted proxy (the proxies
    append; an address a client wrote to the left is not believed)."""

    def __init__(self, app: ASGIApp, trusted: Iterable[str]) -> None:
        self.app, self.trusted = app, _networks(trusted)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and self.trusted:
            peer = (scope.get("client") or ("", 0))[0]
            if _in(peer, self.trusted):
                headers = dict(scope.get("headers") or [])
                forwarded = headers.get(b"x-forwarded-for", b"").decode("latin-1")
                hops = [h.strip() for h in forwarded.split(",") if h.strip()]
                client = next((h for h in reversed(hops) if not _in(h, self.trusted)), None)
                scope = dict(scope)
                if client is not None and _valid(client):
                    scope["client"] = (client, 0)
                proto = headers.get(b"x-forwarded-proto", b"").decode("latin-1").strip().lower()
                if proto in ("http", "https"):
                    scope["scheme"] = proto
        await self.app(scope, receive, send)


def _valid(address: str) -> bool:
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return False
    return True


class SecurityHeadersMiddleware:
    """Add the security headers to every HTTP response (see the module docstring)."""

    def __init__(self, app: ASGIApp, form_targets: Iterable[str] = ()) -> None:
        """``form_targets``: origins a form may lead to besides this site — the school's sign-on server, whose
        logout a logout form redirects to (browsers apply ``form-action`` to the redirect too)."""
        self.app = app
        extra = " ".join(dict.fromkeys(t for t in form_targets if t))
        self.csp = CSP.replace("form-action 'self'", f"form-action 'self' {extra}") if extra else CSP

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        tls = scope.get("scheme") == "https"
        static = str(scope.get("path", "")).startswith(STATIC_PREFIX)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (k, v)
                    for k, v in message.get("headers", [])
                    if k.lower() not in (b"cache-control", b"pragma") or static
                ]
                headers += [
                    (b"content-security-policy", self.csp.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"x-frame-options", b"DENY"),
                    (b"referrer-policy", b"same-origin"),
                    (b"cross-origin-opener-policy", b"same-origin"),
                ]
                if not static:
                    headers += [(b"cache-control", b"no-store"), (b"pragma", b"no-cache")]
                if tls:
                    headers.append((b"strict-transport-security", HSTS.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def uvicorn_options() -> dict[str, Any]:
    """How every server of the app is started (the CLI and the tests' live server): uvicorn's proxy-header
    rewriting off, so only :class:`TrustedProxyMiddleware` (settings) decides who the client is."""
    return {"proxy_headers": False, "server_header": False}
