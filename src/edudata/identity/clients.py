"""Service accounts for business systems (服务账户, Art. 30, 54): OAuth2 client credentials (RFC 6749 §4.4).

A business system that pulls or pushes data gets an account of its own in its unit — no person, no password
(it cannot log in on the web or with ``/auth/token``) — and a client id with a random secret. At the token
endpoint it exchanges them for an ordinary bearer token, so the data path, the policy and the audit see a
principal like any other. Secrets are kept as SHA-256 only; rotating issues a new one and keeps the old one valid
for ``client_secret_grace_hours``. Disabling the account ends the client and every token at once.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from edudata.config import Settings
from edudata.db import utcnow
from edudata.errors import Conflict, NotAuthenticated, NotFound
from edudata.identity.models import ServiceClient
from edudata.identity.passwords import UNUSABLE_PASSWORD
from edudata.identity.tokens import as_utc, digest, revoke_all
from edudata.org.models import Account
from edudata.org.service import _check_role, _check_sod, find_account, get_unit, grant_role, set_disabled
from edudata.org.validation import USERNAME, check_pattern, clean_name

SECRET_PREFIX = "eds_"  # noqa: S105 - the prefix of issued secrets, not a secret


@dataclass(frozen=True)
class IssuedClient:
    client_id: str
    client_secret: str  # shown once
    username: str


def _new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def create_client(
    session: Session, *, username: str, name: str, unit_code: str, roles: Sequence[str] = (), by: str
) -> IssuedClient:
    """A service account in ``unit_code`` with ``roles`` (under the SoD rules) and its first secret."""
    check_pattern(username, USERNAME, "username", "2-64 位字母、数字或 _.-", "2 to 64 letters, digits or _.-")
    name = clean_name(name, "name")
    unit = get_unit(session, unit_code)
    for role in roles:
        _check_role(role)
    _check_sod(session, list(roles))
    if find_account(session, username) is not None:
        raise Conflict(
            f"用户名 {username} 已被使用", f"username {username} is already taken", field="username"
        )
    account = Account(username=username, display_name=name, unit_id=unit.id, person_id=None,
                      password_hash=UNUSABLE_PASSWORD, disabled=False, totp_enabled=False)  # fmt: skip
    session.add(account)
    session.flush()
    for role in dict.fromkeys(roles):
        grant_role(session, account, role, by)
    secret = _new_secret()
    client = ServiceClient(client_id="svc_" + secrets.token_hex(8), account_id=account.id, name=name,
                           secret_hash=digest(secret), created_by=by, created_at=utcnow())  # fmt: skip
    session.add(client)
    session.flush()
    return IssuedClient(client.client_id, secret, username)


def get_client(session: Session, client_id: str) -> ServiceClient:
    client = session.execute(
        select(ServiceClient).where(ServiceClient.client_id == client_id)
    ).scalar_one_or_none()
    if client is None:
        raise NotFound(f"服务客户端 {client_id:.40} 不存在", f"no service client {client_id:.40}")
    return client


def rotate(session: Session, client: ServiceClient, settings: Settings, now: datetime | None = None) -> str:
    """A new secret; the current one keeps working for the grace period (then only the new one does)."""
    now = now or utcnow()
    secret = _new_secret()
    client.previous_secret_hash = client.secret_hash
    client.previous_valid_until = now + timedelta(hours=settings.client_secret_grace_hours)
    client.secret_hash = digest(secret)
    client.rotated_at = now
    session.flush()
    return secret


def disable(session: Session, client: ServiceClient, by: str) -> Account:
    """Disable the service account: its secrets stop at once (``check_client``), and so do its tokens."""
    account = session.get(Account, client.account_id)
    set_disabled(session, account, True, by)
    revoke_all(session, account.id)
    return account


def _invalid() -> NotAuthenticated:
    # RFC 6749 §5.2's error code beside the problem's own fields, for OAuth2 client libraries.
    return NotAuthenticated("客户端标识或密钥错误", "wrong client id or secret", error="invalid_client")


def check_client(session: Session, client_id: str, secret: str, now: datetime | None = None) -> Account:
    """The service account behind valid client credentials; 401 ``invalid_client`` otherwise (also when the
    account is disabled — the answer does not tell which)."""
    now = now or utcnow()
    client = session.execute(
        select(ServiceClient).where(ServiceClient.client_id == client_id[:64])
    ).scalar_one_or_none()
    offered = digest(secret[:200])
    if client is None:
        hmac.compare_digest(offered, digest("no-such-client"))
        raise _invalid()
    ok = hmac.compare_digest(offered, client.secret_hash)
    if not ok and client.previous_secret_hash and client.previous_valid_until is not None:
        ok = as_utc(client.previous_valid_until) > now and hmac.compare_digest(
            offered, client.previous_secret_hash
        )
    account = session.get(Account, client.account_id)
    if not ok or account is None or account.disabled:
        raise _invalid()
    return account


def list_clients(session: Session) -> list[tuple[ServiceClient, Account]]:
    rows = session.execute(
        select(ServiceClient, Account)
        .join(Account, Account.id == ServiceClient.account_id)
        .order_by(ServiceClient.id)
    ).all()
    return [(c, a) for c, a in rows]
