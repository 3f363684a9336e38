"""One CSRF scheme (Art. 54): every form carries a token the server issued and can check.

- Signed in: the token is the session's own (``identity_web_session.csrf_token``), compared with the form field.
- Not signed in yet (the login forms, the open-data portal): the token is issued by the server and signed —
  ``nonce.issued.mac`` with an HMAC under a key-ring data key (purpose ``csrf``) — and kept in the
  ``edudata_csrf`` cookie. A form passes only when its field equals the cookie *and* the signature holds and the
  token is under ``MAX_AGE`` old, so a pair an attacker makes up (cookie ``x``, field ``x``) is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

from fastapi import Request

from edudata.crypto.keys import KeyManager

PURPOSE = "csrf"
MAX_AGE = 12 * 3600  # seconds a pre-login form stays valid


def _key(request: Request) -> bytes:
    with request.app.state.db.session() as session:
        key = (
            KeyManager(session, request.app.state.settings).active(PURPOSE).derive(b"edudata-csrf-anonymous")
        )
        session.commit()  # a key created on first use is kept (and only then cached)
    return key


def _mac(key: bytes, nonce: str, issued: str) -> str:
    return hmac.new(key, f"{nonce}.{issued}".encode(), hashlib.sha256).hexdigest()[:32]


def issue(request: Request) -> str:
    """A new signed token for a visitor without a session."""
    nonce, issued = secrets.token_urlsafe(18), str(int(time.time()))
    return f"{nonce}.{issued}.{_mac(_key(request), nonce, issued)}"


def valid(request: Request, token: str | None) -> bool:
    """Whether ``token`` is one this server issued, still fresh."""
    if not token or len(token) > 200 or token.count(".") != 2:
        return False
    nonce, issued, mac = token.split(".")
    if not issued.isdigit() or not 0 <= time.time() - int(issued) <= MAX_AGE:
        return False
    return hmac.compare_digest(mac, _mac(_key(request), nonce, issued))


def current_or_new(request: Request, cookie: str | None) -> str:
    """The visitor's token: the cookie's when it is valid, else a new one (to be set as the cookie)."""
    return cookie if valid(request, cookie) else issue(request)


def check_pair(request: Request, sent: str | None, cookie: str | None) -> bool:
    """A pre-login form: the field equals the cookie, and the cookie is a valid issued token."""
    if not sent or not cookie or not hmac.compare_digest(sent.encode(), cookie.encode()):
        return False
    return valid(request, cookie)


def seal_value(request: Request, text: str) -> str:
    """``text`` with an HMAC under the same key (for a short-lived cookie this server must get back unchanged,
    e.g. the OIDC state, nonce and PKCE verifier)."""
    issued = str(int(time.time()))
    return f"{text}|{issued}|{_mac(_key(request), text, issued)}"


def open_value(request: Request, sealed: str | None, max_age: int = 600) -> str | None:
    """The text of a :func:`seal_value` cookie, or None when it was changed or is older than ``max_age``."""
    if not sealed or len(sealed) > 2000 or sealed.count("|") < 2:
        return None
    text, issued, mac = sealed.rsplit("|", 2)
    if not issued.isdigit() or not 0 <= time.time() - int(issued) <= max_age:
        return None
    return text if hmac.compare_digest(mac, _mac(_key(request), text, issued)) else None
